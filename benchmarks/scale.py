"""The vectorized engine at scale: set-up split, seconds per step, peak memory, ratio to a floor.

The floor is measured in the same run, on the same graph: one sparse matrix-vector product
over the social graph plus one uniform draw per stored edge — the least a step that lets
every customer look at every tie once can cost. The engine's set-up is timed by part.

Then the social-graph generator the engine uses at this size (``simulation.core.graphgen``,
compiled) is timed against networkx's generator of the same model, in the same run, split
into graph (edge generation) and CSR (assembly), plus the customer state built on it;
networkx's generator runs once (about 45 s for Holme–Kim at 1M nodes).

    python benchmarks/scale.py --customers 1000000 --steps 48       # set-up, graphs, a few steps
    python benchmarks/scale.py --customers 1000000 --steps 2184     # the full quarter
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

import simulation.core.social_graph as graphs
from simulation.core import engine as engine_module
from simulation.core import graphgen
from simulation.core.engine import VectorEngine
from simulation.core.kernels import slot_major
from simulation.core.organization import build_company
from simulation.core.state import init_state
from simulation.rng import stream
from simulation.scenario.config import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def timed(function, label: str, timings: dict[str, float]):
    """Wrap a set-up function of the engine module so its wall time is recorded under ``label``."""

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            timings[label] = timings.get(label, 0.0) + time.perf_counter() - start

    return wrapper


def floor_seconds(adjacency, rng: np.random.Generator) -> float:
    """Time of one sparse mat-vec over the graph plus one uniform draw per stored edge."""
    x = rng.random(adjacency.shape[0])
    start = time.perf_counter()
    adjacency @ x
    rng.random(adjacency.nnz)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=168, help="steps to time (2184 = the full quarter)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "centralized.toml")
    parser.add_argument("--profile", type=Path, default=None, help="write a pyinstrument HTML profile of the steps")
    parser.add_argument("--no-networkx", action="store_true", help="skip networkx's generator (the slow reference)")
    args = parser.parse_args()

    config = load_scenario(args.scenario, [f"customers.count={args.customers}", f"simulation.steps={args.steps}"])
    loading = load_compiled_generators(config)  # before the engine, so a cold start is what is timed
    timings: dict[str, float] = {}
    for name, label in (
        ("build_social_csr", "social graph -> CSR"),
        ("build_social_graph", "social graph (build_social_graph)"),
        ("to_csr", "networkx -> CSR (to_csr)"),
        ("build_company", "company"),
        ("init_state", "customer state"),
        ("compile_params", "compile params"),
        ("slot_major", "neighbour layout (slot-major)"),
    ):
        if hasattr(engine_module, name):  # whichever set-up functions the engine calls
            setattr(engine_module, name, timed(getattr(engine_module, name), label, timings))
    start = time.perf_counter()
    engine = VectorEngine(config, args.seed)
    timings["engine set-up, total"] = time.perf_counter() - start
    memory_build = peak_rss_gb()
    adjacency = engine.state.adjacency
    floor_rng = np.random.default_rng(0)
    floors = [floor_seconds(adjacency, floor_rng) for _ in range(3)]

    profiler = None
    if args.profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    step_times = []
    for step in range(args.steps):
        start = time.perf_counter()
        engine.step()
        step_times.append(time.perf_counter() - start)
        if step % 12 == 11:  # sample the floor throughout, so both see the same machine load
            floors.append(floor_seconds(adjacency, floor_rng))
    if profiler is not None:
        profiler.stop()
        args.profile.write_text(profiler.output_html())
        print(profiler.output_text(unicode=False, color=False))
    step_times = np.array(step_times)
    per_step = float(step_times.mean())
    floor = float(np.mean(floors))

    print(
        f"scenario {args.scenario.name}, {engine.n_customers:,} customers, {adjacency.nnz // 2:,} ties, "
        f"{engine.company.size} employees, {args.steps} steps timed, seed {args.seed}"
    )
    print(f"{'part':34s}{'seconds':>12s}")
    for name, seconds in timings.items():
        print(f"{name:34s}{seconds:12.2f}")
    print(f"{'step, mean':34s}{per_step:12.4f}")
    print(f"{'step, median':34s}{float(np.median(step_times)):12.4f}")
    print(f"{'step, max':34s}{float(step_times.max()):12.4f}")
    print(f"{'floor (1 spmv + 1 draw per edge)':34s}{floor:12.4f}  (mean of {len(floors)} samples)")
    print(f"{'quarter (2184 steps), projected':34s}{per_step * 2184:12.1f}")
    print(f"peak memory after set-up: {memory_build:.2f} GB; peak for the whole run: {peak_rss_gb():.2f} GB")
    print(f"ratio_to_floor={per_step / floor:.2f}")
    del engine, adjacency
    graph_generators(config, args, per_step, loading)


def load_compiled_generators(config) -> dict[str, float]:
    """Seconds to import numba and to load (or compile) the generator's machine code: a 100-node call."""
    start = time.perf_counter()
    graphgen._kernels()
    loaded = time.perf_counter()
    graphs.compiled_social_edges(config.network, max(int(config.network.mean_degree) + 2, 100), 0)
    generators = time.perf_counter()
    small = VectorEngine(config.with_values({"customers.count": 200}), 0)  # the step core's kernels, loaded once
    for _ in range(48):
        small.step()
    return {
        "numba import": loaded - start,
        "machine code, first call (cache/compile)": generators - loaded,
        "step core machine code (cache/compile)": time.perf_counter() - generators,
    }


def graph_generators(config, args, per_step: float, loading: dict[str, float]) -> None:
    """The compiled social-graph generator against networkx's, same model and size, same run."""
    network, count = config.network, config.customers.count
    seed = int(stream(args.seed, "social_graph").integers(2**31 - 1))  # the engine's draw
    seconds = dict(loading)

    def clock(label: str, function, *call_args):
        start = time.perf_counter()
        value = function(*call_args)
        seconds[label] = time.perf_counter() - start
        return value

    edges = clock("graph: compiled", graphs.compiled_social_edges, network, count, seed)
    adjacency = clock("CSR: csr_from_edges", graphgen.csr_from_edges, count, *edges)
    del edges
    company = build_company(config.organization, stream(args.seed, "company"))
    clock("state: init_state", init_state, config, company, adjacency, stream(args.seed, "customers"))
    clock("layout: slot_major", slot_major, adjacency)
    if not args.no_networkx:
        graph = clock(f"graph: networkx {network.kind}", graphs.networkx_social_graph, network, count, seed)
        clock("CSR: to_csr (of the networkx graph)", graphs.to_csr, graph)
        del graph
    compiled_setup = sum(
        seconds[part] for part in ("graph: compiled", "CSR: csr_from_edges", "state: init_state", "layout: slot_major")
    )
    share = compiled_setup / (per_step * 2184)

    print()
    print(f"social graph: {network.kind}, {count:,} nodes, {adjacency.nnz // 2:,} ties, seed {seed}")
    print(f"{'part':40s}{'seconds':>12s}")
    for label, value in seconds.items():
        print(f"{label:40s}{value:12.2f}")
    print(f"{'set-up (graph + CSR + state + layout)':40s}{compiled_setup:12.2f}  ({share:.1%} of a quarter's steps)")
    print(f"peak memory for the whole run: {peak_rss_gb():.2f} GB (the networkx graph included)")
    if not args.no_networkx:
        networkx_both = seconds[f"graph: networkx {network.kind}"] + seconds["CSR: to_csr (of the networkx graph)"]
        compiled_both = seconds["graph: compiled"] + seconds["CSR: csr_from_edges"]
        print(f"graph+CSR speedup={networkx_both / compiled_both:.1f}")
        print(f"graph_speedup={seconds[f'graph: networkx {network.kind}'] / seconds['graph: compiled']:.1f}")


if __name__ == "__main__":
    main()
