"""Graphs: the customers' social graph and the company's internal collaboration graph.

Built and analysed with networkx; converted once to ``scipy.sparse`` CSR for the hot path.
The internal graph's random part (the company) is drawn once per run from its own stream
and is the same under every org model, so org models are compared on the same company.
Org models add structural ties of their own kinds; hand-off delay and loss between
departments are shortest paths over tie kinds (see :func:`handoff_matrices`).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulation import graphgen
from simulation.config import AGENCY, NetworkSection, OrganizationSection, SupportSection
from simulation.errors import ScenarioError

MEMBER, LEAD, HUB, MANAGER = 0, 1, 2, 3
ROLE_NAMES = ("member", "lead", "hub", "manager")
EXECUTIVE, CHANNEL, TOOL = "executive", "channel", "tool"


# --------------------------------------------------------------------------------------------
# Social graph


COMPILED_GRAPHS_FROM = 50_000
"""Generated social graphs with at least this many nodes come from :mod:`simulation.graphgen`.

Below it networkx's generators build them, as they always have (so small runs and the
seeded baseline are unchanged); from it numba-compiled generators of the same models go
straight to CSR (networkx's Holme–Kim takes ~45 s at a million nodes, pure Python). At
50,000 nodes networkx takes about a second; compiling the kernels on a machine's first
use takes a few seconds, and later processes load them from numba's cache.
"""


def build_social_csr(
    network: NetworkSection, count: int, rng: np.random.Generator, *, keep_graph_up_to: int | None = None
) -> tuple[sp.csr_matrix, nx.Graph | None]:
    """The customers' social graph as CSR adjacency, plus the networkx graph if one was built.

    Draws one integer seed from ``rng`` whichever way the graph is made. An edge list, or a
    generated graph below :data:`COMPILED_GRAPHS_FROM` nodes, is built with networkx and
    converted (:func:`to_csr`); a larger generated graph comes from the compiled generators
    with no networkx graph. The networkx graph is returned only if it has at most
    ``keep_graph_up_to`` nodes (``None``: always), else ``None``.
    """
    seed = int(rng.integers(2**31 - 1))
    k = network.mean_degree
    if network.kind == "edgelist":
        graph = read_edgelist(Path(network.path))
    else:
        if k >= count:
            raise ScenarioError(f"network.mean_degree: {k} is not below customers.count = {count}")
        if count >= COMPILED_GRAPHS_FROM:
            return graphgen.csr_from_edges(count, *compiled_social_edges(network, count, seed)), None
        graph = networkx_social_graph(network, count, seed)
    keep = keep_graph_up_to is None or graph.number_of_nodes() <= keep_graph_up_to
    return to_csr(graph), graph if keep else None


def build_social_graph(network: NetworkSection, count: int, rng: np.random.Generator) -> nx.Graph:
    """The customers' social graph (nodes 0..n-1) as networkx: the graph :func:`build_social_csr` draws."""
    adjacency, graph = build_social_csr(network, count, rng)
    return graph if graph is not None else graph_from_csr(adjacency)


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


def compiled_social_edges(network: NetworkSection, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Edge ends of a generated social graph from the compiled generators (numba loads here)."""
    if network.kind == "holme_kim":
        return graphgen.holme_kim_edges(count, _attachments(network), network.triangle_prob, seed)
    if network.kind == "barabasi_albert":
        return graphgen.barabasi_albert_edges(count, _attachments(network), seed)
    if network.kind == "watts_strogatz":
        return graphgen.watts_strogatz_edges(count, _ring_neighbours(network), network.rewire_prob, seed)
    return graphgen.erdos_renyi_edges(count, network.mean_degree / (count - 1), seed)  # erdos_renyi


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

    Built from an edge array (networkx's own converter takes about a minute at a million nodes)
    by :func:`simulation.graphgen.csr_from_edges`, the one definition of the format.
    """
    flat = np.fromiter(itertools.chain.from_iterable(graph.edges()), dtype=np.int64, count=2 * graph.number_of_edges())
    return graphgen.csr_from_edges(graph.number_of_nodes(), flat[0::2], flat[1::2])


# --------------------------------------------------------------------------------------------
# Company: employees and the internal graph


@dataclass(frozen=True)
class Company:
    """The employees of a run: fixed arrays drawn once, shared by every org model.

    Attributes:
        departments: department names; the outside agency is always last.
        dept: department index of each employee.
        is_manager: the first employee of each department manages it.
        rank: position of an employee inside its department (0 = manager).
        key: a uniform number per employee; posters are those with ``key < poster_share``.
        ties: candidate random ties ``(i, j, u)``; an intra tie always exists, a cross tie
            exists when ``u >= silo_strength`` (so a stronger silo keeps a subset of ties).
        managers_of: explicit manager of each employee from an org chart (-1 if none).
    """

    departments: tuple[str, ...]
    dept: np.ndarray
    is_manager: np.ndarray
    rank: np.ndarray
    key: np.ndarray
    ties: np.ndarray
    managers_of: np.ndarray

    @property
    def size(self) -> int:
        """Number of employees, agency staff included."""
        return len(self.dept)

    @property
    def agency_index(self) -> int:
        """Index of the outside agency among the departments."""
        return len(self.departments) - 1


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


def unit_names(departments: Sequence[str]) -> list[str]:
    """Routing units in the order of the hand-off matrices' rows: departments, then the shared tool."""
    return [*departments, TOOL]


def build_company(org: OrganizationSection, rng: np.random.Generator) -> Company:
    """Draw the company's employees and candidate ties (independent of the org model)."""
    managers_of: list[int]
    if org.org_chart is not None:
        names, depts, managers = read_org_chart(Path(org.org_chart))
        departments = list(dict.fromkeys(depts))
        index = {name: i for i, name in enumerate(names)}
        order = sorted(range(len(names)), key=lambda i: (departments.index(depts[i]), names[i] in managers))
        dept_list = [departments.index(depts[i]) for i in order]
        new_index = {old: new for new, old in enumerate(order)}
        managers_of = [new_index[index[managers[names[i]]]] if names[i] in managers else -1 for i in order]
    else:
        departments = list(org.departments)
        dept_list = [d for d, name in enumerate(departments) for _ in range(org.headcount[name])]
        managers_of = []
    agency_index = len(departments)
    dept_list += [agency_index] * org.agency_headcount
    departments.append(AGENCY)
    dept = np.asarray(dept_list, dtype=np.int16)
    n = len(dept)
    rank = np.zeros(n, dtype=np.int32)
    for d in range(len(departments)):
        members = np.flatnonzero(dept == d)
        rank[members] = np.arange(len(members))
    is_manager = rank == 0  # the first of each department: with an org chart, a root (roots sort first)
    managers_full = np.full(n, -1, dtype=np.int32)
    if managers_of:
        managers_full[: len(managers_of)] = managers_of
    key = rng.random(n)
    i, j = np.triu_indices(n, k=1)
    u = rng.random(len(i))
    same = dept[i] == dept[j]
    keep = np.where(same, u < org.intra_tie_prob, u < org.cross_tie_prob)
    # A cross tie's survival key is redrawn so it is independent of its existence draw.
    survival = np.where(same, 1.0, rng.random(len(i)))
    ties = np.column_stack([i[keep], j[keep], survival[keep]])
    return Company(tuple(departments), dept, is_manager, rank, key, ties, managers_full)


def check_names(company: Company, org: OrganizationSection, support: SupportSection) -> None:
    """Every department a config names must exist in the company (an org chart brings its own)."""
    known = set(company.departments)
    source = "the org chart" if org.org_chart is not None else "organization.departments"
    for field in ("posters", "listeners", "task_force"):
        for name in getattr(org, field):
            if name not in known:
                raise ScenarioError(f"organization.{field}: {name!r} is not a department in {source}")
    for kind, name in support.owners.items():
        if name not in known:
            raise ScenarioError(f"support.owners.{kind}: {name!r} is not a department in {source}")


def department_contacts(company: Company, org: OrganizationSection) -> np.ndarray:
    """The employee each department hands work to and from: its lead if it has one, else its manager."""
    roles = employee_roles(company, org)
    contacts = np.empty(len(company.departments), dtype=np.int64)
    for d in range(len(company.departments)):
        members = np.flatnonzero(company.dept == d)
        if len(members) == 0:
            contacts[d] = -1
            continue
        leads = members[(roles[members] == LEAD) | (roles[members] == HUB)]
        contacts[d] = leads[0] if len(leads) else members[company.is_manager[members]][0]
    return contacts


def employee_roles(company: Company, org: OrganizationSection) -> np.ndarray:
    """Role of each employee under an org model: member, lead, hub (CoE) or manager."""
    roles = np.where(company.is_manager, MANAGER, MEMBER).astype(np.int8)
    active = set(org.posters) | set(org.listeners) | set(org.task_force)
    for d, name in enumerate(company.departments):
        members = np.flatnonzero(company.dept == d)
        if name in active and org.leads and len(members):
            candidates = members[~company.is_manager[members]]
            roles[candidates[0] if len(candidates) else members[0]] = LEAD
    if org.hub:
        hub_dept = company.departments.index("marketing") if "marketing" in company.departments else 0
        members = np.flatnonzero(company.dept == hub_dept)
        lead = members[roles[members] == LEAD]
        roles[lead[0] if len(lead) else members[0]] = HUB
    return roles


def poster_mask(company: Company, org: OrganizationSection) -> np.ndarray:
    """Employees who post under an org model (leads and hubs of posting departments always do)."""
    roles = employee_roles(company, org)
    posting = np.isin(company.dept, [company.departments.index(d) for d in org.posters if d in company.departments])
    if not org.agency:
        posting &= company.dept != company.agency_index
    return posting & ((company.key < org.poster_share) | (roles == LEAD) | (roles == HUB))


def internal_graph(company: Company, org: OrganizationSection) -> nx.Graph:
    """The internal collaboration graph of the company under an org model.

    Nodes are employee indices plus the virtual nodes ``executive`` (top of the hierarchy),
    ``channel`` (internal social channel) and ``tool`` (shared listening tool). Every edge
    has a ``kind`` in :data:`simulation.config.TIE_KINDS`.
    """
    graph = nx.Graph()
    n = company.size
    agency = company.agency_index
    graph.add_nodes_from(
        (e, {"dept": company.departments[company.dept[e]], "dept_index": int(company.dept[e])}) for e in range(n)
    )
    graph.add_node(EXECUTIVE, dept="executive", dept_index=-1)
    ti, tj, tu = company.ties[:, 0].astype(int), company.ties[:, 1].astype(int), company.ties[:, 2]
    same = company.dept[ti] == company.dept[tj]
    present = same | (tu >= org.silo_strength)
    if not org.agency:  # idle agency staff are not part of the company's network
        present &= (company.dept[ti] != agency) & (company.dept[tj] != agency)
    for a, b, is_same in zip(ti[present], tj[present], same[present], strict=True):
        graph.add_edge(int(a), int(b), kind="intra" if is_same else "cross")
    managers = np.flatnonzero(company.is_manager)
    for e in range(n):
        boss = company.managers_of[e]
        if boss < 0:
            boss = managers[company.dept[managers] == company.dept[e]][0]
        if boss != e:
            graph.add_edge(e, int(boss), kind="hierarchy" if company.dept[e] == company.dept[boss] else "cross")
    for m in managers:
        if company.dept[m] != agency:
            graph.add_edge(int(m), EXECUTIVE, kind="hierarchy")
    contacts = department_contacts(company, org)
    roles = employee_roles(company, org)
    if org.agency and contacts[agency] >= 0 and "marketing" in company.departments:
        marketing_manager = managers[company.dept[managers] == company.departments.index("marketing")][0]
        graph.add_edge(int(contacts[agency]), int(marketing_manager), kind="agency")
    team: list[int] = []
    for name in org.task_force:
        d = company.departments.index(name)
        members = np.flatnonzero((company.dept == d) & ~company.is_manager)
        ordered = sorted(members, key=lambda e: (roles[e] not in (LEAD, HUB), company.rank[e]))
        team.extend(int(e) for e in ordered[: org.task_force_size])
    for x, a in enumerate(team):
        for b in team[x + 1 :]:
            graph.add_edge(a, b, kind="team")
    if org.hub:
        hub = int(np.flatnonzero(roles == HUB)[0])
        for c in contacts:
            if c >= 0 and c != hub and (org.agency or company.dept[c] != agency):
                graph.add_edge(hub, int(c), kind="hub")
    if org.internal_channel:
        members = np.flatnonzero(poster_mask(company, org) | (roles == LEAD) | (roles == HUB))
        graph.add_edges_from(((int(e), CHANNEL) for e in members), kind="channel")
    if org.shared_tool:
        graph.add_edges_from(
            ((int(c), TOOL) for c in contacts if c >= 0 and (org.agency or company.dept[c] != agency)),
            kind="tool",
        )
    return graph


def hop_weight(kind: str, support: SupportSection, silo_strength: float) -> tuple[float, float]:
    """Mean delay (hours) and loss probability of one hand-off hop over a tie of this kind."""
    hours = support.hop_hours.get(kind, 1.0)
    loss = support.hop_loss.get(kind, 0.0)
    if kind in ("cross", "hierarchy"):
        hours *= 1.0 + support.silo_friction * silo_strength
        loss = min(1.0, loss * (1.0 + silo_strength))
    return hours, loss


@dataclass(frozen=True)
class Handoffs:
    """Hand-off delay (h), loss probability and hop count between routing units.

    Rows are the departments then, last, the shared tool (a detection by the tool is
    routed from the ``tool`` node); columns are departments. ``paths[(a, b)]`` lists the
    internal-graph nodes a hand-off from unit ``a`` to department ``b`` travels through.
    """

    delay: np.ndarray
    loss: np.ndarray
    hops: np.ndarray
    paths: dict[tuple[int, int], list]


def handoff_matrices(graph: nx.Graph, contacts: np.ndarray, support: SupportSection, silo_strength: float) -> Handoffs:
    """Shortest-delay routes between department contacts (and from the shared tool)."""
    n_dept = len(contacts)
    delay = np.full((n_dept + 1, n_dept), np.inf)
    loss = np.ones((n_dept + 1, n_dept))
    hops = np.zeros((n_dept + 1, n_dept), dtype=np.int32)
    for _, _, data in graph.edges(data=True):
        hours, p_loss = hop_weight(data["kind"], support, silo_strength)
        data["hours"], data["loss"] = hours, p_loss
    sources = [int(c) if c >= 0 else None for c in contacts] + [TOOL if TOOL in graph else None]
    paths: dict[tuple[int, int], list] = {}
    for row, source in enumerate(sources):
        if source is None:
            continue
        dist, route = nx.single_source_dijkstra(graph, source, weight="hours")
        for col, target in enumerate(contacts):
            if target < 0 or int(target) not in dist:
                continue
            path = route[int(target)]
            delay[row, col] = dist[int(target)]
            keep = 1.0
            for u, v in zip(path[:-1], path[1:], strict=True):
                keep *= 1.0 - graph.edges[u, v]["loss"]
            loss[row, col] = 1.0 - keep
            hops[row, col] = len(path) - 1
            paths[(row, col)] = path
    return Handoffs(delay, loss, hops, paths)


def silo_index(graph: nx.Graph) -> float:
    """Krackhardt & Stern's E-I index, negated: (internal - external) / all ties between employees.

    1 means every tie stays inside a department, -1 every tie crosses one. Structural ties
    through virtual nodes (channel, tool, executive) are counted as the cross-department
    links they create between the employees they join (one per pair of departments joined).
    """
    internal = external = 0
    for a, b in graph.edges():
        if isinstance(a, str) or isinstance(b, str):
            continue
        if graph.nodes[a]["dept_index"] == graph.nodes[b]["dept_index"]:
            internal += 1
        else:
            external += 1
    for hub in (CHANNEL, TOOL):
        if hub in graph:
            depts = {graph.nodes[e]["dept_index"] for e in graph.neighbors(hub)}
            external += len(depts) * (len(depts) - 1) // 2
    total = internal + external
    return (internal - external) / total if total else 0.0
