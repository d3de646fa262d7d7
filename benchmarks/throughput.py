"""Runs per core-second for one quarter: this tree against a reference commit, and batch scaling.

Part 1 checks out ``--reference`` (default f258e7e, before the speed work) in a temporary
``git worktree`` and keeps one worker process per tree (``PYTHONPATH=<tree>``). Each worker
runs whole quarters (``simulation.run``: build, 2,184 hourly steps, result) of
``scenarios/centralized.toml`` at each size; the two trees take turns run by run, and each
figure is the best of ``--repeats`` (the machine is shared). A run is single-threaded, so
its CPU seconds are its core-seconds. The model has gained rules since f258e7e (issue 12),
so the ratio compares today's model, optimised, with the old code on the old model.

Part 2 times ``simulation.studies.batch.compare`` the way a strategist runs it: several shipped
scenarios (``--batch-scenarios``, default four ways to organise: centralized, centre of
excellence, democratized, dedicated care team) x ``--batch-replicates`` (default 8) on
common seeds, one quarter each at ``--batch-customers``, saved to a batch directory as
``silosim compare --out`` does (summary, time series, manifest). 32 runs is 16 per worker
on 2 workers: a batch's fixed costs (spawning workers, importing the run stack in each,
about 1.4 s) weigh on it as on a real comparison, where one scenario x 8 replicates
(4 runs a worker, the old default: ``--batch-scenarios centralized --batch-in-memory``)
is mostly start-up. The setups: 1 worker, in this process; 2 local workers started for
the batch ("new workers"); 2 local workers kept warm from an earlier batch in this process,
as the next batch in a notebook or script finds them ("warm workers"; warmed untimed on
the same scenarios at 24 steps if need be); a 2-process Dask ``LocalCluster``, started for
the batch and compared with the new local workers. They take turns, in a rotating order,
and each figure is the best of ``--batch-repeats``. Results are the same in every setup
(same seeds), so only time differs. By default every batch runs in this process, as in a
notebook (this process is warm: the 1-worker setup pays no imports, each pool worker
does); ``--batch-fresh`` runs each in a new Python process, as ``silosim compare`` does
(every setup also pays this process's imports).

    python benchmarks/throughput.py                      # both parts
    python benchmarks/throughput.py --sizes 1000 --repeats 3 --no-batch
    python benchmarks/throughput.py --no-reference --batch-fresh                                  # as the CLI
    python benchmarks/throughput.py --no-reference --batch-scenarios centralized --batch-in-memory  # old part 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from reference import reference_tree

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "scenarios/centralized.toml"
# Part 2: four ways to organise, the comparison a strategist starts from.
BATCH_SCENARIOS = ["centralized", "center_of_excellence", "democratized", "dedicated_care_team"]
QUARTER = 2184
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# A worker: reads a customer count per line, runs one quarter, prints its CPU and wall seconds.
WORKER = """
import json, sys, time
from simulation import load_scenario, run
for line in sys.stdin:
    n, seed = (int(x) for x in line.split())
    config = load_scenario(sys.argv[1], [f"customers.count={n}", f"simulation.steps={sys.argv[2]}"])
    cpu, wall = time.process_time(), time.perf_counter()
    run(config, seed)
    print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}), flush=True)
"""


class Worker:
    """A Python process with one tree on its path, running quarters on request."""

    def __init__(self, tree: Path) -> None:
        env = {**os.environ, **SINGLE_THREADED, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, SCENARIO, str(QUARTER)],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def quarter(self, customers: int, seed: int) -> dict[str, float]:
        """CPU and wall seconds of one quarter at ``customers``."""
        self.process.stdin.write(f"{customers} {seed}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker in {self.process.args} died (exit code {self.process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        """Let the worker finish."""
        self.process.stdin.close()
        self.process.wait(timeout=60)


def per_run(sizes: list[int], repeats: int, reference: str) -> None:
    """Part 1: best CPU seconds per quarter, this tree against ``reference``, interleaved."""
    with reference_tree(reference) as old_tree:
        workers = {"reference": Worker(old_tree), "this tree": Worker(ROOT)}
        try:
            for worker in workers.values():  # warm-up: imports, numba's cache, first-call costs
                worker.quarter(sizes[0], 0)
            best = {(name, n): float("inf") for name in workers for n in sizes}
            wall = dict(best)
            for rep in range(repeats):
                for n in sizes:
                    order = list(workers.items()) if rep % 2 == 0 else list(reversed(workers.items()))
                    for name, worker in order:
                        seconds = worker.quarter(n, 1 + rep)
                        best[name, n] = min(best[name, n], seconds["cpu"])
                        wall[name, n] = min(wall[name, n], seconds["wall"])
        finally:
            for worker in workers.values():
                worker.close()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    print(f"one quarter ({QUARTER} hourly steps) of {SCENARIO}: whole run (build, steps, result), best of {repeats}")
    print(f"reference {reference} (old model) vs this tree {head.stdout.strip()} (today's model, more rules)")
    print(
        f"{'customers':>10s}{'ref s':>9s}{'new s':>9s}{'ref runs/core-s':>17s}{'new runs/core-s':>17s}{'speedup':>9s}"
    )
    for n in sizes:
        old, new = best["reference", n], best["this tree", n]
        print(f"{n:>10,d}{old:9.3f}{new:9.3f}{1 / old:17.3f}{1 / new:17.3f}{old / new:9.2f}")
    print(
        "(CPU seconds; best wall seconds, ref/new: "
        + ", ".join(f"{n:,}: {wall['reference', n]:.2f}/{wall['this tree', n]:.2f}" for n in sizes)
        + ")"
    )
    for n in sizes:
        print(f"speedup_{n}={best['reference', n] / best['this tree', n]:.2f}")


# A batch in a fresh process, as `silosim compare` runs one: imports, pool start-up and teardown included.
FRESH_BATCH = """
import json, sys
from simulation import load_scenario
from simulation.studies.batch import RunOptions, compare
args = json.loads(sys.argv[1])
configs = [load_scenario(path, args["overrides"]) for path in args["paths"]]
options = RunOptions(workers=args["workers"], executor=args["executor"])
compare(configs, replicates=args["replicates"], seed=1, options=options, out=args["out"])
"""


def batch_seconds(
    configs: list, paths: list[str], overrides: list[str], replicates: int, options: Any, out: str | None, fresh: bool
) -> float:
    """Wall seconds of one ``compare`` batch: in this process, or in a fresh one (``fresh``)."""
    from simulation.studies.batch import compare

    start = time.perf_counter()
    if fresh:
        args = {"paths": paths, "overrides": overrides, "replicates": replicates, "out": out}
        args.update(workers=options.workers, executor=options.executor)
        subprocess.run([sys.executable, "-c", FRESH_BATCH, json.dumps(args)], check=True, env=dict(os.environ))
    else:
        compare(configs, replicates=replicates, seed=1, options=options, out=out)
    return time.perf_counter() - start


NEW = "2 workers, local pool, new workers"
WARM = "2 workers, local pool, warm workers"


def batch_scaling(
    customers: int, scenarios: list[str], replicates: int, repeats: int, in_memory: bool, fresh: bool
) -> None:
    """Part 2: wall seconds of one ``compare`` batch, 1 worker vs 2, local pool vs Dask."""
    from simulation import load_scenario
    from simulation.studies.batch import RunOptions, compare, executors, shutdown_workers

    os.environ.update(SINGLE_THREADED)
    overrides = [f"customers.count={customers}", f"simulation.steps={QUARTER}"]
    paths = [str(ROOT / "scenarios" / f"{name}.toml") for name in scenarios]
    configs = [load_scenario(path, overrides) for path in paths]
    pool = RunOptions(workers=2)
    setups = {
        "1 worker": RunOptions(workers=1),
        NEW: pool,
        WARM: pool,
        "2 workers, Dask LocalCluster": RunOptions(workers=2, executor="dask"),
    }
    if fresh:  # a fresh process has no warm workers
        del setups[WARM]
    short = [load_scenario(path, [overrides[0], "simulation.steps=24"]) for path in paths]
    if not fresh:  # untimed: this process warm (imports, numba's kernels), as the docstring says
        compare(short, replicates=1, seed=1)
    names = list(setups)
    times: dict[str, list[float]] = {name: [] for name in setups}
    load = os.getloadavg()[0]
    for rep in range(repeats):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:  # each setup goes first in turn
            if name == NEW:
                shutdown_workers()  # its workers start with the batch
            if name == WARM and 2 not in executors._warm:  # untimed: workers that ran these scenarios
                compare(short, replicates=1, seed=1, options=pool)
            with tempfile.TemporaryDirectory(prefix="silosim-batch-") as tmp:
                out = None if in_memory else tmp
                times[name].append(batch_seconds(configs, paths, overrides, replicates, setups[name], out, fresh))
    shutdown_workers()
    best = {name: min(seconds) for name, seconds in times.items()}
    runs = len(configs) * replicates
    where = "in memory" if in_memory else "saved to a batch directory"
    print(f"\nbatch: compare, {len(configs)} scenario(s) x {replicates} replicates = {runs} runs, {where}")
    print(f"({', '.join(scenarios)}), {customers:,} customers, one quarter each")
    how = "each batch in a fresh process (imports included)" if fresh else "each batch in this process"
    print(f"best of {repeats}, wall seconds (pool and cluster start-up included), {how}; all repeats in brackets")
    for name, seconds in best.items():
        every = ", ".join(f"{s:.2f}" for s in times[name])
        print(f"{name:36s}{seconds:8.2f} s{runs / seconds:8.2f} runs/s   [{every}]")
    overhead = best[NEW] - best["1 worker"] / 2
    print(
        f"(new 2-worker pool minus half the 1-worker time: {overhead:.2f} s; load average {load:.2f} before, ", end=""
    )
    print(f"{os.getloadavg()[0]:.2f} after)")
    if WARM in best:
        print(f"two_workers_speedup={best['1 worker'] / best[WARM]:.2f}")
    print(f"two_workers_speedup_new_workers={best['1 worker'] / best[NEW]:.2f}")
    print(f"dask_vs_pool={best[NEW] / best['2 workers, Dask LocalCluster']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--repeats", type=int, default=5, help="quarters per tree and size (best counts)")
    parser.add_argument("--reference", default="f258e7e", help="commit to compare against")
    parser.add_argument("--no-reference", action="store_true", help="skip part 1")
    parser.add_argument("--no-batch", action="store_true", help="skip part 2")
    parser.add_argument("--batch-customers", type=int, default=1000)
    parser.add_argument("--batch-scenarios", nargs="+", default=BATCH_SCENARIOS, help="names in scenarios/")
    parser.add_argument("--batch-replicates", type=int, default=8)
    parser.add_argument("--batch-repeats", type=int, default=2)
    parser.add_argument("--batch-in-memory", action="store_true", help="no batch directory (no files written)")
    parser.add_argument(
        "--batch-fresh", action="store_true", help="each batch in a fresh Python process, as silosim compare"
    )
    args = parser.parse_args()
    missing = [name for name in args.batch_scenarios if not (ROOT / "scenarios" / f"{name}.toml").is_file()]
    if missing and not args.no_batch:
        print(f"--batch-scenarios {missing[0]}: no scenarios/{missing[0]}.toml", file=sys.stderr)
        sys.exit(2)
    if not args.no_reference:
        per_run(args.sizes, args.repeats, args.reference)
    if not args.no_batch:
        batch_scaling(
            args.batch_customers,
            args.batch_scenarios,
            args.batch_replicates,
            args.batch_repeats,
            args.batch_in_memory,
            args.batch_fresh,
        )


if __name__ == "__main__":
    main()
