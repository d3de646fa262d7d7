"""The local process pool: workers start with the pool, warm, and stop when the batch is closed."""

from __future__ import annotations

import multiprocessing
import sys
import time

from simulation.batch.executors import LocalExecutor, make_executor

RUN_STACK = ("simulation.api", "simulation.core.engine", "simulation.engines", "simulation.graphs")


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


def test_after_a_finished_batch_the_workers_stop():
    executor = LocalExecutor(2)
    workers = pool_processes(executor)
    results = list(executor.imap_unordered(loaded_before_this_task, [{"run_id": "a"}, {"run_id": "b"}]))
    assert len(results) == 2 and executor.finished
    executor.close()
    assert wait_until(lambda: not any(w.is_alive() for w in workers)), "pool workers did not exit"


def test_a_batch_stopped_part_way_waits_until_its_workers_are_gone():
    executor = LocalExecutor(2)
    workers = pool_processes(executor)
    results = executor.imap_unordered(loaded_before_this_task, [{"run_id": f"r{i}"} for i in range(6)])
    next(results)  # e.g. a write error while saving the first result: the rest is abandoned
    results.close()
    assert not executor.finished
    executor.close()
    assert not any(w.is_alive() for w in workers)
