"""7.5 Service: each owning department answers its queue first-come-first-served with its servers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.compiled import jit
from simulation.core.effects import Step
from simulation.core.kernels import fifo_run
from simulation.core.slices import params_slice
from simulation.scenario.config import AGENCY, INQUIRY_TYPES

if TYPE_CHECKING:
    from simulation.core.organization import Company
    from simulation.scenario.config import Config


@params_slice
class ServiceParams:
    """7.5 service's numbers, per department (the agency last)."""

    servers: np.ndarray  # float: answering servers while staffed


def compile_service(config: Config, company: Company, scale: float) -> dict[str, np.ndarray]:
    """Social roster of each department while on duty: headcount x its social share x ``scale``.

    The roster (staff on social work, paid whether busy or idle) posts and answers: what
    posting leaves of it in a step answers the department's queue (:func:`serve`).

    Departments missing from ``social_share`` (e.g. from an org chart) give
    ``social_share_default``; an engaged agency gives ``agency_social_share`` unless listed;
    every owner of an inquiry type has at least ``min_owner_servers``.
    """
    org = config.organization
    departments = company.departments
    share = np.array([org.social_share.get(name, org.social_share_default) for name in departments])
    headcount = np.bincount(company.dept, minlength=len(departments))
    servers = headcount * share * scale
    if not org.agency:
        servers[company.agency_index] = 0.0
    elif AGENCY not in org.social_share:
        servers[company.agency_index] = headcount[company.agency_index] * org.agency_social_share * scale
    for t in INQUIRY_TYPES:
        d = departments.index(config.support.owners[t])
        servers[d] = max(servers[d], config.support.min_owner_servers)
    return {"servers": servers}


def answering_servers(servers: np.ndarray, posting_hours: np.ndarray, dt: float) -> np.ndarray:
    """Servers left to answer in a step: the roster minus the hours it spends posting."""
    return np.maximum(servers - posting_hours / dt, 0.0)


def serve(step: Step, staffed: np.ndarray, posting_hours: np.ndarray) -> np.ndarray:
    """Each owner serves its queue FCFS with what posting leaves of its roster; returns waiting counts."""
    state, params, flows = step.state, step.params, step.flows
    table = state.inquiries
    t, t1 = step.t, step.t + step.dt
    record_duty(state, staffed, t, step.dt)
    waiting = np.zeros(len(state.free_at), dtype=np.int64)
    if len(table) == 0:
        return waiting
    pending = _queued_not_started(table["t_start"], table["t_queue"], t1)
    if not len(pending):
        return waiting
    owner = table["owner"][pending]
    servers = answering_servers(params.servers, posting_hours, step.dt)
    in_queue = np.bincount(owner, minlength=len(waiting))
    for d in np.flatnonzero(in_queue):
        pool = _resize_pool(state.free_at[d], int(round(servers[d])), t)
        if not staffed[d] or not pool:
            waiting[d] = in_queue[d]
            continue
        free_at, served = _serve_queue(
            pending[owner == d], table["t_queue"], table["service_h"], table["t_start"], table["t_end"],
            np.array(pool), t, t1,
        )  # fmt: skip
        pool[:] = free_at.tolist()
        if len(served):  # how much of each wait in the queue fell in the owner's off-duty hours
            queued, started = table["t_queue"][served], table["t_start"][served]
            table["off_duty_h"][served] = (started - queued) - (
                on_duty_until(state, d, started) - on_duty_until(state, d, queued)
            )
        waiting[d] = in_queue[d] - len(served)
        flows["busy_hours"] += float(table["service_h"][served].sum())
    return waiting


def record_duty(state: Any, staffed: np.ndarray, t: float, dt: float) -> None:
    """Add a step to each department's duty record: on-duty hours from the start of the run to each step's end.

    ``state.duty`` holds, per step boundary, the cumulated hours each department was on duty
    (row 0: the run's start), so the on-duty hours between any two times are a difference of
    two interpolations (:func:`on_duty_until`).
    """
    duty = state.duty
    if duty is None:
        state.duty = duty = DutyRecord(t, dt, np.zeros((64, len(staffed))), 1)
    if duty.rows == len(duty.cumulative):  # grow (doubling)
        duty.cumulative = np.concatenate([duty.cumulative, np.empty_like(duty.cumulative)])
    duty.cumulative[duty.rows] = duty.cumulative[duty.rows - 1] + staffed * dt
    duty.rows += 1


def on_duty_until(state: Any, department: int, times: np.ndarray) -> np.ndarray:
    """Hours ``department`` was on duty from the run's start to each of ``times`` (within recorded steps)."""
    duty = state.duty
    position = np.clip((times - duty.start) / duty.dt, 0.0, duty.rows - 1.0)
    k = np.minimum(np.floor(position).astype(np.int64), duty.rows - 2)
    low, high = duty.cumulative[k, department], duty.cumulative[k + 1, department]
    return low + (high - low) * (position - k)


@dataclass
class DutyRecord:
    """Cumulated on-duty hours of each department at each step boundary (see :func:`record_duty`)."""

    start: float  # the run's first hour
    dt: float  # hours per step
    cumulative: np.ndarray  # (capacity, departments); the first ``rows`` rows are filled
    rows: int


def _resize_pool(pool: list[float], size: int, t: float) -> list[float]:
    """Grow a department's server pool (new servers free now) or shrink it (latest-free leave)."""
    if len(pool) < size:
        pool.extend([t] * (size - len(pool)))
    elif len(pool) > size:
        pool.sort()
        del pool[size:]
    return pool


@jit
def _queued_not_started(t_start: np.ndarray, t_queue: np.ndarray, t1: float) -> np.ndarray:
    """Rows of the inquiries in a queue before ``t1`` whose service has not started, in row order."""
    rows = np.empty(len(t_start), dtype=np.int64)
    k = 0
    for r in range(len(t_start)):
        if np.isinf(t_start[r]) and t_queue[r] < t1:
            rows[k] = r
            k += 1
    return rows[:k]


@jit
def _serve_queue(rows, t_queue, service_h, t_start, t_end, free_at, t, t1):
    """One owner's queue in arrival order (ties in row order) through :func:`fifo_run` from ``t`` to ``t1``.

    Sets the start and end of the inquiries whose service starts; returns the servers' new
    free times and those inquiries' rows, in queue order.
    """
    rows = rows[np.argsort(t_queue[rows], kind="mergesort")]  # (stable)
    starts, free_at = fifo_run(t_queue[rows], service_h[rows], free_at, t, t1)
    served = rows[np.isfinite(starts)]
    for j in range(len(served)):
        r = served[j]
        t_start[r] = starts[j]
        t_end[r] = starts[j] + service_h[r]
    return free_at, served
