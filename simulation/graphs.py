"""Inputs of a run's graphs: the customers' social graph (generated or read) and a user's org chart.

The files are read and checked in :mod:`simulation.inputs` (re-exported here).

Built and analysed with networkx; converted once to ``scipy.sparse`` CSR for the hot path.
The company and its internal collaboration graph are built in
:mod:`simulation.core.organization` from what is read here.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulation.config import NetworkSection
from simulation.errors import ScenarioError
from simulation.inputs import OrgChart, read_edgelist, read_org_chart

__all__ = ["OrgChart", "build_social_graph", "read_edgelist", "read_org_chart", "to_csr"]


# --------------------------------------------------------------------------------------------
# Social graph


def build_social_graph(network: NetworkSection, count: int, rng: np.random.Generator) -> nx.Graph:
    """Build the customers' social graph (nodes 0..n-1) from a generator or an edge list."""
    seed = int(rng.integers(2**31 - 1))
    k = network.mean_degree
    if network.kind == "edgelist":
        return read_edgelist(Path(network.path))
    if k >= count:
        raise ScenarioError(f"network.mean_degree: {k} is not below customers.count = {count}")
    if network.kind == "holme_kim":
        graph = nx.powerlaw_cluster_graph(count, max(1, round(k / 2)), network.triangle_prob, seed=seed)
    elif network.kind == "barabasi_albert":
        graph = nx.barabasi_albert_graph(count, max(1, round(k / 2)), seed=seed)
    elif network.kind == "watts_strogatz":
        graph = nx.watts_strogatz_graph(count, max(2, round(k)), network.rewire_prob, seed=seed)
    else:  # erdos_renyi
        graph = nx.fast_gnp_random_graph(count, k / (count - 1), seed=seed)
    return graph


def to_csr(graph: nx.Graph) -> sp.csr_matrix:
    """Adjacency of an undirected graph on nodes 0..n-1 as a symmetric 0/1 CSR matrix, sorted indices.

    Built from an edge array (networkx's own converter takes about a minute at a million nodes).
    """
    n = graph.number_of_nodes()
    flat = np.fromiter(itertools.chain.from_iterable(graph.edges()), dtype=np.int64, count=2 * graph.number_of_edges())
    u, v = flat[0::2], flat[1::2]
    rows, cols = np.concatenate([u, v]), np.concatenate([v, u])
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    matrix.sort_indices()
    return matrix


# --------------------------------------------------------------------------------------------
# Org chart (read before the core is built)
