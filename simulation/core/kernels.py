"""Pure array kernels of the step core: an independent cascade and a FCFS multi-server queue.

Both are public, documented and usable on their own; both are validated against theory
in ``tests/test_kernels.py`` (bond percolation, Erlang C).
"""

from __future__ import annotations

import heapq

import numpy as np
import scipy.sparse as sp


def independent_cascade(
    adjacency: sp.csr_matrix,
    seeds: np.ndarray,
    p: float | np.ndarray,
    rng: np.random.Generator,
    *,
    susceptible: np.ndarray | None = None,
    max_rounds: int | None = None,
) -> np.ndarray:
    """Run an independent cascade (Kempe, Kleinberg & Tardos 2003) from ``seeds``.

    Every newly active node gets exactly one chance to activate each out-neighbour, with
    probability ``p`` (a float, or one value per edge aligned with ``adjacency.data``).
    The frontier is expanded round by round with one uniform draw per examined edge.

    Args:
        adjacency: CSR matrix; row ``i`` lists the nodes ``i`` can activate.
        seeds: int array of node indices (duplicates allowed, may be empty).
        p: activation probability per edge.
        rng: the random generator to draw from.
        susceptible: optional boolean mask of nodes that may be activated (seeds always are).
        max_rounds: stop after this many rounds (``None``: until the cascade dies out).

    Returns:
        Boolean array, one entry per node: activated (seeds included).
    """
    n = adjacency.shape[0]
    active = np.zeros(n, dtype=bool)
    seeds = np.unique(np.asarray(seeds, dtype=np.int64))
    if len(seeds) and (seeds[0] < 0 or seeds[-1] >= n):
        raise ValueError(f"seeds must be node indices in [0, {n})")
    active[seeds] = True
    per_edge = np.ndim(p) > 0
    if per_edge and len(p) != adjacency.nnz:
        raise ValueError("a per-edge p must have one value per stored edge (adjacency.nnz)")
    if len(seeds) == 0 or (not per_edge and p <= 0):
        return active
    indptr, indices = adjacency.indptr, adjacency.indices
    frontier = seeds
    rounds = 0
    while len(frontier) and (max_rounds is None or rounds < max_rounds):
        starts = indptr[frontier]
        counts = indptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            break
        # positions of the frontier's edges in CSR order, without a Python loop
        offsets = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
        prob = p[offsets] if per_edge else p
        targets = indices[offsets[rng.random(total) < prob]]
        targets = targets[~active[targets]]
        if susceptible is not None:
            targets = targets[susceptible[targets]]
        frontier = np.unique(targets)
        active[frontier] = True
        rounds += 1
    return active


def fifo_queue_state(
    arrivals: np.ndarray,
    service_times: np.ndarray,
    free_at: np.ndarray,
    *,
    not_before: float = -np.inf,
    until: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """First-come-first-served multi-server queue, continuing from servers' free times.

    Customer ``i`` starts at ``max(arrival_i, earliest free server, not_before)``. Service
    stops being assigned at the first customer who would start at or after ``until``; that
    customer and those behind it get ``inf`` (still waiting), so a model can run the queue
    step by step: the starts are the same as one call over the whole horizon.

    Args:
        arrivals: sorted arrival times.
        service_times: service time of each arrival.
        free_at: time at which each server is next free (its length is the server count).
        not_before: no service starts earlier (e.g. the queue opens).
        until: no service starts at or after this time.

    Returns:
        ``(starts, free_at)``: start times (``inf`` for customers still waiting) and the
        servers' new free times (sorted).
    """
    arrivals = np.asarray(arrivals, dtype=np.float64)
    service_times = np.asarray(service_times, dtype=np.float64)
    if arrivals.shape != service_times.shape:
        raise ValueError("arrivals and service_times must have the same length")
    if len(free_at) < 1:
        raise ValueError("at least one server is needed")
    if len(arrivals) > 1 and np.any(np.diff(arrivals) < 0):
        raise ValueError("arrivals must be sorted")
    heap = [float(x) for x in free_at]
    heapq.heapify(heap)
    starts = np.full(len(arrivals), np.inf)
    for i, (arrival, service) in enumerate(zip(arrivals.tolist(), service_times.tolist(), strict=True)):
        start = max(heap[0], arrival, not_before)
        if start >= until:
            break
        heapq.heapreplace(heap, start + service)
        starts[i] = start
    return starts, np.sort(np.asarray(heap))


def fifo_queue(arrivals: np.ndarray, service_times: np.ndarray, servers: int) -> np.ndarray:
    """Service start times of a FCFS queue with ``servers`` identical servers, empty at time 0.

    Args:
        arrivals: sorted arrival times.
        service_times: service time of each arrival.
        servers: number of servers (>= 1).

    Returns:
        Service start times (waiting time = start - arrival).
    """
    if int(servers) < 1:
        raise ValueError("servers must be >= 1")
    return fifo_queue_state(arrivals, service_times, np.zeros(int(servers)))[0]
