"""``silosim compare | sweep | sensitivity | report``: a thin shell over :mod:`simulation.studies.batch`.

Every input is checked (scenarios loaded, ``--param`` parsed, every point validated,
the output directory inspected) before the first run starts, so bad input exits 2 with
one line and leaves whatever ``--out`` already holds untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulation.cli.options import (
    REPLICATES,
    CompareReplicatesOpt,
    KpiOpt,
    LadderReplicatesOpt,
    RunArgs,
    ScenariosArg,
    SensitivityReplicatesOpt,
    SweepReplicatesOpt,
    fail,
    guard,
    run_command,
)


def _finish(result, out: Path, kpis: list[str] | None, quiet: bool) -> None:  # noqa: ANN001
    from simulation.outputs.kpis import HEADLINE
    from simulation.outputs.report import ci_text, run_hours, write_report
    from simulation.studies.batch.store import load_manifest

    path = write_report(out, kpis)
    if not quiet and result.kind != "sensitivity" and not result.params:
        typer.echo(ci_text(result.ci(kpis or HEADLINE), kpis or HEADLINE, run_hours(load_manifest(out))))
    failed = len(result.failures)
    if not quiet:
        typer.echo(f"{len(result.summary) - failed} runs ok, {failed} failed; wrote {out}/summary.csv and {path}")
    if failed:
        typer.echo(
            f"silosim: {failed} of {len(result.summary)} runs failed (errors in {out}/summary.csv; "
            "--retry-failed runs them again)",
            err=True,
        )
        raise typer.Exit(1)


def _by_key(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Parsed ``--param`` values by key; a key given twice is refused (one of them would be dropped)."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            fail(f"--param {key}: given twice; give each key once (key=a,b,c for several values)")
        out[key] = value
    return out


@run_command()
def compare(
    scenarios: ScenariosArg,
    replicates: CompareReplicatesOpt = REPLICATES["compare"],
    baseline: Annotated[str | None, typer.Option(help="scenario others are compared with (default: first)")] = None,
    out: Annotated[Path, typer.Option(help="results directory (resumed if it holds this batch)")] = Path("out/compare"),
    kpi: KpiOpt = None,
    uncertainty: Annotated[
        Path | None,
        typer.Option(help="parameter draws: a prior TOML or a calibration's posterior.csv, applied to every scenario"),
    ] = None,
    draws: Annotated[
        int | None, typer.Option(help="parameter draws sampled from --uncertainty (default 20)", min=1)
    ] = None,
    *,
    run: RunArgs,
) -> None:
    """Run every scenario x replicates on common seeds; print KPIs with 95% CIs; write a report."""
    from simulation.studies import batch

    configs = [run.load(path) for path in scenarios]
    kpis = guard(lambda: batch.check_kpis(kpi))
    if draws is not None and uncertainty is None:
        fail("--draws: needs --uncertainty PRIOR.toml or posterior.csv")
    options = run.options()
    result = guard(
        lambda: batch.compare(
            configs,
            replicates,
            run.seed,
            out=out,
            baseline=baseline,
            options=options,
            uncertainty=uncertainty,
            draws=draws,
        )
    )
    _finish(result, out, kpis, run.quiet)
    if uncertainty is not None and not run.quiet:
        typer.echo(f"wrote {out}/prob_better.csv")


@run_command(without=("retry_failed",))
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="scenario file (TOML)", show_default=False)],
    observed: Annotated[Path, typer.Option(help="observed KPIs: TOML with an \\[observed] table")],
    prior: Annotated[Path, typer.Option(help="priors of the parameters to fit: TOML with a \\[prior] table")],
    particles: Annotated[int, typer.Option(help="particles per generation", min=2)] = 100,
    generations: Annotated[
        int, typer.Option(help="ABC-SMC generations in all (a resumed run adds the rest)", min=1)
    ] = 5,
    out: Annotated[Path, typer.Option(help="results directory (resumed if it holds this calibration)")] = Path(
        "out/calibrate"
    ),
    predictive: Annotated[int, typer.Option(help="posterior-predictive runs for the report", min=0)] = 20,
    *,
    run: RunArgs,
) -> None:
    """Fit a prior's parameters to observed KPIs (ABC-SMC); write posterior.csv, calibrated.toml, report.md."""
    config = run.load(scenario)
    if run.executor not in ("local", "dask"):
        fail(f"--executor {run.executor}: expected local or dask")

    def fit_prior():  # noqa: ANN202
        from simulation.scenario.priors import load_prior
        from simulation.studies.calibration import calibrate as fit
        from simulation.studies.calibration import load_observed

        return fit(
            config,
            load_observed(observed),
            load_prior(prior, choice=False),
            particles=particles,
            generations=generations,
            seed=run.seed,
            workers=run.worker_count,
            executor=run.executor,
            scheduler=run.scheduler,
            out=out,
            overwrite=run.overwrite,
            progress=run.progress,
            predictive=predictive,
            scenario_path=scenario,
        )

    result = guard(fit_prior)
    if not run.quiet:
        for key in result.params:
            low, high = result.credible_interval(key, 0.9)
            typer.echo(f"{key}: median {result.quantile(key, 0.5):.4g}, 90% interval [{low:.4g}, {high:.4g}]")
        typer.echo(
            f"{result.runs} model runs, {len(result.generations)} generations; "
            f"wrote {out}/posterior.csv, calibrated.toml, report.md"
        )
    if result.stopped is not None:
        typer.echo(f"silosim: calibration stopped early: {result.stopped}", err=True)
        raise typer.Exit(1)


@run_command()
def sweep(
    scenarios: ScenariosArg,
    param: Annotated[list[str], typer.Option(help="key=start:stop:num or key=a,b,c (grid); key=low:high (lhs)")],
    sample: Annotated[str, typer.Option(help="grid (product of --param) or lhs (Latin hypercube of --n)")] = "grid",
    n: Annotated[int | None, typer.Option("--n", help="LHS points")] = None,
    replicates: SweepReplicatesOpt = REPLICATES["sweep"],
    out: Annotated[Path, typer.Option(help="results directory (resumed if it holds this batch)")] = Path("out/sweep"),
    kpi: KpiOpt = None,
    *,
    run: RunArgs,
) -> None:
    """Sweep config keys over a grid (or a Latin hypercube), replicates at every point; write a report."""
    from simulation.studies import batch

    configs = [run.load(path) for path in scenarios]
    kpis = guard(lambda: batch.check_kpis(kpi))
    options = run.options()
    if sample == "grid":
        grid = _by_key(guard(lambda: [batch.parse_grid_param(p) for p in param]))
        go = lambda: batch.sweep(configs, grid, replicates, run.seed, out=out, options=options)  # noqa: E731
    elif sample == "lhs":
        ranges = _by_key(guard(lambda: [batch.parse_range_param(p) for p in param]))
        if n is None:
            fail("--n: required with --sample lhs")
        go = lambda: batch.sweep(configs, None, replicates, run.seed, ranges=ranges, n=n, out=out, options=options)  # noqa: E731
    else:
        fail(f"--sample {sample}: expected grid or lhs")
    _finish(guard(go), out, kpis, run.quiet)


@run_command()
def sensitivity(
    scenarios: ScenariosArg,
    param: Annotated[list[str], typer.Option(help="key=low:high (repeatable, one per parameter)")],
    n: Annotated[int, typer.Option("--n", help="base sample size, a power of 2; runs = n x (params + 2)")] = 64,
    kpi: KpiOpt = None,
    replicates: SensitivityReplicatesOpt = REPLICATES["sensitivity"],
    out: Annotated[Path, typer.Option(help="results directory (resumed if it holds this batch)")] = Path(
        "out/sensitivity"
    ),
    *,
    run: RunArgs,
) -> None:
    """Sobol sensitivity (first-order and total indices with 95% CIs) of KPIs to parameter ranges."""
    from simulation.studies import batch

    configs = [run.load(path) for path in scenarios]
    kpis = guard(lambda: batch.check_kpis(kpi))
    ranges = _by_key(guard(lambda: [batch.parse_range_param(p) for p in param]))
    options = run.options()
    result = guard(
        lambda: batch.sensitivity(configs, ranges, n, replicates, run.seed, kpis=kpis, out=out, options=options)
    )
    _finish(result, out, kpis, run.quiet)
    if not run.quiet:
        typer.echo(f"wrote {out}/sobol.csv")


@run_command()
def ladder(
    start: Annotated[Path, typer.Argument(help="the design one starts from (TOML)", show_default=False)],
    end: Annotated[Path, typer.Argument(help="the design one considers moving to (TOML)", show_default=False)],
    replicates: LadderReplicatesOpt = REPLICATES["ladder"],
    out: Annotated[Path, typer.Option(help="results directory (resumed if it holds this ladder)")] = Path("out/ladder"),
    kpi: KpiOpt = None,
    *,
    run: RunArgs,
) -> None:
    """Change one lever at a time from START toward END; write what each lever contributes to every KPI gap."""
    from simulation.studies import batch
    from simulation.studies.ladder import END, START, WATERFALL_KPIS
    from simulation.studies.ladder import ladder as run_ladder

    first, second = (run.load(path) for path in (start, end))
    kpis = guard(lambda: batch.check_kpis(kpi))
    options = run.options()
    result = guard(lambda: run_ladder(first, second, replicates, run.seed, kpis=kpis, out=out, options=options))
    if not run.quiet:
        from simulation.outputs.kpis import format_value

        shown = [k for k in (kpis or WATERFALL_KPIS) if k in set(result.table.kpi)]
        typer.echo(f"{'lever':42s}" + "".join(f"{k[:18]:>20s}" for k in shown))
        for step in dict.fromkeys(result.table.step):
            rows = result.table[result.table.step == step].set_index("kpi")
            column = "value" if step in (START, END) else "contribution"
            typer.echo(f"{step[:42]:42s}" + "".join(f"{format_value(rows.loc[k, column]):>20s}" for k in shown))
        typer.echo(f"wrote {out}/ladder.csv and {out}/report.md")
    failed = len(result.batch.failures)
    if failed:
        typer.echo(
            f"silosim: {failed} of {len(result.batch.summary)} runs failed (errors in {out}/summary.csv)", err=True
        )
        raise typer.Exit(1)


def report(
    directory: Annotated[Path, typer.Argument(help="a batch directory (compare, sweep or sensitivity --out)")],
    kpi: KpiOpt = None,
) -> None:
    """Regenerate report.md and its figures from a batch directory's saved results."""
    from simulation.outputs.report import write_report
    from simulation.studies import batch

    kpis = guard(lambda: batch.check_kpis(kpi))
    path = guard(lambda: write_report(directory, kpis))
    typer.echo(f"wrote {path}")
