"""7.7 Innovation: ideas that reach their owner are captured; implemented ones cut technical problems."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.core.effects import Step
from simulation.core.needs import HOURS_PER_DAY, IDEA


def technical_factor(innovation: Any, ideas_implemented: int) -> float:
    """Share of the technical-problem rate left after ``ideas_implemented`` implemented ideas."""
    return 1.0 - min(innovation.max_reduction, ideas_implemented * innovation.problem_reduction)


def innovate(step: Step, rng: np.random.Generator) -> None:
    """Ideas reaching their owner this step are captured; some are implemented later."""
    state, inno, flows = step.state, step.config.innovation, step.flows
    table = state.inquiries
    t1 = step.t + step.dt
    captured = (table["kind"] == IDEA) & (table["t_queue"] >= step.t) & (table["t_queue"] < t1)
    n_captured = int(captured.sum())
    if n_captured:
        flows["ideas_captured"] += n_captured
        chosen = rng.random(n_captured) < inno.implement_prob
        when = table["t_queue"][captured][chosen] + rng.exponential(inno.implement_days * HOURS_PER_DAY, chosen.sum())
        state.ideas_pending = np.concatenate([state.ideas_pending, when])
    done = state.ideas_pending < t1
    flows["ideas_implemented"] += int(done.sum())
    state.ideas_implemented += int(done.sum())
    state.ideas_pending = state.ideas_pending[~done]
