"""7.5 Service: each owning department answers its queue first-come-first-served with its servers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.config import AGENCY, INQUIRY_TYPES
from simulation.core.effects import Step
from simulation.core.kernels import fifo_queue_state

if TYPE_CHECKING:
    from simulation.config import Config
    from simulation.core.organization import Company


def compile_service(config: Config, company: Company) -> dict[str, np.ndarray]:
    """Answering servers of each department while on duty: headcount x its social share.

    Departments missing from ``social_share`` (e.g. from an org chart) give
    ``social_share_default``; an engaged agency gives ``agency_social_share`` unless listed;
    every owner of an inquiry type has at least ``min_owner_servers``.
    """
    org = config.organization
    departments = company.departments
    share = np.array([org.social_share.get(name, org.social_share_default) for name in departments])
    headcount = np.bincount(company.dept, minlength=len(departments))
    servers = headcount * share
    if not org.agency:
        servers[company.agency_index] = 0.0
    elif AGENCY not in org.social_share:
        servers[company.agency_index] = headcount[company.agency_index] * org.agency_social_share
    for t in INQUIRY_TYPES:
        d = departments.index(config.support.owners[t])
        servers[d] = max(servers[d], config.support.min_owner_servers)
    return {"servers": servers}


def serve(step: Step, staffed: np.ndarray) -> np.ndarray:
    """Each owner serves its queue FCFS with its servers; returns waiting counts per department."""
    state, params, flows = step.state, step.params, step.flows
    table = state.inquiries
    t, t1 = step.t, step.t + step.dt
    waiting = np.zeros(len(state.free_at), dtype=np.int64)
    if len(table) == 0:
        return waiting
    pending = np.isinf(table["t_start"]) & (table["t_queue"] < t1)
    if not pending.any():
        return waiting
    owner = table["owner"]
    for d in np.unique(owner[pending]):
        rows = np.flatnonzero(pending & (owner == d))
        rows = rows[np.argsort(table["t_queue"][rows], kind="stable")]
        pool = _resize_pool(state.free_at[d], int(round(params.servers[d])), t)
        if not staffed[d] or not pool:
            waiting[d] = len(rows)
            continue
        starts, pool[:] = fifo_queue_state(
            table["t_queue"][rows], table["service_h"][rows], np.asarray(pool), not_before=t, until=t1
        )
        started = np.isfinite(starts)
        served = rows[started]
        table["t_start"][served] = starts[started]
        table["t_end"][served] = starts[started] + table["service_h"][served]
        waiting[d] = int((~started).sum())
        flows["staff_hours"] += float(table["service_h"][served].sum())
    return waiting


def _resize_pool(pool: list[float], size: int, t: float) -> list[float]:
    """Grow a department's server pool (new servers free now) or shrink it (latest-free leave)."""
    if len(pool) < size:
        pool.extend([t] * (size - len(pool)))
    elif len(pool) > size:
        pool.sort()
        del pool[size:]
    return pool
