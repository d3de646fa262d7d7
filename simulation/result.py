"""What a run returns: time series, summary, inquiry log and the run's identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simulation.config import Config


@dataclass
class RunResult:
    """One run of one scenario.

    Attributes:
        config: the validated scenario that ran.
        seed: the run's root seed.
        timeseries: one row per step (``step``, ``hours``, then every per-step metric).
        summary: KPI name -> value (see :data:`simulation.kpis.SUMMARY`).
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
