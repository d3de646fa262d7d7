"""A batch directory's report: ``report.md`` with KPI tables with intervals, and PNG figures.

Reads only what the batch saved (``summary.csv``, ``manifest.json``, the Parquet time
series, streamed per run), so ``silosim report DIR`` regenerates it at any time.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import ScenarioError
from simulation.outputs.kpis import HEADLINE, WAIT_PARTS, all_kpis, format_value, kpi_label
from simulation.studies.batch.results import BAND_COLUMNS, BatchResult
from simulation.studies.batch.store import MANIFEST, SUMMARY, load_manifest, write_text_atomic

FIGURES = "figures"
SWEEP_KPIS = (
    "resolution_rate",
    "first_response_median_min",
    "share_of_voice",
    "sentiment_mean",
    "churn_rate",
    "handoffs_lost",
)
MAX_BAND_GROUPS = 8  # more lines than this make the time-series figure unreadable


def ci_cell(row: pd.Series) -> str:
    """``mean ± half-width`` (just the mean when there is one replicate)."""
    if row["n"] < 2 or not math.isfinite(row["half_width"]):
        return format_value(row["mean"])
    return f"{format_value(row['mean'])} ± {format_value(row['half_width'])}"


def ci_wide(ci: pd.DataFrame, kpis: Sequence[str]) -> pd.DataFrame:
    """KPIs as rows, scenarios as columns, cells ``mean ± half-width``."""
    table = ci.assign(cell=ci.apply(ci_cell, axis=1)).pivot(index="kpi", columns="scenario", values="cell")
    return table.reindex(index=[k for k in kpis if k in table.index], columns=list(dict.fromkeys(ci["scenario"])))


def better_direction(name: str) -> bool | None:
    """Whether more of a KPI is better (None: no direction, or a KPI not registered in this process)."""
    kpi = all_kpis().get(name)
    return None if kpi is None else kpi.higher_is_better


def run_hours(manifest: dict) -> float | None:
    """The simulated hours of a batch's runs, if every scenario runs as long (money is then per that period)."""
    hours = {
        config["simulation"]["steps"] * config["simulation"]["step_hours"]
        for config in manifest.get("scenarios", {}).values()
        if isinstance(config, dict) and isinstance(config.get("simulation"), dict)
    }
    return hours.pop() if len(hours) == 1 else None


def ci_text(ci: pd.DataFrame, kpis: Sequence[str], hours: float | None = None) -> str:
    """The KPI table for a terminal: aligned columns, one per scenario; money with its unit."""
    table = ci_wide(ci, kpis)
    table.index = [kpi_label(k, hours) for k in table.index]
    width = max(len(k) for k in table.index) + 2
    colw = max(14, *(len(str(c)) + 2 for c in table.columns), *(len(v) + 2 for v in table.to_numpy().ravel()))
    lines = ["kpi (mean ± 95% CI)".ljust(width) + "".join(str(c).rjust(colw) for c in table.columns)]
    lines += [k.ljust(width) + "".join(v.rjust(colw) for v in row) for k, row in table.iterrows()]
    return "\n".join(lines)


def markdown(table: pd.DataFrame, index: str) -> str:
    """A DataFrame as a GitHub Markdown table."""
    header = [index, *map(str, table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join([str(i), *map(str, row)]) + " |" for i, row in zip(table.index, table.to_numpy(), strict=True)
    ]
    return "\n".join(lines)


def radar_scores(ci: pd.DataFrame, kpis: Sequence[str]) -> pd.DataFrame:
    """Means rescaled per KPI across scenarios to [0, 1], 1 = best (KPIs with a direction only)."""
    wide = ci.pivot(index="scenario", columns="kpi", values="mean")
    wide = wide.reindex(index=list(dict.fromkeys(ci["scenario"])))
    scores = {}
    for kpi in kpis:
        better = better_direction(kpi)
        if better is None or kpi not in wide:
            continue
        values = wide[kpi].astype(float)
        span = values.max() - values.min()
        score = (values - values.min()) / span if span > 0 else values * 0 + 0.5
        scores[kpi] = score if better else 1 - score
    return pd.DataFrame(scores)


def paired_cell(row: pd.Series, better: bool | None) -> str:
    """``diff [low, high]`` with a verdict when the interval excludes zero."""
    text = f"{format_value(row['difference'])} [{format_value(row['low'])}, {format_value(row['high'])}]"
    if not (math.isfinite(row["low"]) and math.isfinite(row["high"])) or row["low"] <= 0 <= row["high"]:
        return text
    if better is None:
        return text + " (≠ 0)"
    return text + (" **better**" if (row["difference"] > 0) == better else " **worse**")


def _save(fig: object, path: Path) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    write_text_atomic(path, buffer.getvalue())
    return f"{FIGURES}/{path.name}"


def write_report(root: str | Path, kpis: Sequence[str] | None = None) -> Path:
    """Write ``report.md``, ``ci.csv``, ``paired.csv`` and ``figures/*.png`` for a batch directory.

    Raises:
        ScenarioError: the directory is not a (complete) batch directory; nothing is written.
    """
    root = Path(root)
    manifest = load_manifest(root)
    _check_manifest(root, manifest)
    result = BatchResult.load(root, manifest)
    try:
        return _write_report(root, manifest, result, kpis)
    except (KeyError, TypeError, AttributeError, IndexError) as err:  # a hand-edited file missing a part
        raise ScenarioError(
            f"{root}: {MANIFEST} or {SUMMARY} is incomplete ({type(err).__name__}: {err}); "
            "run the batch again into another --out"
        ) from None


KINDS = ("compare", "sweep", "sensitivity")


def _check_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """The parts of a manifest the report reads: a kind, the planned count, the scenarios' configs."""
    where = root / MANIFEST
    if manifest.get("kind") not in KINDS:
        raise ScenarioError(f"{where}: kind {manifest.get('kind')!r} is not one of {', '.join(KINDS)} (not a batch?)")
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not isinstance(counts.get("planned"), int):
        raise ScenarioError(f"{where}: no counts.planned (not a complete silosim batch manifest)")
    scenarios = manifest.get("scenarios", {})
    if not isinstance(scenarios, dict) or not all(isinstance(c, dict) for c in scenarios.values()):
        raise ScenarioError(f"{where}: scenarios must map names to configs")
    for key, kind in (("params", list), ("design", dict), ("versions", dict), ("command", list)):
        if key in manifest and not isinstance(manifest[key], kind):
            raise ScenarioError(f"{where}: {key} must be a JSON {'array' if kind is list else 'object'}")


def _write_report(root: Path, manifest: dict[str, Any], result: BatchResult, kpis: Sequence[str] | None) -> Path:
    from simulation.outputs import plots

    kpis = [k for k in (kpis or HEADLINE) if k in result.summary]
    figures = root / FIGURES
    hours = run_hours(manifest)  # the period every money figure is per
    counts = result.summary["status"].value_counts()
    lines = [
        f"# silosim {result.kind}: {', '.join(result.scenarios)}",
        "",
        f"- command: `{' '.join(manifest.get('command', [])) or '(Python API)'}`",
        f"- runs: {counts.get('ok', 0)} ok, {counts.get('failed', 0)} failed, of {manifest['counts']['planned']} "
        f"planned; {manifest.get('replicates')} replicate(s) per point on seeds spawned from {manifest.get('seed')} "
        "(replicate *i* has the same seed in every scenario: common random numbers)",
        f"- versions: {', '.join(f'{k} {v}' for k, v in manifest.get('versions', {}).items())}",
        "- intervals: 95% Student-t intervals across replicates (± half-width); `-` = undefined",
        "",
    ]
    for name, config in manifest.get("scenarios", {}).items():
        model = (config.get("organization") or {}).get("model", "?")
        lines.append(f"- **{name}** ({model}): {config.get('description', '')}".rstrip())
    lines.append("")

    ci = result.ci(kpis)
    uncertainty: list[str] = []
    if result.design.get("sampler") == "draws":
        ci, uncertainty = _uncertainty_section(result, ci, kpis)
    write_text_atomic(root / "ci.csv", ci.to_csv(index=False))
    sampler = result.design.get("sampler", "grid")
    if result.kind == "compare" or (sampler == "grid" and not result.params):
        lines += _compare_section(result, ci, kpis, figures, plots, hours)
    elif sampler == "grid":
        lines += _sweep_section(result, ci, figures, plots, hours)
    elif sampler == "lhs":
        fig = plots.sample_scatter(
            result.summary[result.summary.status == "ok"],
            result.params[0],
            [k for k in SWEEP_KPIS if k in kpis] or kpis[:6],
            f"KPIs across the Latin-hypercube sample of {result.params[0]}",
            hours,
        )
        lines += ["## Latin-hypercube sample", "", f"![LHS scatter]({_save(fig, figures / 'lhs_scatter.png')})", ""]
    lines += uncertainty
    if result.kind == "sensitivity":
        lines += _sobol_section(result, root, figures, plots)
    if len(result.failures):
        lines += ["## Failed runs", "", markdown(result.failures.set_index("run_id"), "run"), ""]
    path = root / "report.md"
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path


def _uncertainty_section(result: BatchResult, ci: pd.DataFrame, kpis: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """ci.csv with the runs' range and variance shares; prob_better.csv; the report's sentences."""
    from simulation.studies.batch.uncertainty import prob_better, sentences, variance_shares

    shares = variance_shares(result.summary, kpis)
    ci = ci.merge(shares, on=["scenario", "kpi"], how="left")
    prob = prob_better(result.summary, result.baseline, kpis)
    write_text_atomic(result.root / "prob_better.csv", prob.to_csv(index=False))
    draws = int(result.design.get("draws", 0))
    lines = [
        f"## Across plausible parameter worlds ({draws} draws from {result.design.get('uncertainty', '')})",
        "",
        "Every draw of the uncertain parameters is applied to every scenario, on the same replicate seeds; "
        "the intervals above pool draws and replicates. prob_better.csv has every probability; ci.csv the "
        "2.5%-97.5% range across runs and the share of variance from parameters vs seeds.",
        "",
        *sentences(prob, shares, draws),
        "",
    ]
    return ci, lines


def _bands_figure(result: BatchResult, figures: Path, plots: object, title: str) -> list[str]:
    groups = result.summary[result.summary.status == "ok"].groupby(["scenario", "point"]).ngroups
    if groups == 0 or groups > MAX_BAND_GROUPS:
        return []
    bands = result.daily_bands(BAND_COLUMNS)
    if bands.empty:
        return []
    values = result.summary.drop_duplicates(["scenario", "point"]).set_index(["scenario", "point"])
    labels = {
        key: key[0] + "".join(f" {p.split('.')[-1]}={values.loc[key, p]}" for p in result.params)
        for key in values.index
    }
    bands = result._ordered(bands)  # command-line order: each scenario keeps its colour and marker in every figure
    bands["label"] = [labels[(s, p)] for s, p in zip(bands["scenario"], bands["point"], strict=True)]
    fig = plots.timeseries_bands(bands, BAND_COLUMNS, title)
    return [f"![time series]({_save(fig, figures / 'timeseries.png')})", ""]


def _compare_section(result, ci, kpis, figures, plots, hours=None) -> list[str]:  # noqa: ANN001
    table = ci_wide(ci, kpis)
    table.insert(0, "better", [{True: "↑", False: "↓", None: ""}[better_direction(k)] for k in table.index])
    table.insert(1, "unit", [plots.kpi_unit(k, hours) for k in table.index])
    lines = ["## KPIs (mean ± 95% CI half-width)", "", markdown(table, "KPI"), ""]
    if len(result.scenarios) > 1:
        paired = result.paired(kpis=kpis)
        write_text_atomic(result.root / "paired.csv", paired.to_csv(index=False))
        cells = paired.assign(cell=[paired_cell(r, better_direction(r.kpi)) for _, r in paired.iterrows()])
        wide = cells.pivot(index="kpi", columns="scenario", values="cell").reindex(kpis)
        wide.columns = [f"{c} − {result.baseline}" for c in wide.columns]
        lines += [
            f"## Paired differences vs {result.baseline} (same seeds; 95% CI)",
            "",
            "A verdict appears only when the interval excludes zero.",
            "",
            markdown(wide, "KPI"),
            "",
        ]
    lines += ["## Figures", ""]
    fig = plots.kpi_bars(ci, kpis, "Headline KPIs by scenario (mean, 95% CI across replicates)", hours)
    lines += [f"![KPI bars]({_save(fig, figures / 'kpi_bars.png')})", ""]
    lines += _bands_figure(result, figures, plots, "Daily mean across replicates with 95% band")
    if len(result.scenarios) > 1:
        scores = radar_scores(ci, kpis)
        fig = plots.overview_radar(scores, "Org models at a glance (per KPI: 1 = best of those compared)")
        lines += [f"![overview]({_save(fig, figures / 'overview.png')})", ""]
    lines += _wait_section(result, figures, plots)
    return lines


WAIT_LABELS = {"detection": "detection", "handoff": "hand-offs", "off_duty": "off duty", "queue": "queue"}


def _wait_section(result: BatchResult, figures: Path, plots: object) -> list[str]:
    """Where the time of a first response goes, per scenario: a table and a stacked bar."""
    columns = {f"first_response_{part}_h": WAIT_LABELS[part] for part in WAIT_PARTS}
    if not set(columns) <= set(result.summary):
        return []  # a batch written before these KPIs existed
    ok = result.summary[result.summary["status"] == "ok"]
    means = ok.groupby("scenario", sort=False)[list(columns)].mean().rename(columns=columns)
    means = means.reindex([s for s in result.scenarios if s in means.index])
    table = means.map(lambda v: "-" if pd.isna(v) else f"{v:.2f}")
    table["first response (h)"] = means.sum(axis=1, min_count=1).map(lambda v: "-" if pd.isna(v) else f"{v:.2f}")
    fig = plots.wait_parts(means, "Where the time of a first response goes (mean hours, answered inquiries)")
    return [
        "## Where the time goes",
        "",
        "Mean hours of each part of a first response, over the answered inquiries and the replicates: detection "
        "(listening latency), hand-offs to the owner, the owner's off-duty hours while it waited, and the queue "
        "(waiting for a free server). More staff shortens only the queue; round-the-clock staffing only the "
        "off-duty part; fewer hand-offs (a tool, a hub, owners who listen) only the hand-off part.",
        "",
        markdown(table.T, "part"),
        "",
        f"![where the time goes]({_save(fig, figures / 'wait_parts.png')})",
        "",
    ]


def _sweep_section(result, ci, figures, plots, hours=None) -> list[str]:  # noqa: ANN001
    kpis = [k for k in SWEEP_KPIS if k in set(ci["kpi"])]
    shown = ci[ci["kpi"].isin(kpis)]
    lines = [f"## Sweep over {', '.join(result.params)} (mean ± 95% CI half-width)", ""]
    rows = shown.assign(cell=shown.apply(ci_cell, axis=1)).pivot_table(
        index=["scenario", *result.params], columns="kpi", values="cell", aggfunc="first", sort=False
    )
    rows = rows.reindex(columns=kpis)
    rows.index = [" ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in rows.index]
    lines += [
        markdown(rows, "scenario " + " ".join(p.split(".")[-1] for p in result.params)),
        "",
        "Every KPI is in ci.csv.",
        "",
        "## Figures",
        "",
    ]
    for param in result.params:
        marginal = ci if len(result.params) == 1 else _marginal(result, param, kpis)
        name = "silo_sweep" if param == "organization.silo_strength" else f"sweep_{param.split('.')[-1]}"
        note = "" if len(result.params) == 1 else " (averaged over the other swept parameters)"
        fig = plots.sweep_curves(marginal, param, kpis, f"KPIs against {param}{note}: mean, 95% CI", hours)
        lines += [f"![{name}]({_save(fig, figures / f'{name}.png')})", ""]
    lines += _bands_figure(result, figures, plots, "Daily mean across replicates with 95% band")
    return lines


def _marginal(result: BatchResult, param: str, kpis: Sequence[str]) -> pd.DataFrame:
    from simulation.studies.batch import stats

    return stats.ci_table(result.summary, kpis, ["scenario", param])


def _sobol_section(result, root, figures, plots) -> list[str]:  # noqa: ANN001
    path = root / "sobol.csv"
    indices = pd.read_csv(path) if path.is_file() else result.sobol()
    kpis = list(dict.fromkeys(indices["kpi"]))
    lines = [
        f"## Sobol sensitivity (n = {result.design.get('n')}, {result.design.get('points')} points; "
        "index ± 95% CI half-width)",
        "",
    ]
    for scenario, frame in indices.groupby("scenario", sort=False):
        table = (
            frame.assign(cell=[f"{_pm(r.S1, r.S1_conf)} / {_pm(r.ST, r.ST_conf)}" for r in frame.itertuples()])
            .pivot(index="kpi", columns="parameter", values="cell")
            .reindex(index=kpis, columns=list(dict.fromkeys(frame["parameter"])))
        )
        lines += [f"### {scenario}: first-order S1 / total ST", "", markdown(table, "KPI"), ""]
        fig = plots.sobol_bars(frame, kpis, f"Sobol indices of {scenario} (95% bootstrap CI)")
        lines += [f"![sobol]({_save(fig, figures / f'sobol_{scenario}.png')})", ""]
    return lines


def _pm(value: float, half_width: float) -> str:
    """A value with its 95% CI half-width."""
    return f"{format_value(value)} ± {format_value(half_width)}"
