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
from dataclasses import dataclass, fields

import numpy as np

from simulation.core.content import compile_content
from simulation.core.costs import compile_costs
from simulation.core.crisis import compile_crisis
from simulation.core.customers import compile_customers
from simulation.core.diffusion import compile_diffusion
from simulation.core.innovation import compile_innovation
from simulation.core.needs import compile_needs
from simulation.core.organization import Company, Structure, build_structure, check_names, silo_index
from simulation.core.people import compile_people
from simulation.core.response import compile_response
from simulation.core.routing import compile_routing, detection_chances
from simulation.core.service import compile_service
from simulation.scenario.config import Config


@dataclass(frozen=True)
class Params:
    """Every number a step of the core uses; the step reads nothing else of the config.

    Rates are per hour, except those named ``_per_day`` / ``_per_year``: they are kept as
    the rule writes them, so its arithmetic (and the seeded results) stay as they were.
    """

    # the step
    step_hours: float  # hours per step
    competitor_mentions_per_customer_per_day: float  # the competitor's voice (Poisson)
    # 7.1 content (per employee, then company-wide)
    staffed_hours: tuple[int, int]  # hours of day [start, end) when staff work social
    post_rate: np.ndarray  # posts per hour while staffed (0 for non-posters)
    own_account: np.ndarray  # float 0..1: posts also go out on the employee's own account
    promo_share: np.ndarray  # per employee: share of posts that promote
    people_per_row: float  # customers / reference_customers: people an employee row stands for
    quality_offset: float  # base + guidelines + coordination - quota terms
    quality_skill_weight: float
    gaffe_factor: float  # gaffe probability x guideline reduction
    on_brand_offset: float
    on_brand_skill_weight: float
    reference_motivation: float
    fatigue_free_posts_per_day: float
    fatigue_penalty: float
    hours_per_post: float
    # 7.2 exposure and diffusion
    organic_reach: float
    ambassador_reach: float
    influencer_reach: float
    engagement_rate: float
    engagement_sentiment_weight: float
    promoting_multiplier: float
    relating_multiplier: float
    sentiment_lift: float
    promoting_lift_share: float
    reshare_prob: float
    share_lift_share: float
    awareness_gain: float
    promo_tolerance_per_day: float
    overload_penalty: float
    unfollow_prob: float
    follow_prob: float
    gaffe_seed_share: float
    gaffe_seed_min_audience: int
    negative_hit: float  # sentiment a negative mention costs
    negative_transmissibility: float
    crisis_transmissibility: float
    media_amplification: float
    # 7.3 customer needs
    inquiry_rate_per_day: float
    inquiry_mix: np.ndarray  # relative rate of each inquiry type (INQUIRY_TYPES order)
    patience_hours: float
    complaint_patience_hours: float
    patience_scale: float  # inf: unlimited patience
    expects_reply_share: float
    handling_minutes: float
    handling_distribution: str  # "exponential" or "lognormal"
    handling_cv: float
    # 7.4 listening and routing (per department; hand-off matrices (departments + tool, departments))
    listen_coverage: np.ndarray  # detection probability of each listening unit (0 = not listening)
    tool_coverage: float  # detection probability of the shared tool (0 = none)
    tool_misrouting: float  # share of the tool's detections sent to a wrong department first (after hub triage)
    tool_latency_factor: float
    listen_latency_hours: float
    handoffs: bool  # False: owners detect their own inquiries, no hand-off
    owner: np.ndarray  # department index owning each inquiry type
    handoff_hours: np.ndarray  # mean hours of a hand-off between units
    handoff_loss: np.ndarray
    handoff_hops: np.ndarray
    # 7.5 service (per department, the agency last)
    servers: np.ndarray  # float: answering servers while staffed
    # 7.6 customer response
    irate_drop: float
    complaint_share: float
    ignored_after_hours: float
    ignored_drop: float
    resolution_prob: float
    resolution_skill_weight: float
    answer_lift: float
    lift_decay_hours: float
    unresolved_drop: float
    fast_answer_hours: float
    advocate_conversion: float
    advocate_margin: float
    advocate_threshold: float
    advocate_hysteresis: float
    advocate_awareness_min: float
    advocate_stubbornness: float
    sentiment_drift_per_day: float
    sentiment_anchor_per_day: float
    promo_load_decay_per_day: float
    awareness_decay_per_day: float
    non_follower_awareness_max: float
    churn_per_year: float
    churn_sentiment_slope: float
    discovery_per_day: float
    replace_churned: bool
    voice_rate_per_hour: float  # mentions per advocate or detractor per hour
    detractor_threshold: float
    # 7.7 innovation
    implement_prob: float
    implement_hours: float  # mean hours from capture to implementation
    problem_reduction: float
    max_reduction: float
    # 7.8 people
    social_staff: np.ndarray  # float 0..1: share of the employee's role that is social work
    training: float
    rewards: float
    quota: float
    training_gain_per_day: float
    rewards_gain_per_day: float
    quota_drain_per_day: float
    overload_drain_per_day: float
    overload_queue_per_server: float
    change_resistance_per_day: float
    adoption_dip: float
    recovery_per_day: float
    motivation_mean: float
    non_social_motivation_weight: float
    post_load_decay_per_day: float
    participation_window_hours: float
    # 7.9 crises
    response_capability: float  # multiplies the crisis decay rate
    crisis_decay_per_hour: float
    crisis_threshold_share: float
    crisis_intensity_per_node: float
    crisis_contained_per_customer: float
    # 7.10 costs and value
    fixed_cost_per_hour: float
    training_cost_per_hour: float  # while the training programme runs
    listening_hours: float  # staff hours per staffed hour spent monitoring and coordinating
    staff_cost_per_hour: float
    reply_value: float
    customer_value_per_year: float
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
        "step_hours": config.simulation.step_hours,
        "competitor_mentions_per_customer_per_day": config.competitor.mentions_per_customer_per_day,
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
