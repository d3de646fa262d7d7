"""What every ``silosim`` command shares: option types, one-line errors, loading a scenario.

Imports nothing from the command modules, so :mod:`simulation.cli.main` (which builds the one
Typer app and registers every command on it) can import them in any order.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import os
import sys
import typing
from collections.abc import Callable
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
SeedOpt = Annotated[
    int | None,
    typer.Option(help="root seed, 0 to 2^63 - 1 (default: the scenario's simulation.seed)", min=0, max=2**63 - 1),
]
ScenariosArg = Annotated[list[Path], typer.Argument(help="scenario files (TOML)", show_default=False)]
WorkersOpt = Annotated[int | None, typer.Option("--workers", "-w", help="parallel runs (default: CPU count)", min=1)]
ExecutorOpt = Annotated[str, typer.Option(help="local (process pool) or dask (a Dask LocalCluster)")]
SchedulerOpt = Annotated[str | None, typer.Option(help="address of a running Dask scheduler, tcp://host:port")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="remove a previous batch's results in --out first")]
RetryOpt = Annotated[bool, typer.Option("--retry-failed", help="when resuming, run failed runs again")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar or table")]
KpiOpt = Annotated[list[str] | None, typer.Option("--kpi", help="KPI to report (repeatable; default: headline)")]


# Replicates (runs on common seeds) per command, and why each default is what it is.
REPLICATES = {"compare": 5, "ladder": 5, "sweep": 3, "sensitivity": 1, "optimize": 3}
_REPLICATES_WHY = {
    "compare": "runs per scenario on common seeds (default 5: enough for a paired 95% interval of a difference)",
    "ladder": "runs per step on common seeds (default 5, as compare: each contribution is a paired difference)",
    "sweep": "runs per point (default 3: many points share the seed noise; raise it for a curve per point)",
    "sensitivity": "runs per point (default 1: Saltelli's design already has N(2D+2) points over which seeds average)",
    "optimize": "runs per trial on common seeds (default 3: many trials; the Pareto designs are re-run with CIs)",
}


def _replicates(command: str) -> Any:
    return Annotated[int, typer.Option("--replicates", "-r", help=_REPLICATES_WHY[command], min=1)]


CompareReplicatesOpt = _replicates("compare")
LadderReplicatesOpt = _replicates("ladder")
SweepReplicatesOpt = _replicates("sweep")
SensitivityReplicatesOpt = _replicates("sensitivity")
OptimizeReplicatesOpt = _replicates("optimize")


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


def guard(action):  # noqa: ANN001, ANN202
    """Run ``action``: bad input (also from a point) exits 2 with one line; Ctrl-C or SIGTERM exits 130."""
    try:
        return action()
    except (ScenarioError, ValueError) as err:
        fail(str(err).splitlines()[0])
    except KeyboardInterrupt:
        typer.echo("silosim: interrupted; finished runs are saved, run the same command again to resume", err=True)
        raise typer.Exit(130) from None


def run_options(workers: int | None, executor: str, scheduler: str | None, overwrite: bool, retry: bool, quiet: bool):  # noqa: ANN201
    """The batch layer's :class:`~simulation.studies.batch.RunOptions` from the shared command-line options."""
    from simulation.studies.batch import RunOptions

    return guard(
        lambda: RunOptions(
            workers=workers or os.cpu_count() or 1,
            executor=executor,
            scheduler=scheduler,
            overwrite=overwrite,
            retry_failed=retry,
            progress=not quiet,
            command=["silosim", *sys.argv[1:]],
        )
    )


@dataclasses.dataclass(frozen=True)
class RunArgs:
    """The options every command that runs a batch shares, as one value.

    A command decorated with :func:`run_command` takes ``run: RunArgs``; the options below
    are added to its command line (``--seed``, ``--workers``, ``--executor``,
    ``--scheduler``, ``--set``, ``--overwrite``, ``--retry-failed``, ``--quiet``) with the
    same names, help and checks in every command.
    """

    seed: SeedOpt = None
    workers: WorkersOpt = None
    executor: ExecutorOpt = "local"
    scheduler: SchedulerOpt = None
    set_: SetOpt = None
    overwrite: OverwriteOpt = False
    retry_failed: RetryOpt = False
    quiet: QuietOpt = False

    @property
    def progress(self) -> bool:
        """Whether to show progress (not ``--quiet``)."""
        return not self.quiet

    @property
    def worker_count(self) -> int:
        """``--workers``, or the CPU count."""
        return self.workers or os.cpu_count() or 1

    def options(self):  # noqa: ANN201
        """The batch layer's :class:`~simulation.studies.batch.RunOptions` of these options."""
        return run_options(self.workers, self.executor, self.scheduler, self.overwrite, self.retry_failed, self.quiet)

    def load(self, scenario: Path):  # noqa: ANN201
        """``scenario`` loaded with the ``--set`` overrides (one-line exit 2 on any problem)."""
        return load(scenario, self.set_)


RUN_PANEL = "Running (every batch command)"


def _in_panel(annotation: Any, panel: str) -> Any:
    """``Annotated[T, typer.Option(...)]`` with the option listed under ``panel`` in ``--help``."""
    base, info = typing.get_args(annotation)
    info = copy.copy(info)
    info.rich_help_panel = panel
    return Annotated[base, info]


def run_command(*, without: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the shared :class:`RunArgs` options; it receives them as ``run``.

    ``without`` names shared options the command has no use for (they are then neither
    on its command line nor in its help; ``run`` holds their defaults).
    """
    unknown = set(without) - {f.name for f in dataclasses.fields(RunArgs)}
    if unknown:
        raise TypeError(f"run_command: no shared option {sorted(unknown)}")
    hints = typing.get_type_hints(RunArgs, include_extras=True)
    shared = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, annotation=_in_panel(hints[f.name], RUN_PANEL), default=f.default
        )
        for f in dataclasses.fields(RunArgs)
        if f.name not in without
    ]

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(func, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "run"]

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            picked = {p.name: kwargs.pop(p.name) for p in shared}
            return func(run=RunArgs(**picked), **kwargs)

        command.__signature__ = signature.replace(parameters=[*own, *shared])  # what Typer reads
        command.__annotations__ = {p.name: p.annotation for p in [*own, *shared]}
        return command

    return decorate


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
