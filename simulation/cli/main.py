"""The ``silosim`` command line: a thin shell over the Python API.

A wrong scenario or option prints one line naming the key and the reason and exits 2;
outputs are written to a temporary file and moved into place, so nothing already
written is lost or left half-written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

import simulation.cli.app as app_cli
import simulation.cli.batch as batch_cli
import simulation.cli.optimize as optimize_cli
from simulation.cli.options import OneLineErrors, ScenarioArg, SeedOpt, SetOpt, fail, load
from simulation.errors import ScenarioError

app = typer.Typer(
    name="silosim",
    help="Simulate how a company organises its social media work, and what customers get back.",
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RUN_OUTPUTS = ("timeseries.csv", "inquiries.csv", "summary.json")


def kpi_lines(summaries: dict[str, dict[str, float]], names: tuple[str, ...], hours: float | None = None) -> str:
    """KPIs side by side as an aligned text table (one column per scenario); money with its unit."""
    from simulation.outputs.kpis import format_value, kpi_label

    labels = {name: kpi_label(name, hours) for name in names}
    width = max(len(label) for label in labels.values()) + 2
    cols = list(summaries)
    colw = max(12, *(len(c) + 2 for c in cols))
    lines = ["kpi".ljust(width) + "".join(c.rjust(colw) for c in cols)]
    for name in names:
        lines.append(
            labels[name].ljust(width) + "".join(format_value(summaries[c].get(name)).rjust(colw) for c in cols)
        )
    return "\n".join(lines)


def _run_out(out: str | None, overwrite: bool) -> Path | None:
    """Check ``silosim run --out`` before the run: a writable place that holds no earlier results."""
    from simulation.studies.batch.store import MANIFEST, check_writable

    if out is None:
        return None
    if not out.strip():
        fail("--out: empty path (give a directory, e.g. --out out/run1)")
    path = Path(out)
    try:
        check_writable(path)
    except ScenarioError as err:
        fail(str(err))
    held = [name for name in (*RUN_OUTPUTS, MANIFEST) if (path / name).exists()]
    if held and not overwrite:
        fail(f"--out {out}: holds earlier results ({', '.join(held)}); choose another --out or pass --overwrite")
    return path


@app.command()
def run(
    scenario: ScenarioArg,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    out: Annotated[str | None, typer.Option(help="write timeseries.csv, summary.json, inquiries.csv here")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an earlier run's files in --out")] = False,
    engine: Annotated[str | None, typer.Option(help="vectorized or agents")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar or table")] = False,
) -> None:
    """Run one scenario and print its key KPIs."""
    from simulation.api import run as run_scenario
    from simulation.outputs.kpis import HEADLINE
    from simulation.scenario.limits import check_fits
    from simulation.studies.batch.store import dumps_strict, probe_writable, write_files_atomic

    config = load(scenario, set_, engine)
    path = _run_out(out, overwrite)
    try:
        check_fits(config)
        if path is not None:
            probe_writable(path)
        result = run_scenario(config, seed, progress=not quiet and sys.stderr.isatty())
    except ScenarioError as err:  # too big for this machine, or an unwritable --out
        fail(str(err))
    if path is not None:
        payload = {
            "scenario": str(scenario),
            "seed": result.seed,
            "summary": result.summary,
            "config": result.config.model_dump(mode="json"),
            "meta": result.meta,
        }
        files = {
            path / "timeseries.csv": result.timeseries.to_csv(index=False),
            path / "inquiries.csv": result.inquiries.to_csv(index=False),
            path / "summary.json": dumps_strict(payload, indent=2),
        }
        try:
            write_files_atomic(files)
        except OSError as err:
            fail(f"--out {out}: cannot write ({err.strerror or err}); no file in it was changed")
    if not quiet:
        typer.echo(
            f"{config.name} ({config.organization.model}), seed {result.seed}, "
            f"{len(result.timeseries)} steps, {result.meta['wall_seconds']:.1f} s"
        )
        hours = config.simulation.steps * config.simulation.step_hours
        typer.echo(kpi_lines({config.name: result.summary}, HEADLINE, hours))
        if path is not None:
            typer.echo(f"wrote {out}/timeseries.csv, inquiries.csv, summary.json")


@app.command()
def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file (and its input files) as run does, without stepping it; print the run's estimated cost."""
    from simulation.api import check_runnable

    config = load(scenario, set_)
    try:
        cost = check_runnable(config)  # what run refuses: the machine's limits, the company, the social graph
    except (ScenarioError, ValueError) as err:
        fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
    typer.echo(
        f"{scenario}: ok — {config.name}: {config.organization.model}, {config.customers.count} customers, "
        f"{config.simulation.steps} steps, {len(config.interventions)} intervention(s); "
        f"estimate {cost.text()} ({config.simulation.engine} engine)"
    )


@app.command()
def presets() -> None:
    """List the org-model presets with a description and source."""
    from simulation.scenario.presets import all_presets

    for preset in all_presets().values():
        typer.echo(f"{preset.name:22s} {preset.description}")
        typer.echo(f"{'':22s} source: {preset.source}")


# The other commands live next to the layers they drive; all are registered here, on one app.
_BATCH = (batch_cli.compare, batch_cli.sweep, batch_cli.sensitivity, batch_cli.ladder, batch_cli.calibrate)
for _command in (*_BATCH, batch_cli.report):
    app.command()(_command)
app.command("optimize")(optimize_cli.optimize)
app.command("app")(app_cli.app_command)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
