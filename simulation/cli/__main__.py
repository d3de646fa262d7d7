"""``python -m simulation.cli``: the silosim command line."""

from simulation.cli.main import main

main()
