"""The ``silosim`` command line: a thin shell over the Python API.

A wrong scenario or option prints one line naming the key and the reason and exits 2;
outputs are written to a temporary file and moved into place, so nothing already
written is lost or left half-written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulation.errors import ScenarioError

app = typer.Typer(
    name="silosim",
    help="Simulate how a company organises its social media work, and what customers get back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ScenarioArg = Annotated[Path, typer.Argument(help="scenario file (TOML)", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="override a key, e.g. --set organization.silo_strength=0.8 (repeatable)"),
]
SeedOpt = Annotated[int | None, typer.Option(help="root seed (default: the scenario's simulation.seed)")]


def fail(message: str) -> None:
    """Print one line to stderr and exit with code 2 (bad input)."""
    typer.echo(f"silosim: error: {message}", err=True)
    raise typer.Exit(2)


def load(scenario: Path, overrides: list[str] | None, engine: str | None = None):  # noqa: ANN201
    """Load a scenario with overrides, turning every input problem into a one-line exit 2."""
    from simulation.config import load_scenario

    extra = list(overrides or [])
    if engine is not None:
        extra.append(f"simulation.engine={engine}")
    try:
        return load_scenario(scenario, extra)
    except ScenarioError as err:
        fail(str(err))


def kpi_lines(summaries: dict[str, dict[str, float]], names: tuple[str, ...]) -> str:
    """KPIs side by side as an aligned text table (one column per scenario)."""
    from simulation.kpis import format_value

    width = max(len(n) for n in names) + 2
    cols = list(summaries)
    colw = max(12, *(len(c) + 2 for c in cols))
    lines = ["kpi".ljust(width) + "".join(c.rjust(colw) for c in cols)]
    for name in names:
        lines.append(name.ljust(width) + "".join(format_value(summaries[c].get(name)).rjust(colw) for c in cols))
    return "\n".join(lines)


@app.command()
def run(
    scenario: ScenarioArg,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="write timeseries.csv, summary.json, inquiries.csv here")] = None,
    engine: Annotated[str | None, typer.Option(help="vectorized or agents")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar or table")] = False,
) -> None:
    """Run one scenario and print its key KPIs."""
    from simulation.api import run as run_scenario
    from simulation.batch.store import write_text_atomic
    from simulation.kpis import HEADLINE

    config = load(scenario, set_, engine)
    if out is not None and out.exists() and not out.is_dir():
        fail(f"--out {out}: exists and is not a directory")
    try:
        result = run_scenario(config, seed, progress=not quiet and sys.stderr.isatty())
    except ScenarioError as err:  # input files (edge lists, org charts) are read when the run starts
        fail(str(err))
    if out is not None:
        write_text_atomic(out / "timeseries.csv", result.timeseries.to_csv(index=False))
        write_text_atomic(out / "inquiries.csv", result.inquiries.to_csv(index=False))
        payload = {
            "scenario": str(scenario),
            "seed": result.seed,
            "summary": result.summary,
            "config": json.loads(result.config.model_dump_json()),
            "meta": result.meta,
        }
        write_text_atomic(out / "summary.json", json.dumps(payload, indent=2, default=str))
    if not quiet:
        typer.echo(
            f"{config.name} ({config.organization.model}), seed {result.seed}, "
            f"{len(result.timeseries)} steps, {result.meta['wall_seconds']:.1f} s"
        )
        typer.echo(kpi_lines({config.name: result.summary}, HEADLINE))
        if out is not None:
            typer.echo(f"wrote {out}/timeseries.csv, inquiries.csv, summary.json")


@app.command()
def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file without running it."""
    config = load(scenario, set_)
    typer.echo(
        f"{scenario}: ok — {config.name}: {config.organization.model}, {config.customers.count} customers, "
        f"{config.simulation.steps} steps, {len(config.interventions)} intervention(s)"
    )


@app.command()
def presets() -> None:
    """List the org-model presets with a description and source."""
    from simulation.presets import all_presets

    for preset in all_presets().values():
        typer.echo(f"{preset.name:22s} {preset.description}")
        typer.echo(f"{'':22s} source: {preset.source}")


# Command groups living next to the layers they drive; each module has ``register(app)``.
COMMAND_MODULES: tuple[str, ...] = ("simulation.app_cli", "simulation.batch_cli")


def _register_commands() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_commands()


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
