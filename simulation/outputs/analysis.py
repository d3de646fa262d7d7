"""Looking inside a run: hand-offs, funnels, lost ideas, routes, and the validation set-ups.

Pure pandas/numpy over a finished :class:`~simulation.outputs.result.RunResult` (or an engine's
org structure); no plotting (see :mod:`simulation.outputs.plots_org`). The notebooks use these to
open the mechanism behind the KPIs: who detected an inquiry, who owned it, how long the
hand-off took, and where it was lost. Replicates, confidence intervals, paired differences
and parameter designs are the batch layer's (:mod:`simulation.studies.batch`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.core.organization import unit_names
from simulation.outputs.kpis import FLOWS
from simulation.scenario.config import INQUIRY_TYPES, Config, build_config

if TYPE_CHECKING:
    from simulation.core.organization import Structure
    from simulation.outputs.result import RunResult


# --------------------------------------------------------------------------------------------
# Hand-offs and the inquiry funnel


def _end_hours(result: RunResult) -> float:
    """Simulated hours at the end of the run."""
    ts = result.timeseries
    return float(ts["hours"].iloc[-1] + result.config.simulation.step_hours) if len(ts) else 0.0


def _handed_off(inq: pd.DataFrame) -> pd.Series:
    """Which inquiries crossed a unit boundary: detected by one unit, owned by another."""
    return (inq.detector >= 0) & (inq.detector != inq.owner)


def handoffs(result: RunResult) -> pd.DataFrame:
    """The inquiries that crossed a unit boundary: detected by one unit, owned by another."""
    inq = result.inquiries
    return inq[_handed_off(inq)]


def handoff_table(result: RunResult) -> pd.DataFrame:
    """Hand-offs made and lost, and their delay, for each (detector, owner) pair.

    Returns:
        One row per pair that handed anything off, most hand-offs first, with columns
        ``detector``, ``owner`` (unit names), ``handoffs``, ``lost``, ``loss_rate``,
        ``mean_delay_h`` and ``median_delay_h`` (of the hand-offs that arrived) and
        ``hops`` (internal-graph hops of the route).
    """
    moved = handoffs(result)
    columns = ["detector", "owner", "handoffs", "lost", "loss_rate", "mean_delay_h", "median_delay_h", "hops"]
    if moved.empty:
        return pd.DataFrame(columns=columns)
    arrived_delay = moved.handoff_hours.where(~moved.lost & np.isfinite(moved.handoff_hours))
    frame = (
        moved.assign(delay=arrived_delay)
        .groupby(["detector_name", "owner_name"], observed=True)
        .agg(
            handoffs=("lost", "size"),
            lost=("lost", "sum"),
            mean_delay_h=("delay", "mean"),
            median_delay_h=("delay", "median"),
            hops=("hops", "mean"),
        )
        .reset_index()
        .rename(columns={"detector_name": "detector", "owner_name": "owner"})
    )
    frame["lost"] = frame["lost"].astype(int)
    frame["loss_rate"] = frame["lost"] / frame["handoffs"]
    return (
        frame[columns]
        .sort_values(["handoffs", "detector", "owner"], ascending=[False, True, True])
        .reset_index(drop=True)
    )


def handoff_matrix(result: RunResult, value: str = "mean_delay_h") -> pd.DataFrame:
    """One column of :func:`handoff_table` as a detector x owner matrix (NaN where no hand-off)."""
    table = handoff_table(result)
    if table.empty:
        return pd.DataFrame()
    return table.pivot(index="detector", columns="owner", values=value)


def inquiry_funnel(result: RunResult) -> pd.DataFrame:
    """From raised to resolved, by inquiry type (rows) and stage (columns), with a total row.

    Stages: ``raised``, ``detected``, ``handed_off``, ``lost_in_handoff``, ``reached_owner``
    (before the run ended), ``answered``, ``resolved``, ``answered_within_1h``.
    """
    inq = result.inquiries
    end = _end_hours(result)
    stages = pd.DataFrame(
        {
            "kind": inq.kind_name.astype(str),
            "raised": True,
            "detected": inq.detector >= 0,
            "handed_off": _handed_off(inq),
            "lost_in_handoff": inq.lost,
            "reached_owner": inq.t_queue < end,
            "answered": np.isfinite(inq.t_end),
            "resolved": inq.resolved & np.isfinite(inq.t_end),
            "answered_within_1h": (inq.t_start - inq.t_raise) <= 1.0,
        }
    )
    table = stages.groupby("kind").sum().reindex(INQUIRY_TYPES, fill_value=0)
    table.loc["total"] = table.sum()
    return table.astype(int)


def lost_ideas(result: RunResult) -> pd.DataFrame:
    """Customer ideas that never reached their owner (product, by default), and why.

    Returns:
        One row per such idea (the inquiry log's columns) plus ``reason``: ``undetected``
        (no one listening saw it), ``lost_in_handoff`` (seen, then dropped between
        departments) or ``in_transit`` (still on its way when the run ended).
    """
    inq = result.inquiries
    ideas = inq[(inq.kind_name.astype(str) == "idea") & ~(inq.t_queue < _end_hours(result))].copy()
    ideas["reason"] = np.where(ideas.detector < 0, "undetected", np.where(ideas.lost, "lost_in_handoff", "in_transit"))
    return ideas


def idea_outcomes(result: RunResult) -> pd.Series:
    """How many ideas were captured, undetected, lost in a hand-off or in transit at the end."""
    inq = result.inquiries
    raised = int((inq.kind_name.astype(str) == "idea").sum())
    counts = lost_ideas(result).reason.value_counts()
    lost = {reason: int(counts.get(reason, 0)) for reason in ("undetected", "lost_in_handoff", "in_transit")}
    return pd.Series({"raised": raised, "captured": raised - sum(lost.values()), **lost})


# --------------------------------------------------------------------------------------------
# Routes over the internal graph


def handoff_routes(structure: Structure, departments: Sequence[str]) -> pd.DataFrame:
    """Every hand-off route of an org structure: from unit, to department, hops, delay, loss, tie kinds.

    Args:
        structure: an engine's org structure (``engine.structure``).
        departments: the company's department names (``engine.company.departments``).

    Returns:
        One row per reachable (from, to) pair of different units, with the mean delay (h),
        loss probability, the node path and the ``kind`` of each tie along it.
    """
    units = unit_names(departments)
    graph, ho = structure.graph, structure.handoffs
    rows = []
    for (src, dst), path in sorted(ho.paths.items(), key=lambda item: item[0]):
        if src == dst:
            continue
        kinds = [graph.edges[u, v]["kind"] for u, v in zip(path[:-1], path[1:], strict=True)]
        rows.append(
            {
                "from": units[src],
                "to": units[dst],
                "hops": int(ho.hops[src, dst]),
                "delay_h": float(ho.hours[src, dst]),
                "loss": float(ho.loss[src, dst]),
                "kinds": " > ".join(kinds),
                "path": path,
            }
        )
    return pd.DataFrame(rows, columns=["from", "to", "hops", "delay_h", "loss", "kinds", "path"])


# --------------------------------------------------------------------------------------------
# Time series


def daily(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Hourly records rolled up to days: flows summed, stocks and rates averaged; indexed by day."""
    day = (timeseries["hours"] // 24).astype(int).rename("day")
    flows = [c for c in FLOWS if c in timeseries]
    stocks = [c for c in timeseries.columns if c not in (*flows, "step", "hours")]
    return pd.concat([timeseries[flows].groupby(day).sum(), timeseries[stocks].groupby(day).mean()], axis=1)


# --------------------------------------------------------------------------------------------
# Validation set-ups (theory in :mod:`simulation.studies.theory`)


def mmc_config(
    servers: int,
    service_rate: float,
    load: float,
    *,
    customers: int = 5000,
    steps: int = 3000,
    department: str = "customer_service",
) -> Config:
    """The whole model configured as one M/M/c queue (``load`` = lambda / (c mu)).

    Hand-offs off, full listening coverage, no detection latency, infinite patience, no
    churn, equal activity, round-the-clock staffing, exponential handling, and every
    inquiry type owned by ``department``: arrivals are Poisson with rate
    ``load * servers * service_rate`` per hour.
    """
    arrival_rate = load * servers * service_rate
    headcount = {**Config().organization.headcount}
    headcount[department] = max(headcount.get(department, 1), servers)
    owners = dict.fromkeys(INQUIRY_TYPES, department)
    return build_config(
        {
            "name": f"M-M-{servers} queue at load {load:g}",
            "customers": {
                "count": customers,
                "activity_sigma": 0.0,
                "churn_per_year": 0.0,
                "inquiry_rate_per_day": arrival_rate * 24 / customers,
                "patience_scale": math.inf,
            },
            "simulation": {"steps": steps},
            "organization": {
                "posters": [],
                "listeners": [department],
                "listening_coverage": 1.0,
                "listening_latency_hours": 0.0,
                "headcount": headcount,
                "social_share": {department: servers / headcount[department]},
                "reference_customers": customers,  # the roster as given: exactly `servers` servers
            },
            "support": {
                "handoffs": False,
                "staffed_hours": [0, 24],
                "handling_minutes": 60 / service_rate,
                "owners": owners,
            },
            "innovation": {"implement_prob": 0.0},
        }
    )


def queue_waits(result: RunResult) -> np.ndarray:
    """Waiting times (h) in the owners' queues of the inquiries whose service started."""
    inq = result.inquiries
    started = inq[np.isfinite(inq.t_start)]
    return (started.t_start - started.t_queue).to_numpy()


def cascade_sizes(
    n: int, mean_degree: float, transmissibility: float, runs: int, rng: np.random.Generator, *, graphs: int = 5
) -> np.ndarray:
    """Final sizes (fraction of nodes) of ``runs`` one-seed independent cascades on G(n, k/n).

    The runs are spread over ``graphs`` freshly drawn Erdős–Rényi graphs, so the sizes
    sample both the graph and the cascade, as the percolation equation assumes.
    """
    import networkx as nx

    from simulation.core.kernels import independent_cascade
    from simulation.core.social_graph import to_csr

    graphs = max(1, min(graphs, runs))
    sizes = np.empty(runs)
    for chunk in np.array_split(np.arange(runs), graphs):
        graph = nx.fast_gnp_random_graph(n, mean_degree / (n - 1), seed=int(rng.integers(2**31)))
        adjacency = to_csr(graph)
        for r in chunk:
            sizes[r] = independent_cascade(adjacency, rng.integers(0, n, 1), transmissibility, rng).sum() / n
    return sizes
