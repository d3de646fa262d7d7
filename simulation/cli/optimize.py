"""``silosim optimize``: a thin shell over :func:`simulation.optimize`.

The space, objectives, constraints, robust draws and ``--out`` are all checked before the
first trial runs, so bad input exits 2 with one line and leaves ``--out`` untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulation.cli.options import (
    REPLICATES,
    OptimizeReplicatesOpt,
    RunArgs,
    ScenarioArg,
    guard,
    run_command,
)


@run_command(without=("overwrite", "retry_failed"))
def optimize(
    scenario: ScenarioArg,
    space: Annotated[
        Path,
        typer.Option(
            help="TOML file with a \\[space] table: key = { choices = [...] } or "
            "{ range = \\[low, high], log = false, step = ... }"
        ),
    ],
    objective: Annotated[
        list[str], typer.Option(help="KPI[:max|:min] to optimise (repeatable; default direction: the KPI's)")
    ],
    constraint: Annotated[
        list[str] | None, typer.Option(help='KPI<=VALUE or KPI>=VALUE on a trial\'s mean, e.g. "cost_total<=250000"')
    ] = None,
    trials: Annotated[int, typer.Option(help="finished trials the study should hold (resumed ones count)", min=1)] = 40,
    replicates: OptimizeReplicatesOpt = REPLICATES["optimize"],
    batch: Annotated[
        int, typer.Option(help="trials evaluated together (results do not depend on --workers)", min=1)
    ] = 4,
    storage: Annotated[str | None, typer.Option(help="Optuna RDB URL (default: sqlite in --out/study.db)")] = None,
    robust: Annotated[
        Path | None, typer.Option(help="prior TOML or posterior.csv: re-run the Pareto designs under its draws")
    ] = None,
    draws: Annotated[int, typer.Option(help="parameter draws of --robust", min=1)] = 20,
    out: Annotated[Path, typer.Option(help="results directory (resumed if it holds this study)")] = Path(
        "out/optimize"
    ),
    *,
    run: RunArgs,
) -> None:
    """Find the best org designs under constraints: Pareto front, best/*.toml scenarios, report."""
    from simulation.studies.optimizer import optimize as run_optimize

    config = run.load(scenario)
    options = run.options()
    result = guard(
        lambda: run_optimize(
            config,
            space,
            objective,
            constraint or (),
            trials=trials,
            replicates=replicates,
            seed=run.seed,
            batch=batch,
            out=out,
            storage=storage,
            options=options,
            robust=robust,
            draws=draws,
        )
    )
    for note in result.warnings:
        typer.echo(f"silosim: note: {note}", err=True)
    if not run.quiet:
        from simulation.studies.optimizer.outputs import markdown_table

        columns = ["name", *[c for c in result.pareto.columns if c in {*objective_kpis(result)}]]
        if len(result.pareto):
            typer.echo(markdown_table(result.pareto[columns]))
        typer.echo(
            f"{len(result.trials)} trials, {len(result.pareto)} on the Pareto front, {result.runs} runs now; "
            f"wrote {out}/trials.csv, pareto.csv, best/, report.md"
        )


def objective_kpis(result) -> list[str]:  # noqa: ANN001
    """The tracked KPI columns of a result (objectives and constrained KPIs)."""
    return [c[: -len("_lo")] for c in result.trials.columns if c.endswith("_lo")]
