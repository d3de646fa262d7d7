"""The customers' social graph (ODD 5, initialisation): generated, or given as a graph read above the core.

Built and analysed with networkx; converted once to ``scipy.sparse`` CSR for the hot path.
A user's edge list or org chart is read by :mod:`simulation.scenario.inputs` (the core reads
no files); the company and its internal collaboration graph are built in
:mod:`simulation.core.organization`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulation.core import graphgen
from simulation.errors import ScenarioError
from simulation.scenario.config import NetworkSection

__all__ = [
    "build_social",
    "build_social_csr",
    "build_social_graph",
    "graph_from_csr",
    "graph_in_order",
    "to_csr",
]


# --------------------------------------------------------------------------------------------
# Social graph


COMPILED_GRAPHS_FROM = 50_000
"""Generated social graphs with at least this many nodes come from :mod:`simulation.core.graphgen`.

Below it a run's graph is networkx's, as it always has been (so small runs and the seeded
baseline are unchanged): Holme–Kim and Barabási–Albert from compiled kernels that make
networkx's draws exactly (the same graph, ~15 times faster: 0.19 s at 10,000 nodes in
networkx), Watts–Strogatz and G(n, p) from networkx itself. From it the compiled
generators draw graphs of the same models from numba's generator, straight to CSR
(networkx's Holme–Kim takes ~45 s at a million nodes, pure Python). Compiling the kernels
on a machine's first use takes a few seconds; later processes load them from numba's cache.
"""

LIKE_NETWORKX = frozenset({"holme_kim", "barabasi_albert"})
"""The kinds whose compiled generator can make networkx's generator's draws (``like_networkx=True``)."""


def build_social(
    network: NetworkSection, count: int, rng: np.random.Generator
) -> tuple[sp.csr_matrix, Callable[[], nx.Graph]]:
    """The customers' social graph as CSR adjacency, and a function that returns it as networkx.

    Draws one integer seed from ``rng`` whichever way the graph is made. An edge list, or a
    generated graph below :data:`COMPILED_GRAPHS_FROM` nodes, is networkx's graph (built by
    networkx, or from the edges a compiled kernel makes as networkx would, then built by
    :func:`graph_in_order` only if asked for); a larger generated graph comes from the
    compiled generators, and its networkx graph from the CSR (:func:`graph_from_csr`).
    """
    seed = int(rng.integers(2**31 - 1))
    k = network.mean_degree
    if network.kind == "edgelist":
        raise ValueError("network.path: an edge list is read above the core (simulation.scenario.inputs)")
    if k >= count:
        raise ScenarioError(f"network.mean_degree: {k} is not below customers.count = {count}")
    if count >= COMPILED_GRAPHS_FROM:
        adjacency = graphgen.csr_from_edges(count, *compiled_social_edges(network, count, seed))
        return adjacency, functools.partial(graph_from_csr, adjacency)
    if network.kind in LIKE_NETWORKX:
        u, v = compiled_social_edges(network, count, seed, like_networkx=True)
        return graphgen.csr_from_edges(count, u, v), functools.partial(graph_in_order, count, u, v)
    graph = networkx_social_graph(network, count, seed)
    return to_csr(graph), functools.partial(_given, graph)


def _given(graph: nx.Graph) -> nx.Graph:
    return graph


def build_social_csr(
    network: NetworkSection, count: int, rng: np.random.Generator, *, keep_graph_up_to: int | None = None
) -> tuple[sp.csr_matrix, nx.Graph | None]:
    """:func:`build_social`, and the networkx graph or ``None``.

    The graph is returned if it is networkx's (below :data:`COMPILED_GRAPHS_FROM` nodes, or
    read from an edge list) and has at most ``keep_graph_up_to`` nodes (``None``: any).
    """
    adjacency, as_networkx = build_social(network, count, rng)
    keep = count < COMPILED_GRAPHS_FROM or network.kind == "edgelist"
    keep = keep and (keep_graph_up_to is None or adjacency.shape[0] <= keep_graph_up_to)
    return adjacency, as_networkx() if keep else None


def build_social_graph(network: NetworkSection, count: int, rng: np.random.Generator) -> nx.Graph:
    """The customers' social graph (nodes 0..n-1) as networkx: the graph :func:`build_social` draws."""
    return build_social(network, count, rng)[1]()


def graph_in_order(count: int, u: np.ndarray, v: np.ndarray) -> nx.Graph:
    """The networkx graph on nodes ``0..count-1`` with edges ``(u[i], v[i])`` added in order.

    With the edges a generator adds in the order it adds them, this is its graph exactly:
    the same nodes and, for each node, the neighbours in the same order (networkx keeps
    insertion order, which Mesa's network space and anything iterating neighbours see).
    """
    graph = nx.empty_graph(count)
    graph.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
    return graph


def graph_from_csr(adjacency: sp.csr_matrix) -> nx.Graph:
    """The networkx graph of a symmetric CSR adjacency, nodes 0..n-1 (twice as fast as networkx's converter)."""
    upper = sp.triu(adjacency, k=1).tocoo()
    graph = nx.empty_graph(adjacency.shape[0])
    graph.add_edges_from(zip(upper.row.tolist(), upper.col.tolist(), strict=True))
    return graph


def _attachments(network: NetworkSection) -> int:
    """Links per new node of the growth models (Holme–Kim, Barabási–Albert): half the mean degree."""
    return max(1, round(network.mean_degree / 2))


def _ring_neighbours(network: NetworkSection) -> int:
    """Lattice neighbours per node of Watts–Strogatz: the mean degree, at least 2."""
    return max(2, round(network.mean_degree))


def networkx_social_graph(network: NetworkSection, count: int, seed: int) -> nx.Graph:
    """A generated social graph from networkx's generators."""
    if network.kind == "holme_kim":
        return nx.powerlaw_cluster_graph(count, _attachments(network), network.triangle_prob, seed=seed)
    if network.kind == "barabasi_albert":
        return nx.barabasi_albert_graph(count, _attachments(network), seed=seed)
    if network.kind == "watts_strogatz":
        return nx.watts_strogatz_graph(count, _ring_neighbours(network), network.rewire_prob, seed=seed)
    return nx.fast_gnp_random_graph(count, network.mean_degree / (count - 1), seed=seed)  # erdos_renyi


def compiled_social_edges(
    network: NetworkSection, count: int, seed: int, *, like_networkx: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Edge ends of a generated social graph from the compiled generators (numba loads here).

    ``like_networkx`` (Holme–Kim and Barabási–Albert only): networkx's draws, in its order.
    """
    if network.kind == "holme_kim":
        return graphgen.holme_kim_edges(
            count, _attachments(network), network.triangle_prob, seed, like_networkx=like_networkx
        )
    if network.kind == "barabasi_albert":
        return graphgen.barabasi_albert_edges(count, _attachments(network), seed, like_networkx=like_networkx)
    if like_networkx:
        raise ValueError(f"network.kind {network.kind!r}: no compiled generator makes networkx's draws")
    if network.kind == "watts_strogatz":
        return graphgen.watts_strogatz_edges(count, _ring_neighbours(network), network.rewire_prob, seed)
    return graphgen.erdos_renyi_edges(count, network.mean_degree / (count - 1), seed)  # erdos_renyi


def to_csr(graph: nx.Graph) -> sp.csr_matrix:
    """Adjacency of an undirected graph on nodes 0..n-1 as a symmetric 0/1 CSR matrix, sorted indices.

    Built from an edge array (networkx's own converter takes about a minute at a million nodes)
    by :func:`simulation.core.graphgen.csr_from_edges`, the one definition of the format.
    """
    flat = np.fromiter(itertools.chain.from_iterable(graph.edges()), dtype=np.int64, count=2 * graph.number_of_edges())
    return graphgen.csr_from_edges(graph.number_of_nodes(), flat[0::2], flat[1::2])


# --------------------------------------------------------------------------------------------
# Org chart (read before the core is built)
