"""7.3 Customer needs: active customers raise public inquiries, each with a type, a time and a patience."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.special

from simulation.core.compiled import jit
from simulation.core.effects import Step, read_only
from simulation.core.keyed import exponential
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


def draw_patience(params: Params, kind: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Patience (hours) of each inquiry from its uniform: exponential, shorter for complaints; inf if unlimited."""
    if math.isinf(params.patience_scale):
        return np.full(len(kind), np.inf)
    mean_patience = np.where(kind == COMPLAINT, params.complaint_patience_hours, params.patience_hours)
    return exponential(u, mean_patience * params.patience_scale)


def draw_handling_hours(params: Params, u: np.ndarray) -> np.ndarray:
    """Handling time (hours) of each inquiry from its uniform: exponential, or lognormal with the given CV."""
    handling_h = params.handling_minutes / 60.0
    if params.handling_distribution == "exponential":
        return exponential(u, handling_h)
    sigma2 = np.log1p(params.handling_cv**2)
    return np.exp(np.log(handling_h) - sigma2 / 2 + np.sqrt(sigma2) * scipy.special.ndtri(u))


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
    "seq": read_only(np.zeros(0, dtype=np.int64)),
    "kind": read_only(np.zeros(0, dtype=np.int8)),
    "t_raise": read_only(np.zeros(0)),
    "patience": read_only(np.zeros(0)),
    "service_h": read_only(np.zeros(0)),
    "u_resolve": read_only(np.zeros(0)),
    "expects_reply": read_only(np.zeros(0, dtype=bool)),
}


ARRIVALS = "inquiry_arrivals"
"""Keyed stream of the unit exponentials that time each customer's inquiries (entity: customer, sequence: k)."""
INQUIRY = "inquiry"
"""Keyed stream of every other draw of an inquiry (entity: its customer, sequence: its number ``seq``)."""
CRISIS_SEQ = 2**40
"""A complaint about a crisis is numbered ``CRISIS_SEQ + c`` (its c-th): apart from the customer's own inquiries."""
SLOTS = {
    name: slot
    for slot, name in enumerate((
        "kind", "patience", "handling", "resolve",  # block 0: drawn when the inquiry is raised
        "expects_reply", "latency", "detect", "owner",  # block 1: expects a reply; listening (7.4)
        "tool", "other", "misroute", "wrong",  # block 2: listening
        "pick", "handoff", "lost", "complain",  # block 3: listening, hand-off, an irate customer's complaint
        "convert", "implement", "implement_delay",  # block 4: answer, innovation (7.7)
    ))
}  # fmt: skip
"""Which slot of an inquiry's keyed draws each decision uses (``keys.uniform(INQUIRY, customer, seq, slot)``)."""


def inquiry_uniform(step: Step, customer: np.ndarray, seq: np.ndarray, name: str) -> np.ndarray:
    """The uniform of decision ``name`` (see :data:`SLOTS`) of each inquiry ``(customer, seq)``."""
    return step.keys.uniform(INQUIRY, customer, seq, SLOTS[name])


def raise_needs(step: Step, tech_factor: float) -> dict[str, np.ndarray]:
    """Active customers raise public inquiries (Poisson, continuous times); returns the new rows.

    Each customer's inquiries are a Poisson process of intensity ``activity x rate(t)``,
    drawn by a time change: the customer's k-th inquiry comes when ``activity x`` the
    cumulated rate passes the sum of its first k keyed unit exponentials. So a customer
    raises the same inquiries at the same times under any organisation (and a change of
    the rate, e.g. fewer technical problems, moves them a little instead of redrawing
    them); every other draw of an inquiry is keyed by ``(customer, seq)``. Customers an
    ongoing crisis reached last step and who chose to complain (:mod:`simulation.core.crisis`)
    raise a service complaint at a keyed time in this step, numbered apart (``CRISIS_SEQ``).
    """
    state, params, keys = step.state, step.params, step.keys
    mix = inquiry_mix(params.inquiry_mix, tech_factor)
    if state.next_inquiry is None:  # the first thresholds: each customer's first unit exponential
        everyone = np.arange(len(state.activity))
        state.inquiries_raised = np.zeros(len(everyone), dtype=np.int64)
        state.next_inquiry = exponential(keys.uniform(ARRIVALS, everyone, 0)) / state.activity
    clock0 = state.inquiry_clock
    clock1 = clock0 + needs_rate(params, 1.0, step.dt, mix)
    state.inquiry_clock = clock1
    due = _due(state.next_inquiry, state.churned, clock1)
    customer, seq, t_raise = [], [], []
    while len(due):  # (a customer may raise more than one in a step)
        customer.append(due)
        seq.append(state.inquiries_raised[due].copy())
        at = state.next_inquiry[due]
        t_raise.append(step.t + step.dt * np.minimum((at - clock0) / (clock1 - clock0), 1.0))
        state.inquiries_raised[due] += 1
        gap = exponential(keys.uniform(ARRIVALS, due, state.inquiries_raised[due]))
        state.next_inquiry[due] += gap / state.activity[due]
        due = due[state.next_inquiry[due] < clock1]
    organic = sum(len(c) for c in customer)  # rows before these are the customers' own inquiries
    complainers = state.crisis_complainers
    if len(complainers):  # complaints about a crisis that reached them last step
        state.crisis_complainers = complainers[:0]
        complainers = complainers[~state.churned[complainers]]
    if len(complainers):
        if state.crisis_complaints is None:
            state.crisis_complaints = np.zeros(len(state.activity), dtype=np.int64)
        number = CRISIS_SEQ + state.crisis_complaints[complainers]
        state.crisis_complaints[complainers] += 1
        customer.append(complainers)
        seq.append(number)
        t_raise.append(step.t + step.dt * keys.uniform(INQUIRY, complainers, number, SLOTS["kind"]))
    if not customer:  # a quiet step
        return no_needs()
    customer, seq, t_raise = np.concatenate(customer), np.concatenate(seq), np.concatenate(t_raise)
    order = np.argsort(t_raise, kind="stable")  # rows in the order they are raised
    customer, seq, t_raise = customer[order], seq[order], t_raise[order]
    u = keys.uniforms(INQUIRY, customer, seq, block=0)
    kind = np.where(order < organic, draw_categories(mix, u[:, SLOTS["kind"]]), COMPLAINT).astype(np.int8)
    count_needs(kind, step.flows)
    return {
        "customer": customer,
        "seq": seq,
        "kind": kind,
        "t_raise": t_raise,
        "patience": draw_patience(params, kind, u[:, SLOTS["patience"]]),
        "service_h": draw_handling_hours(params, u[:, SLOTS["handling"]]),
        "u_resolve": u[:, SLOTS["resolve"]],
        "expects_reply": inquiry_uniform(step, customer, seq, "expects_reply") < params.expects_reply_share,
    }


@jit
def _due(next_inquiry: np.ndarray, churned: np.ndarray, clock: float) -> np.ndarray:
    """The customers whose next inquiry comes before ``clock`` (churned ones raise none)."""
    due = np.empty(len(next_inquiry), dtype=np.int64)
    k = 0
    for i in range(len(next_inquiry)):
        if next_inquiry[i] < clock and not churned[i]:
            due[k] = i
            k += 1
    return due[:k]
