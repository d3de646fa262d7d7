"""What a batch returns: the summary table, with uncertainty and time series on demand.

A :class:`BatchResult` is built when a batch finishes, or loaded from its directory
(``BatchResult.load("out/compare")``). Time series stay on disk: :meth:`BatchResult.daily_bands`
streams them one run at a time and keeps only per-day aggregates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.outputs.kpis import HEADLINE
from simulation.studies.batch import stats
from simulation.studies.batch.store import TIMESERIES, load_manifest, load_summary

BAND_COLUMNS = ("first_response_median_min", "share_of_voice", "sentiment_mean", "churn_rate")


@dataclass
class BatchResult:
    """A finished (or partly finished) batch.

    Attributes:
        summary: one row per run: ids, parameter values, ``status``, ``error``, every KPI.
        root: the batch directory (None for a batch kept in memory).
        kind: "compare", "sweep" or "sensitivity".
        params: the dotted config keys varied across points.
        design: how the points were made (sampler, ranges, n) and the baseline scenario.
    """

    summary: pd.DataFrame
    root: Path | None = None
    kind: str = "compare"
    params: list[str] = field(default_factory=list)
    design: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, root: str | Path, manifest: dict[str, Any] | None = None) -> BatchResult:
        """Read a batch directory written by :func:`~simulation.studies.batch.run_plan` (``manifest``: if read)."""
        manifest = load_manifest(Path(root)) if manifest is None else manifest
        return cls(
            load_summary(Path(root)),
            Path(root),
            manifest.get("kind", "compare"),
            list(manifest.get("params", [])),
            dict(manifest.get("design", {})),
        )

    def __repr__(self) -> str:
        counts = self.summary["status"].value_counts().to_dict() if len(self.summary) else {}
        return (
            f"BatchResult(kind={self.kind!r}, scenarios={self.scenarios}, params={self.params}, "
            f"ok={counts.get('ok', 0)}, failed={counts.get('failed', 0)}, root={self.root})"
        )

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in the order given (run-id order if unknown)."""
        present = list(dict.fromkeys(self.summary["scenario"]))
        return [s for s in self.design.get("scenarios", []) if s in present] or present

    def _ordered(self, table: pd.DataFrame) -> pd.DataFrame:
        """Rows in the scenarios' given order (stable within a scenario)."""
        rank = {name: i for i, name in enumerate(self.scenarios)}
        return table.sort_values("scenario", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)

    @property
    def baseline(self) -> str:
        """The scenario others are compared with (``--baseline``, else the first given)."""
        return self.design.get("baseline") or self.scenarios[0]

    @property
    def failures(self) -> pd.DataFrame:
        """The runs that failed, with their error."""
        return self.summary.loc[self.summary["status"] != "ok", ["run_id", "scenario", *self.params, "seed", "error"]]

    def ci(self, kpis: Sequence[str] | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Mean and t-interval per scenario (and parameter values) and KPI; see :func:`stats.ci_table`."""
        by = ["scenario", *self.params] if self.design.get("sampler", "grid") == "grid" else ["scenario"]
        return self._ordered(stats.ci_table(self.summary, list(kpis or HEADLINE), by, confidence))

    def paired(
        self, baseline: str | None = None, kpis: Sequence[str] | None = None, confidence: float = 0.95
    ) -> pd.DataFrame:
        """Paired differences of every scenario vs ``baseline``; see :func:`stats.paired_differences`.

        Under parameter draws (``compare --uncertainty``) the pairs are (draw, replicate), pooled.
        """
        summary = self.summary
        if self.design.get("sampler") == "draws":  # pair on (draw, replicate), pooled over the draws
            pair = summary["point"].astype(str) + ":" + summary["replicate"].astype(str)
            summary = summary.assign(replicate=pair, point=0)
        table = stats.paired_differences(summary, baseline or self.baseline, list(kpis or HEADLINE), confidence)
        return self._ordered(table)

    def sobol(self, kpis: Sequence[str] | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Sobol indices per scenario and KPI (a sensitivity batch; replicates averaged per point)."""
        from simulation.studies.batch.sampling import sobol_indices

        ranges = {k: tuple(v) for k, v in self.design["ranges"].items()}
        kpis = list(kpis or self.design.get("kpis") or HEADLINE)
        frames = []
        for scenario, frame in self.summary.groupby("scenario", sort=False):
            ok = frame.assign(**{k: frame[k].where(frame["status"] == "ok") for k in kpis})
            means = ok.groupby("point")[kpis].mean().reindex(range(int(self.design["points"])))
            indices = sobol_indices(ranges, means, kpis, int(self.design.get("seed", 0)), confidence)
            frames.append(indices.assign(scenario=scenario))
        table = pd.concat(frames, ignore_index=True)
        return table[["scenario", *[c for c in table.columns if c != "scenario"]]]

    def timeseries(self, run_id: str) -> pd.DataFrame:
        """One run's stored time series."""
        if self.root is None:
            raise ValueError("this batch kept no time series (run it with out=DIR)")
        return pd.read_parquet(self.root / TIMESERIES / f"{run_id}.parquet")

    def daily_bands(self, columns: Sequence[str] = BAND_COLUMNS, confidence: float = 0.95) -> pd.DataFrame:
        """Per-day mean and t-interval across replicates, per scenario and point, streamed from disk.

        Hourly records are rolled up to days first (:func:`simulation.outputs.analysis.daily`), so
        only days x columns values per run are ever held.

        Returns:
            Columns ``scenario, point, day, column, mean, low, high, n``.
        """
        import pyarrow.parquet as pq

        from simulation.outputs.analysis import daily

        if self.root is None:
            return pd.DataFrame(columns=["scenario", "point", "day", "column", "mean", "low", "high", "n"])
        frames = []
        ok = stats.ok_runs(self.summary)
        for (scenario, point), group in ok.groupby(["scenario", "point"], sort=False):
            per_run = []
            for run_id in group["run_id"]:
                path = self.root / TIMESERIES / f"{run_id}.parquet"
                if path.is_file():
                    table = pq.read_table(path, columns=["hours", *columns]).to_pandas()
                    per_run.append(daily(table)[list(columns)])
            if not per_run:
                continue
            days = per_run[0].index
            for column in columns:
                values = np.vstack([frame[column].reindex(days).to_numpy(dtype=float) for frame in per_run])
                mean, low, high = stats.band(values, confidence)
                frames.append(
                    pd.DataFrame(
                        {
                            "scenario": scenario,
                            "point": point,
                            "day": days,
                            "column": column,
                            "mean": mean,
                            "low": low,
                            "high": high,
                            "n": len(per_run),
                        }
                    )
                )
        return (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=["scenario", "point", "day", "column", "mean", "low", "high", "n"])
        )
