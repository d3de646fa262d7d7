"""Independent cascade: silosim's vectorized kernel against NDlib's IndependentCascadesModel.

One Barabási–Albert graph, the same few seed nodes for every run of both tools, the same
per-edge activation probability (NDlib's edge ``threshold``), one sub-critical and one
super-critical probability. Each NDlib cascade is iterated until no node is left active.
Prints a table (mean final size of each tool with its standard error, seconds per
cascade, speedup) and, as its last line, ``speedup=<the smaller of the two speedups>``.

    python benchmarks/cascade_vs_ndlib.py --nodes 100000

One-time set-up is excluded from the per-cascade times on both sides: the CSR conversion
for silosim; building and configuring the model (one threshold per edge) for NDlib, which
is reported separately. NDlib draws from NumPy's global generator, which it seeds itself.
"""

from __future__ import annotations

import sys
import time
from importlib.metadata import version
from typing import Annotated

import networkx as nx
import numpy as np
import scipy.sparse as sp
import typer

from simulation.core import independent_cascade
from simulation.core.social_graph import to_csr

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def run_silosim(
    adjacency: sp.csr_matrix, seeds: np.ndarray, p: float, runs: int, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Final sizes of ``runs`` cascades and the mean seconds per cascade."""
    independent_cascade(adjacency, seeds, p, rng)  # warm-up, not timed
    sizes = np.empty(runs)
    start = time.perf_counter()
    for r in range(runs):
        sizes[r] = independent_cascade(adjacency, seeds, p, rng).sum()
    return sizes, (time.perf_counter() - start) / runs


def run_ndlib(graph: nx.Graph, seeds: np.ndarray, p: float, runs: int, seed: int) -> tuple[np.ndarray, float, float]:
    """Final sizes of ``runs`` NDlib cascades, mean seconds per cascade, and the set-up seconds."""
    import ndlib.models.ModelConfig as mc
    from ndlib.models.epidemics import IndependentCascadesModel

    start = time.perf_counter()
    model = IndependentCascadesModel(graph, seed=seed)
    config = mc.Configuration()
    config.add_model_initial_configuration("Infected", [int(s) for s in seeds])
    for edge in graph.edges():
        config.add_edge_configuration("threshold", edge, p)
    model.set_initial_status(config)
    setup = time.perf_counter() - start
    sizes = np.empty(runs)
    start = time.perf_counter()
    for r in range(runs):
        model.reset([int(s) for s in seeds])
        while True:  # iteration 0 reports the seeds; each later one spreads from the active nodes
            counts = model.iteration(node_status=False)["node_count"]
            if counts[1] == 0:
                break
        sizes[r] = counts[2]
    return sizes, (time.perf_counter() - start) / runs, setup


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error."""
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0


@app.command()
def main(
    nodes: Annotated[int, typer.Option(help="nodes of the Barabási–Albert graph")] = 100_000,
    m: Annotated[int, typer.Option(help="edges each new BA node attaches (mean degree ~2m)")] = 3,
    p_sub: Annotated[float, typer.Option(help="sub-critical edge probability")] = 0.02,
    p_super: Annotated[float, typer.Option(help="super-critical edge probability")] = 0.2,
    runs: Annotated[int, typer.Option(help="NDlib cascades per probability")] = 20,
    silosim_runs: Annotated[int, typer.Option(help="silosim cascades per probability (cheap: more of them)")] = 500,
    seed_nodes: Annotated[int, typer.Option(help="seed nodes, drawn once, the same for every run")] = 5,
    seed: Annotated[int, typer.Option(help="root seed (graph, seed nodes, both tools' draws)")] = 1,
) -> None:
    """Time silosim's independent cascade against NDlib's on one BA graph."""
    try:  # the modules used below, not just the package: ndlib 6.0.1 imports `six` without declaring it
        import ndlib.models.epidemics  # noqa: F401
        import ndlib.models.ModelConfig  # noqa: F401
    except ImportError as err:
        typer.echo(
            f"NDlib cannot be imported ({err}): `pip install -e '.[bench]'` (ndlib 6.0.1 also needs `pip install six`)"
            " and run again.",
            err=True,
        )
        raise typer.Exit(1) from None
    graph_seed, nodes_seed, silosim_seed, ndlib_seed = np.random.SeedSequence(seed).spawn(4)
    start = time.perf_counter()
    graph = nx.barabasi_albert_graph(nodes, m, seed=int(graph_seed.generate_state(1)[0]))
    build = time.perf_counter() - start
    start = time.perf_counter()
    adjacency = to_csr(graph)
    convert = time.perf_counter() - start
    degree = np.diff(adjacency.indptr).astype(float)
    threshold = degree.mean() / (np.mean(degree**2) - degree.mean())
    seeds = np.random.default_rng(nodes_seed).choice(nodes, size=seed_nodes, replace=False)
    typer.echo(
        f"BA graph: {nodes} nodes, {graph.number_of_edges()} edges, m={m} (built {build:.1f} s, CSR {convert:.2f} s); "
        f"mean-field threshold <k>/(<k^2>-<k>) = {threshold:.3f}; {seed_nodes} seed nodes; "
        f"Python {sys.version.split()[0]}, NDlib {version('ndlib')}"
    )
    rng = np.random.default_rng(silosim_seed)
    header = (
        f"{'p':>6} {'runs':>8} {'size silosim':>19} {'size ndlib':>19} {'z':>5} "
        f"{'s/cascade silosim':>18} {'s/cascade ndlib':>16} {'ndlib setup s':>13} {'speedup':>9}"
    )
    typer.echo(header)
    typer.echo("-" * len(header))
    speedups = []
    for p, ndlib_state in zip((p_sub, p_super), ndlib_seed.generate_state(2), strict=True):
        ours, ours_s = run_silosim(adjacency, seeds, p, silosim_runs, rng)
        theirs, theirs_s, setup = run_ndlib(graph, seeds, p, runs, int(ndlib_state))
        (m1, se1), (m2, se2) = mean_se(ours), mean_se(theirs)
        # Two-sample z under "same distribution": the common SD is taken from the pooled
        # sample, since a few NDlib runs of a skewed size distribution misjudge their own SD.
        pooled = np.concatenate([ours, theirs]).std(ddof=1)
        z = (m1 - m2) / (pooled * np.sqrt(1 / len(ours) + 1 / len(theirs))) if pooled > 0 else 0.0
        speedups.append(theirs_s / ours_s)
        typer.echo(
            f"{p:>6g} {f'{silosim_runs}/{runs}':>8} {m1:>10.2f} ± {se1:<6.2f} {m2:>10.2f} ± {se2:<6.2f} {z:>5.1f} "
            f"{ours_s:>18.2e} {theirs_s:>16.3f} {setup:>13.2f} {speedups[-1]:>8.0f}x"
        )
    typer.echo(
        "(runs: silosim/NDlib; size: mean final size ± standard error, seeds included; "
        "z: difference of the means / its standard error from the pooled SD; |z| < 3: same mean)"
    )
    typer.echo(f"speedup={min(speedups):.1f}")


if __name__ == "__main__":
    app()
