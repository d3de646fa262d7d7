"""What an optimisation writes: trials.csv, pareto.csv, best/<name>.toml, report.md and its figure.

Everything is rebuilt from the study's storage (and the starting design recorded in it),
so the files are the same after a resume as after one uninterrupted run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.scenario.config import Config, apply_overrides
from simulation.studies.batch.stats import mean_ci
from simulation.studies.optimizer.problem import Problem, config_value
from simulation.studies.optimizer.study import design_of

START = "start"


def trials_frame(study: Any, problem: Problem) -> pd.DataFrame:
    """One row per trial: number, state, design, tracked KPIs with 95% CIs, constraint values, feasible."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {"trial": trial.number, "state": trial.state.name.lower()}
        if trial.user_attrs.get("stopped") == "infeasible":
            row["state"] = "stopped_infeasible"
        elif row["state"] == "fail" and "stopped" not in trial.user_attrs:
            row["state"] = "abandoned"  # left running by a killed process; its design was tried again
        complete = set(trial.params) == {d.key for d in problem.space}
        design = design_of(problem, trial.params) if complete else {}
        for d in problem.space:
            row[d.key] = design.get(d.key)
        replicates = trial.user_attrs.get("replicates", {})
        row["replicates"] = max((len(v) for v in replicates.values()), default=0)
        row.update(kpi_columns(problem, replicates))
        violations = trial.user_attrs.get("constraints", [])
        for c, v in zip(problem.constraints, violations, strict=False):
            row[f"violation[{c}]"] = v
        row["feasible"] = bool(
            row["state"] in ("complete", "stopped_infeasible")
            and len(violations) == len(problem.constraints)
            and all(v <= 0 for v in violations)
        )
        row["error"] = trial.user_attrs.get("error", "")
        rows.append(row)
    return pd.DataFrame(rows)


def kpi_columns(problem: Problem, replicates: dict[str, list[float]]) -> dict[str, float]:
    """``kpi``, ``kpi_lo``, ``kpi_hi`` (mean and 95% t-interval over the replicates) of every tracked KPI."""
    out = {}
    for kpi in problem.tracked:
        m, lo, hi = mean_ci(replicates.get(kpi, []))
        out.update({kpi: m, f"{kpi}_lo": lo, f"{kpi}_hi": hi})
    return out


def non_dominated(values: np.ndarray, maximize: list[bool]) -> np.ndarray:
    """Mask of the rows no other row dominates (at least as good everywhere, better somewhere)."""
    x = np.where(np.asarray(maximize), -values, values)  # every column minimised
    keep = np.ones(len(x), dtype=bool)
    for i in range(len(x)):
        others = np.delete(x, i, axis=0)
        dominated = np.all(others <= x[i], axis=1) & np.any(others < x[i], axis=1)
        keep[i] = not dominated.any()
    return keep


def pareto_frame(trials: pd.DataFrame, problem: Problem) -> pd.DataFrame:
    """Feasible complete trials that no other feasible trial dominates, one per distinct design."""
    cols = [o.kpi for o in problem.objectives]
    pool = trials[(trials["state"] == "complete") & trials["feasible"]] if len(trials) else trials
    if pool.empty:
        return pool.copy()
    keys = [d.key for d in problem.space]
    same = pool[keys].apply(lambda row: json.dumps([_native(v) for v in row], default=str), axis=1)
    pool = pool[~same.duplicated(keep="first")]
    mask = non_dominated(pool[cols].to_numpy(float), [o.maximize for o in problem.objectives])
    front = pool[mask].copy()
    first = problem.objectives[0]
    front = front.sort_values(first.kpi, ascending=not first.maximize, kind="stable")
    front.insert(0, "name", [f"trial{n:04d}" for n in front["trial"]])
    return front.reset_index(drop=True)


def design_config(base: Config, design: dict[str, Any], name: str, changed: str) -> dict[str, Any]:
    """A design as a scenario's layers: the starting scenario with the design's values and a new name."""
    raw = apply_overrides(base.layers(), list(design.items()))
    raw["name"] = name
    raw["description"] = f"{base.name}, optimised (silosim optimize): {changed}"
    return raw


def write_best(out: Path, base: Config, problem: Problem, front: pd.DataFrame) -> list[Path]:
    """``best/<name>.toml`` for every Pareto design (old ones removed), each a scenario ``silosim run`` accepts."""
    import tomli_w

    from simulation.studies.batch.store import write_text_atomic

    best = out / "best"
    best.mkdir(parents=True, exist_ok=True)
    for old in best.glob("*.toml"):
        old.unlink()
    paths = []
    for _, row in front.iterrows():
        design = {d.key: _native(row[d.key]) for d in problem.space}
        raw = design_config(base, design, row["name"], changes(base, problem, row))
        path = best / f"{row['name']}.toml"
        write_text_atomic(path, tomli_w.dumps(_tomlable(raw)))
        paths.append(path)
    return paths


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _tomlable(value: Any) -> Any:
    """Tuples as lists, numpy scalars as Python ones, None dropped (TOML has no null)."""
    if isinstance(value, dict):
        return {k: _tomlable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_tomlable(v) for v in value]
    return _native(value)


def changes(base: Config, problem: Problem, row: pd.Series) -> str:
    """What a design changes from the starting scenario: ``key: old -> new; ...``."""
    parts = []
    for d in problem.space:
        old, new = config_value(base, d.key), _native(row[d.key])
        same = math.isclose(old, new, rel_tol=1e-9) if _numeric(old) and _numeric(new) else old == new
        if not same:
            parts.append(f"{d.key}: {_fmt(old)} → {_fmt(new)}")
    return "; ".join(parts) or "(the starting design)"


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def figure(path: Path, problem: Problem, trials: pd.DataFrame, front: pd.DataFrame, start: dict[str, float]) -> None:
    """The Pareto figure: each pair of objectives (or the objective against its constraint KPI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes_kpis = list(problem.tracked) if len(problem.tracked) > 1 else [problem.tracked[0], "trial"]
    pairs = [(a, b) for i, a in enumerate(axes_kpis) for b in axes_kpis[i + 1 :]][:6]
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.2 * len(pairs), 4.4), squeeze=False)
    done = trials[trials["state"].isin(["complete", "stopped_infeasible"])] if len(trials) else trials
    for ax, (xk, yk) in zip(axes[0], pairs, strict=True):
        for subset, style in (
            (done[~done["feasible"]] if len(done) else done, {"c": "0.7", "marker": "x", "label": "infeasible"}),
            (done[done["feasible"]] if len(done) else done, {"c": "tab:blue", "alpha": 0.6, "label": "feasible"}),
            (front, {"c": "tab:red", "s": 60, "label": "Pareto", "zorder": 3}),
        ):
            if len(subset):
                ax.scatter(subset[xk], subset[yk], **style)
        if xk in start and yk in start:
            ax.scatter([start[xk]], [start[yk]], marker="*", s=260, c="black", label="starting design", zorder=4)
        for c in problem.constraints:  # the budget line(s)
            if c.kpi == xk:
                ax.axvline(c.bound, color="tab:orange", ls="--", label=str(c))
            if c.kpi == yk:
                ax.axhline(c.bound, color="tab:orange", ls="--", label=str(c))
        ax.set_xlabel(xk)
        ax.set_ylabel(yk)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_table(frame: pd.DataFrame) -> str:
    """A small frame as a Markdown table (numbers to 4 significant digits)."""
    cells = frame.map(lambda v: f"{v:.4g}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.to_numpy().tolist()]
    return "\n".join(lines)


def report_text(
    base: Config,
    problem: Problem,
    trials: pd.DataFrame,
    front: pd.DataFrame,
    start: dict[str, float],
    meta: dict[str, Any],
    robust: pd.DataFrame | None,
) -> str:
    """report.md: the question, the effort, the Pareto table with what changed, the figure, robustness."""
    states = trials["state"].value_counts().to_dict() if len(trials) else {}
    objectives = ", ".join(str(o) for o in problem.objectives)
    constraints = ", ".join(str(c) for c in problem.constraints) or "none"
    lines = [
        f"# Optimisation of {base.name}",
        "",
        f"Objectives: {objectives}. Constraints: {constraints}.",
        f"Space: {', '.join(d.key for d in problem.space)}.",
        f"{len(trials)} trials ({', '.join(f'{n} {s}' for s, n in sorted(states.items()))}), "
        f"{meta['replicates']} replicates each on common seeds (root seed {meta['seed']}), "
        f"{meta['runs']} runs in all (starting design, trials and robust check).",
        "",
        "## Starting design",
        "",
        ", ".join(f"{k} = {v:.4g}" for k, v in start.items()) + ".",
        "",
        "## Pareto front (feasible, non-dominated)",
        "",
    ]
    if front.empty:
        lines.append("No feasible trial: loosen the constraints or widen the space.")
    else:
        table = front[["name", *[o.kpi for o in problem.objectives]]].copy()
        for o in problem.objectives:
            table[o.kpi] = [
                f"{m:.4g} [{lo:.4g}, {hi:.4g}]"
                for m, lo, hi in zip(front[o.kpi], front[f"{o.kpi}_lo"], front[f"{o.kpi}_hi"], strict=True)
            ]
        for c in problem.constraints:
            if c.kpi not in table:
                table[c.kpi] = front[c.kpi]
        table["what changed"] = [changes(base, problem, row) for _, row in front.iterrows()]
        lines += [markdown_table(table), "", "Each design is a scenario in `best/<name>.toml` (`silosim run` it)."]
    lines += ["", "![Pareto front](pareto.png)", ""]
    if robust is not None:
        lines += [
            "## Robustness under parameter uncertainty",
            "",
            f"Each design and the starting design re-run on the same {meta.get('draws', '?')} parameter draws "
            "(one common seed per draw); P = share of draws in which the design beats the starting design on every "
            "objective while meeting every constraint.",
            "",
            markdown_table(robust),
            "",
        ]
    return "\n".join(lines)
