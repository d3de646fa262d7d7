"""Parameter uncertainty in a comparison: probability of being better, and variance from parameters vs seeds.

A comparison ``--uncertainty`` runs every scenario at every parameter draw on the same
replicate seeds. Per draw (a "plausible world") the paired difference to the baseline is
averaged over replicates; :func:`prob_better` is the share of worlds in which a scenario
does better. :func:`variance_shares` splits each KPI's variance across runs into the part
from the parameters (between draws) and the part from the seeds (within a draw).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulation.studies.batch.stats import ok_runs

PROB_COLUMNS = ["scenario", "baseline", "kpi", "better", "draws", "prob_better", "mean_difference"]
SHARE_COLUMNS = ["scenario", "kpi", "range_low", "range_high", "share_params", "share_seeds"]


def _direction(kpi: str) -> bool | None:
    from simulation.outputs.kpis import all_kpis

    known = all_kpis().get(kpi)
    return known.higher_is_better if known is not None else None


def prob_better(summary: pd.DataFrame, baseline: str, kpis: Sequence[str]) -> pd.DataFrame:
    """Per scenario (not the baseline) and KPI: the share of draws in which it beats the baseline.

    "Better" follows the KPI's direction (higher or lower); for a KPI without one it is the
    share of draws in which the scenario is higher. A tie counts half.

    Returns:
        Columns ``scenario, baseline, kpi, better, draws, prob_better, mean_difference``.
    """
    runs = ok_runs(summary)
    index = ["point", "replicate"]
    base = runs[runs["scenario"] == baseline].set_index(index)
    rows = []
    for scenario, frame in runs.groupby("scenario", sort=False):
        if scenario == baseline:
            continue
        mine = frame.set_index(index)
        common = mine.index.intersection(base.index)
        for kpi in kpis:
            diff = pd.to_numeric(mine.loc[common, kpi], errors="coerce") - pd.to_numeric(
                base.loc[common, kpi], errors="coerce"
            )
            per_draw = diff.groupby(level="point").mean().dropna().to_numpy(dtype=float)
            direction = _direction(kpi)
            signed = per_draw if direction in (True, None) else -per_draw
            n = len(signed)
            prob = float((np.sum(signed > 0) + 0.5 * np.sum(signed == 0)) / n) if n else math.nan
            rows.append(
                {
                    "scenario": scenario,
                    "baseline": baseline,
                    "kpi": kpi,
                    "better": {True: "higher", False: "lower", None: "higher"}[direction],
                    "draws": n,
                    "prob_better": prob,
                    "mean_difference": float(per_draw.mean()) if n else math.nan,
                }
            )
    return pd.DataFrame(rows, columns=PROB_COLUMNS)


def variance_shares(summary: pd.DataFrame, kpis: Sequence[str]) -> pd.DataFrame:
    """Per scenario and KPI: the 2.5%-97.5% range across runs and the variance shares of parameters and seeds.

    One-way decomposition over draws: the seed variance is the mean within-draw variance; the
    parameter variance is the variance of the draw means less the seed noise they still carry
    (``within / replicates``), floored at zero. Both shares need at least two replicates (NaN otherwise).
    """
    rows = []
    for scenario, frame in ok_runs(summary).groupby("scenario", sort=False):
        for kpi in kpis:
            values = pd.to_numeric(frame[kpi], errors="coerce")
            finite = values[np.isfinite(values)]
            groups = values.groupby(frame["point"])
            within = groups.var(ddof=1).mean()
            replicates = groups.count().mean()
            between = groups.mean().var(ddof=0)
            share = math.nan
            if len(finite) and np.isfinite(within) and replicates >= 2:
                params = max(0.0, float(between) - float(within) / replicates)
                total = params + float(within)
                share = params / total if total > 0 else math.nan
            low, high = np.quantile(finite, [0.025, 0.975]) if len(finite) else (math.nan, math.nan)
            rows.append(
                {
                    "scenario": scenario,
                    "kpi": kpi,
                    "range_low": float(low),
                    "range_high": float(high),
                    "share_params": share,
                    "share_seeds": 1 - share if math.isfinite(share) else math.nan,
                }
            )
    return pd.DataFrame(rows, columns=SHARE_COLUMNS)


def sentences(prob: pd.DataFrame, shares: pd.DataFrame, draws: int) -> list[str]:
    """The report's words: "X beats Y on KPI in 97% of 20 plausible worlds", and where the spread comes from."""
    lines = []
    for row in prob.itertuples():
        if not math.isfinite(row.prob_better):
            continue
        if row.mean_difference == 0 and row.prob_better == 0.5:
            lines.append(f"- {row.scenario} matches {row.baseline} on {row.kpi} in all {row.draws} plausible worlds.")
            continue
        verb = "beats" if row.prob_better >= 0.5 else "trails"
        share = row.prob_better if row.prob_better >= 0.5 else 1 - row.prob_better
        which = "" if _direction(row.kpi) is not None else " (higher)"
        lines.append(
            f"- {row.scenario} {verb} {row.baseline} on {row.kpi}{which} "
            f"in {share:.0%} of {row.draws} plausible worlds."
        )
    for row in shares.itertuples():
        if math.isfinite(row.share_params):
            lines.append(
                f"- {row.scenario}, {row.kpi}: {row.share_params:.0%} of the variance comes from the parameters, "
                f"{row.share_seeds:.0%} from the seeds."
            )
    return lines
