"""7.6 Customer response: patience running out, answers, sentiment drift, churn and advocacy."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.core.effects import CUSTOMERS, Step, effect_on, rows_of

HOURS_PER_DAY = 24.0


# --- formulas ---------------------------------------------------------------------------------


def decay(rate_per_day: float, dt: float) -> float:
    """Share kept after ``dt`` hours of exponential decay at ``rate_per_day``."""
    return float(np.exp(-rate_per_day * dt / HOURS_PER_DAY))


def resolution_probability(support: Any, skill: Any) -> Any:
    """Probability an answer resolves the inquiry, given the owning department's mean skill."""
    weight = support.resolution_skill_weight
    return support.resolution_prob * ((1.0 - weight) + weight * skill)


def answer_lift(support: Any, wait: Any) -> Any:
    """Sentiment lift of a resolving answer after ``wait`` hours (decays with the wait)."""
    return support.answer_lift * np.exp(-wait / support.lift_decay_hours)


def sentiment_pull(cust: Any, dt: float) -> float:
    """Share of the gap to the neighbours' mean sentiment closed in a step."""
    return 1.0 - decay(cust.sentiment_drift_per_day, dt)


def churn_probability(cust: Any, sentiment: Any, dt: float) -> Any:
    """Probability an active customer leaves in a step; rises as sentiment falls."""
    base = -np.log1p(-cust.churn_per_year) / (365.0 * HOURS_PER_DAY)
    return base * dt * np.exp(-cust.churn_sentiment_slope * sentiment)


def is_advocate(cust: Any, sentiment: Any, awareness: Any) -> Any:
    """Sentiment above the advocate threshold and aware of the brand: the condition to become one."""
    return (sentiment > cust.advocate_threshold) & (awareness > cust.advocate_awareness_min)


def advocate_after(cust: Any, advocate: Any, sentiment: Any, awareness: Any, active: Any) -> Any:
    """Advocacy is sticky: become one above the threshold, stay one until well below it."""
    stays = advocate & (sentiment >= cust.advocate_threshold - cust.advocate_hysteresis)
    return (stays | is_advocate(cust, sentiment, awareness)) & active


def drift_weight(cust: Any, advocate: Any) -> Any:
    """Share of the neighbours' pull a customer feels (advocates are stubborn)."""
    return 1.0 - cust.advocate_stubbornness * advocate


# --- effects ----------------------------------------------------------------------------------


@effect_on(CUSTOMERS)
def lose_patience(step: Step, idx: np.ndarray, u_complain: np.ndarray) -> np.ndarray:
    """Inquiries of customers ``idx`` went unanswered past their patience: sentiment drops.

    Returns, per row, whether the customer complains in public (a negative mention).
    """
    support = step.config.support
    np.subtract.at(step.state.sentiment, idx, support.irate_drop)
    complain = u_complain < support.complaint_share
    step.flows["complaints_public"] += int(complain.sum())
    step.flows["mentions_negative"] += int(complain.sum())
    return complain


@effect_on(CUSTOMERS)
def take_answer(step: Step, idx: np.ndarray, wait: np.ndarray, resolved: np.ndarray, u_convert: np.ndarray) -> None:
    """Customers ``idx`` got an answer after ``wait`` hours: a resolution lifts, a fast one may convert.

    An unresolved answer costs ``unresolved_drop``; a resolution within ``fast_answer_hours``
    makes an advocate (and a follower) with ``advocate_conversion``.
    """
    state, support = step.state, step.config.support
    np.add.at(state.sentiment, idx, np.where(resolved, answer_lift(support, wait), -support.unresolved_drop))
    state.was_answered[idx] = True
    fast = resolved & (wait <= support.fast_answer_hours) & (u_convert < support.advocate_conversion)
    who = idx[fast]
    floor = step.config.customers.advocate_threshold + support.advocate_margin
    state.sentiment[who] = np.maximum(state.sentiment[who], floor)
    state.follows[who] = True
    state.advocate[who] = True


@effect_on(CUSTOMERS)
def feel_ignored(step: Step, idx: np.ndarray) -> None:
    """Inquiries of customers ``idx`` went unanswered past ``ignored_after_hours``: they feel ignored."""
    np.subtract.at(step.state.sentiment, idx, step.config.support.ignored_drop)
    step.state.was_ignored[idx] = True
    step.flows["ignored"] += len(idx)


@effect_on(CUSTOMERS)
def settle(step: Step, idx: np.ndarray, neighbour_mean: np.ndarray, u_churn: np.ndarray) -> None:
    """Customers ``idx`` drift toward their neighbours and their own baseline, may churn, update advocacy.

    Anchored opinion dynamics (Friedkin & Johnsen): a share ``sentiment_pull`` of the gap to
    the neighbours' mean closes (less for stubborn advocates) and ``sentiment_anchor_per_day``
    of the gap to the customer's own baseline, so under a steady organisation sentiment settles.
    """
    state, cust, dt = step.state, step.config.customers, step.dt
    idx, rows = np.asarray(idx), rows_of(idx, len(state.sentiment))
    sentiment = state.sentiment[rows]
    pull = sentiment_pull(cust, dt) * drift_weight(cust, state.advocate[rows])
    anchor = 1.0 - decay(cust.sentiment_anchor_per_day, dt)
    social = np.where(state.degree[rows] > 0, pull * (neighbour_mean - sentiment), 0.0)
    sentiment = sentiment + social + anchor * (state.baseline[rows] - sentiment)
    sentiment = np.clip(sentiment, -1.0, 1.0)
    state.sentiment[rows] = sentiment
    state.promo_load[rows] *= decay(cust.promo_load_decay_per_day, dt)
    state.awareness[rows] *= decay(cust.awareness_decay_per_day, dt)
    p_churn = churn_probability(cust, sentiment, dt)
    present = ~state.churned[rows]  # churned is only written at the end
    leave = present & (u_churn < p_churn)
    # the same uniform, from its other end: a non-follower who stays may discover the brand
    discover = present & ~leave & ~state.follows[rows] & (u_churn > 1.0 - cust.discovery_per_day * dt / 24)
    state.follows[idx[discover]] = True
    step.flows["new_followers"] += int(discover.sum())
    flows, ignored, answered = step.flows, state.was_ignored[rows], state.was_answered[rows]
    n_leave = int(leave.sum())
    flows["churned"] += n_leave
    flows["churned_ignored"] += int((leave & ignored).sum())
    flows["churned_answered"] += int((leave & answered & ~ignored).sum())
    flows["ignored_customer_hours"] += float((present & ignored).sum()) * dt
    flows["answered_customer_hours"] += float((present & answered & ~ignored).sum()) * dt
    state.churned_total += n_leave
    gone = idx[leave]
    state.follows[gone] = False
    state.advocate[gone] = False
    if cust.replace_churned:  # a newcomer with the same disposition takes the customer's place
        state.sentiment[gone] = state.baseline[gone]
        state.awareness[gone] = cust.non_follower_awareness_max / 2
        state.promo_load[gone] = 0.0
        state.was_ignored[gone] = False
        state.was_answered[gone] = False
    else:
        state.churned[gone] = True
        present = ~state.churned[rows]
    state.advocate[rows] = advocate_after(
        cust, state.advocate[rows], state.sentiment[rows], state.awareness[rows], present
    )


# --- processes --------------------------------------------------------------------------------


def run_out_of_patience(table: Any, t1: float, flows: dict[str, float]) -> np.ndarray:
    """Inquiries whose author expected a reply and whose patience ran out unanswered before ``t1``.

    They are marked irate; returns their customers. (Those who expected no reply are not.)
    """
    deadline = table["t_raise"] + table["patience"]
    due = ~table["done_irate"] & (deadline < t1) & (table["t_start"] > deadline)
    table["done_irate"][due] = True
    irate = due & table["expects_reply"]
    table["irate"][irate] = True
    flows["irate"] += int(irate.sum())
    return table["customer"][irate]


def overdue_unanswered(table: Any, t1: float, ignored_after: float) -> np.ndarray:
    """Inquiries still unanswered ``ignored_after`` hours after they were raised; returns their customers.

    Every such inquiry is done waiting; those whose author expected a reply are marked ignored.
    """
    deadline = table["t_raise"] + ignored_after
    due = ~table["done_ignored"] & (deadline < t1) & (table["t_start"] > deadline)
    table["done_ignored"][due] = True
    ignored = due & table["expects_reply"]
    table["ignored"][ignored] = True
    return table["customer"][ignored]


def deliver_answers(
    table: Any, support: Any, t1: float, dept_skill: np.ndarray, flows: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answers finished before ``t1``: resolved or not, and the wait; returns (rows, resolved, wait)."""
    rows = np.flatnonzero(~table["done_answer"] & (table["t_end"] < t1))
    if not len(rows):
        return rows, np.zeros(0, dtype=bool), np.zeros(0)
    resolved = table["u_resolve"][rows] < resolution_probability(support, dept_skill[table["owner"][rows]])
    table["resolved"][rows] = resolved
    wait = table["t_start"][rows] - table["t_raise"][rows]
    table["done_answer"][rows] = True
    table["done_irate"][rows] = True
    flows["answered"] += len(rows)
    flows["resolved"] += int(resolved.sum())
    return rows, resolved, wait


def respond(
    step: Step, rng: np.random.Generator, dept_skill: np.ndarray, negative_seeds: list[np.ndarray]
) -> np.ndarray:
    """Customers whose patience ran out turn irate (some complain); answered ones react.

    Returns the waits (hours) of the answers delivered this step.
    """
    table = step.state.inquiries
    if len(table) == 0:
        return np.empty(0)
    t1 = step.t + step.dt
    who = run_out_of_patience(table, t1, step.flows)
    complain = step.apply(lose_patience, who, rng.random(len(who)))
    negative_seeds.append(who[complain] if len(who) else who)
    step.apply(feel_ignored, overdue_unanswered(table, t1, step.config.customers.ignored_after_hours))
    rows, resolved, wait = deliver_answers(table, step.config.support, t1, dept_skill, step.flows)
    if len(rows):
        step.apply(take_answer, table["customer"][rows], wait, resolved, rng.random(len(rows)))
        step.flows["value_replies"] += float(reply_value(step.config, wait).sum())
    return wait


def reply_value(config: Any, wait: Any) -> Any:
    """Willingness to pay of customers answered after ``wait`` hours (decays like the answer lift)."""
    return config.value.reply_value * np.exp(-wait / config.support.lift_decay_hours)


def close_inquiries(state: Any) -> None:
    """Move closed inquiries (answered, or never queued and past the ignored mark) to the log."""
    table = state.inquiries
    never = ~np.isfinite(table["t_queue"])
    closed = table["done_answer"] | (never & table["done_ignored"])
    if closed.any():
        state.log.append(table.take(~closed))


def customer_dynamics(step: Step, rng: np.random.Generator, neighbour_mean: np.ndarray) -> None:
    """Every customer settles (drift, decay, churn, advocacy); advocates and detractors speak up."""
    state, cust, flows = step.state, step.config.customers, step.flows
    n = len(state.sentiment)
    active = ~state.churned
    step.apply(settle, np.arange(n), neighbour_mean, rng.random(n))
    rate = cust.voice_rate_per_day / HOURS_PER_DAY * step.dt
    advocates = int(state.advocate.sum())
    detractors = int((active & (state.sentiment < cust.detractor_threshold)).sum())
    flows["mentions_positive"] += rng.poisson(advocates * rate)
    flows["mentions_negative"] += rng.poisson(detractors * rate)
