"""Where runs execute: in this process, a local process pool, or a Dask cluster.

Every executor calls the same top-level :func:`run_payload` on plain dicts, so results
do not depend on where a run executed. Workers return the time series as Parquet bytes;
only the parent process writes files, so a remote Dask cluster needs no shared disk.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from simulation.errors import ScenarioError

EXECUTORS = ("local", "dask")


def run_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Run one spec (``run_id``, ``layers`` JSON, ``config_hash``, ``seed``, ``keep_timeseries``); never raises.

    Returns:
        ``run_id``, ``status`` ("ok" or "failed"), ``error`` (one line), ``summary`` (KPI ->
        value), ``timeseries`` (Parquet bytes or None), ``wall_seconds``.
    """
    start = time.perf_counter()
    out: dict[str, Any] = {"run_id": payload["run_id"], "status": "ok", "error": "", "summary": {}, "timeseries": None}
    try:
        from simulation.api import run
        from simulation.studies.batch.plan import rebuild_config

        config = rebuild_config(payload["layers"], payload["config_hash"])
        result = run(config, seed=payload["seed"])
        out["summary"] = {k: float(v) for k, v in result.summary.items()}
        if payload.get("keep_timeseries", True):
            buffer = io.BytesIO()
            result.timeseries.to_parquet(buffer, index=False, compression="zstd")
            out["timeseries"] = buffer.getvalue()
    except Exception as err:  # noqa: BLE001 - a failed run is recorded, the batch goes on
        message = " ".join(str(err).split()) or "no message"
        out.update(status="failed", error=f"{type(err).__name__}: {message}"[:500], summary={}, timeseries=None)
    out["wall_seconds"] = time.perf_counter() - start
    return out


def _result_or_failure(future: Any, payload: dict) -> dict:
    """A finished future's result, or a failed result when the worker itself died."""
    try:
        return future.result()
    except Exception as err:  # noqa: BLE001 - e.g. a worker killed by the OS
        return {
            "run_id": payload["run_id"],
            "status": "failed",
            "error": f"{type(err).__name__}: worker lost ({err})",
            "summary": {},
            "timeseries": None,
            "wall_seconds": float("nan"),
        }


class Executor(Protocol):
    """Runs payloads and yields results as they finish (any order)."""

    def imap_unordered(self, fn: Callable[[dict], dict], payloads: Iterable[dict]) -> Iterator[dict]:
        """Yield ``fn(payload)`` for every payload as each finishes."""
        ...

    def close(self) -> None:
        """Release workers (cancelling what is still queued)."""
        ...


class SerialExecutor:
    """Runs in this process, one after the other (also sees presets/KPIs registered here)."""

    def imap_unordered(self, fn: Callable[[dict], dict], payloads: Iterable[dict]) -> Iterator[dict]:
        """Yield results in submission order."""
        for payload in payloads:
            yield fn(payload)

    def close(self) -> None:
        """Nothing to release."""


PARENT_POLL_SECONDS = 0.5
MAX_POOL_BREAKS = 3  # a run in flight when the pool broke this often is recorded failed


def _exit_with_parent(parent: int) -> None:
    """Pool-worker initializer: a daemon thread ends this worker as soon as its parent is gone.

    A SIGKILLed parent cannot stop its workers; without this they live on (re-parented to
    init) holding the parent's stdout, so ``silosim compare ... | tee log`` never returns.
    Polling ``os.getppid()`` works on every POSIX system and costs nothing measurable.
    """
    import os
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="silosim-parent-watch", daemon=True).start()


def _start_worker(parent: int) -> None:
    """Pool-worker initializer: end with the parent, and import what a run needs before the first run.

    A spawned worker starts from a bare interpreter: the run stack (the engine and its
    numba kernels, pandas, scipy, networkx, pydantic) takes about a second to import.
    Importing it here, in workers that start as the pool is made, overlaps it with the
    parent's own preparation and keeps it out of the first run's ``wall_seconds``. A
    failing import is left for the run to report as its one-line error.
    """
    _exit_with_parent(parent)
    try:  # imported for their side effect: the modules simulation.api.run imports as it runs
        import tqdm.auto  # noqa: F401

        import simulation.api  # noqa: F401
        import simulation.core.engine  # noqa: F401
        import simulation.engines.build  # noqa: F401
        import simulation.studies.batch.plan  # noqa: F401
    except Exception:  # noqa: BLE001, S110 - run_payload imports the same and records the error
        pass


IDLE_SECONDS = 300.0
"""How long the workers of a finished batch stay warm for the next batch (as joblib's loky does)."""

_warm: dict[int, tuple[ProcessPoolExecutor, tuple, threading.Timer]] = {}  # workers -> idle pool
_warm_lock = threading.Lock()


def _source_stamp() -> tuple:
    """What a spawned worker took from this process when it started: a warm one is reused only if unchanged.

    The package's source files (name, size, mtime: a worker runs the code it imported),
    the working directory (relative paths), ``sys.path`` and the environment.
    """
    import os
    import sys

    root = Path(__file__).resolve().parents[2]  # the simulation package
    sources = tuple((str(path), (st := path.stat()).st_size, st.st_mtime_ns) for path in sorted(root.rglob("*.py")))
    return sources, os.getcwd(), tuple(sys.path), tuple(sorted(os.environ.items()))


def _keep_warm(workers: int, pool: ProcessPoolExecutor, stamp: tuple) -> None:
    """Park a finished batch's pool for the next batch of as many workers; it stops after IDLE_SECONDS."""
    timer = threading.Timer(IDLE_SECONDS, _expire, args=(workers, pool))
    timer.daemon = True  # never holds up the interpreter's exit (which shuts every pool down)
    with _warm_lock:
        previous = _warm.pop(workers, None)
        _warm[workers] = (pool, stamp, timer)
    timer.start()
    if previous is not None:  # two batches of the same size ran side by side: keep one pool
        previous[2].cancel()
        previous[0].shutdown(wait=True, cancel_futures=True)


def _expire(workers: int, pool: ProcessPoolExecutor) -> None:
    with _warm_lock:
        if workers not in _warm or _warm[workers][0] is not pool:
            return
        del _warm[workers]
    pool.shutdown(wait=True, cancel_futures=True)


def _take_warm(workers: int) -> tuple[ProcessPoolExecutor, tuple] | None:
    """A parked pool of ``workers`` whose workers are alive and run today's code, or None."""
    with _warm_lock:
        entry = _warm.pop(workers, None)
    if entry is None:
        return None
    pool, stamp, timer = entry
    timer.cancel()
    try:
        healthy = stamp == _source_stamp() and pool.submit(int).result(timeout=30) == 0
    except Exception:  # noqa: BLE001 - a worker died while idle (the pool is broken): start afresh
        healthy = False
    if not healthy:
        pool.shutdown(wait=True, cancel_futures=True)
        return None
    return pool, stamp


def _new_pool(workers: int) -> ProcessPoolExecutor:
    """``workers`` spawned processes, every one started now and importing the run stack."""
    import multiprocessing
    import os

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    for _ in range(workers):  # a pool starts one process per submission while none is idle
        pool.submit(int)
    return pool


def start_pool(workers: int) -> tuple[ProcessPoolExecutor, tuple, bool]:
    """A process pool of ``workers``: the warm one an earlier batch left, if any, else new.

    Returns the pool, what its workers took from this process (for :func:`release_pool`)
    and whether it was warm.
    """
    warm = _take_warm(workers)
    if warm is not None:
        return *warm, True
    return _new_pool(workers), _source_stamp(), False


def release_pool(workers: int, pool: ProcessPoolExecutor, stamp: tuple, *, finished: bool) -> None:
    """After a batch: keep the pool warm if every run came back (``finished``), else stop it, waiting."""
    if finished:
        _keep_warm(workers, pool, stamp)
    else:
        pool.shutdown(wait=True, cancel_futures=True)


def shutdown_workers() -> None:
    """Stop the local-pool workers kept warm between batches.

    They stop by themselves after :data:`IDLE_SECONDS` idle, and when this process exits;
    call this to give their memory back sooner (e.g. in a notebook).
    """
    with _warm_lock:
        entries = list(_warm.values())
        _warm.clear()
    for pool, _, timer in entries:
        timer.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


class LocalExecutor:
    """A pool of ``workers`` spawned processes, fed at most ``2 x workers`` runs ahead.

    Every worker is started when the pool is made (not on the first runs), so the workers
    import the run stack while the parent locks and prepares the batch directory. A pool
    that finished its batch is kept warm for the next batch of as many workers in this
    process (:data:`IDLE_SECONDS`, :func:`shutdown_workers`): a worker's start-up (imports,
    numba's cache) costs about 1.4 s of CPU, as much as four quarter runs at 1,000
    customers. A warm pool is not reused if the package's source files, the working
    directory, ``sys.path`` or the environment have changed since its workers started.

    A worker that dies (killed by the OS or a user) breaks the whole pool: the pool is
    rebuilt and every run that was in flight is submitted again; a run in flight in
    :data:`MAX_POOL_BREAKS` broken pools is recorded as failed (it is probably the one
    killing its worker, e.g. out of memory).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool, self._stamp, self.warm = start_pool(workers)  # warm: this batch's workers were running
        self.breaks: dict[str, int] = {}
        self.rebuilds = 0
        self.finished = False  # every submitted run came back: close() may keep the workers warm

    def imap_unordered(self, fn: Callable[[dict], dict], payloads: Iterable[dict]) -> Iterator[dict]:
        """Submit lazily (bounded memory) and yield as runs finish."""
        pending: dict[Future, dict] = {}
        queue = iter(payloads)
        self.finished = False
        for payload in queue:
            pending[self._submit(fn, payload)] = payload
            if len(pending) >= 2 * self.workers:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = [f for f in done if not f.cancelled() and isinstance(f.exception(), BrokenProcessPool)]
            if broken:
                yield from self._rebuild(fn, pending)
                continue
            for future in done:
                payload = pending.pop(future)
                following = next(queue, None)
                if following is not None:
                    pending[self._submit(fn, following)] = following
                yield _result_or_failure(future, payload)
        self.finished = True

    def _rebuild(self, fn: Callable[[dict], dict], pending: dict[Future, dict]) -> Iterator[dict]:
        """Replace a broken pool and resubmit its unfinished runs (finished ones are kept)."""
        finished = {f: p for f, p in pending.items() if f.done() and f.exception() is None}
        lost = [p for f, p in pending.items() if f not in finished]
        pending.clear()
        for future in finished:
            yield future.result()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool, self._stamp = _new_pool(self.workers), _source_stamp()
        self.rebuilds += 1
        for payload in lost:
            run_id = payload["run_id"]
            self.breaks[run_id] = self.breaks.get(run_id, 0) + 1
            if self.breaks[run_id] >= MAX_POOL_BREAKS:
                future: Future = Future()
                future.set_exception(BrokenProcessPool(f"its worker died {MAX_POOL_BREAKS} times"))
                yield _result_or_failure(future, payload)
            else:
                pending[self._submit(fn, payload)] = payload

    def _submit(self, fn: Callable[[dict], dict], payload: dict) -> Future:
        """Submit, or a future holding the error when the pool is broken (a worker died)."""
        try:
            return self.pool.submit(fn, payload)
        except BrokenProcessPool as err:
            future: Future = Future()
            future.set_exception(err)
            return future

    def close(self) -> None:
        """Keep the workers warm after a finished batch; else cancel queued runs and stop them, waiting.

        (Shutting down without waiting once left the pool's manager thread writing to closed
        pipes at interpreter exit: a traceback. A warm pool still parked at exit is shut down
        by ``concurrent.futures``' own exit hook, which joins it.)
        """
        release_pool(self.workers, self.pool, self._stamp, finished=self.finished)


def check_scheduler(address: str, timeout: float = 3.0) -> None:
    """Refuse a Dask scheduler address nobody answers on, in seconds rather than after a long timeout."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if parts.scheme not in ("tcp", "tls") or not host or port is None:
        raise ScenarioError(f"--scheduler {address}: expected tcp://host:port (or tls://host:port)")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as err:
        raise ScenarioError(f"--scheduler {address}: cannot connect ({err.strerror or err})") from None


class DaskExecutor:
    """A Dask cluster: a new ``LocalCluster`` of ``workers`` processes, or an existing scheduler.

    A ``LocalCluster``'s workers end when this process dies, as the local pool's do
    (:func:`_exit_with_parent`, installed by a worker plugin).
    """

    def __init__(self, workers: int, scheduler: str | None = None, processes: bool = True) -> None:
        import logging

        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler is None:
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
            self._watch_parent()
        else:
            check_scheduler(scheduler)
            try:
                self.client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as err:
                raise ScenarioError(f"--scheduler {scheduler}: cannot connect ({err})") from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})) or workers)

    def _watch_parent(self) -> None:
        """Give the cluster's worker processes the local pool's watchdog: they end as soon as this process is gone.

        (Without it a SIGKILLed parent relies on Dask's own pipe to its workers.) A worker
        plugin, so a worker the nanny restarts gets it too; workers in threads of this process
        (``processes=False``) have no process of their own to end.
        """
        import os

        from simulation.studies.batch.dask_watch import ExitWithParent

        self.client.register_plugin(ExitWithParent(os.getpid(), _exit_with_parent))

    def imap_unordered(self, fn: Callable[[dict], dict], payloads: Iterable[dict]) -> Iterator[dict]:
        """Submit lazily (bounded memory) and yield as runs finish."""
        from distributed import as_completed

        queue = iter(payloads)
        submitted: dict[str, dict] = {}

        def submit(payload: dict) -> Any:
            future = self.client.submit(fn, payload, pure=False)
            submitted[future.key] = payload
            return future

        futures = as_completed([submit(p) for _, p in zip(range(2 * self.workers), queue, strict=False)])
        for future in futures:
            result = _result_or_failure(future, submitted.pop(future.key))
            future.release()
            following = next(queue, None)
            if following is not None:
                futures.add(submit(following))
            yield result

    def close(self) -> None:
        """Disconnect, and stop the cluster if this executor started it."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(
    executor: str = "local", workers: int = 1, scheduler: str | None = None, *, processes: bool = True
) -> Executor:
    """The executor for ``--executor``/``--workers``/``--scheduler`` (a scheduler implies Dask).

    ``processes=False`` runs a Dask ``LocalCluster`` in threads of this process (quick to start).
    """
    if scheduler is not None:
        return DaskExecutor(workers, scheduler)
    if executor == "dask":
        return DaskExecutor(workers, processes=processes)
    if executor != "local":
        raise ValueError(f"--executor: {executor!r} is not one of {', '.join(EXECUTORS)}")
    return SerialExecutor() if workers <= 1 else LocalExecutor(workers)
