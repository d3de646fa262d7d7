"""Inputs of a run's graphs: the customers' social graph (generated or read) and a user's org chart.

Built and analysed with networkx; converted once to ``scipy.sparse`` CSR for the hot path.
The company and its internal collaboration graph are built in
:mod:`simulation.core.organization` from what is read here.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulation.config import NetworkSection
from simulation.errors import ScenarioError


@dataclass(frozen=True)
class OrgChart:
    """An org chart as read from a file: employee names, their departments and managers."""

    employees: list[str]
    departments: list[str]
    managers: dict[str, str]


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


def read_edgelist(path: Path) -> nx.Graph:
    """Read a user's social graph: CSV (``source,target`` header optional) or GraphML."""
    if not path.is_file():
        raise ScenarioError(f"network.path: file not found: {path}")
    if path.suffix.lower() == ".graphml":
        try:
            graph = nx.read_graphml(path)
        except Exception as err:  # networkx raises several parser errors
            raise ScenarioError(f"network.path: not a readable GraphML file ({err})") from None
    else:
        graph = nx.Graph()
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) < 2:
                    raise ScenarioError(f"network.path: line {number}: expected source,target")
                if number == 1 and row[0].strip().lower() in {"source", "from", "u"}:
                    continue
                graph.add_edge(row[0].strip(), row[1].strip())
    graph = nx.Graph(graph)  # undirected, no multi-edges
    graph.remove_edges_from(nx.selfloop_edges(graph))
    if graph.number_of_nodes() < 10:
        raise ScenarioError(f"network.path: {path} has {graph.number_of_nodes()} nodes; at least 10 needed")
    return nx.convert_node_labels_to_integers(graph, label_attribute="label")


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


def read_org_chart(path: Path) -> OrgChart:
    """Read an org chart CSV (``employee,department,manager``): employees, their depts, managers."""
    if not path.is_file():
        raise ScenarioError(f"organization.org_chart: file not found: {path}")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"employee", "department", "manager"} - set(reader.fieldnames or [])
        if missing:
            raise ScenarioError(f"organization.org_chart: missing column(s) {', '.join(sorted(missing))}")
        rows = list(reader)
    if not rows:
        raise ScenarioError("organization.org_chart: no employees")
    names = [row["employee"].strip() for row in rows]
    if len(set(names)) != len(names):
        raise ScenarioError("organization.org_chart: employee names must be unique")
    depts = [row["department"].strip() for row in rows]
    managers = {row["employee"].strip(): row["manager"].strip() for row in rows if row["manager"].strip()}
    unknown = sorted(set(managers.values()) - set(names))
    if unknown:
        raise ScenarioError(f"organization.org_chart: unknown manager {unknown[0]!r}")
    return OrgChart(names, depts, managers)
