"""The lever ladder: how much of the gap between two org designs each design choice buys.

Two scenarios differ in a set of *levers* (config keys; a table such as ``support.owners``
is one lever). The ladder runs the starting design, the starting design with each lever
set to the target's value alone, and the target design, all on common random numbers.
A lever's *contribution* to a KPI is its paired difference from the start; what the sum of
contributions does not explain is the *interaction* (levers that only pay together), so

    start + sum(contributions) + interaction = target        (per replicate, exactly).

Outputs (with ``out``): ``ladder.csv`` (one row per step and KPI: value with its 95% CI,
contribution with its CI), ``figures/waterfall.png`` and ``report.md``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.errors import ScenarioError
from simulation.scenario.config import Config
from simulation.studies.batch import RunOptions, compare
from simulation.studies.batch.results import BatchResult
from simulation.studies.batch.stats import mean_ci, ok_runs

NOT_LEVERS = {"name", "description", "interventions", "organization.model"}
SAME_REQUIRED = ("simulation.steps", "simulation.step_hours", "simulation.start_hour", "customers.count", "network")
WATERFALL_KPIS = ("resolution_rate", "first_response_median_min", "handoffs_lost", "advocate_share", "cost_total",
                  "net_value")  # fmt: skip
START, INTERACTION, END = "start", "interaction", "end"


def levers(start: Config, end: Config) -> dict[str, Any]:
    """Config keys (``section.field``) on which ``end`` differs from ``start``, with ``end``'s values."""
    a, b = start.model_dump(mode="json"), end.model_dump(mode="json")
    out: dict[str, Any] = {}
    for section, fields in b.items():
        if not isinstance(fields, dict):
            continue
        for field, value in fields.items():
            key = f"{section}.{field}"
            if key in NOT_LEVERS or section == "simulation" and field in ("seed", "engine"):
                continue
            if a[section][field] != value:
                out[key] = value
    for key in SAME_REQUIRED:
        if any(name == key or name.startswith(key + ".") for name in out):
            raise ScenarioError(f"{key}: the two designs must share it to be compared lever by lever")
    if start.interventions != end.interventions:
        raise ScenarioError("interventions: the two designs must schedule the same interventions")
    return out


@dataclass
class Ladder:
    """A finished ladder: the levers, the batch behind it and the tidy table."""

    levers: dict[str, Any]
    batch: BatchResult
    table: pd.DataFrame

    def contributions(self, kpi: str) -> pd.Series:
        """Contribution of each lever (and the interaction) to the gap in ``kpi``."""
        rows = self.table[(self.table.kpi == kpi) & ~self.table.step.isin([START, END])]
        return rows.set_index("step")["contribution"]

    def gap(self, kpi: str) -> float:
        """The whole gap, end minus start, in ``kpi``."""
        return float(self.table[(self.table.kpi == kpi) & (self.table.step == END)]["contribution"].iloc[0])


def _lever_configs(start: Config, end: Config, changes: dict[str, Any]) -> dict[str, Config]:
    configs = {START: start.with_values({"name": START})}
    for key, value in changes.items():
        try:
            configs[key] = start.with_values({key: value, "name": key})
        except ScenarioError as err:
            raise ScenarioError(f"{key}: cannot be changed alone from {start.name!r} ({err})") from None
    configs[END] = end.with_values({"name": END})
    return configs


def ladder(
    start: Config,
    end: Config,
    replicates: int = 5,
    seed: int | None = None,
    *,
    kpis: Sequence[str] | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    options: RunOptions | None = None,
) -> Ladder:
    """Change one lever at a time from ``start`` toward ``end``; decompose every KPI gap.

    Args:
        start: the design one starts from (e.g. centralized).
        end: the design one considers moving to (e.g. Center of Excellence).
        replicates: runs per step, on common seeds.
        seed: root seed (default: ``start``'s).
        kpis: KPIs in the table (default: every summary KPI).
        workers: worker processes (as for :func:`simulation.studies.batch.compare`).
        out: directory for the batch, ``ladder.csv``, the figure and ``report.md``.
        options: batch run options (executor, progress, ...).
    """
    from simulation.outputs.kpis import all_kpis

    changes = levers(start, end)
    if not changes:
        raise ScenarioError(f"{end.name}: does not differ from {start.name} in any lever")
    configs = _lever_configs(start, end, changes)
    batch = compare(configs, replicates, seed, workers=workers, out=out, baseline=START, options=options)
    names = list(kpis or all_kpis())
    table = decompose(ok_runs(batch.summary), list(changes), names)
    table.insert(2, "value_to", [json.dumps(changes.get(step)) if step in changes else "" for step in table.step])
    result = Ladder(changes, batch, table)
    if out is not None:
        write_ladder(result, Path(out), start.name, end.name)
    return result


def decompose(summary: pd.DataFrame, lever_names: Sequence[str], kpis: Sequence[str]) -> pd.DataFrame:
    """The tidy ladder table from a batch summary with scenarios ``start``, each lever and ``end``."""
    runs = summary.set_index(["scenario", "replicate"])
    replicates = sorted(set(summary.loc[summary.scenario == START, "replicate"]))
    rows = []
    for kpi in kpis:
        values = {step: _per_replicate(runs, step, kpi, replicates) for step in [START, *lever_names, END]}
        diffs = {step: values[step] - values[START] for step in lever_names}
        total = values[END] - values[START]
        interaction = total - np.sum([diffs[s] for s in lever_names], axis=0)
        for step in [START, *lever_names, INTERACTION, END]:
            value = values.get(step)
            contribution = {START: None, END: total, INTERACTION: interaction}.get(step, diffs.get(step))
            mean, low, high = mean_ci(value) if value is not None else (np.nan,) * 3
            c_mean, c_low, c_high = mean_ci(contribution) if contribution is not None else (np.nan,) * 3
            rows.append({"step": step, "kpi": kpi, "value": mean, "value_low": low, "value_high": high,
                         "contribution": c_mean, "contribution_low": c_low, "contribution_high": c_high})  # fmt: skip
    return pd.DataFrame(rows)


def _per_replicate(runs: pd.DataFrame, step: str, kpi: str, replicates: list[int]) -> np.ndarray:
    frame = runs.loc[step]
    return pd.to_numeric(frame[kpi], errors="coerce").reindex(replicates).to_numpy(dtype=float)


def write_ladder(result: Ladder, out: Path, start_name: str, end_name: str) -> Path:
    """Write ``ladder.csv``, the waterfall figure and ``report.md`` into ``out``."""
    from simulation.outputs import plots
    from simulation.outputs.kpis import format_value
    from simulation.studies.batch.store import write_text_atomic

    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "ladder.csv", result.table.to_csv(index=False))
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    kpis = [k for k in WATERFALL_KPIS if k in set(result.table.kpi)]
    from simulation.outputs.report import run_hours
    from simulation.studies.batch.store import load_manifest

    hours = run_hours(load_manifest(result.batch.root)) if result.batch.root is not None else None
    fig = plots.waterfall(result.table, kpis, f"{start_name} -> {end_name}: what each lever contributes", hours)
    fig.savefig(figures / "waterfall.png", dpi=120, bbox_inches="tight")
    lines = [
        f"# Lever ladder: {start_name} -> {end_name}",
        "",
        f"{len(result.levers)} levers differ; each is set to {end_name}'s value alone, on common random numbers "
        f"({int(result.batch.summary.replicate.nunique())} replicates). A contribution is the paired difference "
        "from the start; the interaction is what the contributions leave of the whole gap.",
        "",
        "![waterfall](figures/waterfall.png)",
        "",
        "| step | value | " + " | ".join(kpis) + " |",
        "|---|---|" + "---|" * len(kpis),
    ]
    for step in dict.fromkeys(result.table.step):
        rows = result.table[result.table.step == step].set_index("kpi")
        cells = []
        for kpi in kpis:
            row = rows.loc[kpi]
            shown = row.value if step in (START, END) else row.contribution
            sign = "" if step in (START, END) else ("+" if shown >= 0 else "")
            cells.append(f"{sign}{format_value(shown)}")
        lines.append(f"| {step} | {rows.value_to.iloc[0]} | " + " | ".join(cells) + " |")
    lines += ["", "Full table with 95% confidence intervals: `ladder.csv`.", ""]
    write_text_atomic(out / "report.md", "\n".join(lines))
    return out / "report.md"
