"""Errors a user can act on: raised with one line naming the key and the reason."""


class ScenarioError(ValueError):
    """A scenario file, override or input file is wrong; the message names the key and why."""
