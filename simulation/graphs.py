"""Graphs: the customers' social graph and the company's internal collaboration graph.

Built and analysed with networkx; converted once to ``scipy.sparse`` CSR for the hot path.
The internal graph's random part (the company) is drawn once per run from its own stream
and is the same under every org model, so org models are compared on the same company.
Org models add structural ties of their own kinds; hand-off delay and loss between
departments are shortest paths over tie kinds (see :func:`handoff_matrices`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulation.config import AGENCY, NetworkSection, OrganizationSection, SupportSection
from simulation.errors import ScenarioError
from simulation.inputs import read_edgelist, read_org_chart

MEMBER, LEAD, HUB, MANAGER = 0, 1, 2, 3
ROLE_NAMES = ("member", "lead", "hub", "manager")
EXECUTIVE, CHANNEL, TOOL = "executive", "channel", "tool"


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
