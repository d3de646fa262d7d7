"""Figures of a batch, from its tidy tables (no file reading, no statistics).

Every figure is titled, has axis labels with units, and tells scenarios apart by hatching,
markers and line styles as well as colour, so it reads in grayscale. Each function returns
a ``matplotlib.figure.Figure`` built without pyplot (no global backend or state is touched,
so a notebook's backend is left alone); :mod:`simulation.outputs.report` saves them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Okabe-Ito colours (colour-blind safe), each paired with a hatch, marker and line style.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 3)))

LABELS = {
    "first_response_median_min": "median first response (min)",
    "share_of_voice": "share of voice (0-1)",
    "sentiment_mean": "mean sentiment (-1 to 1)",
    "churn_rate": "customers churned (share, 0-1)",
}

SIGNED = ("sentiment_mean", "silo_index", "net_value", "net_share_of_voice")  # the metrics that can be below zero


def non_negative(name: str) -> bool:
    """Whether a KPI or time-series column is a count, share, time or cost (never below 0)."""
    from simulation.outputs.kpis import FLOWS, SUMMARY

    return name not in SIGNED and (name in SUMMARY or name in FLOWS or name in LABELS)


def style(i: int) -> dict[str, object]:
    """Colour, hatch, marker and line style of the ``i``-th scenario."""
    return {
        "color": COLOURS[i % len(COLOURS)],
        "hatch": HATCHES[i % len(HATCHES)],
        "marker": MARKERS[i % len(MARKERS)],
        "linestyle": LINES[i % len(LINES)],
    }


def kpi_unit(name: str, hours: float | None = None) -> str:
    """The unit of a KPI, read from its name's suffix; money in its currency per the run's ``hours``."""
    from simulation.outputs.kpis import money_unit

    money = money_unit(name, hours)
    if money:
        return money
    if name.endswith("_min"):
        return "minutes"
    if name.endswith("_h"):
        return "hours"
    if name.endswith("_pct"):
        return "%"
    if name.endswith(("_share", "_rate", "share_of_voice", "consistency", "participation")):
        return "share (0-1)"
    if name == "sentiment_mean":
        return "sentiment (-1 to 1)"
    if name in ("silo_index",):
        return "index (-1 to 1)"
    if name.endswith("_mean"):
        return "mean level"
    return "count"


def _dress(ax, title: str, xlabel: str, ylabel: str, metric: str, grid: str = "both") -> None:
    """Title, axis labels and grid of a panel; a non-negative metric's axis stops at 0.

    An interval of a mean (or an error bar) may dip below a physical bound; the axis does
    not, but it is not stretched down to 0 when the data sit well above it.
    """
    ax.set_title(title, fontsize=10)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=8)
    ax.grid(axis=grid, alpha=0.3)
    low, high = ax.get_ylim()
    if non_negative(metric) and low < 0 < high:
        ax.set_ylim(bottom=0)


def _finish(fig: Figure, title: str) -> Figure:
    fig.suptitle(title, fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def _grid(n: int, ncols: int = 3, size: tuple[float, float] = (4.2, 3.0)) -> tuple[Figure, np.ndarray]:
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def kpi_bars(ci: pd.DataFrame, kpis: Sequence[str], title: str, hours: float | None = None) -> Figure:
    """One panel per KPI: a bar per scenario at its mean, error bars at the 95% interval."""
    scenarios = list(dict.fromkeys(ci["scenario"]))
    fig, axes = _grid(len(kpis), ncols=4, size=(3.6, 3.0))
    for ax, kpi in zip(axes, kpis, strict=False):
        rows = ci[ci["kpi"] == kpi].set_index("scenario").reindex(scenarios)
        x = np.arange(len(scenarios))
        means = rows["mean"].to_numpy(dtype=float)
        err = np.vstack([means - rows["low"].to_numpy(dtype=float), rows["high"].to_numpy(dtype=float) - means])
        for i in range(len(scenarios)):
            s = style(i)
            ax.bar(x[i], means[i], color=s["color"], alpha=0.55, hatch=s["hatch"], edgecolor="black", linewidth=0.8)
        ax.errorbar(x, means, yerr=np.nan_to_num(err), fmt="none", ecolor="black", capsize=4, linewidth=1.2)
        _dress(ax, kpi, "", kpi_unit(kpi, hours), kpi, grid="y")
        ax.set_xticks(x, [s.replace("_", "\n") for s in scenarios], fontsize=7)
    return _finish(fig, title)


def wait_parts(means: pd.DataFrame, title: str) -> Figure:
    """Where the time of a first response goes: a stacked bar per scenario of its parts' mean hours.

    ``means``: one row per scenario, one column per part (detection, hand-offs, off duty,
    queue), in hours; the bar's length is the mean first response.
    """
    fig, axes = _grid(1, ncols=1, size=(8.0, 0.7 * len(means) + 1.6))
    ax = axes[0]
    left = np.zeros(len(means))
    y = np.arange(len(means))
    for i, part in enumerate(means.columns):
        values = np.nan_to_num(means[part].to_numpy(dtype=float))
        s = style(i)
        ax.barh(y, values, left=left, color=s["color"], hatch=s["hatch"], alpha=0.6, edgecolor="black",
                linewidth=0.8, label=part)  # fmt: skip
        left += values
    ax.set_yticks(y, list(means.index), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("mean hours to first response (answered inquiries)")
    ax.legend(fontsize=8, ncols=len(means.columns), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, title)


def timeseries_bands(bands: pd.DataFrame, columns: Sequence[str], title: str) -> Figure:
    """One panel per metric: daily mean per group (line style + markers) and its 95% band."""
    groups = list(dict.fromkeys(bands["label"]))
    fig, axes = _grid(len(columns), ncols=2, size=(6.0, 3.6))
    for ax, column in zip(axes, columns, strict=False):
        for i, label in enumerate(groups):
            rows = bands[(bands["label"] == label) & (bands["column"] == column)]
            s = style(i)
            every = max(1, len(rows) // 10)
            ax.plot(
                rows["day"],
                rows["mean"],
                color=s["color"],
                linestyle=s["linestyle"],
                marker=s["marker"],
                markevery=every,
                markersize=5,
                label=label,
                linewidth=1.6,
            )
            ax.fill_between(rows["day"], rows["low"], rows["high"], color=s["color"], alpha=0.18, linewidth=0)
        label = LABELS.get(column, column)
        _dress(ax, label, "day of the simulation", label, column)
    axes[0].legend(fontsize=8, title="mean, 95% band", title_fontsize=8)
    return _finish(fig, title)


def sweep_curves(ci: pd.DataFrame, param: str, kpis: Sequence[str], title: str, hours: float | None = None) -> Figure:
    """KPI against one swept parameter: mean and 95% interval, a line per scenario."""
    scenarios = list(dict.fromkeys(ci["scenario"]))
    fig, axes = _grid(len(kpis), ncols=3, size=(4.2, 3.2))
    for ax, kpi in zip(axes, kpis, strict=False):
        for i, scenario in enumerate(scenarios):
            rows = ci[(ci["kpi"] == kpi) & (ci["scenario"] == scenario)].sort_values(param)
            x = pd.to_numeric(rows[param], errors="coerce").to_numpy(dtype=float)
            mean = rows["mean"].to_numpy(dtype=float)
            err = np.vstack([mean - rows["low"].to_numpy(dtype=float), rows["high"].to_numpy(dtype=float) - mean])
            s = style(i)
            ax.errorbar(
                x,
                mean,
                yerr=np.nan_to_num(err),
                color=s["color"],
                linestyle=s["linestyle"],
                marker=s["marker"],
                capsize=3,
                markersize=5,
                label=scenario,
                linewidth=1.4,
            )
        _dress(ax, kpi, param, kpi_unit(kpi, hours), kpi)
    axes[0].legend(fontsize=8)
    return _finish(fig, title)


def sample_scatter(
    summary: pd.DataFrame, param: str, kpis: Sequence[str], title: str, hours: float | None = None
) -> Figure:
    """KPI against one sampled parameter (one marker per run and scenario)."""
    scenarios = list(dict.fromkeys(summary["scenario"]))
    fig, axes = _grid(len(kpis), ncols=3, size=(4.2, 3.2))
    for ax, kpi in zip(axes, kpis, strict=False):
        for i, scenario in enumerate(scenarios):
            rows = summary[summary["scenario"] == scenario]
            s = style(i)
            ax.scatter(
                rows[param],
                rows[kpi],
                color=s["color"],
                marker=s["marker"],
                s=18,
                alpha=0.7,
                label=scenario,
                edgecolors="black",
                linewidths=0.3,
            )
        _dress(ax, kpi, param, kpi_unit(kpi, hours), kpi)
    axes[0].legend(fontsize=8)
    return _finish(fig, title)


def overview_radar(scores: pd.DataFrame, title: str) -> Figure:
    """A radar of scores in [0, 1] (1 = best of the compared) per scenario (rows) and KPI (columns)."""
    from matplotlib.figure import Figure

    kpis = list(scores.columns)
    angles = np.linspace(0, 2 * np.pi, len(kpis), endpoint=False)
    fig = Figure(figsize=(9.0, 9.0))
    ax = fig.add_subplot(projection="polar")
    closed = np.append(angles, angles[0])
    for i, (scenario, row) in enumerate(scores.iterrows()):
        values = np.nan_to_num(row.to_numpy(dtype=float), nan=0.5)
        s = style(i)
        ax.plot(
            closed,
            np.append(values, values[0]),
            color=s["color"],
            linestyle=s["linestyle"],
            marker=s["marker"],
            linewidth=1.8,
            markersize=6,
            label=str(scenario),
        )
        ax.fill(closed, np.append(values, values[0]), color=s["color"], alpha=0.07)
    ax.set_xticks(angles, [k.replace("_", "\n", 1) if len(k) > 14 else k for k in kpis], fontsize=8)
    ax.tick_params(axis="x", pad=12)
    ax.set_ylim(0, 1)
    ax.set_yticks([0.25, 0.5, 0.75, 1.0], ["0.25", "0.5", "0.75", "1 = best"], fontsize=7)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(3, len(scores)), fontsize=9)
    ax.set_title(title, fontsize=12, pad=30)
    fig.subplots_adjust(left=0.14, right=0.86, top=0.86, bottom=0.16)
    return fig


def sobol_bars(indices: pd.DataFrame, kpis: Sequence[str], title: str) -> Figure:
    """First-order (S1) and total (ST) Sobol index per parameter, one panel per KPI, with 95% intervals."""
    params = list(dict.fromkeys(indices["parameter"]))
    fig, axes = _grid(len(kpis), ncols=3, size=(4.4, 3.2))
    width = 0.38
    for ax, kpi in zip(axes, kpis, strict=False):
        rows = indices[indices["kpi"] == kpi].set_index("parameter").reindex(params)
        x = np.arange(len(params))
        if rows[["S1", "ST"]].isna().all(axis=None):
            ax.text(
                0.5,
                0.5,
                "undefined\n(output constant or missing)",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=9,
            )
        for j, (index, hatch, colour) in enumerate((("S1", "//", COLOURS[0]), ("ST", "..", COLOURS[1]))):
            ax.bar(
                x + (j - 0.5) * width,
                rows[index],
                width,
                yerr=np.nan_to_num(rows[f"{index}_conf"]),
                color=colour,
                alpha=0.6,
                hatch=hatch,
                edgecolor="black",
                capsize=3,
                label="first-order S1" if index == "S1" else "total ST",
            )
        _dress(ax, kpi, "", "Sobol index (share of variance)", "", grid="y")  # estimates can dip below 0
        ax.set_xticks(x, [p.split(".")[-1] for p in params], fontsize=7, rotation=20)
        ax.axhline(0, color="black", linewidth=0.6)
    axes[0].legend(fontsize=8)
    return _finish(fig, title)


def waterfall(table: pd.DataFrame, kpis: Sequence[str], title: str, hours: float | None = None) -> Figure:
    """One panel per KPI: the start, each lever's contribution, the interaction, the end.

    ``table`` is a lever ladder's tidy table (:mod:`simulation.studies.ladder`). A contribution that
    improves the KPI (by its better direction) is a plain green bar, one that worsens it a
    hatched orange bar (blue dotted where the KPI has no better direction); the start and end
    bars are grey with their 95% intervals, each contribution has its paired 95% interval.
    """
    from simulation.outputs.kpis import all_kpis

    known = all_kpis()
    fig, axes = _grid(len(kpis), ncols=2, size=(6.0, 3.6))
    for ax, kpi in zip(axes, kpis, strict=False):
        rows = table[table.kpi == kpi].reset_index(drop=True)
        level = 0.0
        labels = []
        for i, row in rows.iterrows():
            if row.step in ("start", "end"):
                ax.bar(i, row.value, color="#999999", edgecolor="black", linewidth=0.6)
                ax.errorbar(i, row.value, yerr=[[row.value - row.value_low], [row.value_high - row.value]],
                            color="black", capsize=3, linewidth=0.8)  # fmt: skip
                level = row.value
            else:
                better = known[kpi].higher_is_better if kpi in known else None
                colour, hatch = (COLOURS[5], "..") if better is None else (
                    (COLOURS[2], "") if (row.contribution >= 0) == better else (COLOURS[1], "//")
                )  # fmt: skip
                ax.bar(i, row.contribution, bottom=level, color=colour, hatch=hatch, edgecolor="black", linewidth=0.6)
                top = level + row.contribution
                ax.errorbar(i, top, yerr=[[row.contribution - row.contribution_low],
                                          [row.contribution_high - row.contribution]],
                            color="black", capsize=3, linewidth=0.8)  # fmt: skip
                level = top
            labels.append(str(row.step))
        ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right", fontsize=7)
        _dress(ax, LABELS.get(kpi, kpi), "", kpi_unit(kpi, hours), kpi, grid="y")
    return _finish(fig, title)
