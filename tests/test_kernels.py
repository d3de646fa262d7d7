"""The two core kernels against hand-worked cases, reference implementations and theory.

FIFO queue vs Erlang C (M/M/c); independent cascade vs bond percolation on Erdős–Rényi
graphs (final-size equation above the threshold, 1 / (1 - k T) below it).
"""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.csgraph import connected_components

from simulation.core import fifo_queue, fifo_queue_state, independent_cascade
from simulation.studies.theory import (
    erlang_c_mean_wait,
    erlang_c_wait_cdf,
    erlang_c_wait_probability,
    percolation_giant_fraction,
    percolation_small_outbreak_size,
)


def batch_means(x, batches):
    """Mean and standard error of a correlated series, from the means of ``batches`` consecutive blocks."""
    blocks = x[: len(x) // batches * batches].reshape(batches, -1).mean(axis=1)
    return blocks.mean(), blocks.std(ddof=1) / np.sqrt(batches)


def reference_queue(arrivals, services, servers):
    """Plain FCFS: each customer takes the server that frees first."""
    free = [0.0] * servers
    starts = []
    for a, s in zip(arrivals, services, strict=True):
        j = min(range(servers), key=free.__getitem__)
        starts.append(max(a, free[j]))
        free[j] = starts[-1] + s
    return np.array(starts)


# ------------------------------------------------------------------ FIFO queue


C, MU, LAM, CUSTOMERS = 3, 1.0, 2.4, 1_000_000  # load 0.8


@pytest.fixture(scope="module")
def mmc_waits():
    rng = np.random.default_rng(20240611)
    arrivals = np.cumsum(rng.exponential(1 / LAM, CUSTOMERS))
    waits = fifo_queue(arrivals, rng.exponential(1 / MU, CUSTOMERS), C) - arrivals
    return waits[5000:]  # drop the start-up from an empty queue (relaxation is ~200 customers)


def test_fifo_queue_reproduces_erlang_c(mmc_waits):
    # Waits are autocorrelated, so standard errors come from 50 batch means of ~20k customers
    # (each far longer than the ~200-customer relaxation time at load 0.8). Measured over
    # seeds: SE ~0.002 on P(wait) and ~1.5% on the mean wait. Tolerance: 4 standard errors.
    w = mmc_waits
    p_wait, se = batch_means((w > 0).astype(float), 50)
    assert se < 0.004
    assert abs(p_wait - erlang_c_wait_probability(C, LAM, MU)) < 4 * se
    mean, se = batch_means(w, 50)
    assert se < 0.03 * mean
    assert abs(mean - erlang_c_mean_wait(C, LAM, MU)) < 4 * se
    for t in (0.25, 1.0, 2.0, 4.0):
        cdf, se = batch_means((w <= t).astype(float), 50)
        assert abs(cdf - erlang_c_wait_cdf(t, C, LAM, MU)) < 4 * se + 1e-4


def test_fifo_queue_waits_given_a_wait_are_exponential(mmc_waits):
    # W | W > 0 ~ Exp(c mu - lambda). Thinned to every 1000th positive wait so that the
    # sample is nearly independent (KS assumes i.i.d.).
    positive = mmc_waits[mmc_waits > 0][::1000]
    assert len(positive) > 500
    result = stats.kstest(positive, "expon", args=(0.0, 1.0 / (C * MU - LAM)))
    assert result.pvalue > 1e-3


def test_single_server_by_hand():
    arrivals = np.array([0.0, 1.0, 1.5, 5.0, 5.0])
    services = np.array([2.0, 2.0, 1.0, 1.0, 0.5])
    # 0 -> [0, 2); 1 waits -> [2, 4); 2 waits -> [4, 5); 3 on arrival -> [5, 6); 4 waits -> [6, 6.5)
    np.testing.assert_array_equal(fifo_queue(arrivals, services, 1), [0.0, 2.0, 4.0, 5.0, 6.0])


def test_two_servers_by_hand():
    arrivals = np.array([0.0, 0.0, 0.0, 1.0, 2.5])
    services = np.array([3.0, 1.0, 1.0, 1.0, 1.0])
    # A: [0, 3); B: [0, 1), [1, 2), [2, 3); then A frees at 3 first
    np.testing.assert_array_equal(fifo_queue(arrivals, services, 2), [0.0, 0.0, 1.0, 2.0, 3.0])
    starts, free_at = fifo_queue_state(arrivals, services, np.zeros(2))
    np.testing.assert_array_equal(free_at, [3.0, 4.0])
    np.testing.assert_array_equal(starts, fifo_queue(arrivals, services, 2))


@pytest.mark.parametrize("servers", [1, 2, 3, 7])
def test_fifo_queue_matches_a_plain_reference(servers):
    rng = np.random.default_rng(servers)
    arrivals = np.sort(rng.integers(0, 300, 500)).astype(float)  # many ties
    services = rng.integers(0, 5, 500).astype(float)
    np.testing.assert_array_equal(fifo_queue(arrivals, services, servers), reference_queue(arrivals, services, servers))


def test_fifo_queue_with_busy_servers():
    # servers busy until 2 and 5: the first customer waits for the earlier one
    np.testing.assert_array_equal(fifo_queue([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], 2, free_at=[5.0, 2.0]), [2.0, 3.0, 4.0])


def test_fifo_queue_state_in_two_chunks_equals_one_call():
    rng = np.random.default_rng(3)
    arrivals = np.cumsum(rng.exponential(1 / 2.4, 2000))
    services = rng.exponential(1.0, 2000)
    whole = fifo_queue(arrivals, services, 3)
    first, free_at = fifo_queue_state(arrivals[:777], services[:777], np.zeros(3))
    second, _ = fifo_queue_state(arrivals[777:], services[777:], free_at)
    np.testing.assert_array_equal(np.concatenate([first, second]), whole)


def test_fifo_queue_state_step_by_step_equals_one_call():
    # How the model runs it: each step offers the customers who arrived so far and are still
    # waiting, opens at the step's start and assigns no start at or after its end.
    rng = np.random.default_rng(4)
    arrivals = np.cumsum(rng.exponential(1 / 2.7, 3000))
    services = rng.exponential(1.0, 3000)
    whole = fifo_queue(arrivals, services, 3)
    starts = np.full(len(arrivals), np.inf)
    free_at = np.zeros(3)
    for t in np.arange(0.0, arrivals[-1] + 500.0, 0.25):
        rows = np.flatnonzero(np.isinf(starts) & (arrivals < t + 0.25))
        if len(rows):
            starts[rows], free_at = fifo_queue_state(
                arrivals[rows], services[rows], free_at, not_before=t, until=t + 0.25
            )
    np.testing.assert_array_equal(starts, whole)


def test_fifo_queue_until_leaves_the_rest_waiting():
    starts, free_at = fifo_queue_state([0.0, 0.0, 0.0], [2.0, 2.0, 2.0], np.zeros(1), until=3.0)
    np.testing.assert_array_equal(starts, [0.0, 2.0, np.inf])
    np.testing.assert_array_equal(free_at, [4.0])


def test_fifo_queue_empty():
    starts, free_at = fifo_queue_state(np.array([]), np.array([]), np.array([1.0, 0.0]))
    assert len(starts) == 0
    np.testing.assert_array_equal(free_at, [0.0, 1.0])


@pytest.mark.parametrize(
    ("arrivals", "services", "servers", "match"),
    [
        ([0.0, 2.0, 1.0], [1.0, 1.0, 1.0], 2, "sorted"),
        ([0.0, np.nan], [1.0, 1.0], 2, "sorted"),
        ([0.0, 1.0], [1.0], 2, "same length"),
        ([0.0, 1.0], [1.0, -1.0], 2, ">= 0"),
        ([0.0, 1.0], [1.0, 1.0], 0, "positive"),
        ([0.0, 1.0], [1.0, 1.0], -1, "positive"),
        ([0.0, 1.0], [1.0, 1.0], 1.5, "positive"),
    ],
)
def test_fifo_queue_rejects_invalid_input(arrivals, services, servers, match):
    with pytest.raises(ValueError, match=match):
        fifo_queue(np.array(arrivals), np.array(services), servers)


def test_fifo_queue_state_needs_a_server():
    with pytest.raises(ValueError, match="server"):
        fifo_queue_state([0.0], [1.0], np.array([]))
    with pytest.raises(ValueError, match="one entry per server"):
        fifo_queue([0.0], [1.0], 2, free_at=[0.0])


# ------------------------------------------------------------------ independent cascade


def er_adjacency(n, mean_degree, seed):
    graph = nx.fast_gnp_random_graph(n, mean_degree / (n - 1), seed=seed)
    return sp.csr_matrix(nx.to_scipy_sparse_array(graph, format="csr"))


N, K = 20_000, 4.0


@pytest.fixture(scope="module")
def er_graphs():
    return [er_adjacency(N, K, seed) for seed in (11, 12)]


def test_cascade_above_threshold_matches_the_percolation_final_size(er_graphs):
    # k T = 2: a single seed starts a large outbreak with probability S, and a large outbreak
    # reaches a fraction S, where S = 1 - exp(-k T S) = 0.797. Small outbreaks stay below
    # ~30 nodes, so 1% of the graph separates the two cleanly.
    transmissibility, runs = 0.5, 1500
    rng = np.random.default_rng(5)
    k = np.mean([a.nnz / N for a in er_graphs])  # realised mean degree
    s = percolation_giant_fraction(k, transmissibility)
    sizes = np.array(
        [
            independent_cascade(a, rng.integers(0, N, 1), transmissibility, rng).sum() / N
            for a in er_graphs
            for _ in range(runs)
        ]
    )
    large = sizes > 0.01
    # binomial SE sqrt(S (1 - S) / 3000) = 0.0073; tolerance 4 SE
    assert abs(large.mean() - s) < 4 * np.sqrt(s * (1 - s) / len(sizes))
    # large outbreaks: run-to-run sd ~0.004 (finite n), ~0.002 between graphs
    assert abs(sizes[large].mean() - s) < 0.006
    assert sizes[large].std() < 0.01
    # conditioned on dying out, the cascade is sub-critical with branching factor k T (1 - S)
    small = sizes[~large] * N
    expected = percolation_small_outbreak_size(k * (1 - s), transmissibility)
    var = (expected - 1) * expected**2  # Borel: lambda / (1 - lambda)**3
    assert abs(small.mean() - expected) < 4 * np.sqrt(var / len(small))


def test_cascade_below_threshold_has_mean_size_one_over_one_minus_kt(er_graphs):
    # k T = 0.6: total progeny of a Poisson(0.6) branching process, mean 1 / (1 - kT) = 2.5
    # and variance kT / (1 - kT)**3 = 9.4; 20k runs give SE 0.022, tolerance 4 SE.
    transmissibility, runs = 0.15, 10_000
    rng = np.random.default_rng(6)
    sizes = np.array(
        [
            independent_cascade(a, rng.integers(0, N, 1), transmissibility, rng).sum()
            for a in er_graphs
            for _ in range(runs)
        ]
    )
    kt = np.mean([a.nnz / N for a in er_graphs]) * transmissibility
    expected = percolation_small_outbreak_size(kt, 1.0)
    assert abs(sizes.mean() - expected) < 4 * np.sqrt(kt / (1 - kt) ** 3 / len(sizes))
    assert sizes.max() < 0.01 * N


def small_graph():
    return er_adjacency(3000, 1.5, seed=2)  # many components of all sizes


def test_p_zero_returns_the_seeds():
    a = small_graph()
    seeds = np.array([5, 17, 17, 2999])
    rng = np.random.default_rng(1)
    active = independent_cascade(a, seeds, 0.0, rng)
    np.testing.assert_array_equal(np.flatnonzero(active), [5, 17, 2999])
    per_edge = independent_cascade(a, seeds, np.zeros(a.nnz), rng)
    np.testing.assert_array_equal(per_edge, active)


def test_p_one_returns_the_components_of_the_seeds():
    a = small_graph()
    _, label = connected_components(a, directed=False)
    sizes = np.bincount(label)
    seeds = np.array([np.flatnonzero(label == np.argmax(sizes))[0], np.flatnonzero(sizes[label] == 7)[0]])
    active = independent_cascade(a, seeds, 1.0, np.random.default_rng(1))
    np.testing.assert_array_equal(active, np.isin(label, label[seeds]))


def reachable_avoiding(a, seeds, blocked):
    """Nodes connected to ``seeds`` through non-blocked nodes (seeds themselves always in)."""
    keep = ~blocked
    keep[seeds] = True
    inner = sp.diags(keep.astype(float)) @ a @ sp.diags(keep.astype(float))
    _, label = connected_components(inner, directed=False)
    return np.isin(label, label[seeds]) & keep


def test_per_edge_p_and_susceptible_block_the_same_nodes():
    a = small_graph()
    rng = np.random.default_rng(8)
    blocked = rng.random(a.shape[0]) < 0.2
    seeds = np.flatnonzero(~blocked)[:40]
    expected = reachable_avoiding(a, seeds, blocked)
    # an edge with p = 0 is never used: zero every edge into a blocked node
    p = np.where(blocked[a.indices], 0.0, 1.0)
    np.testing.assert_array_equal(independent_cascade(a, seeds, p, rng), expected)
    np.testing.assert_array_equal(independent_cascade(a, seeds, 1.0, rng, susceptible=~blocked), expected)
    # a non-susceptible seed is still active
    active = independent_cascade(a, np.array([0]), 1.0, rng, susceptible=np.zeros(a.shape[0], dtype=bool))
    np.testing.assert_array_equal(np.flatnonzero(active), [0])


def test_cascade_follows_edge_direction():
    a = sp.csr_matrix((np.ones(2), ([0, 1], [1, 2])), shape=(4, 4))  # 0 -> 1 -> 2, 3 isolated
    rng = np.random.default_rng(1)
    np.testing.assert_array_equal(independent_cascade(a, [0], 1.0, rng), [True, True, True, False])
    np.testing.assert_array_equal(independent_cascade(a, [2], 1.0, rng), [False, False, True, False])
    np.testing.assert_array_equal(independent_cascade(a, [0], 1.0, rng, max_rounds=1), [True, True, False, False])
    np.testing.assert_array_equal(independent_cascade(a, [0], 1.0, rng, max_rounds=0), [True, False, False, False])


def test_each_active_node_tries_each_edge_once():
    # 20k copies of: seed s -> x (p = 0.3), s -> chain of 8 nodes (p = 1), and y with two
    # seed parents (p = 0.3 each). Retrying every round would give x ~0.94, not 0.3.
    copies, chain = 20_000, 8
    width = chain + 4  # s, s2, x, y, chain...
    base = np.arange(copies) * width
    s, s2, x, y = base, base + 1, base + 2, base + 3
    rows = [s, s, s2, s] + [base + 4 + i for i in range(chain - 1)]
    cols = [x, y, y, base + 4] + [base + 5 + i for i in range(chain - 1)]
    probs = [0.3, 0.3, 0.3, 1.0] + [1.0] * (chain - 1)
    coo = sp.coo_matrix(
        (np.concatenate([np.full(copies, q) for q in probs]), (np.concatenate(rows), np.concatenate(cols))),
        shape=(copies * width,) * 2,
    )
    a = coo.tocsr()
    active = independent_cascade(a, np.concatenate([s, s2]), a.data.copy(), np.random.default_rng(9))
    se = np.sqrt(0.25 / copies)
    assert abs(active[x].mean() - 0.3) < 4 * se
    assert abs(active[y].mean() - (1 - 0.7**2)) < 4 * se
    assert active[base + 3 + chain].all()  # the chain's end


def test_one_uniform_per_examined_edge(er_graphs):
    # Every active node examines each of its out-edges exactly once, one draw each.
    a = er_graphs[0]
    rng = np.random.default_rng(10)
    twin = np.random.default_rng(10)
    active = independent_cascade(a, np.array([1, 2, 3]), 0.5, rng)
    twin.random(int(np.diff(a.indptr)[active].sum()))
    assert rng.random() == twin.random()


def test_same_seed_same_cascade(er_graphs):
    a = er_graphs[0]
    runs = [independent_cascade(a, np.array([42]), 0.5, np.random.default_rng(s)) for s in (3, 3, 4)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert runs[0].sum() > 0.5 * N  # (a large outbreak, so a different seed surely differs)
    assert not np.array_equal(runs[0], runs[2])


def test_empty_seeds_activate_nothing():
    a = small_graph()
    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    for p in (0.0, 0.5, 1.0, np.ones(a.nnz)):
        active = independent_cascade(a, np.array([], dtype=int), p, rng)
        assert active.shape == (a.shape[0],) and not active.any()
    assert rng.bit_generator.state == state  # fast path: no draws


def test_cascade_rejects_invalid_input():
    a = small_graph()
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="seeds"):
        independent_cascade(a, [a.shape[0]], 0.5, rng)
    with pytest.raises(ValueError, match="seeds"):
        independent_cascade(a, [-1], 0.5, rng)
    with pytest.raises(ValueError, match="per-edge"):
        independent_cascade(a, [0], np.ones(a.nnz - 1), rng)
    with pytest.raises(ValueError, match="susceptible"):
        independent_cascade(a, [0], 0.5, rng, susceptible=np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="square"):
        independent_cascade(sp.csr_matrix((3, 4)), [0], 0.5, rng)


# --- neighbour means (the slot-major layout) ----------------------------------------------


def _reference_neighbour_mean(adjacency, x):
    return (adjacency @ x) / np.maximum(np.diff(adjacency.indptr), 1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_neighbour_mean_is_the_sparse_product_bit_for_bit(seed):
    """Same floats as ``adjacency @ x / degree``: a heavy-tailed graph, isolated nodes, weights."""
    from simulation.core.kernels import neighbour_mean, slot_major

    rng = np.random.default_rng(seed)
    graph = nx.powerlaw_cluster_graph(2000, 3, 0.4, seed=seed)
    graph.add_nodes_from(range(2000, 2050))  # isolated: mean 0
    adjacency = nx.to_scipy_sparse_array(graph, nodelist=range(2050), format="csr")
    adjacency = sp.csr_matrix(adjacency, dtype=np.float64)
    x = rng.uniform(-1, 1, 2050)
    np.testing.assert_array_equal(neighbour_mean(slot_major(adjacency), x), _reference_neighbour_mean(adjacency, x))
    weighted = adjacency.copy()
    weighted.data = rng.uniform(0.1, 3.0, weighted.nnz)
    np.testing.assert_array_equal(neighbour_mean(slot_major(weighted), x), _reference_neighbour_mean(weighted, x))


def test_neighbour_mean_edge_cases():
    """No edges at all, a single node, and a non-square matrix (refused)."""
    from simulation.core.kernels import neighbour_mean, slot_major

    empty = sp.csr_matrix((5, 5))
    np.testing.assert_array_equal(neighbour_mean(slot_major(empty), np.arange(5.0)), np.zeros(5))
    one = sp.csr_matrix((1, 1))
    np.testing.assert_array_equal(neighbour_mean(slot_major(one), np.array([0.3])), np.zeros(1))
    with pytest.raises(ValueError, match="square"):
        slot_major(sp.csr_matrix((3, 4)))
