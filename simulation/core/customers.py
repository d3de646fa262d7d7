"""7.6.2 Customer dynamics: sentiment drift and its anchor, churn and discovery, sticky advocacy, voice.

Every customer, every step, whatever the organisation does; a customer's reactions to
service are :mod:`simulation.core.response` (7.6.1).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.compiled import jit
from simulation.core.effects import CUSTOMERS, Step, effect_on, has_repeats
from simulation.core.keyed import exponential, poisson
from simulation.core.slices import copied, copy_fields, params_slice

if TYPE_CHECKING:
    from simulation.core.params import Params
    from simulation.scenario.config import Config

HOURS_PER_DAY = 24.0


@params_slice
class CustomerParams:
    """7.6.2 customer dynamics' numbers: drift, churn, advocacy and voice."""

    advocate_threshold: float = copied("customers")
    advocate_hysteresis: float = copied("customers")
    advocate_awareness_min: float = copied("customers")
    advocate_stubbornness: float = copied("customers")
    sentiment_drift_per_day: float = copied("customers")
    sentiment_anchor_per_day: float = copied("customers")
    promo_load_decay_per_day: float = copied("customers")
    awareness_decay_per_day: float = copied("customers")
    non_follower_awareness_max: float = copied("customers")
    churn_per_year: float = copied("customers")
    churn_sentiment_slope: float = copied("customers")
    discovery_per_day: float = copied("customers")
    replace_churned: bool = copied("customers")
    detractor_threshold: float = copied("customers")
    voice_rate_per_hour: float  # mentions per advocate or detractor per hour


def compile_customers(config: Config) -> dict[str, Any]:
    """Customer dynamics' slice of the compiled parameters: drift, churn, advocacy and voice."""
    return {
        **copy_fields(CustomerParams, config),
        "voice_rate_per_hour": config.customers.voice_rate_per_day / HOURS_PER_DAY,
    }


# --- formulas ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def decay(rate_per_day: float, dt: float) -> float:
    """Share kept after ``dt`` hours of exponential decay at ``rate_per_day`` (memoised: called every step)."""
    return float(np.exp(-rate_per_day * dt / HOURS_PER_DAY))


def sentiment_pull(params: Params, dt: float) -> float:
    """Share of the gap to the neighbours' mean sentiment closed in a step."""
    return 1.0 - decay(params.sentiment_drift_per_day, dt)


def churn_probability(params: Params, sentiment: Any, dt: float) -> Any:
    """Probability an active customer leaves in a step; rises as sentiment falls."""
    return base_churn_hazard(params.churn_per_year) * dt * np.exp(-params.churn_sentiment_slope * sentiment)


@functools.lru_cache(maxsize=256)
def base_churn_hazard(churn_per_year: float) -> float:
    """Churn hazard per hour at neutral sentiment, from the yearly churn share."""
    return -np.log1p(-churn_per_year) / (365.0 * HOURS_PER_DAY)


def is_advocate(params: Params, sentiment: Any, awareness: Any) -> Any:
    """Sentiment above the advocate threshold and aware of the brand: the condition to become one."""
    return becomes_advocate(sentiment, awareness, params.advocate_threshold, params.advocate_awareness_min)


@jit
def becomes_advocate(sentiment: Any, awareness: Any, threshold: float, awareness_min: float) -> Any:
    """:func:`is_advocate` on plain numbers (scalars or arrays), for compiled loops."""
    return (sentiment > threshold) & (awareness > awareness_min)


@jit
def advocate_after(
    advocate: bool,
    sentiment: float,
    awareness: float,
    active: bool,
    threshold: float,
    hysteresis: float,
    awareness_min: float,
) -> bool:
    """Advocacy is sticky: become one above the threshold, stay one until well below it (one customer)."""
    stays = advocate & (sentiment >= threshold - hysteresis)
    return (stays | becomes_advocate(sentiment, awareness, threshold, awareness_min)) & active


@effect_on(CUSTOMERS)
def settle(step: Step, idx: np.ndarray, neighbour_mean: np.ndarray) -> None:
    """Customers ``idx`` drift toward their neighbours and their own baseline, may churn, update advocacy.

    Anchored opinion dynamics (Friedkin & Johnsen, :func:`_drift_rows`): under a steady
    organisation sentiment settles. Then churn (:func:`churn_probability`), discovery, a
    newcomer in a churned customer's place, and advocacy (:func:`advocate_after`).

    Churn and discovery are each customer's own keyed processes (a time change, as for
    inquiries): a customer leaves when the churn probabilities of its steps add up past a
    keyed unit exponential, the c-th for its c-th churn (and discovers the brand likewise).
    So the same customer churns at the same point of its own hazard under any design:
    paired runs differ in churn only where the designs change sentiment.
    """
    state, params, dt = step.state, step.params, step.dt
    idx = np.asarray(idx)
    if idx is not state.everyone and has_repeats(idx):  # a customer more than once: each row in turn
        for r in range(len(idx)):
            settle(step, idx[r : r + 1], neighbour_mean[r : r + 1])
        return
    whole = idx is state.everyone  # every customer, in order: the loops skip the indirection
    rows, loop_idx = (slice(None), None) if whole else (idx, idx)
    _drift_rows(
        loop_idx, neighbour_mean, state.sentiment, state.advocate, state.degree, state.baseline,
        sentiment_pull(params, dt), params.advocate_stubbornness, 1.0 - decay(params.sentiment_anchor_per_day, dt),
        state.promo_load, decay(params.promo_load_decay_per_day, dt), state.awareness,
        decay(params.awareness_decay_per_day, dt),
    )  # fmt: skip
    p_churn = churn_probability(params, state.sentiment[rows], dt)
    if state.churn_left is None:
        start_keyed_processes(step)
    new_followers, leave, leave_ignored, leave_answered, ignored, answered, left, found = _churn_rows(
        loop_idx, p_churn, state.churn_left, state.discovery_left, state.churned, state.follows, state.was_ignored,
        state.was_answered, state.advocate, state.sentiment, state.awareness, state.baseline, state.promo_load,
        params.discovery_per_day * dt / 24, params.replace_churned, params.non_follower_awareness_max / 2,
        params.advocate_threshold, params.advocate_hysteresis, params.advocate_awareness_min,
    )  # fmt: skip
    if len(left):  # the next threshold of each leaver (its newcomer's, when replaced)
        state.churns[left] += 1
        state.churn_left[left] = exponential(step.keys.uniform(CHURN, left, state.churns[left]))
    if len(found):
        state.discoveries[found] += 1
        state.discovery_left[found] = exponential(step.keys.uniform(DISCOVERY, found, state.discoveries[found]))
    flows = step.flows
    flows["new_followers"] += new_followers
    flows["churned"] += leave
    flows["churned_ignored"] += leave_ignored
    flows["churned_answered"] += leave_answered
    flows["ignored_customer_hours"] += float(ignored) * dt
    flows["answered_customer_hours"] += float(answered) * dt
    state.churned_total += leave
    if not params.replace_churned:  # the leavers are marked churned
        state.churned_count += leave


@jit
def _drift_rows(
    idx, neighbour_mean, sentiment, advocate, degree, baseline, pull, stubbornness, anchor, promo_load, keep_promo,
    awareness, keep_awareness,
):  # fmt: skip
    """Row by row, sentiment drifts, then promotional load and awareness fade.

    Anchored drift (Friedkin & Johnsen), clipped to [-1, 1]: a share ``pull`` of the gap to
    the neighbours' mean closes, less by ``stubbornness`` for an advocate (none without
    neighbours), and a share ``anchor`` of the gap to the customer's own baseline. ``idx``
    None: every customer, in order. (The formula is written in the loop, not in a function
    it calls: a call per customer keeps the loop from being vectorized, three times slower.)
    """
    rows = len(sentiment) if idx is None else len(idx)
    for r in range(rows):
        i = r if idx is None else idx[r]
        x = sentiment[i]
        social = pull * (1.0 - stubbornness * advocate[i]) * (neighbour_mean[r] - x) if degree[i] > 0 else 0.0
        sentiment[i] = min(max(x + social + anchor * (baseline[i] - x), -1.0), 1.0)
    for r in range(rows):
        promo_load[r if idx is None else idx[r]] *= keep_promo
    for r in range(rows):
        awareness[r if idx is None else idx[r]] *= keep_awareness


@jit
def _churn_rows(
    idx, p_churn, churn_left, discovery_left, churned, follows, was_ignored, was_answered, advocate, sentiment,
    awareness, baseline, promo_load, p_discover, replace, newcomer_awareness, threshold, hysteresis, awareness_min,
):  # fmt: skip
    """Row by row: churn (its hazard used up), else discovery (likewise), then advocacy.

    A present customer's ``churn_left`` falls by its churn probability each step, a
    non-follower's ``discovery_left`` by ``p_discover``; at or below 0 the event happens.
    Returns the counts of new followers, leavers, leavers who had been ignored, leavers who
    had been answered (and not ignored), customers present who had been ignored / answered,
    and the customers who left and who discovered (their next thresholds are drawn after).
    ``idx`` None: every customer, in order (compiled without the indirection, several times faster).
    """
    discovered = left = left_ignored = left_answered = stayed_ignored = stayed_answered = 0
    rows = len(churned) if idx is None else len(idx)
    leavers = np.empty(rows, dtype=np.int64)
    finders = np.empty(rows, dtype=np.int64)
    for r in range(rows):
        i = r if idx is None else idx[r]
        present = not churned[i]
        leave = False
        if present:
            churn_left[i] -= p_churn[r]
            leave = churn_left[i] <= 0.0
        ignored, answered = was_ignored[i], was_answered[i] & ~was_ignored[i]
        stayed_ignored += present & ignored
        stayed_answered += present & answered
        if present and not leave and not follows[i]:
            discovery_left[i] -= p_discover
            if discovery_left[i] <= 0.0:
                follows[i] = True
                finders[discovered] = i
                discovered += 1
        if leave:
            leavers[left] = i
            left += 1
            left_ignored += ignored
            left_answered += answered
            follows[i] = False
            advocate[i] = False
            if replace:  # a newcomer with the same disposition takes the customer's place
                sentiment[i] = baseline[i]
                awareness[i] = newcomer_awareness
                promo_load[i] = 0.0
                was_ignored[i] = False
                was_answered[i] = False
            else:
                churned[i] = True
                present = False
        advocate[i] = advocate_after(
            advocate[i], sentiment[i], awareness[i], present, threshold, hysteresis, awareness_min
        )
    return (
        discovered, left, left_ignored, left_answered, stayed_ignored, stayed_answered, leavers[:left],
        finders[:discovered],
    )  # fmt: skip


CHURN = "churn"
"""Keyed stream of each customer's churn thresholds (entity: customer, sequence: its churns so far)."""
DISCOVERY = "discovery"
"""Keyed stream of each customer's discovery thresholds (entity: customer, sequence: its discoveries so far)."""
VOICE = "voice"
"""Keyed stream of the step's spontaneous mentions (entity 0: advocates', 1: detractors'; sequence: the step)."""
TWO = np.arange(2)


def start_keyed_processes(step: Step) -> None:
    """Every customer's first churn and discovery thresholds (keyed unit exponentials, number 0)."""
    state = step.state
    everyone = np.arange(len(state.sentiment))
    state.churns = np.zeros(len(everyone), dtype=np.int64)
    state.discoveries = np.zeros(len(everyone), dtype=np.int64)
    state.churn_left = exponential(step.keys.uniform(CHURN, everyone, 0))
    state.discovery_left = exponential(step.keys.uniform(DISCOVERY, everyone, 0))


def customer_dynamics(step: Step, neighbour_mean: np.ndarray) -> tuple[int, int]:
    """Every customer settles (drift, decay, churn, advocacy); advocates and detractors speak up.

    Returns the advocates and the active followers after it.
    """
    state, params, flows = step.state, step.params, step.flows
    active = state.active_mask()  # before the step's churn (None: everyone)
    if state.churn_left is None:
        start_keyed_processes(step)
    step.apply(settle, state.everyone, neighbour_mean)
    rate = params.voice_rate_per_hour * step.dt
    advocates, detractors, followers = _voices(
        state.advocate, state.sentiment, state.follows, active, params.detractor_threshold
    )
    u = step.keys.uniform(VOICE, TWO, step.index)  # the step's two keyed uniforms: positive, negative
    positive, negative = poisson(u, np.array([advocates * rate, detractors * rate]))
    flows["mentions_positive"] += int(positive)
    flows["mentions_negative"] += int(negative)
    return advocates, followers


@jit
def _voices(advocate, sentiment, follows, active, threshold):
    """Advocates, and detractors (sentiment below ``threshold``) and followers among the ``active`` (None: all).

    ``active`` is who was active before the step's churn: those who churned in it no longer
    follow nor advocate (a churned customer's answer can make it follow again: not counted).
    """
    advocates = detractors = followers = 0
    for i in range(len(advocate)):
        present = active is None or active[i]
        advocates += advocate[i]
        followers += follows[i] and present
        detractors += (sentiment[i] < threshold) and present
    return advocates, detractors, followers
