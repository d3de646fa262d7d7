"""7.6.1 Customer response to service: patience running out, answers, silence; closing inquiries.

What a customer does between its own inquiries (drift, churn, advocacy, voice) is
:mod:`simulation.core.customers` (7.6.2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.compiled import jit
from simulation.core.effects import CUSTOMERS, Step, effect_on, has_repeats, read_only
from simulation.core.needs import inquiry_uniform
from simulation.core.slices import copied, copy_fields, params_slice

if TYPE_CHECKING:
    from simulation.core.params import Params
    from simulation.scenario.config import Config


@params_slice
class ResponseParams:
    """7.6.1 customer response's numbers: reactions to answers and to silence."""

    irate_drop: float = copied("support")
    complaint_share: float = copied("support")
    ignored_drop: float = copied("support")
    resolution_prob: float = copied("support")
    resolution_skill_weight: float = copied("support")
    answer_lift: float = copied("support")
    lift_decay_hours: float = copied("support")
    unresolved_drop: float = copied("support")
    fast_answer_hours: float = copied("support")
    advocate_conversion: float = copied("support")
    advocate_margin: float = copied("support")
    ignored_after_hours: float = copied("customers")


def compile_response(config: Config) -> dict[str, Any]:
    """Customer response's slice of the compiled parameters: reactions to answers and to silence."""
    return copy_fields(ResponseParams, config)


# --- formulas ---------------------------------------------------------------------------------


def resolution_probability(params: Params, skill: Any) -> Any:
    """Probability an answer resolves the inquiry, given the owning department's mean skill."""
    weight = params.resolution_skill_weight
    return params.resolution_prob * ((1.0 - weight) + weight * skill)


def answer_lift(params: Params, wait: Any) -> Any:
    """Sentiment lift of a resolving answer after ``wait`` hours (decays with the wait)."""
    return params.answer_lift * np.exp(-wait / params.lift_decay_hours)


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
    makes an advocate (and a follower) with ``advocate_conversion``. A customer's answers take
    effect in row order (a conversion's floor, then the next answer's lift or drop).
    """
    if has_repeats(idx):  # a customer answered more than once: each answer in turn
        for r in range(len(idx)):
            take_answer(step, idx[r : r + 1], wait[r : r + 1], resolved[r : r + 1], u_convert[r : r + 1])
        return
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


# --- processes --------------------------------------------------------------------------------


def run_out_of_patience(table: Any, t1: float, flows: dict[str, float]) -> np.ndarray:
    """Inquiries whose author expected a reply and whose patience ran out unanswered before ``t1``.

    They are marked irate; returns their rows. (Those who expected no reply are not.)
    Every inquiry whose patience ran out is done waiting for it (``done_irate``).
    """
    rows = _past_deadline(
        table["t_raise"], table["patience"], True, 0.0, table["t_start"], t1, table["done_irate"],
        table["expects_reply"], table["irate"], table["t_queue"], table["done_answer"], table["done_ignored"],
    )  # fmt: skip
    flows["irate"] += len(rows)
    return rows


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
    irate = run_out_of_patience(table, t1, step.flows)
    if len(irate):
        who = table["customer"][irate]
        complain = step.apply(lose_patience, who, inquiry_uniform(step, who, table["seq"][irate], "complain"))
        if complain.any():
            negative_seeds.append(who[complain])
    ignored = overdue_unanswered(table, t1, ignored_after)
    if len(ignored):
        step.apply(feel_ignored, ignored)
    rows, resolved, wait = deliver_answers(table, step.params, t1, dept_skill, step.flows)
    if len(rows):
        who = table["customer"][rows]
        step.apply(take_answer, who, wait, resolved, inquiry_uniform(step, who, table["seq"][rows], "convert"))
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
