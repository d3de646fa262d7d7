"""7.7 Innovation: ideas that reach their owner are captured; implemented ones cut technical problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.core.compiled import jit
from simulation.core.effects import Step
from simulation.core.keyed import exponential
from simulation.core.needs import HOURS_PER_DAY, IDEA, inquiry_uniform
from simulation.core.slices import copied, copy_fields, params_slice

if TYPE_CHECKING:
    from simulation.core.params import Params
    from simulation.scenario.config import Config


@params_slice
class InnovationParams:
    """7.7 innovation's numbers: implementation chance and time, the cut per idea."""

    implement_prob: float = copied("innovation")
    implement_hours: float  # mean hours from capture to implementation
    problem_reduction: float = copied("innovation")
    max_reduction: float = copied("innovation")


def compile_innovation(config: Config) -> dict[str, float]:
    """Innovation's slice of the compiled parameters: implementation chance and time, the cut per idea."""
    return {
        "implement_hours": config.innovation.implement_days * HOURS_PER_DAY,
        **copy_fields(InnovationParams, config),
    }


def technical_factor(innovation: Params, ideas_implemented: int, scale: float) -> float:
    """Share of the technical-problem rate left after ``ideas_implemented`` implemented ideas.

    Each idea removes ``problem_reduction`` per ``reference_customers`` customers
    (``scale`` = customers / reference), so the cut is free of the company's size.
    """
    return 1.0 - min(innovation.max_reduction, ideas_implemented * innovation.problem_reduction / scale)


def innovate(step: Step) -> None:
    """Ideas reaching their owner this step are captured; some are implemented later (the idea's own draws)."""
    state, inno, flows = step.state, step.params, step.flows
    table = state.inquiries
    t1 = step.t + step.dt
    captured = _reaching_owner(table["kind"], table["t_queue"], IDEA, step.t, t1)
    n_captured = len(captured)
    if n_captured:
        flows["ideas_captured"] += n_captured
        who, seq = table["customer"][captured], table["seq"][captured]
        chosen = inquiry_uniform(step, who, seq, "implement") < inno.implement_prob
        delay = exponential(inquiry_uniform(step, who[chosen], seq[chosen], "implement_delay"), inno.implement_hours)
        when = table["t_queue"][captured][chosen] + delay
        state.ideas_pending = np.concatenate([state.ideas_pending, when])
    if len(state.ideas_pending):
        done = state.ideas_pending < t1
        n_done = int(np.count_nonzero(done))
        if n_done:
            flows["ideas_implemented"] += n_done
            state.ideas_implemented += n_done
            state.ideas_pending = state.ideas_pending[~done]


@jit
def _reaching_owner(kind: np.ndarray, t_queue: np.ndarray, idea: int, t: float, t1: float) -> np.ndarray:
    """Rows of kind ``idea`` that reach their owner's queue in ``[t, t1)``, in row order."""
    rows = np.empty(len(kind), dtype=np.int64)
    k = 0
    for r in range(len(kind)):
        if kind[r] == idea and t <= t_queue[r] < t1:
            rows[k] = r
            k += 1
    return rows[:k]
