"""Effects: the state changes of one rule, as functions over index arrays.

An *effect* is a function ``effect(step, idx, *arrays)`` that changes the state of the
customers (or employees) ``idx``, given per-row inputs ``arrays`` (values, uniforms), and
may return one value per row. Random numbers are keyed (:mod:`simulation.core.keyed`): a
draw is a function of what it is for (a customer's inquiry, its churn threshold), not of
the order in which code asks, so an effect may draw its own rows' keyed numbers and both
engines still get the same numbers, whatever order the agents are visited in.

Both engines apply every effect through :meth:`Step.apply`: the vectorized engine calls the
effect once with every affected index; the agents engine
(:mod:`simulation.engines.agents`) calls the agent method of the same name on each agent,
which calls the effect with its own index (and all of its rows, in order). An effect must
therefore treat distinct indices independently and repeated indices in their row order;
``tests/test_effects.py`` checks that the two ways give identical results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from simulation.core.keyed import Keys
    from simulation.core.params import Params
    from simulation.core.state import State

CUSTOMERS, EMPLOYEES = "customers", "employees"
Effect = Callable[..., Any]


def effect_on(population: str) -> Callable[[Effect], Effect]:
    """Mark a function as an effect on customers or employees (the agents engine dispatches on it)."""

    def mark(function: Effect) -> Effect:
        function.population = population
        return function

    return mark


class Dispatch(Protocol):
    """How an engine applies an effect: to all indices at once, or agent by agent."""

    def __call__(self, effect: Effect, step: Step, idx: np.ndarray, *arrays: np.ndarray) -> Any:
        """Apply ``effect`` to the rows ``idx``; returns its per-row result (or None)."""


def apply_at_once(effect: Effect, step: Step, idx: np.ndarray, *arrays: np.ndarray) -> Any:
    """The vectorized engine's dispatch: one call with every index."""
    return effect(step, idx, *arrays)


@dataclass
class Step:
    """What the processes of one step share: state, compiled parameters, counters, time, dispatch.

    The config is not here: every number a rule needs is in ``params`` (see
    :class:`~simulation.core.params.Params`), so an org-model change blends all of them.
    """

    state: State
    params: Params
    flows: dict[str, float]
    t: float
    dt: float
    dispatch: Dispatch = apply_at_once
    keys: Keys | None = None  # the run's keyed random numbers (simulation.core.keyed)
    index: int = 0  # the step's number (0 for the first), the sequence of draws keyed by step

    def apply(self, effect: Effect, idx: np.ndarray, *arrays: np.ndarray) -> Any:
        """Apply an effect to rows ``idx`` through the engine's dispatch."""
        return self.dispatch(effect, self, np.asarray(idx, dtype=np.int64), *arrays)


def group_rows(idx: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``(index, rows)`` for each distinct index, rows in their original order (agents-engine dispatch)."""
    if len(idx) == 0:
        return []
    order = np.argsort(idx, kind="stable")
    ordered = idx[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(idx)]
    return [(int(ordered[s]), order[s:e]) for s, e in zip(starts, ends, strict=True)]


def has_repeats(idx: np.ndarray) -> bool:
    """Whether an index occurs more than once in ``idx`` (strictly increasing indices, the usual case, are quick).

    An effect whose rows interact (a later row reads what an earlier one wrote) applies the
    rows of such an ``idx`` one after another, in order.
    """
    if len(idx) < 2 or bool((idx[1:] > idx[:-1]).all()):
        return False
    return len(np.unique(idx)) < len(idx)


def read_only(array: np.ndarray) -> np.ndarray:
    """``array``, made read-only: for the empty results a quiet step shares instead of allocating."""
    array.flags.writeable = False
    return array


def rows_of(idx: np.ndarray, n: int) -> np.ndarray | slice:
    """``idx`` as an index into arrays of length ``n``: a whole-array slice when it is ``0..n-1`` in order.

    The vectorized engine applies some effects to everyone at once; reading and writing
    whole arrays then skips a gather and a scatter per array (same values, same order).
    """
    if len(idx) == n and n > 0 and idx[0] == 0 and idx[-1] == n - 1 and (n < 2 or bool((idx[1:] > idx[:-1]).all())):
        return slice(None)
    return idx
