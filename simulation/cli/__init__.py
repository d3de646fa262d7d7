"""The ``silosim`` command line: one Typer app (:mod:`.main`), its options and its commands."""

from simulation.cli.main import app, main

__all__ = ["app", "main"]
