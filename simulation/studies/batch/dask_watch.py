"""The parent watchdog of :mod:`simulation.studies.batch.executors`, for a Dask ``LocalCluster``'s workers.

Imported only when Dask runs (it imports ``distributed``). A worker process that this
process started (its parent is this process) ends as soon as this process is gone, as a
local-pool worker does; a worker of a remote scheduler (another parent) is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class ExitWithParent(WorkerPlugin):
    """A worker plugin: on every worker the cluster starts (restarted ones too), watch the parent process."""

    name = "silosim-parent-watch"

    def __init__(self, parent: int, watch: Callable[[int], None]) -> None:
        self.parent = parent
        self.watch = watch  # executors._exit_with_parent (passed in: this module imports no executor)

    def setup(self, worker: Any) -> None:  # noqa: ARG002 - the same watchdog in every worker process
        """Start the watchdog thread, if this worker's process is a child of the process that started the cluster."""
        if os.getppid() == self.parent:
            self.watch(self.parent)
