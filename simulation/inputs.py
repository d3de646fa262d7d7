"""Input files a scenario names: the social graph's edge list and the company's org chart.

Read before the core is built; every problem with a file is a :class:`ScenarioError`
naming the key (``network.path`` or ``organization.org_chart``) and the reason.
"""

from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx

from simulation.errors import ScenarioError


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


def read_org_chart(path: Path) -> tuple[list[str], list[str], dict[str, str]]:
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
    return names, depts, managers
