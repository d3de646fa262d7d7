"""Designs over parameter ranges (Latin hypercube, Sobol/Saltelli) and Sobol indices (SALib).

Ranges are declared as data (``{"organization.silo_strength": (0.0, 1.0)}``); a design
is a list of points for :func:`simulation.studies.batch.plan.expand`, so sampled runs go through
the same executors, store and resume as any batch.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulation.studies.batch.plan import rows_to_points


def problem(ranges: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """SALib's problem definition for parameter ranges."""
    return {"num_vars": len(ranges), "names": list(ranges), "bounds": [list(map(float, b)) for b in ranges.values()]}


def lhs_points(ranges: Mapping[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` Latin-hypercube points over the ranges (integer keys rounded)."""
    from SALib.sample import latin

    rows = latin.sample(problem(ranges), n, seed=seed % 2**32)
    return rows_to_points(list(ranges), rows)


def sobol_points(ranges: Mapping[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, Any]]:
    """Saltelli's scheme on a scrambled Sobol sequence: ``n x (D + 2)`` points (``n`` a power of 2)."""
    from SALib.sample import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns when n is not a power of 2; the CLI checks that
        rows = sobol.sample(problem(ranges), n, calc_second_order=False, seed=seed % 2**32)
    return rows_to_points(list(ranges), rows)


def sobol_indices(
    ranges: Mapping[str, tuple[float, float]],
    outputs: pd.DataFrame,
    kpis: Sequence[str],
    seed: int,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """First-order and total Sobol indices with bootstrap confidence half-widths, per KPI.

    Args:
        ranges: the ranges the points were drawn from (same order as :func:`sobol_points`).
        outputs: one row per point, in point order, with a column per KPI (replicates averaged).
        kpis: the KPIs to analyse; a KPI with a missing value at any point gets NaN indices.
        seed: seed of the bootstrap.
        confidence: level of the intervals.

    Returns:
        Columns ``kpi, parameter, S1, S1_conf, ST, ST_conf`` (``*_conf`` = interval half-width).
    """
    from SALib.analyze import sobol

    spec = problem(ranges)
    rows = []
    for kpi in kpis:
        y = pd.to_numeric(outputs[kpi], errors="coerce").to_numpy(dtype=float)
        if np.isfinite(y).all() and np.ptp(y) > 0:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = sobol.analyze(spec, y, calc_second_order=False, conf_level=confidence, seed=seed % 2**32)
            values = {k: np.asarray(result[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:  # constant or partly missing output: indices undefined
            values = {k: np.full(spec["num_vars"], np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        for i, name in enumerate(spec["names"]):
            rows.append({"kpi": kpi, "parameter": name, **{k: float(v[i]) for k, v in values.items()}})
    return pd.DataFrame(rows, columns=["kpi", "parameter", "S1", "S1_conf", "ST", "ST_conf"])
