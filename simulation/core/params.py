"""Compiled parameters: the numbers the step core uses, derived once from a config.

``compile_params`` turns a validated :class:`~simulation.scenario.config.Config` and the run's
:class:`~simulation.core.organization.Company` into flat arrays (per employee, per
department, per inquiry type); each submodel compiles its own slice. ``blend`` mixes two
compiled parameter sets while an org-model change is being adopted: float arrays are
interpolated, discrete ones switch half-way.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, fields

import numpy as np

from simulation.core.content import compile_content
from simulation.core.costs import compile_costs
from simulation.core.crisis import compile_crisis
from simulation.core.organization import Company, Structure, build_structure, check_names, silo_index
from simulation.core.people import compile_people
from simulation.core.routing import compile_routing, detection_chances
from simulation.core.service import compile_service
from simulation.scenario.config import Config


@dataclass(frozen=True)
class Params:
    """Numbers for one step of the core; every rate is per hour."""

    # 7.1 content (per employee, then company-wide)
    post_rate: np.ndarray  # posts per hour while staffed (0 for non-posters)
    own_account: np.ndarray  # float 0..1: posts also go out on the employee's own account
    promo_share: np.ndarray  # per employee: share of posts that promote
    people_per_row: float  # customers / reference_customers: people an employee row stands for
    quality_offset: float  # base + guidelines + coordination - quota terms
    quality_skill_weight: float
    gaffe_factor: float  # gaffe probability x guideline reduction
    on_brand_offset: float
    on_brand_skill_weight: float
    # 7.4 listening and routing (per department; hand-off matrices (departments + tool, departments))
    listen_coverage: np.ndarray  # detection probability of each listening unit (0 = not listening)
    tool_coverage: float  # detection probability of the shared tool (0 = none)
    tool_misrouting: float  # share of the tool's detections sent to a wrong department first (after hub triage)
    listen_latency_hours: float
    owner: np.ndarray  # department index owning each inquiry type
    handoff_hours: np.ndarray  # mean hours of a hand-off between units
    handoff_loss: np.ndarray
    handoff_hops: np.ndarray
    # 7.5 service (per department, the agency last)
    servers: np.ndarray  # float: answering servers while staffed
    # 7.8 people
    social_staff: np.ndarray  # float 0..1: share of the employee's role that is social work
    training: float
    rewards: float
    quota: float
    # 7.9 crises
    response_capability: float  # multiplies the crisis decay rate
    # 7.10 costs
    fixed_cost_per_hour: float
    training_cost_per_hour: float  # while the training programme runs
    listening_hours: float  # staff hours per staffed hour spent monitoring and coordinating
    # analysis
    silo_index: float

    @functools.cached_property
    def detection(self) -> tuple[float, np.ndarray, np.ndarray]:
        """:func:`~simulation.core.routing.detection_chances` of these parameters (derived once)."""
        return detection_chances(self.listen_coverage, self.tool_coverage)


def compile_params(config: Config, company: Company, n_customers: int) -> tuple[Params, Structure]:
    """Derive the step core's numbers (and the org structure) from a config, for ``n_customers`` customers."""
    check_names(company, config.organization, config.support)
    scale = n_customers / config.organization.reference_customers
    structure = build_structure(company, config.organization)
    routing, handoffs = compile_routing(config, company, structure)
    people = compile_people(config, company, structure)
    values = {
        **compile_content(config, company, structure, scale),
        **routing,
        **compile_service(config, company, scale),
        **people,
        **compile_crisis(config, routing["listen_coverage"], routing["tool_coverage"]),
        **compile_costs(config, structure, routing["listen_coverage"], float(people["social_staff"].sum()), scale),
        "silo_index": silo_index(structure.graph),
    }
    return Params(**values), dataclasses.replace(structure, handoffs=handoffs)


def blend(old: Params, new: Params, weight: float) -> Params:
    """Parameters part-way through adopting ``new`` (weight 0 = old, 1 = new)."""
    if weight >= 1.0:
        return new
    if weight <= 0.0:
        return old
    return Params(**{f.name: _mix(getattr(old, f.name), getattr(new, f.name), weight) for f in fields(Params)})


def _mix(a, b, w: float):  # noqa: ANN001, ANN202 - arrays or scalars
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        finite = np.isfinite(a) & np.isfinite(b)
        switched = b if w >= 0.5 else a
        return np.where(finite, (1 - w) * np.where(finite, a, 0) + w * np.where(finite, b, 0), switched)
    if isinstance(a, float) and math.isfinite(a) and math.isfinite(b):
        return (1 - w) * a + w * b
    return b if w >= 0.5 else a
