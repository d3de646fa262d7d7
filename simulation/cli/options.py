"""What every ``silosim`` command shares: option types, one-line errors, loading a scenario.

Imports nothing from the command modules, so :mod:`simulation.cli.main` (which builds the one
Typer app and registers every command on it) can import them in any order.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

try:  # Typer >= 0.23 vendors its own copy of Click; its exceptions are those Typer raises
    from typer import _click as click
except ImportError:  # pragma: no cover - older Typer runs on Click itself
    import click

from simulation.errors import ScenarioError

ScenarioArg = Annotated[Path, typer.Argument(help="scenario file (TOML)", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="override a key, e.g. --set organization.silo_strength=0.8 (repeatable)"),
]
SeedOpt = Annotated[int | None, typer.Option(help="root seed, >= 0 (default: the scenario's simulation.seed)", min=0)]


def one_line(message: str) -> str:
    """A message on one line (newlines and runs of spaces collapsed)."""
    return " ".join(str(message).split()) or "error"


def fail(message: str) -> NoReturn:
    """Print one line to stderr and exit with code 2 (bad input)."""
    typer.echo(f"silosim: error: {one_line(message)}", err=True)
    raise typer.Exit(2)


class OneLineErrors(TyperGroup):
    """The ``silosim`` group: a usage error (unknown option, bad value) is one line and exit 2, not a box."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the command line; in standalone mode exit with the command's code."""
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as err:
            click.echo(err.ctx.get_help() if err.ctx is not None else err.format_message())
            code = 2
        except click.ClickException as err:
            if not standalone_mode:
                raise
            click.echo(f"silosim: error: {one_line(err.format_message())}", err=True)
            code = err.exit_code
        except typer.Abort:
            click.echo("silosim: interrupted", err=True)
            code = 130
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def load(scenario: Path, overrides: list[str] | None, engine: str | None = None):  # noqa: ANN201
    """Load a scenario with overrides and read its input files; every problem is a one-line exit 2."""
    from simulation.scenario.config import load_scenario
    from simulation.scenario.inputs import check_inputs

    extra = list(overrides or [])
    if engine is not None:
        extra.append(f"simulation.engine={engine}")
    try:
        config = load_scenario(scenario, extra)
        check_inputs(config)
    except ScenarioError as err:
        fail(str(err))
    return config
