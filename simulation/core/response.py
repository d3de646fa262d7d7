"""7.6 Customer response: patience running out, answers, sentiment drift, churn and advocacy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.compiled import jit
from simulation.core.effects import CUSTOMERS, Step, effect_on, read_only

if TYPE_CHECKING:
    from simulation.core.params import Params
    from simulation.scenario.config import Config

HOURS_PER_DAY = 24.0
RESPONSE_RATES = {
    "support": (
        "irate_drop", "complaint_share", "ignored_drop", "resolution_prob", "resolution_skill_weight", "answer_lift",
        "lift_decay_hours", "unresolved_drop", "fast_answer_hours", "advocate_conversion", "advocate_margin",
    ),
    "customers": (
        "ignored_after_hours", "advocate_threshold", "advocate_hysteresis", "advocate_awareness_min",
        "advocate_stubbornness", "sentiment_drift_per_day", "sentiment_anchor_per_day", "promo_load_decay_per_day",
        "awareness_decay_per_day", "non_follower_awareness_max", "churn_per_year", "churn_sentiment_slope",
        "discovery_per_day", "replace_churned", "detractor_threshold",
    ),
}  # fmt: skip


def compile_response(config: Config) -> dict[str, Any]:
    """Customer response's slice of the compiled parameters: reactions to answers and silence, drift, churn, voice."""
    sections = RESPONSE_RATES.items()
    return {
        **{name: getattr(getattr(config, section), name) for section, names in sections for name in names},
        "voice_rate_per_hour": config.customers.voice_rate_per_day / HOURS_PER_DAY,
    }


# --- formulas ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def decay(rate_per_day: float, dt: float) -> float:
    """Share kept after ``dt`` hours of exponential decay at ``rate_per_day`` (memoised: called every step)."""
    return float(np.exp(-rate_per_day * dt / HOURS_PER_DAY))


def resolution_probability(params: Params, skill: Any) -> Any:
    """Probability an answer resolves the inquiry, given the owning department's mean skill."""
    weight = params.resolution_skill_weight
    return params.resolution_prob * ((1.0 - weight) + weight * skill)


def answer_lift(params: Params, wait: Any) -> Any:
    """Sentiment lift of a resolving answer after ``wait`` hours (decays with the wait)."""
    return params.answer_lift * np.exp(-wait / params.lift_decay_hours)


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


# --- effects ----------------------------------------------------------------------------------


@effect_on(CUSTOMERS)
def lose_patience(step: Step, idx: np.ndarray, u_complain: np.ndarray) -> np.ndarray:
    """Inquiries of customers ``idx`` went unanswered past their patience: sentiment drops.

    Returns, per row, whether the customer complains in public (a negative mention).
    """
    params = step.params
    np.subtract.at(step.state.sentiment, idx, params.irate_drop)
    complain = u_complain < params.complaint_share
    n_complain = int(np.count_nonzero(complain))
    step.flows["complaints_public"] += n_complain
    step.flows["mentions_negative"] += n_complain
    return complain


@effect_on(CUSTOMERS)
def take_answer(step: Step, idx: np.ndarray, wait: np.ndarray, resolved: np.ndarray, u_convert: np.ndarray) -> None:
    """Customers ``idx`` got an answer after ``wait`` hours: a resolution lifts, a fast one may convert.

    An unresolved answer costs ``unresolved_drop``; a resolution within ``fast_answer_hours``
    makes an advocate (and a follower) with ``advocate_conversion``.
    """
    state, params = step.state, step.params
    np.add.at(state.sentiment, idx, np.where(resolved, answer_lift(params, wait), -params.unresolved_drop))
    state.was_answered[idx] = True
    fast = resolved & (wait <= params.fast_answer_hours) & (u_convert < params.advocate_conversion)
    who = idx[fast]
    floor = params.advocate_threshold + params.advocate_margin
    state.sentiment[who] = np.maximum(state.sentiment[who], floor)
    state.follows[who] = True
    state.advocate[who] = True


@effect_on(CUSTOMERS)
def feel_ignored(step: Step, idx: np.ndarray) -> None:
    """Inquiries of customers ``idx`` went unanswered past ``ignored_after_hours``: they feel ignored."""
    np.subtract.at(step.state.sentiment, idx, step.params.ignored_drop)
    step.state.was_ignored[idx] = True
    step.flows["ignored"] += len(idx)


@effect_on(CUSTOMERS)
def settle(step: Step, idx: np.ndarray, neighbour_mean: np.ndarray, u_churn: np.ndarray) -> None:
    """Customers ``idx`` drift toward their neighbours and their own baseline, may churn, update advocacy.

    Anchored opinion dynamics (Friedkin & Johnsen, :func:`_drift_rows`): under a steady
    organisation sentiment settles. Then churn (:func:`churn_probability`), discovery from
    the same uniform's other end, a newcomer in a churned customer's place, and advocacy
    (:func:`advocate_after`).
    """
    state, params, dt = step.state, step.params, step.dt
    idx = np.asarray(idx)
    whole = idx is state.everyone  # every customer, in order: the loops skip the indirection
    rows, loop_idx = (slice(None), None) if whole else (idx, idx)
    _drift_rows(
        loop_idx, neighbour_mean, state.sentiment, state.advocate, state.degree, state.baseline,
        sentiment_pull(params, dt), params.advocate_stubbornness, 1.0 - decay(params.sentiment_anchor_per_day, dt),
        state.promo_load, decay(params.promo_load_decay_per_day, dt), state.awareness,
        decay(params.awareness_decay_per_day, dt),
    )  # fmt: skip
    p_churn = churn_probability(params, state.sentiment[rows], dt)
    new_followers, leave, leave_ignored, leave_answered, ignored, answered = _churn_rows(
        loop_idx, u_churn, p_churn, state.churned, state.follows, state.was_ignored, state.was_answered, state.advocate,
        state.sentiment, state.awareness, state.baseline, state.promo_load,
        1.0 - params.discovery_per_day * dt / 24, params.replace_churned, params.non_follower_awareness_max / 2,
        params.advocate_threshold, params.advocate_hysteresis, params.advocate_awareness_min,
    )  # fmt: skip
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
    idx, u, p_churn, churned, follows, was_ignored, was_answered, advocate, sentiment, awareness, baseline,
    promo_load, discover_above, replace, newcomer_awareness, threshold, hysteresis, awareness_min,
):  # fmt: skip
    """Row by row: churn (``u < p_churn``), else discovery (``u > discover_above``), then advocacy.

    Returns the counts of new followers, leavers, leavers who had been ignored, leavers who
    had been answered (and not ignored), and customers present who had been ignored / answered.
    ``idx`` None: every customer, in order (compiled without the indirection, several times faster).
    """
    discovered = left = left_ignored = left_answered = stayed_ignored = stayed_answered = 0
    for r in range(len(churned) if idx is None else len(idx)):
        i = r if idx is None else idx[r]
        present = not churned[i]
        leave = present & (u[r] < p_churn[r])
        ignored, answered = was_ignored[i], was_answered[i] & ~was_ignored[i]
        stayed_ignored += present & ignored
        stayed_answered += present & answered
        if present & ~leave & ~follows[i] & (u[r] > discover_above):
            follows[i] = True
            discovered += 1
        if leave:
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
    return discovered, left, left_ignored, left_answered, stayed_ignored, stayed_answered


# --- processes --------------------------------------------------------------------------------


def run_out_of_patience(table: Any, t1: float, flows: dict[str, float]) -> np.ndarray:
    """Inquiries whose author expected a reply and whose patience ran out unanswered before ``t1``.

    They are marked irate; returns their customers. (Those who expected no reply are not.)
    Every inquiry whose patience ran out is done waiting for it (``done_irate``).
    """
    rows = _past_deadline(
        table["t_raise"], table["patience"], True, 0.0, table["t_start"], t1, table["done_irate"],
        table["expects_reply"], table["irate"], table["t_queue"], table["done_answer"], table["done_ignored"],
    )  # fmt: skip
    flows["irate"] += len(rows)
    return table["customer"][rows]


def overdue_unanswered(table: Any, t1: float, ignored_after: float) -> np.ndarray:
    """Inquiries still unanswered ``ignored_after`` hours after they were raised; returns their customers.

    Every such inquiry is done waiting; those whose author expected a reply are marked ignored.
    """
    rows = _past_deadline(
        table["t_raise"], table["patience"], False, ignored_after, table["t_start"], t1, table["done_ignored"],
        table["expects_reply"], table["ignored"], table["t_queue"], table["done_answer"], table["done_ignored"],
    )  # fmt: skip
    return table["customer"][rows]


@jit
def _past_deadline(
    t_raise, patience, by_patience, wait, t_start, t1, done, expects_reply, mark, t_queue, done_answer, done_ignored
):  # fmt: skip
    """Rows whose deadline passed before ``t1`` with service not started by then, not yet ``done`` nor closed.

    The deadline is ``t_raise + patience`` if ``by_patience``, else ``t_raise + wait``. Such
    rows become ``done``; those whose author expected a reply are also marked (``mark``) and
    returned, in row order.
    """
    rows = np.empty(len(t_raise), dtype=np.int64)
    k = 0
    for r in range(len(t_raise)):
        if done[r] or is_closed(t_queue[r], done_answer[r], done_ignored[r]):
            continue
        if waited_past(t_raise[r] + (patience[r] if by_patience else wait), t_start[r], t1):
            done[r] = True
            if expects_reply[r]:
                mark[r] = True
                rows[k] = r
                k += 1
    return rows[:k]


def deliver_answers(
    table: Any, params: Params, t1: float, dept_skill: Callable[[], np.ndarray], flows: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answers finished before ``t1``: resolved or not, and the wait; returns (rows, resolved, wait).

    ``dept_skill()`` gives each department's mean skill (the owner's sets the chance of a resolution).
    """
    rows = _finished(table["t_end"], table["done_answer"], t1)
    if not len(rows):
        return rows, np.zeros(0, dtype=bool), np.zeros(0)
    resolved = table["u_resolve"][rows] < resolution_probability(params, dept_skill()[table["owner"][rows]])
    table["resolved"][rows] = resolved
    wait = table["t_start"][rows] - table["t_raise"][rows]
    table["done_answer"][rows] = True
    table["done_irate"][rows] = True
    flows["answered"] += len(rows)
    flows["resolved"] += int(resolved.sum())
    return rows, resolved, wait


@jit
def _finished(t_end, done_answer, t1):
    """Rows whose answer is not yet delivered and whose service ended before ``t1``."""
    rows = np.empty(len(t_end), dtype=np.int64)
    k = 0
    for r in range(len(t_end)):
        if answer_due(done_answer[r], t_end[r], t1):
            rows[k] = r
            k += 1
    return rows[:k]


NO_WAITS = read_only(np.empty(0))


@jit
def _anything_due(
    t_raise, patience, t_start, t_end, t_queue, done_irate, done_ignored, done_answer, t1, ignored_after
):  # fmt: skip
    """Whether any inquiry runs out of patience, is overdue or has its answer delivered before ``t1``.

    The conditions of :func:`run_out_of_patience`, :func:`overdue_unanswered` and
    :func:`deliver_answers` (most steps meet none of them).
    """
    for r in range(len(t_raise)):
        if is_closed(t_queue[r], done_answer[r], done_ignored[r]):
            continue
        if not done_irate[r] and waited_past(t_raise[r] + patience[r], t_start[r], t1):
            return True
        if not done_ignored[r] and waited_past(t_raise[r] + ignored_after, t_start[r], t1):
            return True
        if answer_due(done_answer[r], t_end[r], t1):
            return True
    return False


@jit
def answer_due(done_answer: bool, t_end: float, t1: float) -> bool:
    """An answer not yet delivered whose service ends before ``t1``."""
    return not done_answer and t_end < t1


@jit
def waited_past(deadline: float, t_start: float, t1: float) -> bool:
    """An inquiry's ``deadline`` passed before ``t1`` with its service not started by then."""
    return deadline < t1 and t_start > deadline


def respond(
    step: Step,
    rng: np.random.Generator,
    dept_skill: Callable[[], np.ndarray],
    negative_seeds: list[np.ndarray],
) -> np.ndarray:
    """Customers whose patience ran out turn irate (some complain); answered ones react.

    ``dept_skill()`` gives each department's mean skill (asked for only when answers are
    delivered). Returns the waits (hours) of the answers delivered this step.
    """
    table = step.state.inquiries
    t1 = step.t + step.dt
    ignored_after = step.params.ignored_after_hours
    if len(table) == 0 or not _anything_due(
        table["t_raise"], table["patience"], table["t_start"], table["t_end"], table["t_queue"], table["done_irate"],
        table["done_ignored"], table["done_answer"], t1, ignored_after,
    ):  # fmt: skip
        return NO_WAITS
    who = run_out_of_patience(table, t1, step.flows)
    if len(who):  # (an empty draw consumes nothing from the stream)
        complain = step.apply(lose_patience, who, rng.random(len(who)))
        if complain.any():
            negative_seeds.append(who[complain])
    ignored = overdue_unanswered(table, t1, ignored_after)
    if len(ignored):
        step.apply(feel_ignored, ignored)
    rows, resolved, wait = deliver_answers(table, step.params, t1, dept_skill, step.flows)
    if len(rows):
        step.apply(take_answer, table["customer"][rows], wait, resolved, rng.random(len(rows)))
        step.flows["value_replies"] += float(reply_value(step.params, wait).sum())
    return wait


def reply_value(params: Params, wait: Any) -> Any:
    """Willingness to pay of customers answered after ``wait`` hours (decays like the answer lift)."""
    return params.reply_value * np.exp(-wait / params.lift_decay_hours)


def close_inquiries(state: Any) -> None:
    """Move closed inquiries (answered, or never queued and past the ignored mark) to the log, in batches.

    A closed inquiry takes no further part (every scan skips it, :func:`is_closed`), so it
    may wait in the table: the closed rows move once they are ``CLOSE_BATCH`` or half of the
    table (one compaction instead of one a step; the log holds the same rows).
    """
    table = state.inquiries
    n_closed, open_rows = _still_open(table["t_queue"], table["done_answer"], table["done_ignored"])
    if n_closed and n_closed >= min(CLOSE_BATCH, len(open_rows) // 2 + 1):
        state.log.append(table.take(open_rows))


CLOSE_BATCH = 64


@jit
def is_closed(t_queue: float, done_answer: bool, done_ignored: bool) -> bool:
    """An inquiry is closed once answered, or once ignored if it never reached a queue."""
    return done_answer or (np.isinf(t_queue) and done_ignored)


@jit
def _still_open(t_queue: np.ndarray, done_answer: np.ndarray, done_ignored: np.ndarray) -> tuple:
    """How many inquiries are closed, and the mask of those still open."""
    open_rows = np.empty(len(t_queue), dtype=np.bool_)
    closed = 0
    for r in range(len(t_queue)):
        open_rows[r] = not is_closed(t_queue[r], done_answer[r], done_ignored[r])
        closed += not open_rows[r]
    return closed, open_rows


def customer_dynamics(step: Step, rng: np.random.Generator, neighbour_mean: np.ndarray) -> tuple[int, int]:
    """Every customer settles (drift, decay, churn, advocacy); advocates and detractors speak up.

    Returns the advocates and the active followers after it.
    """
    state, params, flows = step.state, step.params, step.flows
    n = len(state.sentiment)
    active = state.active_mask()  # before the step's churn (None: everyone)
    step.apply(settle, state.everyone, neighbour_mean, rng.random(n))
    rate = params.voice_rate_per_hour * step.dt
    advocates, detractors, followers = _voices(
        state.advocate, state.sentiment, state.follows, active, params.detractor_threshold
    )
    flows["mentions_positive"] += rng.poisson(advocates * rate)
    flows["mentions_negative"] += rng.poisson(detractors * rate)
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
