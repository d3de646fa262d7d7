"""The local process pool: workers start with the pool, warm, and stop when the batch is closed."""

from __future__ import annotations

import multiprocessing
import sys
import time

import pytest

from simulation.studies.batch import executors
from simulation.studies.batch.executors import LocalExecutor, make_executor, shutdown_workers

RUN_STACK = ("simulation.api", "simulation.core.engine", "simulation.engines.build", "simulation.core.social_graph")


def loaded_before_this_task(payload: dict) -> dict:
    """What the worker had imported before this task arrived (run in a pool worker)."""
    return {"run_id": payload["run_id"], "loaded": sorted(set(RUN_STACK) & set(sys.modules))}


def pool_processes(executor: LocalExecutor) -> list:
    """The pool's worker processes still running (not the resource tracker)."""
    mine = {process.pid for process in multiprocessing.active_children()}
    return [process for process in executor.pool._processes.values() if process.pid in mine and process.is_alive()]


def wait_until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_one_worker_runs_in_this_process():
    assert type(make_executor("local", 1)).__name__ == "SerialExecutor"


def test_every_worker_starts_with_the_pool_and_imports_the_run_stack_before_its_first_run():
    executor = LocalExecutor(2)
    try:
        assert len(pool_processes(executor)) == 2  # started before anything was submitted
        results = list(executor.imap_unordered(loaded_before_this_task, [{"run_id": f"r{i}"} for i in range(4)]))
        assert sorted(r["run_id"] for r in results) == ["r0", "r1", "r2", "r3"]
        assert all(r["loaded"] == sorted(RUN_STACK) for r in results)
    finally:
        executor.close()


def finished_batch(workers: int = 2) -> tuple[LocalExecutor, list]:
    """A pool that ran a short batch to the end and was closed (its workers kept warm)."""
    executor = LocalExecutor(workers)
    processes = pool_processes(executor)
    results = list(executor.imap_unordered(loaded_before_this_task, [{"run_id": "a"}, {"run_id": "b"}]))
    assert len(results) == 2 and executor.finished
    executor.close()
    return executor, processes


@pytest.fixture(autouse=True)
def no_warm_workers():
    """Each test starts and ends without warm workers of earlier batches."""
    shutdown_workers()
    yield
    shutdown_workers()


def test_the_next_batch_of_as_many_workers_reuses_the_warm_workers():
    first, processes = finished_batch()
    assert all(w.is_alive() for w in processes) and not first.warm
    second = LocalExecutor(2)
    try:
        assert second.warm and second.pool is first.pool
        results = list(second.imap_unordered(loaded_before_this_task, [{"run_id": f"r{i}"} for i in range(4)]))
        assert len(results) == 4 and all(r["loaded"] == sorted(RUN_STACK) for r in results)
        other = LocalExecutor(3)  # another size: its own pool
        assert not other.warm and other.pool is not first.pool
        other.close()
    finally:
        second.close()


def test_shutdown_workers_stops_the_warm_workers():
    _, processes = finished_batch()
    shutdown_workers()
    assert not any(w.is_alive() for w in processes)
    assert not LocalExecutor(2).warm


def test_warm_workers_stop_by_themselves_when_idle(monkeypatch):
    monkeypatch.setattr(executors, "IDLE_SECONDS", 0.2)
    _, processes = finished_batch()
    assert wait_until(lambda: not any(w.is_alive() for w in processes)), "idle workers did not exit"
    assert not LocalExecutor(2).warm


def test_warm_workers_are_not_reused_after_the_source_or_environment_changed(monkeypatch):
    finished_batch()
    monkeypatch.setenv("SILOSIM_TEST_CHANGED", "1")  # a worker would not see it
    fresh = LocalExecutor(2)
    assert not fresh.warm
    fresh.close()
    stamp = executors._source_stamp()
    assert stamp[0] and all(name.endswith(".py") for name, _, _ in stamp[0])  # the package's sources are in it


def test_a_warm_pool_whose_worker_died_is_replaced():
    _, processes = finished_batch()
    processes[0].kill()
    processes[0].join(10)
    executor = LocalExecutor(2)
    try:
        assert not executor.warm
        results = list(executor.imap_unordered(loaded_before_this_task, [{"run_id": "a"}, {"run_id": "b"}]))
        assert sorted(r["run_id"] for r in results) == ["a", "b"]
    finally:
        executor.close()


def test_a_batch_stopped_part_way_waits_until_its_workers_are_gone():
    executor = LocalExecutor(2)
    workers = pool_processes(executor)
    results = executor.imap_unordered(loaded_before_this_task, [{"run_id": f"r{i}"} for i in range(6)])
    next(results)  # e.g. a write error while saving the first result: the rest is abandoned
    results.close()
    assert not executor.finished
    executor.close()
    assert not any(w.is_alive() for w in workers)


def test_a_calibration_runs_on_the_warm_pool_and_leaves_it_warm():
    from simulation.studies.calibration import _mapper

    first, _ = finished_batch()
    with _mapper(2, "local", None) as map_:
        assert executors._warm == {}  # taken for the calibration
        results = list(map_(loaded_before_this_task, [{"run_id": "x"}, {"run_id": "y"}]))
    assert [r["run_id"] for r in results] == ["x", "y"]
    assert executors._warm[2][0] is first.pool


def test_a_calibration_that_fails_stops_its_workers():
    from simulation.studies.calibration import _mapper

    _, processes = finished_batch()
    with pytest.raises(RuntimeError, match="stopped"), _mapper(2, "local", None):
        raise RuntimeError("stopped")
    assert executors._warm == {} and not any(w.is_alive() for w in processes)


def _thread_names() -> list[str]:
    import threading

    return [thread.name for thread in threading.enumerate()]


def test_dask_local_cluster_workers_watch_their_parent():
    pytest.importorskip("distributed")
    from simulation.studies.batch.executors import DaskExecutor

    dask = DaskExecutor(2)
    try:
        names = dask.client.run(_thread_names)  # every worker process has the local pool's watchdog
        assert len(names) == 2
        assert all("silosim-parent-watch" in threads for threads in names.values()), names
    finally:
        dask.close()
    threads = DaskExecutor(1, processes=False)  # a worker in this process has no process of its own to end
    try:
        assert "silosim-parent-watch" not in _thread_names()
    finally:
        threads.close()


def test_dask_workers_exit_when_their_parent_is_killed(tmp_path):
    import os
    import signal
    import subprocess
    from pathlib import Path

    psutil = pytest.importorskip("psutil")
    pytest.importorskip("distributed")
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "simulation.cli", "compare", "scenarios/centralized.toml", "-r", "4", "-w", "2"]
    command += ["--executor", "dask", "-q", "--out", str(tmp_path / "b"), "--set", "customers.count=2000"]
    command += ["--set", "simulation.steps=1500"]
    proc = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers = []
    try:

        def spawned() -> list:
            found = [
                c for c in psutil.Process(proc.pid).children(recursive=True) if "spawn_main" in " ".join(c.cmdline())
            ]
            workers[:] = found
            return found

        assert wait_until(lambda: len(spawned()) >= 2, timeout=90), "the Dask workers did not start"
        log = tmp_path / "b" / "runs.jsonl"
        wait_until(lambda: log.is_file() and log.read_text().strip() != "", timeout=120)  # the workers are working
        assert proc.poll() is None, "the batch finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        alive = lambda: [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]  # noqa: E731
        assert wait_until(lambda: not alive(), timeout=10), f"orphaned workers still running: {alive()}"
    finally:
        proc.kill()
        for worker in workers:  # only this test's own processes
            if worker.is_running():
                worker.kill()
