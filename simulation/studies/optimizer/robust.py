"""The robust check: Pareto designs and the starting design re-run under parameter uncertainty.

Draws come from :mod:`simulation.scenario.priors` (a prior TOML or a calibration's posterior.csv).
Draw ``d`` runs on the same seed for every design (common random numbers), so a design
"beats" the start in a draw because of the design, not luck.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import ScenarioError
from simulation.rng import replicate_seeds
from simulation.scenario.config import Config
from simulation.studies.optimizer.problem import Problem
from simulation.studies.optimizer.study import Evaluation, Evaluator


def load_robust_draws(base: Config, source: str | Path, draws: int, seed: int) -> pd.DataFrame:
    """The parameter draws, checked against the scenario before any trial runs."""
    try:
        from simulation.scenario.priors import apply_draw, load_draws
    except ImportError:
        raise ScenarioError(
            "--robust: needs simulation.scenario.priors, which this silosim does not have yet"
        ) from None
    if draws < 1:
        raise ScenarioError("--draws: must be at least 1")
    frame = load_draws(source, draws, seed)
    if frame.empty:
        raise ScenarioError(f"--robust {source}: no parameter draws")
    apply_draw(base, frame.iloc[0].to_dict())  # a key that is not a parameter fails here, named
    return frame.reset_index(drop=True)


def robust_check(
    base: Config,
    problem: Problem,
    front: pd.DataFrame,
    draws: pd.DataFrame,
    seed: int,
    evaluator: Evaluator,
    on_run: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Per Pareto design: P(beats the start on every objective and meets every constraint) over the draws."""
    from tqdm.auto import tqdm

    from simulation.scenario.priors import apply_draw

    seeds = replicate_seeds(seed, len(draws))
    names = ["start", *front["name"]]
    designs = [{}, *({d.key: _native(row[d.key]) for d in problem.space} for _, row in front.iterrows())]
    outcome: dict[str, list[Evaluation]] = {name: [] for name in names}
    for d, draw in tqdm(draws.iterrows(), total=len(draws), desc="robust", unit="draw", disable=not progress):
        values = {k: _native(v) for k, v in draw.items()}
        runner = Evaluator(apply_draw(base, values), problem, [seeds[d]], evaluator.executor)
        evals = runner.run(dict(enumerate(designs)), on_run=on_run)
        for i, name in enumerate(names):
            outcome[name].append(evals[i])
    rows = []
    for name in names[1:]:
        wins = feasible = valid = 0
        each = {o.kpi: 0 for o in problem.objectives}
        for mine, theirs in zip(outcome[name], outcome["start"], strict=True):
            if mine.error or theirs.error:
                continue
            valid += 1
            meets = all(c.met(mine.mean(c.kpi)) for c in problem.constraints)
            better = {o.kpi: o.better(mine.mean(o.kpi), theirs.mean(o.kpi)) for o in problem.objectives}
            feasible += meets
            wins += meets and all(better.values())
            for kpi, b in better.items():
                each[kpi] += b

        def share(k: int, valid: int = valid) -> float:
            return k / valid if valid else float("nan")

        row: dict[str, Any] = {
            "name": name,
            "draws": valid,
            "p_beats_start": share(wins),
            "p_feasible": share(feasible),
        }
        row.update({f"p_better_{kpi}": share(k) for kpi, k in each.items()})
        for o in problem.objectives:
            row[f"{o.kpi}_mean"] = pd.Series([e.mean(o.kpi) for e in outcome[name] if not e.error]).mean()
        rows.append(row)
    return pd.DataFrame(rows)


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
