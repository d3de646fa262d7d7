"""What a run returns: time series, summary, inquiry log and the run's identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from simulation.outputs.kpis import add_user_kpis, summarize
from simulation.scenario.config import Config
from simulation.versions import package_versions

if TYPE_CHECKING:
    from simulation.core.engine import VectorEngine


@dataclass
class RunResult:
    """One run of one scenario.

    Attributes:
        config: the validated scenario that ran.
        seed: the run's root seed.
        timeseries: one row per step (``step``, ``hours``, then every per-step metric).
        summary: KPI name -> value (see :data:`simulation.outputs.kpis.SUMMARY`).
        inquiries: one row per inquiry (who, what, detector, owner, hand-off, times, outcome).
        meta: engine, versions, wall time.
    """

    config: Config
    seed: int
    timeseries: pd.DataFrame
    summary: dict[str, float]
    inquiries: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"RunResult(scenario={self.config.name!r}, model={self.config.organization.model!r}, "
            f"seed={self.seed}, steps={len(self.timeseries)}, kpis={len(self.summary)})"
        )


def result_of(engine: VectorEngine, wall_seconds: float = float("nan")) -> RunResult:
    """Package what an engine has simulated so far as a :class:`RunResult` (KPIs computed here)."""
    records = engine.records
    # column by column (the frame DataFrame.from_records builds, a few times faster over thousands of steps)
    timeseries = pd.DataFrame({k: [r[k] for r in records] for k in records[0]}) if records else pd.DataFrame()
    inquiries = engine.inquiry_log()
    summary = summarize(timeseries, inquiries, engine.end_stocks())
    meta = {
        "engine": engine.name,
        "versions": package_versions(),
        "wall_seconds": wall_seconds,
        "steps": engine.steps_done,
    }
    result = RunResult(engine.config, engine.seed, timeseries, summary, inquiries, meta)
    add_user_kpis(result)
    return result
