"""The company: employees, roles and the internal collaboration graph (ODD 2 and 5).

The company's random part (who is a manager, candidate ties, poster keys) is drawn once per
run from its own stream and is the same under every org model, so org models are compared
on the same company. An org model adds structural ties of its own kinds (team, hub,
channel, tool, agency); :mod:`simulation.core.routing` turns the graph into hand-off routes.
An org chart is read *before* the core is built (:func:`simulation.core.social_graph.read_org_chart`)
and passed in as rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from simulation.errors import ScenarioError
from simulation.scenario.config import AGENCY, OrganizationSection, SupportSection

if TYPE_CHECKING:
    from simulation.core.routing import Handoffs

MEMBER, LEAD, HUB, MANAGER = 0, 1, 2, 3


@dataclass(frozen=True)
class OrgChart:
    """An org chart as read from a file: employee names, their departments and managers."""

    employees: list[str]
    departments: list[str]
    managers: dict[str, str]


ROLE_NAMES = ("member", "lead", "hub", "manager")
EXECUTIVE, CHANNEL, TOOL = "executive", "channel", "tool"


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

    def members(self, d: int) -> np.ndarray:
        """Employee indices of department ``d``."""
        return np.flatnonzero(self.dept == d)

    def index_of(self, name: str, fallback: int = 0) -> int:
        """Index of a department by name (``fallback`` if the company has no such department)."""
        return self.departments.index(name) if name in self.departments else fallback


def unit_names(departments: Sequence[str]) -> list[str]:
    """Routing units in the order of the hand-off matrices' rows: departments, then the shared tool."""
    return [*departments, TOOL]


def build_company(org: OrganizationSection, rng: np.random.Generator, chart: OrgChart | None = None) -> Company:
    """Draw the company's employees and candidate ties (independent of the org model)."""
    managers_of: list[int]
    if chart is not None:
        names, depts, managers = chart.employees, chart.departments, chart.managers
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


def effective_coordination(org: OrganizationSection) -> float:
    """Coordination in force: the org model's, plus what a CoE hub adds (guidelines, calendar, steering)."""
    return min(1.0, org.coordination + (org.hub_coordination if org.hub else 0.0))


def hub_groups(company: Company, org: OrganizationSection) -> list[list[int]]:
    """Company departments grouped under each hub: one group, or ``org.hubs`` round-robin groups.

    The group holding ``hub_department`` comes first; the agency belongs to no group.
    """
    departments = [d for d in range(len(company.departments)) if d != company.agency_index]
    n = max(1, min(org.hubs, len(departments)))
    first = company.index_of(org.hub_department)
    ordered = [first, *[d for d in departments if d != first]] if first in departments else departments
    return [ordered[g::n] for g in range(n)]


def employee_roles(company: Company, org: OrganizationSection) -> np.ndarray:
    """Role of each employee under an org model: member, lead, hub (CoE) or manager."""
    roles = np.where(company.is_manager, MANAGER, MEMBER).astype(np.int8)
    active = set(org.posters) | set(org.listeners) | set(org.task_force)
    for d, name in enumerate(company.departments):
        members = company.members(d)
        if name in active and org.leads and len(members):
            candidates = members[~company.is_manager[members]]
            roles[candidates[0] if len(candidates) else members[0]] = LEAD
    if org.hub:
        for group in hub_groups(company, org):
            members = company.members(group[0])
            lead = members[roles[members] == LEAD]
            roles[lead[0] if len(lead) else members[0]] = HUB
    return roles


def department_contacts(company: Company, roles: np.ndarray) -> np.ndarray:
    """The employee each department hands work to and from: its lead if it has one, else its manager."""
    contacts = np.empty(len(company.departments), dtype=np.int64)
    for d in range(len(company.departments)):
        members = company.members(d)
        if len(members) == 0:
            contacts[d] = -1
            continue
        leads = members[(roles[members] == LEAD) | (roles[members] == HUB)]
        contacts[d] = leads[0] if len(leads) else members[company.is_manager[members]][0]
    return contacts


def poster_mask(company: Company, org: OrganizationSection, roles: np.ndarray) -> np.ndarray:
    """Employees who post under an org model (leads and hubs of posting departments always do)."""
    posting = np.isin(company.dept, [company.departments.index(d) for d in org.posters if d in company.departments])
    if not org.agency:
        posting &= company.dept != company.agency_index
    return posting & ((company.key < org.poster_share) | (roles == LEAD) | (roles == HUB))


@dataclass(frozen=True)
class Structure:
    """The org structure under one org model: graph, roles, posters, contacts and hand-off routes."""

    graph: nx.Graph
    roles: np.ndarray
    posters: np.ndarray
    contacts: np.ndarray
    handoffs: Handoffs | None = None  # set by simulation.core.params.compile_params


def build_structure(company: Company, org: OrganizationSection) -> Structure:
    """Roles, posters, contacts and the internal graph of the company under an org model."""
    roles = employee_roles(company, org)
    posters = poster_mask(company, org, roles)
    contacts = department_contacts(company, roles)
    graph = internal_graph(company, org, roles, posters, contacts)
    return Structure(graph, roles, posters, contacts)


def internal_graph(
    company: Company, org: OrganizationSection, roles: np.ndarray, posters: np.ndarray, contacts: np.ndarray
) -> nx.Graph:
    """The internal collaboration graph of the company under an org model.

    Nodes are employee indices plus the virtual nodes ``executive`` (top of the hierarchy),
    ``channel`` (internal social channel) and ``tool`` (shared listening tool). Every edge
    has a ``kind`` in :data:`simulation.scenario.config.TIE_KINDS`.
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
    if org.agency and contacts[agency] >= 0 and org.agency_contact in company.departments:
        client_manager = managers[company.dept[managers] == company.departments.index(org.agency_contact)][0]
        graph.add_edge(int(contacts[agency]), int(client_manager), kind="agency")
    team: list[int] = []
    for name in org.task_force:
        d = company.departments.index(name)
        members = np.flatnonzero((company.dept == d) & ~company.is_manager)
        ordered = sorted(members, key=lambda e: (roles[e] not in (LEAD, HUB), company.rank[e]))
        team.extend(int(e) for e in ordered[: org.task_force_size])
    for x, a in enumerate(team):
        for b in team[x + 1 :]:
            graph.add_edge(a, b, kind="team")
    if org.hub:  # each hub ties its group's contacts; several hubs tie to each other across units
        hubs = []
        for group in hub_groups(company, org):
            members = company.members(group[0])
            hub = int(members[roles[members] == HUB][0])
            hubs.append(hub)
            for d in group:
                c = contacts[d]
                if c >= 0 and c != hub:
                    graph.add_edge(hub, int(c), kind="hub")
            if org.agency and contacts[agency] >= 0 and len(hubs) == 1:
                graph.add_edge(hub, int(contacts[agency]), kind="hub")
        for x, a in enumerate(hubs):
            for b in hubs[x + 1 :]:
                graph.add_edge(a, b, kind="cross")
    if org.internal_channel:
        members = np.flatnonzero(posters | (roles == LEAD) | (roles == HUB))
        graph.add_edges_from(((int(e), CHANNEL) for e in members), kind="channel")
    if org.shared_tool:
        graph.add_edges_from(
            ((int(c), TOOL) for c in contacts if c >= 0 and (org.agency or company.dept[c] != agency)),
            kind="tool",
        )
    return graph


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
