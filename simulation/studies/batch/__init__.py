"""Batches for strategists: many scenarios x parameter values x replicates, in parallel.

Three entry points, each ``(configs, ...) -> BatchResult``:

- :func:`compare`: every scenario over the same replicate seeds (common random numbers);
- :func:`sweep`: a grid (or a Latin hypercube) over dotted config keys;
- :func:`sensitivity`: a Sobol/Saltelli design and its first-order and total indices.

With ``out=DIR`` results are saved as runs finish and a repeated call resumes (see
:mod:`simulation.studies.batch.store`); the CLI commands (``silosim compare`` ...) are thin shells
over these functions. Workers are spawned processes: presets, interventions and KPIs
registered in a notebook exist only with ``workers=1``. A local pool that finished a batch
stays warm for the next batch of as many workers (five minutes idle, or until
:func:`shutdown_workers`), unless the package source, working directory or environment changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import ScenarioError
from simulation.scenario.config import Config
from simulation.studies.batch.executors import shutdown_workers
from simulation.studies.batch.plan import (
    MAX_POINTS,
    Plan,
    RunSpec,
    expand,
    grid_points,
    name_configs,
    parse_grid_param,
    parse_range_param,
)
from simulation.studies.batch.results import BatchResult
from simulation.studies.batch.runner import RunOptions, run_plan

Configs = Sequence[Config] | Mapping[str, Config]

__all__ = [
    "BatchResult",
    "Plan",
    "RunOptions",
    "RunSpec",
    "check_kpis",
    "compare",
    "expand",
    "grid_points",
    "parse_grid_param",
    "parse_range_param",
    "run_plan",
    "sensitivity",
    "shutdown_workers",
    "sweep",
]


def _options(workers: int | None, options: RunOptions | None) -> RunOptions:
    options = options or RunOptions()
    if workers is not None:
        from dataclasses import replace

        options = replace(options, workers=workers)
    return options


def _root_seed(named: Mapping[str, Config], seed: int | None) -> int:
    """``seed``, else the first scenario's ``[simulation] seed`` (``named`` from :func:`name_configs`)."""
    from simulation.scenario.limits import check_seed

    return check_seed(seed) if seed is not None else next(iter(named.values())).simulation.seed


def _check_size(named: Mapping[str, Config], points: int, replicates: int, options: RunOptions, option: str) -> None:
    """Refuse a batch too big for this machine before it is planned (from the costliest scenario's estimate)."""
    from simulation.scenario.limits import check_count, check_study, estimate

    replicates = check_count(replicates, "--replicates")
    if replicates > points:
        option = "--replicates"
    one = max((estimate(c) for c in named.values()), key=lambda e: e.seconds)
    runs = len(named) * points * replicates
    check_study(one, runs, options.workers, option, check_memory=options.scheduler is None)


def check_kpis(kpis: Sequence[str] | None) -> list[str] | None:
    """Reject unknown KPI names (one line naming the first)."""
    from simulation.outputs.kpis import all_kpis

    known = all_kpis()
    for name in kpis or ():
        if name not in known:
            raise ScenarioError(f"--kpi {name}: unknown KPI (see simulation.outputs.kpis.SUMMARY)")
    return list(kpis) if kpis else None


def compare(
    configs: Configs,
    replicates: int = 5,
    seed: int | None = None,
    *,
    workers: int | None = None,
    out: str | Path | None = None,
    baseline: str | None = None,
    options: RunOptions | None = None,
    uncertainty: str | Path | pd.DataFrame | None = None,
    draws: int | None = None,
) -> BatchResult:
    """Run every scenario ``replicates`` times on common seeds; ``baseline`` anchors paired differences.

    With ``uncertainty`` (a prior TOML, a calibration's ``posterior.csv``, or a DataFrame of
    draws), every parameter draw is applied to every scenario, each on the same replicate seeds;
    ``draws`` rows are sampled from a file (default 20, seeded by ``seed``). With ``out``, the
    report adds ``prob_better.csv`` and the share of variance from parameters vs seeds.
    """
    named = name_configs(configs)
    if baseline is not None and baseline not in named:
        raise ScenarioError(f"--baseline {baseline}: not one of the scenarios ({', '.join(named)})")
    seed = _root_seed(named, seed)
    design: dict[str, Any] = {"sampler": "grid", "baseline": baseline or next(iter(named))}
    points: list[dict[str, Any]] = [{}]
    options = _options(workers, options)
    if uncertainty is not None:
        from simulation.scenario.limits import check_count
        from simulation.scenario.priors import DEFAULT_DRAWS, load_draws
        from simulation.studies.batch.plan import draw_points

        planned = len(uncertainty) if isinstance(uncertainty, pd.DataFrame) else DEFAULT_DRAWS
        planned = planned if draws is None else min(planned, check_count(draws, "--draws"))
        if not isinstance(uncertainty, pd.DataFrame) and draws is not None:
            planned = draws
        _check_size(named, planned, replicates, options, "--draws")  # before the draws are sampled
        if isinstance(uncertainty, pd.DataFrame):
            frame = uncertainty if draws is None else uncertainty.iloc[:draws]
            source = "(draws given in Python)"
        else:
            frame = load_draws(uncertainty, DEFAULT_DRAWS if draws is None else draws, seed)
            source = str(uncertainty)
        points = draw_points(frame)
        design.update(sampler="draws", uncertainty=source, draws=len(points))
    _check_size(named, len(points), replicates, options, "--draws")
    plan = expand("compare", named, replicates, seed, points, design=design)
    return run_plan(plan, out, options)


def sweep(
    configs: Configs,
    params: Mapping[str, Sequence[Any]] | None = None,
    replicates: int = 3,
    seed: int | None = None,
    *,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    n: int | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    options: RunOptions | None = None,
) -> BatchResult:
    """A grid over ``params`` (key -> values; several keys make a product), or ``n`` LHS points over ``ranges``."""
    from simulation.studies.batch.sampling import lhs_points

    named = name_configs(configs)
    seed = _root_seed(named, seed)
    if (params is None) == (ranges is None):
        raise ScenarioError("--param: give a grid (key=start:stop:num or key=a,b,c) or ranges with --sample lhs")
    if params is not None:
        if not params:
            raise ScenarioError("--param: at least one parameter to sweep")
        points = grid_points(params)
        design = {"sampler": "grid", "grid": {k: list(v) for k, v in params.items()}}
    else:
        if not ranges or not n or n < 2:
            raise ScenarioError("--n: LHS needs --n of at least 2 and one --param key=low:high")
        if n > MAX_POINTS:
            raise ScenarioError(f"--n {n}: at most {MAX_POINTS} points in a batch")
        points = lhs_points(ranges, n, seed)
        design = {"sampler": "lhs", "ranges": {k: list(v) for k, v in ranges.items()}, "n": n}
    design["baseline"] = next(iter(named))
    options = _options(workers, options)
    _check_size(named, len(points), replicates, options, "--param" if params is not None else "--n")
    plan = expand("sweep", named, replicates, seed, points, design)
    return run_plan(plan, out, options)


def sensitivity(
    configs: Configs,
    ranges: Mapping[str, tuple[float, float]],
    n: int = 64,
    replicates: int = 1,
    seed: int | None = None,
    *,
    kpis: Sequence[str] | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    options: RunOptions | None = None,
) -> BatchResult:
    """Sobol indices of ``kpis`` over ``ranges``: ``n x (D + 2)`` points x ``replicates`` runs.

    With ``out``, the indices are also saved as ``DIR/sobol.csv``.
    """
    from simulation.outputs.kpis import HEADLINE
    from simulation.studies.batch.sampling import sobol_points

    named = name_configs(configs)
    seed = _root_seed(named, seed)
    kpis = check_kpis(kpis) or list(HEADLINE)
    if not ranges:
        raise ScenarioError("--param: at least one key=low:high")
    if n < 2 or n & (n - 1):
        raise ScenarioError(f"--n {n}: Sobol sampling needs a power of 2 (e.g. 64, 128, 256)")
    if n * (len(ranges) + 2) > MAX_POINTS:
        raise ScenarioError(f"--n {n}: {n * (len(ranges) + 2)} points; at most {MAX_POINTS} in a batch")
    points = sobol_points(ranges, n, seed)
    design = {
        "sampler": "sobol",
        "ranges": {k: list(v) for k, v in ranges.items()},
        "n": n,
        "points": len(points),
        "kpis": kpis,
        "seed": seed,
        "baseline": next(iter(named)),
    }
    options = _options(workers, options)
    _check_size(named, len(points), replicates, options, "--n")
    plan = expand("sensitivity", named, replicates, seed, points, design)
    result = run_plan(plan, out, options)
    if result.root is not None:
        from simulation.studies.batch.store import write_text_atomic

        write_text_atomic(result.root / "sobol.csv", result.sobol().to_csv(index=False))
    return result
