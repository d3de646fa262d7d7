"""A calibration's files: ``posterior.csv``, ``generations.csv``, ``calibrated.toml`` and ``report.md``."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simulation.scenario.config import apply_overrides, deep_merge
from simulation.studies.batch.store import write_text_atomic

if TYPE_CHECKING:
    from simulation.studies.calibration import CalibrationResult


def _g(value: float) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.4g}"


def calibrated_toml(result: CalibrationResult, scenario_path: Path | None, out: Path) -> str:
    """The scenario with the posterior medians: ``extends`` the scenario file when known, else its layers in full."""
    import tomli_w

    medians = {key: round(value, 6) for key, value in result.medians().items()}
    values = apply_overrides({}, list(medians.items()))
    if scenario_path is not None:
        relative = os.path.relpath(Path(scenario_path).resolve(), out.resolve())
        table = {"extends": relative, "name": f"{result.config.name}_calibrated", **values}
    else:
        table = deep_merge(result.config.layers(), values)
        table["name"] = f"{result.config.name}_calibrated"
    header = (
        f"# {result.config.name} calibrated to observed KPIs ({', '.join(result.observed)}): posterior medians of\n"
        f"# {', '.join(result.params)} from {result.runs} model runs (silosim calibrate, seed {result.seed}).\n"
    )
    return header + tomli_w.dumps(table)


def report_text(result: CalibrationResult) -> str:
    """report.md: marginals against the priors, convergence per generation, posterior-predictive check."""
    lines = [
        f"# Calibration of {result.config.name}",
        "",
        f"{len(result.params)} parameters fitted to {len(result.observed)} observed KPIs by ABC-SMC (pyabc, "
        f"adaptive distance): {len(result.generations)} generations of {len(result.posterior)} particles, "
        f"{result.runs} model runs, seed {result.seed}.",
        "",
        "## Posterior marginals against the priors",
        "",
        "| parameter | prior | prior range | posterior median | 90% credible interval | width vs prior |",
        "|---|---|---|---|---|---|",
    ]
    for key, prior in result.priors.items():
        low, high = prior.bounds()
        lo, hi = result.credible_interval(key, 0.9)
        ratio = (hi - lo) / (high - low) if high > low else math.nan
        lines.append(
            f"| `{key}` | {prior.describe()} | [{_g(low)}, {_g(high)}] | {_g(result.quantile(key, 0.5))} "
            f"| [{_g(lo)}, {_g(hi)}] | {ratio:.0%} |"
        )
    lines += [
        "",
        "A width well under 100% means the observations pin the parameter down; near 100%, they say little about it.",
        "",
        "## Convergence per generation",
        "",
        "| generation | epsilon | particles | model runs | acceptance rate | effective sample size |",
        "|---|---|---|---|---|---|",
    ]
    for row in result.generations.itertuples():
        lines.append(
            f"| {row.t + 1} | {_g(row.epsilon)} | {row.particles} | {row.evaluations} "
            f"| {row.acceptance_rate:.1%} | {_g(row.ess)} |"
        )
    lines += ["", "## Posterior-predictive check", ""]
    if result.predictive.empty:
        lines.append("Not computed (predictive runs = 0).")
    else:
        lines += [
            f"{len(result.predictive)} runs at particles drawn from the posterior, against what was observed:",
            "",
            "| KPI | observed (sd) | simulated median | simulated 5%-95% | observed's percentile |",
            "|---|---|---|---|---|",
        ]
        for kpi, obs in result.observed.items():
            values = result.predictive[kpi].to_numpy(float)
            values = values[np.isfinite(values)]
            if not len(values):
                lines.append(f"| `{kpi}` | {_g(obs.value)} ({_g(obs.sd)}) | n/a | n/a | n/a |")
                continue
            q5, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
            rank = float(np.mean(values <= obs.value))
            lines.append(
                f"| `{kpi}` | {_g(obs.value)} ({_g(obs.sd)}) | {_g(q50)} | [{_g(q5)}, {_g(q95)}] | {rank:.0%} |"
            )
        lines += [
            "",
            "An observed value near the 0% or 100% percentile is one the calibrated model rarely produces: "
            "the model, or the prior ranges, miss something.",
        ]
    return "\n".join(lines) + "\n"


def write_outputs(result: CalibrationResult, scenario_path: Path | None = None) -> None:
    """Write every file of a calibration into ``result.root``."""
    root = result.root
    if root is None:
        return
    write_text_atomic(root / "posterior.csv", result.posterior.to_csv(index=False))
    write_text_atomic(root / "generations.csv", result.generations.to_csv(index=False))
    write_text_atomic(root / "calibrated.toml", calibrated_toml(result, scenario_path, root))
    write_text_atomic(root / "report.md", report_text(result))
