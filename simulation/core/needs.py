"""7.3 Customer needs: active customers raise public inquiries, each with a type, a time and a patience."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.compiled import jit
from simulation.core.effects import Step, read_only
from simulation.core.slices import copied, copy_fields, params_slice
from simulation.scenario.config import INQUIRY_TYPES

if TYPE_CHECKING:
    from simulation.core.params import Params
    from simulation.scenario.config import Config

HOURS_PER_DAY = 24.0
IDEA = INQUIRY_TYPES.index("idea")
TECHNICAL = INQUIRY_TYPES.index("technical_problem")
COMPLAINT = INQUIRY_TYPES.index("service_complaint")


@params_slice
class NeedsParams:
    """7.3 customer needs' numbers: how often, which types, patience and handling time."""

    inquiry_mix: np.ndarray  # relative rate of each inquiry type (INQUIRY_TYPES order)
    inquiry_rate_per_day: float = copied("customers")
    patience_hours: float = copied("customers")
    complaint_patience_hours: float = copied("customers")
    patience_scale: float = copied("customers")  # inf: unlimited patience
    expects_reply_share: float = copied("customers")
    handling_minutes: float = copied("support")
    handling_distribution: str = copied("support")  # "exponential" or "lognormal"
    handling_cv: float = copied("support")


def compile_needs(config: Config) -> dict[str, Any]:
    """Customer needs' slice of the compiled parameters: how often, which types, patience, handling time."""
    return {
        "inquiry_mix": np.array([config.customers.inquiry_mix[k] for k in INQUIRY_TYPES]),
        **copy_fields(NeedsParams, config),
    }


def needs_rate(params: Params, activity: Any, dt: float, mix: np.ndarray) -> Any:
    """Expected public inquiries in a step from customers of total ``activity``."""
    return activity * params.inquiry_rate_per_day / HOURS_PER_DAY * dt * mix.sum()


def inquiry_mix(base: np.ndarray, tech_factor: float) -> np.ndarray:
    """Relative rate of each inquiry type (technical problems cut by implemented ideas; read-only).

    ``base`` is the compiled mix. Asked for every step with the same arguments until an
    idea is implemented or the parameters change, so the last answer is kept.
    """
    global _last_mix  # one tuple, read and replaced whole: safe with engines on several threads
    last_base, last_factor, last = _last_mix
    if last_base is base and last_factor == tech_factor:
        return last
    mix = base.copy()
    mix[TECHNICAL] *= tech_factor
    _last_mix = (base, tech_factor, read_only(mix))
    return mix


_last_mix: tuple[np.ndarray | None, float | None, np.ndarray | None] = (None, None, None)  # (base, tech factor, mix)


def draw_categories(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Category ``i`` with probability proportional to ``weights[i]`` for each uniform ``u`` (int8).

    ``rng.choice(len(p), n, p=weights / weights.sum())``'s draws: the same algorithm as
    numpy's ``Generator.choice`` with replacement (the inverse CDF of one uniform each), so
    the same categories from the same uniforms, without its argument checks, which cost
    more than the draw for a few inquiries. The CDF of the last weights is kept.
    """
    global _last_cdf  # one tuple, read and replaced whole (see inquiry_mix)
    last_weights, cdf = _last_cdf
    if last_weights is not weights:
        cdf = np.cumsum(weights / weights.sum())
        cdf /= cdf[-1]
        _last_cdf = (weights, cdf)
    return np.searchsorted(cdf, u, side="right").astype(np.int8)


_last_cdf: tuple[np.ndarray | None, np.ndarray | None] = (None, None)


def draw_patience(params: Params, kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Patience (hours) of each inquiry: exponential, shorter for complaints; inf if unlimited."""
    mean_patience = np.where(kind == COMPLAINT, params.complaint_patience_hours, params.patience_hours)
    # (scale x a standard exponential is what rng.exponential(scale) draws, without its broadcasting overhead)
    if math.isinf(params.patience_scale):
        rng.standard_exponential(len(kind))  # drawn and dropped: the stream stays aligned with finite-patience runs
        return np.full(len(kind), np.inf)
    return (mean_patience * params.patience_scale) * rng.standard_exponential(len(kind))


def draw_handling_hours(params: Params, rng: np.random.Generator, n: int) -> np.ndarray:
    """Handling time (hours) of ``n`` inquiries: exponential or lognormal with the given CV."""
    handling_h = params.handling_minutes / 60.0
    if params.handling_distribution == "exponential":
        return rng.exponential(handling_h, n)
    sigma2 = np.log1p(params.handling_cv**2)
    return rng.lognormal(np.log(handling_h) - sigma2 / 2, np.sqrt(sigma2), n)


def count_needs(kind: np.ndarray, flows: dict[str, float]) -> None:
    """Count a step's new inquiries: all, ideas, and the public mentions they make."""
    by_kind = np.bincount(kind, minlength=len(INQUIRY_TYPES))
    negative = int(by_kind[COMPLAINT] + by_kind[TECHNICAL])
    flows["inquiries"] += len(kind)
    flows["ideas_raised"] += int(by_kind[IDEA])
    flows["mentions_negative"] += negative
    flows["mentions_neutral"] += len(kind) - negative


def no_needs() -> dict[str, np.ndarray]:
    """The rows :func:`raise_needs` returns for a step without inquiries (shared, read-only)."""
    return NO_NEEDS


NO_NEEDS = {
    "customer": read_only(np.zeros(0, dtype=np.int64)),
    "kind": read_only(np.zeros(0, dtype=np.int8)),
    "t_raise": read_only(np.zeros(0)),
    "patience": read_only(np.zeros(0)),
    "service_h": read_only(np.zeros(0)),
    "u_resolve": read_only(np.zeros(0)),
    "expects_reply": read_only(np.zeros(0, dtype=bool)),
}


def active_activity_cumsum(state: Any) -> np.ndarray:
    """Running total of the active customers' activity (churned ones weigh 0), for drawing who asks.

    Activity is fixed and a churned customer never returns, so the total changes only when
    the number of churned customers does; it is recomputed then and kept otherwise.
    """
    churned = state.churned_count
    cached = state.activity_cumsum
    if cached is None or cached[0] != churned:
        weight = np.where(state.churned, 0.0, state.activity) if churned else state.activity
        cached = state.activity_cumsum = (churned, np.cumsum(weight))
    return cached[1]


def raise_needs(step: Step, rng: np.random.Generator, tech_factor: float) -> dict[str, np.ndarray]:
    """Active customers raise public inquiries (Poisson, continuous times); returns the new rows."""
    state, params = step.state, step.params
    mix = inquiry_mix(params.inquiry_mix, tech_factor)
    cumulative = active_activity_cumsum(state)
    total = needs_rate(params, cumulative[-1], step.dt, mix)
    n = rng.poisson(total) if total > 0 else 0
    if n == 0:  # a quiet step: the draws below would all be empty
        return no_needs()
    # one call per kind of draw, in the order the rows' columns need them (random(3n) is random(n) three times)
    u = rng.random(3 * n)
    kind = draw_categories(mix, u[n : 2 * n])
    customer, t_raise = _who_and_when(cumulative, u[:n], u[2 * n :], step.t, step.dt)
    patience = draw_patience(params, kind, rng)
    service = draw_handling_hours(params, rng, n)
    count_needs(kind, step.flows)
    v = rng.random(2 * n)
    return {
        "customer": customer,
        "kind": kind,
        "t_raise": t_raise,
        "patience": patience,
        "service_h": service,
        "u_resolve": v[:n],
        "expects_reply": v[n:] < params.expects_reply_share,
    }


@jit
def _who_and_when(cumulative: np.ndarray, u_who: np.ndarray, u_when: np.ndarray, t: float, dt: float) -> tuple:
    """Who raises each inquiry (activity-weighted, by inverse CDF) and when (sorted uniform times in the step)."""
    picked = np.searchsorted(cumulative, u_who * cumulative[-1], side="right")
    return np.minimum(picked, len(cumulative) - 1), t + np.sort(u_when) * dt
