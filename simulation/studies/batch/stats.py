"""Uncertainty across replicates: means with Student-t intervals, and paired differences.

Everything builds on :func:`mean_ci`, the one t-interval formula (the notebooks use it too). Only
successful runs count; a KPI that is NaN in a run (e.g. crisis containment without a
crisis) leaves that run out of that KPI's ``n``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and its Student-t confidence interval ``(mean, low, high)``; NaN-safe, (m, m, m) for one value."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return (math.nan, math.nan, math.nan)
    m = float(x.mean())
    if len(x) < 2 or float(x.std()) == 0.0:
        return (m, m, m)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return (m, m - half, m + half)


def ok_runs(summary: pd.DataFrame) -> pd.DataFrame:
    """The successful runs of a batch summary."""
    return summary[summary["status"] == "ok"] if "status" in summary else summary


def ci_table(
    summary: pd.DataFrame, kpis: Sequence[str], by: Sequence[str] = ("scenario",), confidence: float = 0.95
) -> pd.DataFrame:
    """Mean and confidence interval of every KPI per group, one row per (group, KPI).

    Returns:
        Columns ``*by, kpi, n, mean, low, high, half_width``; groups in order of appearance.
    """
    rows = []
    for key, frame in ok_runs(summary).groupby(list(by), sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for kpi in kpis:
            values = pd.to_numeric(frame[kpi], errors="coerce").to_numpy(dtype=float)
            mean, low, high = mean_ci(values, confidence)
            rows.append(
                {
                    **dict(zip(by, key, strict=True)),
                    "kpi": kpi,
                    "n": int(np.isfinite(values).sum()),
                    "mean": mean,
                    "low": low,
                    "high": high,
                    "half_width": (high - low) / 2,
                }
            )
    return pd.DataFrame(rows, columns=[*by, "kpi", "n", "mean", "low", "high", "half_width"])


def paired_differences(
    summary: pd.DataFrame, baseline: str, kpis: Sequence[str], confidence: float = 0.95
) -> pd.DataFrame:
    """Each scenario minus ``baseline`` at the same parameter point and replicate (same seed).

    Pairing on the common seed cancels the company-and-customers noise both runs share, so
    the interval is much narrower than that of a difference of two independent means.

    Returns:
        Columns ``scenario, point, kpi, n, baseline_mean, difference, low, high``.
    """
    runs = ok_runs(summary)
    if baseline not in set(runs["scenario"]):
        raise ValueError(
            f"--baseline: no finished runs of {baseline!r} (scenarios: "
            f"{', '.join(map(str, summary['scenario'].unique()))})"
        )
    index = ["point", "replicate"]
    base = runs[runs["scenario"] == baseline].set_index(index)
    rows = []
    for (scenario, point), frame in runs.groupby(["scenario", "point"], sort=False):
        if scenario == baseline:
            continue
        mine = frame.set_index(index)
        common = mine.index.intersection(base.index)
        for kpi in kpis:
            a = pd.to_numeric(mine.loc[common, kpi], errors="coerce").to_numpy(dtype=float)
            b = pd.to_numeric(base.loc[common, kpi], errors="coerce").to_numpy(dtype=float)
            diff, low, high = mean_ci(a - b, confidence)
            base_values = b[np.isfinite(b)]
            rows.append(
                {
                    "scenario": scenario,
                    "point": point,
                    "kpi": kpi,
                    "n": int(np.isfinite(a - b).sum()),
                    "baseline_mean": float(base_values.mean()) if len(base_values) else np.nan,
                    "difference": diff,
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "point", "kpi", "n", "baseline_mean", "difference", "low", "high"])


def band(values: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and t-interval across replicates (rows) for every column (e.g. every day)."""
    stats = np.array([mean_ci(column, confidence) for column in np.asarray(values, dtype=float).T])
    if stats.size == 0:
        empty = np.empty(0)
        return empty, empty, empty
    return stats[:, 0], stats[:, 1], stats[:, 2]
