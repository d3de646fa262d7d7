"""Errors a user can act on: raised with one line naming the key and the reason."""


class ScenarioError(ValueError):
    """A scenario file, override or input file is wrong; the message names the key and why.

    The message is always one line (newlines and runs of spaces in it are collapsed), so the
    command line can print it as one line whatever text it quotes.
    """

    def __init__(self, message: object = "") -> None:
        super().__init__(" ".join(str(message).split()))
