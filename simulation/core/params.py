"""Compiled parameters: every number the step core uses, derived once from a config.

``compile_params`` turns a validated :class:`~simulation.scenario.config.Config` and the run's
:class:`~simulation.core.organization.Company` into numbers and flat arrays (per employee,
per department, per inquiry type); each submodel's ``compile_*`` compiles its own slice,
beside its rule. The step reads nothing else, so ``blend`` (an org-model change being
adopted, ODD 7.11) moves every field: floats are interpolated, the rest switch half-way.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import fields

import numpy as np

from simulation.core.content import ContentParams, compile_content
from simulation.core.costs import CostParams, compile_costs
from simulation.core.crisis import CrisisParams, compile_crisis
from simulation.core.customers import CustomerParams, compile_customers
from simulation.core.diffusion import DiffusionParams, compile_diffusion
from simulation.core.innovation import InnovationParams, compile_innovation
from simulation.core.needs import NeedsParams, compile_needs
from simulation.core.organization import Company, Structure, build_structure, check_names, silo_index
from simulation.core.people import PeopleParams, compile_people
from simulation.core.response import ResponseParams, compile_response
from simulation.core.routing import RoutingParams, compile_routing, detection_chances
from simulation.core.service import ServiceParams, compile_service
from simulation.core.slices import copied, copy_fields, params_slice
from simulation.scenario.config import Config


@params_slice
class StepParams:
    """The step's own numbers, and the org chart's silo index (reported, not read by a rule)."""

    step_hours: float = copied("simulation")  # hours per step
    competitor_mentions_per_customer_per_day: float = copied("competitor", "mentions_per_customer_per_day")
    silo_index: float


@params_slice
class Params(
    StepParams,
    ContentParams,
    DiffusionParams,
    NeedsParams,
    RoutingParams,
    ServiceParams,
    ResponseParams,
    CustomerParams,
    InnovationParams,
    PeopleParams,
    CrisisParams,
    CostParams,
):
    """Every number a step of the core uses; the step reads nothing else of the config.

    The fields are the submodels' slices, each declared beside its rule (``ContentParams``
    in :mod:`simulation.core.content`, ...). Rates are per hour, except those named
    ``_per_day`` / ``_per_year``: they are kept as the rule writes them, so its arithmetic
    (and the seeded results) stay as they were.
    """

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
        **copy_fields(StepParams, config),
        **compile_content(config, company, structure, scale),
        **compile_diffusion(config),
        **compile_needs(config),
        **routing,
        **compile_service(config, company, scale),
        **compile_response(config),
        **compile_customers(config),
        **compile_innovation(config),
        **people,
        **compile_crisis(config, routing["listen_coverage"], routing["tool_coverage"]),
        **compile_costs(config, structure, routing["listen_coverage"], float(people["social_staff"].sum()), scale),
        "silo_index": silo_index(structure.graph),
    }
    return Params(**values), dataclasses.replace(structure, handoffs=handoffs)


def blend(old: Params, new: Params, weight: float) -> Params:
    """Parameters part-way through adopting ``new`` (weight 0 = old, 1 = new): every field moves.

    Floats (scalars and arrays, element by element) are interpolated linearly, a value the
    two share stays exactly as it is; anything else (ints, switches, names, staffed
    hours, a non-finite float) switches half-way.
    """
    if weight >= 1.0:
        return new
    if weight <= 0.0:
        return old
    return Params(
        **{
            f.name: _mix(getattr(old, f.name), getattr(new, f.name), weight, f.name not in INTERPOLATED_EVEN_IF_EQUAL)
            for f in fields(Params)
        }
    )


INTERPOLATED_EVEN_IF_EQUAL = frozenset({
    "post_rate", "own_account", "promo_share", "people_per_row", "quality_offset", "quality_skill_weight",
    "gaffe_factor", "on_brand_offset", "on_brand_skill_weight", "listen_coverage", "tool_coverage", "tool_misrouting",
    "listen_latency_hours", "owner", "handoff_hours", "handoff_loss", "handoff_hops", "servers", "social_staff",
    "training", "rewards", "quota", "response_capability", "fixed_cost_per_hour", "training_cost_per_hour",
    "listening_hours", "silo_index",
})  # fmt: skip
"""The fields blend interpolated before every field was compiled: they keep ``(1 - w) a + w a`` for equal values.

That sum can differ from ``a`` in its last bit; keeping it keeps the seeded baseline's
org-model changes bit for bit as they were.
"""


def _mix(a, b, w: float, keep_equal: bool = True):  # noqa: ANN001, ANN202 - arrays or scalars
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        finite = np.isfinite(a) & np.isfinite(b)
        switched = b if w >= 0.5 else a
        mixed = np.where(finite, (1 - w) * np.where(finite, a, 0) + w * np.where(finite, b, 0), switched)
        return np.where(a == b, a, mixed) if keep_equal else mixed
    if isinstance(a, float) and keep_equal and a == b:
        return a
    if isinstance(a, float) and math.isfinite(a) and math.isfinite(b):
        return (1 - w) * a + w * b
    return b if w >= 0.5 else a
