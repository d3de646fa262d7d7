"""Run a plan: skip what is finished, execute the rest, save each run as it finishes."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simulation.errors import ScenarioError
from simulation.scenario.limits import check_batch
from simulation.studies.batch.executors import EXECUTORS, Executor, make_executor, run_payload
from simulation.studies.batch.plan import Plan, RunSpec
from simulation.studies.batch.results import BatchResult
from simulation.studies.batch.store import Store, check_writable, locked, probe_writable


@dataclass(frozen=True)
class RunOptions:
    """How and where a batch executes (not what it computes: results never depend on these).

    Attributes:
        workers: parallel runs (1 = in this process).
        executor: "local" (process pool) or "dask" (a new Dask ``LocalCluster``).
        scheduler: address of a running Dask scheduler (``tcp://host:port``); implies Dask.
        processes: Dask ``LocalCluster`` with worker processes (False: threads in this process).
        overwrite: remove a previous batch's outputs in the directory first.
        retry_failed: run previously failed runs again when resuming.
        progress: a progress bar on stderr.
        command: the command line, recorded in the manifest.
    """

    workers: int = 1
    executor: str = "local"
    scheduler: str | None = None
    processes: bool = True
    overwrite: bool = False
    retry_failed: bool = False
    progress: bool = False
    command: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Checked here, so a bad executor fails before a batch directory is written.
        if self.executor not in EXECUTORS:
            raise ValueError(f"--executor {self.executor}: expected one of {', '.join(EXECUTORS)}")
        from simulation.scenario.limits import check_count

        check_count(self.workers, "--workers")


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while a batch runs, so workers are stopped and files closed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_plan(plan: Plan, out: str | Path | None = None, options: RunOptions | None = None) -> BatchResult:
    """Execute every unfinished run of ``plan``; with ``out``, save and resume there.

    Everything that can be checked is checked before anything is written: ``out`` (another
    batch, changed input files, not creatable or writable), the executor (a Dask scheduler
    that cannot be reached). While the batch runs it holds ``out/.lock``, so a second batch
    into the same directory is refused.

    Raises:
        ScenarioError: bad ``out`` or executor (nothing is written), or a write error while
            running (finished runs are kept; run again to resume).
    """
    from simulation.outputs.kpis import all_kpis

    options = options or RunOptions()
    store = Store(Path(out) if out is not None else None, plan, all_kpis())
    if store.root is not None:
        check_writable(store.root)  # first: a path the file system refuses (a name too long) is named here
    store.check(options.overwrite)
    check_batch(list(plan.estimates), options.workers, check_memory=options.scheduler is None)
    executor = make_executor(options.executor, options.workers, options.scheduler, processes=options.processes)
    try:
        with contextlib.ExitStack() as stack:
            if store.root is not None:
                probe_writable(store.root)
                stack.enter_context(locked(store.root))
                store.check(options.overwrite)  # again, now that no other batch can write here
            _run_locked(plan, store, options, executor)
    finally:
        executor.close()
    return BatchResult(store.frame(), store.root, plan.kind, list(plan.params), dict(plan.design))


def _run_locked(plan: Plan, store: Store, options: RunOptions, executor: Executor) -> None:
    """Start (or resume) the store and run what is left; a write error becomes one clear line."""
    try:
        done = store.start(list(options.command), options.overwrite, options.retry_failed)
        todo = {spec.run_id: spec for spec in plan.specs if spec.run_id not in done}
        with _terminate_as_interrupt():
            try:
                if todo:
                    _execute(todo, store, options, executor, initial=len(done))
            finally:
                with contextlib.suppress(OSError):  # the disk may be the problem; the error below says so
                    store.write_summary()
                    store.write_manifest(list(options.command), finished=len(store.rows) == len(plan.specs))
    except OSError as err:
        raise ScenarioError(
            f"--out {store.root}: cannot write ({err.strerror or err}); finished runs are saved, "
            "fix it and run the same command again to resume"
        ) from None


def _execute(todo: dict[str, RunSpec], store: Store, options: RunOptions, executor: Executor, initial: int) -> None:
    """Run ``todo`` on the executor, recording each run as it finishes, with a progress bar."""
    from tqdm.auto import tqdm

    keep = store.root is not None
    payloads = (
        {
            "run_id": s.run_id,
            "layers": s.layers_json,
            "config_hash": s.config_hash,
            "seed": s.seed,
            "keep_timeseries": keep,
        }
        for s in todo.values()
    )
    failed = sum(1 for cells in store.rows.values() if cells[store.columns.index("status")] == "failed")
    with tqdm(
        total=initial + len(todo),
        initial=initial,
        desc=store.plan.kind,
        unit="run",
        disable=not options.progress,
        dynamic_ncols=True,
        smoothing=0.1,
    ) as bar:
        bar.set_postfix(failed=failed)
        for result in executor.imap_unordered(run_payload, payloads):
            store.record(todo[result["run_id"]], result)
            failed += result["status"] != "ok"
            bar.set_postfix(failed=failed, refresh=False)
            bar.update()
