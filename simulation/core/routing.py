"""7.4 Listening and routing: detection by the listening units, then the hand-off to the owner.

Everything about a hand-off lives here: the delay and loss of one hop over a tie of each
kind (:func:`hop_weight`), the shortest-delay routes between departments over the internal
graph (:func:`handoff_matrices`), and the draw of each inquiry's hand-off (:func:`route`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import scipy.special

from simulation.core.compiled import jit
from simulation.core.effects import Step
from simulation.core.keyed import exponential
from simulation.core.needs import INQUIRY, SLOTS
from simulation.core.organization import TOOL
from simulation.core.slices import copied, copy_fields, params_slice
from simulation.scenario.config import AGENCY, INQUIRY_TYPES, SupportSection

if TYPE_CHECKING:
    from simulation.core.organization import Company, Structure
    from simulation.scenario.config import Config


@dataclass(frozen=True)
class Handoffs:
    """Hand-off hours (mean delay), loss probability and hop count between routing units.

    Rows are the departments then, last, the shared tool (a detection by the tool is
    routed from the ``tool`` node); columns are departments. ``paths[(a, b)]`` lists the
    internal-graph nodes a hand-off from unit ``a`` to department ``b`` travels through.
    """

    hours: np.ndarray
    loss: np.ndarray
    hops: np.ndarray
    paths: dict[tuple[int, int], list]


def hop_weight(kind: str, support: SupportSection, silo_strength: float) -> tuple[float, float]:
    """Mean delay (hours) and loss probability of one hand-off hop over a tie of this kind."""
    hours = support.hop_hours[kind]
    loss = support.hop_loss[kind]
    if kind in ("cross", "hierarchy"):
        hours *= 1.0 + support.silo_friction * silo_strength
        loss = min(1.0, loss * (1.0 + support.silo_loss_friction * silo_strength))
    return hours, loss


def receiving_friction(support: SupportSection, silo_strength: float, kinds: set[str], cooperation: float) -> float:
    """Share of the full receiving-side silo friction a hand-off meets, given the tie kinds of its route.

    Silo friction belongs to the organisation, so every hand-off into another department
    meets it; a structural tie on the route (team, hub, channel, tool) removes the largest of
    their ``structural_relief`` shares, and a rewards programme removes ``cooperation``.
    """
    relief = max((support.structural_relief.get(kind, 0.0) for kind in kinds), default=0.0)
    return silo_strength * (1.0 - relief) * (1.0 - cooperation)


def handoff_matrices(
    graph: nx.Graph, contacts: np.ndarray, support: SupportSection, silo_strength: float, cooperation: float = 0.0
) -> Handoffs:
    """Shortest-delay routes between department contacts (and from the shared tool), with silo friction.

    A route's delay is the sum of its hops' delays plus, into another department, the
    receiving friction (``silo_receiving_hours`` x :func:`receiving_friction`); its loss
    compounds the hops' losses and ``silo_receiving_loss`` x the same share.
    """
    n_dept = len(contacts)
    hours = np.full((n_dept + 1, n_dept), np.inf)
    loss = np.ones((n_dept + 1, n_dept))
    hops = np.zeros((n_dept + 1, n_dept), dtype=np.int32)
    for _, _, data in graph.edges(data=True):
        data["hours"], data["loss"] = hop_weight(data["kind"], support, silo_strength)
    sources = [int(c) if c >= 0 else None for c in contacts] + [TOOL if TOOL in graph else None]
    paths: dict[tuple[int, int], list] = {}
    for row, source in enumerate(sources):
        if source is None:
            continue
        dist, route_of = nx.single_source_dijkstra(graph, source, weight="hours")
        for col, target in enumerate(contacts):
            if target < 0 or int(target) not in dist:
                continue
            path = route_of[int(target)]
            edges = [graph.edges[u, v] for u, v in zip(path[:-1], path[1:], strict=True)]
            kinds = {edge["kind"] for edge in edges}
            friction = 0.0 if row == col else receiving_friction(support, silo_strength, kinds, cooperation)
            hours[row, col] = dist[int(target)] + support.silo_receiving_hours * friction
            keep = 1.0 - support.silo_receiving_loss * friction
            for edge in edges:
                keep *= 1.0 - edge["loss"]
            loss[row, col] = 1.0 - keep
            hops[row, col] = len(path) - 1
            paths[(row, col)] = path
    return Handoffs(hours, loss, hops, paths)


@params_slice
class RoutingParams:
    """7.4 listening and routing's numbers, per department; hand-off matrices are (departments + tool, departments)."""

    listen_coverage: np.ndarray  # detection probability of each listening unit (0 = not listening)
    tool_coverage: float  # detection probability of the shared tool (0 = none)
    tool_misrouting: float  # share of the tool's detections sent to a wrong department first (after hub triage)
    listen_latency_hours: float
    tool_latency_factor: float = copied("organization")
    handoffs: bool = copied("support")  # False: owners detect their own inquiries, no hand-off
    owner: np.ndarray  # department index owning each inquiry type
    handoff_hours: np.ndarray  # mean hours of a hand-off between units
    handoff_loss: np.ndarray
    handoff_hops: np.ndarray


def compile_routing(config: Config, company: Company, structure: Structure) -> tuple[dict[str, Any], Handoffs]:
    """Listening and routing's slice of the compiled parameters, and the hand-off routes."""
    org = config.organization
    departments = company.departments
    cooperation = config.people.rewards_cooperation if config.people.rewards else 0.0
    handoffs = handoff_matrices(structure.graph, structure.contacts, config.support, org.silo_strength, cooperation)
    listening = set(org.listeners) - ({AGENCY} if not org.agency else set())
    coverage = np.array([org.listening_coverage if name in listening else 0.0 for name in departments])
    owner = np.array([departments.index(config.support.owners[t]) for t in INQUIRY_TYPES])
    params = {
        "listen_coverage": coverage,
        "tool_coverage": org.tool_coverage if org.shared_tool else 0.0,
        "tool_misrouting": org.tool_misrouting * (1.0 - (org.hub_triage if org.hub else 0.0)),
        "listen_latency_hours": org.listening_latency_hours,
        **copy_fields(RoutingParams, config),
        "owner": owner,
        "handoff_hours": handoffs.hours,
        "handoff_loss": handoffs.loss,
        "handoff_hops": handoffs.hops,
    }
    return params, handoffs


def detection_chances(coverage: np.ndarray, tool_coverage: float) -> tuple[float, np.ndarray, np.ndarray]:
    """What listening catches: the chance nobody does, and who else does, by owner.

    Returns the probability that no listening unit and no tool detect an inquiry; for each
    owner, the probability that another unit detects it; and, for each owner, the running
    total of the other units' coverage (to pick which of them).
    """
    n_dept = len(coverage)
    miss_all = np.prod(1.0 - coverage) * (1.0 - tool_coverage)
    others = np.ones((n_dept, n_dept)) * coverage[None, :]
    np.fill_diagonal(others, 0.0)
    return miss_all, 1.0 - np.prod(1.0 - others, axis=1), np.cumsum(others, axis=1)


def route(rows: dict[str, np.ndarray], step: Step) -> dict[str, np.ndarray]:
    """Detection by the listening units, then hand-off to the owner (delay grows with graph distance).

    Every draw is the inquiry's own (keyed by its customer and number, :data:`~simulation.core.needs.SLOTS`).
    """
    params, flows = step.params, step.flows
    kind = rows["kind"]
    n = len(kind)
    owner = params.owner[kind].astype(np.int16)
    if n == 0:  # nothing to route: every draw below would be empty
        empty = np.zeros(0)
        return {
            **rows,
            "owner": owner,
            "detector": owner.copy(),
            "lost": np.zeros(0, dtype=bool),
            "handoff_hours": empty,
            "hops": owner.copy(),
            "t_queue": empty.copy(),
        }
    cov = params.listen_coverage
    n_dept = len(cov)
    miss_all, p_other, cumulative = params.detection
    handoff_hours = np.zeros(n)
    hops = np.zeros(n, dtype=np.int16)
    lost = np.zeros(n, dtype=bool)
    # the inquiries' slots 4-15 (blocks 1-3): listening, hand-off and loss decisions
    drawn = np.hstack([step.keys.uniforms(INQUIRY, rows["customer"], rows["seq"], block=b) for b in (1, 2, 3)])

    def uniform(name: str) -> np.ndarray:
        return np.ascontiguousarray(drawn[:, SLOTS[name] - 4])

    latency = exponential(uniform("latency"), params.listen_latency_hours)
    if not params.handoffs:
        detector = np.full(n, -1, dtype=np.int16)
        detected = uniform("detect") < 1.0 - miss_all
        detector[detected] = owner[detected]
    else:
        n_company = n_dept - 1  # the agency is last
        detector = _detect(
            owner, cov, params.tool_coverage, p_other, cumulative, uniform("owner"), uniform("tool"), uniform("other"),
            uniform("misroute"), uniform("wrong"), uniform("pick"), latency, params.tool_latency_factor,
            params.tool_misrouting, n_company,
        )  # fmt: skip
        moved, mean, shape = _handoff_legs(detector, owner, params.handoff_hours, params.handoff_hops)
        finite = np.isfinite(mean)
        # gamma(hops, mean / hops) by inverse CDF of the leg's own uniform: exact, and monotone in
        # it, so a leg one hop longer under another design takes a little longer, not a new draw
        gamma = scipy.special.gammaincinv(shape[finite], uniform("handoff")[moved][finite])
        u_lost = uniform("lost")[moved]
        kept_hours = _handoff_outcome(
            moved, mean, shape, finite, gamma, u_lost, detector, owner, params.handoff_loss, params.handoff_hops,
            handoff_hours, hops, lost,
        )  # fmt: skip
        flows["handoffs"] += len(moved)
        flows["handoffs_lost"] += int(np.count_nonzero(lost))
        flows["handoff_hours"] += float(kept_hours.sum())
    detected = detector >= 0
    flows["detected"] += int(detected.sum())
    t_queue = np.where(detected & ~lost, rows["t_raise"] + latency + handoff_hours, np.inf)
    return {
        **rows,
        "owner": owner,
        "detector": detector,
        "lost": lost,
        "handoff_hours": handoff_hours,
        "hops": hops,
        "t_queue": t_queue,
    }


@jit
def _detect(
    owner, coverage, tool_coverage, p_other, cumulative, u_owner, u_tool, u_other, u_misroute, u_wrong, pick, latency,
    tool_latency_factor, tool_misrouting, n_company,
):  # fmt: skip
    """Who detects each inquiry: its owner, else the shared tool, else another listening unit, else nobody (-1).

    The owner detects with its coverage; the tool with its own (slower by
    ``tool_latency_factor``; it first sends a share ``tool_misrouting`` to a wrong company
    department, uniformly among the others, when there are several); another unit with
    ``p_other``, which one picked by coverage (``cumulative``). One uniform of each kind per
    inquiry; ``latency`` is changed in place. Returns the detector of each inquiry.
    """
    n_dept = len(coverage)
    detector = np.full(len(owner), -1, dtype=np.int16)
    for r in range(len(owner)):
        o = owner[r]
        if u_owner[r] < coverage[o]:
            detector[r] = o
        elif u_tool[r] < tool_coverage:
            detector[r] = n_dept
            latency[r] *= tool_latency_factor
            if n_company > 1 and u_misroute[r] < tool_misrouting:
                wrong = min(int(u_wrong[r] * (n_company - 1)), n_company - 2)
                detector[r] = wrong + (wrong >= o)
        elif u_other[r] < p_other[o]:
            total = pick[r] * cumulative[o, -1]
            unit = 0  # searchsorted(cumulative[o], total, side="right")
            for j in range(cumulative.shape[1]):
                unit += cumulative[o, j] <= total
            detector[r] = unit
    return detector


@jit
def _handoff_legs(detector, owner, hours, hop_counts):
    """Inquiries detected by a unit other than their owner: their rows, mean hand-off hours and hops (>= 1)."""
    rows = np.empty(len(detector), dtype=np.int64)
    k = 0
    for r in range(len(detector)):
        if detector[r] >= 0 and detector[r] != owner[r]:
            rows[k] = r
            k += 1
    rows = rows[:k]
    mean = np.empty(k)
    shape = np.empty(k)
    for j in range(k):
        src, dst = detector[rows[j]], owner[rows[j]]
        mean[j] = hours[src, dst]
        shape[j] = max(hop_counts[src, dst], 1)
    return rows, mean, shape


@jit
def _handoff_outcome(
    moved, mean, shape, finite, gamma, u_lost, detector, owner, loss, hop_counts, handoff_hours, hops, lost
):  # fmt: skip
    """Each hand-off's delay (gamma draws for the finite legs, inf otherwise), hops and loss, in place.

    A leg without a route (infinite mean) is lost; another with its ``loss`` probability.
    Returns the delays of the hand-offs that arrive, in row order.
    """
    kept = np.empty(len(moved))
    k = g = 0
    for j in range(len(moved)):
        r = moved[j]
        src, dst = detector[r], owner[r]
        delay = np.inf
        if finite[j]:
            delay = (mean[j] / shape[j]) * gamma[g]
            g += 1
        handoff_hours[r] = delay
        hops[r] = hop_counts[src, dst]
        lost[r] = (not finite[j]) or u_lost[j] < loss[src, dst]
        if finite[j] and not lost[r]:
            kept[k] = delay
            k += 1
    return kept[:k]
