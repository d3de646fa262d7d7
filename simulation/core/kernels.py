"""Pure array kernels of the step core: an independent cascade, a FCFS multi-server queue, neighbour means.

All are public, documented and usable on their own. The cascade and the queue are
validated against theory in ``tests/test_kernels.py`` (bond percolation and Erlang C, from
:mod:`simulation.studies.theory`); the neighbour mean against ``adjacency @ x`` bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from simulation.core.compiled import jit


def _sorted_unique(nodes: np.ndarray) -> np.ndarray:
    """Sorted distinct node indices: ``np.unique`` without its overhead (several times faster)."""
    nodes = np.sort(nodes)
    if len(nodes) < 2:
        return nodes
    keep = np.empty(len(nodes), dtype=bool)
    keep[0] = True
    np.not_equal(nodes[1:], nodes[:-1], out=keep[1:])
    return nodes[keep]


def independent_cascade(
    adjacency: sp.csr_matrix,
    seeds: np.ndarray,
    p: float | np.ndarray,
    rng: np.random.Generator | Callable[[np.ndarray], np.ndarray],
    *,
    susceptible: np.ndarray | None = None,
    max_rounds: int | None = None,
) -> np.ndarray:
    """Run an independent cascade (Kempe, Kleinberg & Tardos 2003) from ``seeds``.

    Every newly active node gets exactly one chance to activate each out-neighbour, with
    probability ``p``; on an undirected graph the active set from one seed is the seed's
    cluster in bond percolation with occupation probability ``p``. Vectorized frontier by frontier: each round gathers
    the out-edges of the (ascending) frontier in CSR order and draws ``rng.random(m)`` once,
    one uniform per examined edge, so a given generator state always gives the same result.

    Args:
        adjacency: square CSR matrix; row ``i`` lists the nodes ``i`` can activate (values unused).
        seeds: int array of node indices (duplicates allowed, may be empty); always active.
        p: activation probability, a float or one value per stored edge aligned with
            ``adjacency.data`` (CSR order).
        rng: a generator (one uniform per examined edge, in the order above), or a function
            of the examined edges' CSR positions that returns their uniforms (keyed draws:
            each edge fires on its own uniform, whatever else the cascade does).
        susceptible: optional boolean mask (length n) of nodes that may be activated.
        max_rounds: stop after this many rounds (``None``: until the cascade dies out).

    Returns:
        Boolean array of length n: activated nodes, seeds included.

    Raises:
        ValueError: on a non-square adjacency, seeds out of range, or a per-edge ``p`` or
            ``susceptible`` of the wrong length.
    """
    n = adjacency.shape[0]
    if adjacency.shape != (n, n):
        raise ValueError(f"adjacency must be square, got shape {adjacency.shape}")
    p = np.asarray(p, dtype=np.float64)
    per_edge = p.ndim > 0
    if not sp.issparse(adjacency) or adjacency.format != "csr":
        if per_edge:
            raise ValueError("a per-edge p needs a CSR adjacency (p is aligned with its data)")
        adjacency = sp.csr_matrix(adjacency)
    if per_edge and p.shape != (adjacency.nnz,):
        raise ValueError(f"a per-edge p must have one value per stored edge ({adjacency.nnz}), got {p.shape}")
    if susceptible is not None:
        susceptible = np.asarray(susceptible, dtype=bool)
        if susceptible.shape != (n,):
            raise ValueError(f"susceptible must be a boolean mask of length {n}, got shape {susceptible.shape}")
    seeds = _sorted_unique(np.asarray(seeds, dtype=np.int64).ravel())
    if len(seeds) and (seeds[0] < 0 or seeds[-1] >= n):
        raise ValueError(f"seeds must be node indices in [0, {n})")
    active = np.zeros(n, dtype=bool)
    active[seeds] = True
    if len(seeds) == 0 or (not per_edge and p <= 0):
        return active
    indptr, indices = adjacency.indptr, adjacency.indices
    p_edges = p if per_edge else p.reshape(1)
    frontier = seeds
    rounds = 0
    while len(frontier) and (max_rounds is None or rounds < max_rounds):
        edges = out_edges(indptr, frontier)  # rows in frontier order, CSR order within a row
        if len(edges) == 0:
            break
        u = rng.random(len(edges)) if isinstance(rng, np.random.Generator) else rng(edges)
        frontier = _spread(edges, u, p_edges, per_edge, indices, active, susceptible)
        rounds += 1
    return active


@jit
def out_edges(indptr: np.ndarray, frontier: np.ndarray) -> np.ndarray:
    """CSR positions of the out-edges of ``frontier``'s nodes, node by node."""
    total = 0
    for node in frontier:
        total += indptr[node + 1] - indptr[node]
    edges = np.empty(total, dtype=np.int64)
    k = 0
    for node in frontier:
        for position in range(indptr[node], indptr[node + 1]):
            edges[k] = position
            k += 1
    return edges


@jit
def _spread(edges, u, p, per_edge, indices, active, susceptible):
    """One round: edge ``j`` transmits if ``u[j] < p``; returns the newly active nodes (sorted) and marks them.

    A node is newly active if reached, not yet active and (with a ``susceptible`` mask) susceptible.
    """
    reached = np.empty(len(edges), dtype=np.int64)
    k = 0
    for j in range(len(edges)):
        if u[j] < (p[edges[j]] if per_edge else p[0]):
            node = indices[edges[j]]
            if not active[node] and (susceptible is None or susceptible[node]):
                reached[k] = node
                k += 1
    new = np.unique(reached[:k])
    for node in new:
        active[node] = True
    return new


def fifo_queue_state(
    arrivals: np.ndarray,
    service_times: np.ndarray,
    free_at: np.ndarray,
    *,
    not_before: float = -np.inf,
    until: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """First-come-first-served multi-server queue, continuing from the servers' free times.

    Customer ``i`` starts at ``max(arrival_i, earliest free server, not_before)`` and holds
    that server for ``service_i``. Service stops being assigned at the first customer who
    would start at or after ``until``; that customer and those behind it get ``inf`` (still
    waiting). A model can so run the queue step by step, re-offering the waiting customers
    with the returned ``free_at``: the starts equal those of one call over the whole horizon.

    Args:
        arrivals: sorted arrival times.
        service_times: service time of each arrival (>= 0).
        free_at: time at which each server is next free (its length is the server count).
        not_before: no service starts earlier (e.g. the queue opens).
        until: no service starts at or after this time.

    Returns:
        ``(starts, free_at)``: start times (``inf`` for customers still waiting) and the
        servers' new free times, sorted.

    Raises:
        ValueError: on no servers, lengths that differ, unsorted arrivals or negative
            service times.
    """
    arrivals = np.asarray(arrivals, dtype=np.float64)
    service_times = np.asarray(service_times, dtype=np.float64)
    free_at = np.asarray(free_at, dtype=np.float64)
    if free_at.ndim != 1 or len(free_at) < 1:
        raise ValueError("free_at must list at least one server (servers >= 1)")
    if arrivals.ndim != 1 or arrivals.shape != service_times.shape:
        raise ValueError(
            f"arrivals and service_times must be 1-D of the same length, got {arrivals.shape} and {service_times.shape}"
        )
    if not np.all(arrivals[1:] >= arrivals[:-1]):  # also rejects NaN
        raise ValueError("arrivals must be sorted (non-decreasing)")
    if not np.all(service_times >= 0):
        raise ValueError("service_times must be >= 0")
    return fifo_run(arrivals, service_times, free_at, not_before, until)


@jit
def fifo_run(
    arrivals: np.ndarray, service_times: np.ndarray, free_at: np.ndarray, not_before: float, until: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fifo_queue_state` without its argument checks (the step core's inputs are valid by construction).

    Each arrival takes the earliest free server (ties: any, the free times are what count).
    """
    free = free_at.copy()
    starts = np.full(len(arrivals), np.inf)
    for i in range(len(arrivals)):
        server = np.argmin(free)
        start = max(arrivals[i], not_before)
        if free[server] > start:
            start = free[server]
        if start >= until:
            break
        free[server] = start + service_times[i]
        starts[i] = start
    return starts, np.sort(free)


def fifo_queue(
    arrivals: np.ndarray, service_times: np.ndarray, servers: int, free_at: np.ndarray | None = None
) -> np.ndarray:
    """Service start times of a FCFS queue with ``servers`` identical servers.

    A thin wrapper over :func:`fifo_queue_state` for one whole horizon.

    Args:
        arrivals: sorted arrival times.
        service_times: service time of each arrival (>= 0).
        servers: number of servers (>= 1).
        free_at: time each server is next free (length ``servers``); default all free at 0.

    Returns:
        Service start times (waiting time = start - arrival).

    Raises:
        ValueError: on ``servers < 1``, a ``free_at`` of another length, or invalid arrivals.
    """
    if int(servers) != servers or servers < 1:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")
    free_at = np.zeros(int(servers)) if free_at is None else np.asarray(free_at, dtype=np.float64)
    if free_at.shape != (int(servers),):
        raise ValueError(f"free_at must have one entry per server ({servers}), got shape {free_at.shape}")
    return fifo_queue_state(arrivals, service_times, free_at)[0]


# --------------------------------------------------------------------------------------------
# Neighbour means on a fixed graph


@dataclass(frozen=True)
class SlotMajor:
    """A CSR adjacency re-laid for fast row sums: the k-th neighbour of every row, for k = 0, 1, ...

    Rows are ordered by degree, largest first (``order``); slot ``k`` holds the k-th stored
    neighbour (CSR order) of the first ``in_slot[k]`` rows of that order, contiguously in
    ``cols`` / ``weights``. Summing slot by slot adds each row's terms in CSR order, as
    ``adjacency @ x`` does, but rows no longer wait on each other, so the loop runs at memory
    speed instead of one dependent addition at a time.
    """

    order: np.ndarray
    in_slot: np.ndarray
    cols: np.ndarray
    weights: np.ndarray | None  # None: every stored weight is 1
    degree: np.ndarray  # float, per position in ``order``


def slot_major(adjacency: sp.csr_matrix) -> SlotMajor:
    """The :class:`SlotMajor` layout of a square CSR matrix (O(stored entries), once per graph)."""
    adjacency = sp.csr_matrix(adjacency)
    n = adjacency.shape[0]
    if adjacency.shape != (n, n):
        raise ValueError(f"adjacency must be square, got shape {adjacency.shape}")
    indptr = adjacency.indptr.astype(np.int64)
    degree = np.diff(indptr)
    order = np.argsort(-degree, kind="stable")
    in_slot = np.searchsorted(-degree[order], -np.arange(int(degree.max(initial=0))), side="left")  # degree > slot
    positions = _slot_positions(indptr, order, in_slot)
    weights = None if np.all(adjacency.data == 1) else adjacency.data.astype(np.float64)[positions]
    return SlotMajor(order, in_slot, adjacency.indices[positions], weights, degree[order].astype(np.float64))


@jit
def _slot_positions(indptr, order, in_slot):
    """CSR positions of the entries, slot by slot (see :class:`SlotMajor`)."""
    positions = np.empty(indptr[-1], dtype=np.int64)
    k = 0
    for slot in range(len(in_slot)):
        for q in range(in_slot[slot]):
            positions[k] = indptr[order[q]] + slot
            k += 1
    return positions


def neighbour_mean(layout: SlotMajor, x: np.ndarray) -> np.ndarray:
    """Mean of ``x`` over each node's neighbours (0 for an isolated node).

    The same floating-point result as ``(adjacency @ x) / np.maximum(degree, 1)``: each
    row's weighted terms are added in CSR order, starting from 0.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    if layout.weights is None:
        return _slot_mean(layout.order, layout.in_slot, layout.cols, np.empty(0), False, layout.degree, x)
    return _slot_mean(layout.order, layout.in_slot, layout.cols, layout.weights, True, layout.degree, x)


@jit
def _slot_mean(order, in_slot, cols, weights, weighted, degree, x):
    """Row sums slot by slot, then divided by the degree and put back in node order."""
    n = len(order)
    total = np.zeros(n)
    k = 0
    for slot in range(len(in_slot)):
        for q in range(in_slot[slot]):
            total[q] += weights[k] * x[cols[k]] if weighted else x[cols[k]]
            k += 1
    out = np.empty(n)
    for q in range(n):
        out[order[q]] = total[q] / max(degree[q], 1.0)
    return out
