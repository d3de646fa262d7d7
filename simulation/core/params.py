"""Compiled parameters: the numbers the step core uses, derived once from a config.

``compile_params`` turns a validated :class:`~simulation.config.Config` and the run's
:class:`~simulation.graphs.Company` into flat arrays (per employee, per department, per
inquiry type). ``blend`` mixes two compiled parameter sets while an org-model change is
being adopted: float arrays are interpolated, discrete ones switch half-way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import networkx as nx
import numpy as np

from simulation.config import AGENCY, INQUIRY_TYPES, Config
from simulation.graphs import (
    HUB,
    LEAD,
    Company,
    Handoffs,
    check_names,
    department_contacts,
    employee_roles,
    handoff_matrices,
    internal_graph,
    poster_mask,
    silo_index,
)

IDEA = INQUIRY_TYPES.index("idea")
TECHNICAL = INQUIRY_TYPES.index("technical_problem")
COMPLAINT = INQUIRY_TYPES.index("service_complaint")


@dataclass(frozen=True)
class Params:
    """Numbers for one step of the core; every rate is per hour."""

    # employees
    post_rate: np.ndarray  # posts per hour while staffed (0 for non-posters)
    social_staff: np.ndarray  # float 0..1: share of the employee's role that is social work
    own_account: np.ndarray  # float 0..1: posts also go out on the employee's own account
    # departments (the agency last)
    servers: np.ndarray  # float: answering servers while staffed
    listen_coverage: np.ndarray  # detection probability of each listening unit (0 = not listening)
    tool_coverage: float  # detection probability of the shared tool (0 = none)
    listen_latency_h: float
    owner: np.ndarray  # department index owning each inquiry type
    handoff_delay_h: np.ndarray  # (departments + tool, departments)
    handoff_loss: np.ndarray
    handoff_hops: np.ndarray
    # content
    promo_share: float
    quality_offset: float  # base + guidelines + coordination - quota terms
    quality_skill_weight: float
    gaffe_factor: float  # gaffe probability x guideline reduction
    on_brand_offset: float
    on_brand_skill_weight: float
    # people
    training: float
    rewards: float
    quota: float
    response_capability: float  # speeds crisis containment: coordination + detection
    # costs per hour
    fixed_cost_per_hour: float
    listening_hours: float  # staff hours per staffed hour spent monitoring and coordinating
    # analysis
    silo_index: float


@dataclass(frozen=True)
class Structure:
    """The org structure behind a parameter set, kept for analysis, plots and the app."""

    graph: nx.Graph
    contacts: np.ndarray
    roles: np.ndarray
    posters: np.ndarray
    handoffs: Handoffs


def compile_params(config: Config, company: Company) -> tuple[Params, Structure]:
    """Derive the step core's numbers (and the org structure) from a config."""
    org, content, people = config.organization, config.content, config.people
    check_names(company, org, config.support)
    departments = company.departments
    n_dept = len(departments)
    graph = internal_graph(company, org)
    contacts = department_contacts(company, org)
    roles = employee_roles(company, org)
    posters = poster_mask(company, org)
    handoffs = handoff_matrices(graph, contacts, config.support, org.silo_strength)

    quota_mult = content.quota_multiplier if content.quota else 1.0
    post_rate = posters * (content.posts_per_poster_per_day / _staffed_hours(config) * quota_mult)
    social = np.zeros(company.size)
    social[posters] = 1.0
    social[(roles == LEAD) | (roles == HUB)] = 1.0
    own_account = np.zeros(company.size)
    if org.employee_accounts:
        own_account[posters & (company.dept != company.agency_index)] = 1.0

    share = np.array([org.social_share.get(name, 0.05) for name in departments])
    headcount = np.bincount(company.dept, minlength=n_dept)
    servers = headcount * share
    if not org.agency:
        servers[company.agency_index] = 0.0
    elif AGENCY not in org.social_share:
        servers[company.agency_index] = headcount[company.agency_index] * 0.5

    listening = set(org.listeners) - ({AGENCY} if not org.agency else set())
    coverage = np.array([org.listening_coverage if name in listening else 0.0 for name in departments])
    owner = np.array([departments.index(config.support.owners[t]) for t in INQUIRY_TYPES])
    for d in owner:
        servers[d] = max(servers[d], 1.0)  # an owner always has someone answering

    guidelines = float(content.guidelines)
    quality_offset = (
        content.quality_base
        + content.quality_guidelines_weight * guidelines
        + content.quality_coordination_weight * org.coordination
        - content.quota_quality_penalty * float(content.quota)
    )
    consistency = content.consistency_base
    fixed = 0.0
    if org.agency:
        fixed += config.cost.agency_fee_per_hour
    if org.shared_tool:
        fixed += config.cost.tool_cost_per_hour
    if people.training:
        fixed += config.cost.training_cost_per_employee_day * float(social.sum()) / 24.0

    params = Params(
        post_rate=post_rate,
        social_staff=social,
        own_account=own_account,
        servers=servers,
        listen_coverage=coverage,
        tool_coverage=org.tool_coverage if org.shared_tool else 0.0,
        listen_latency_h=org.listening_latency_hours,
        owner=owner,
        handoff_delay_h=handoffs.delay,
        handoff_loss=handoffs.loss,
        handoff_hops=handoffs.hops,
        promo_share=content.promo_share,
        quality_offset=quality_offset,
        quality_skill_weight=content.quality_skill_weight,
        gaffe_factor=content.gaffe_prob * (1.0 - content.guidelines_gaffe_reduction * guidelines),
        on_brand_offset=consistency + (1 - consistency) * (0.4 * guidelines + 0.4 * org.coordination),
        on_brand_skill_weight=(1 - consistency) * 0.2,
        training=float(people.training),
        rewards=float(people.rewards),
        quota=float(content.quota),
        response_capability=org.coordination
        + (1.0 - float(np.prod(1.0 - coverage)))
        + 0.5 * (org.tool_coverage if org.shared_tool else 0.0),
        fixed_cost_per_hour=fixed,
        listening_hours=people.listening_hours_per_unit * float((coverage > 0).sum())
        + people.lead_hours * float(((roles == LEAD) | (roles == HUB)).sum()),
        silo_index=silo_index(graph),
    )
    return params, Structure(graph, contacts, roles, posters, handoffs)


def _staffed_hours(config: Config) -> float:
    start, end = config.support.staffed_hours
    return float(end - start)


def blend(old: Params, new: Params, weight: float) -> Params:
    """Parameters part-way through adopting ``new`` (weight 0 = old, 1 = new)."""
    if weight >= 1.0:
        return new
    if weight <= 0.0:
        return old
    values = {}
    for f in fields(Params):
        a, b = getattr(old, f.name), getattr(new, f.name)
        values[f.name] = _mix(a, b, weight)
    return Params(**values)


def _mix(a, b, w: float):  # noqa: ANN001, ANN202 - arrays or scalars
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        finite = np.isfinite(a) & np.isfinite(b)
        switched = b if w >= 0.5 else a
        return np.where(finite, (1 - w) * np.where(finite, a, 0) + w * np.where(finite, b, 0), switched)
    if isinstance(a, float) and math.isfinite(a) and math.isfinite(b):
        return (1 - w) * a + w * b
    return b if w >= 0.5 else a
