"""Social-graph generators at scale: compiled code straight to a CSR adjacency matrix.

networkx's generators are pure Python (Holme–Kim takes ~45 s at a million nodes); these
draw graphs from the same random-graph models with the same construction, in numba-compiled
loops (Holme–Kim, Barabási–Albert, Watts–Strogatz) or vectorized numpy (G(n, p)), and return
the adjacency in :func:`simulation.core.social_graph.to_csr`'s format: a symmetric ``scipy.sparse``
CSR matrix with 0/1 float data, sorted indices and no self-loops. No networkx graph is built.

They are equal to networkx's generators *in distribution*, not draw for draw (networkx
draws from Python's ``random``), except with ``like_networkx=True`` (Holme–Kim and
Barabási–Albert): then the kernel makes Python's draws from ``random.Random(seed)`` and
returns networkx's edges in networkx's order, for the graphs below
:data:`simulation.core.social_graph.COMPILED_GRAPHS_FROM` nodes that runs have always drawn.

Randomness: each generator takes an integer seed (or a ``numpy.random.Generator``, from
which one integer is drawn). The compiled loops seed
numba's own Mersenne Twister with it (``np.random.seed(seed)`` inside compiled code seeds
numba's per-thread generator, which is independent of numpy's global state); G(n, p) draws
from ``numpy.random.default_rng(seed)``. Same seed, same matrix.

numba is imported on the first call of a compiled generator, not on import, and compiles
with ``cache=True`` so later processes load the machine code from the cache.
"""

from __future__ import annotations

import functools
import random
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

INT32_MAX = np.iinfo(np.int32).max


def _seed_of(seed: int | np.random.Generator) -> int:
    """An integer seed for numba's Mersenne Twister (32 bits), drawn from a Generator if given one."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**31 - 1))
    return int(seed) % 2**32


def _index_dtype(count: int) -> type:
    """int32 while every index fits (as scipy chooses), int64 beyond."""
    return np.int32 if count <= INT32_MAX else np.int64


# --------------------------------------------------------------------------------------------
# Compiled kernels: plain Python functions here, compiled by numba on first use (_kernels).


def _grow_preferential(n, m, p, seed, python_random, coin, n0, r_len, initial_src, initial_dst, repeated, src, dst):
    """Grow a graph by preferential attachment with triad formation (networkx's Holme–Kim loop).

    From an initial graph on nodes ``0..n0-1`` (edges ``initial_*``, only with ``p = 0``;
    ``repeated[:r_len]`` holds its nodes once per incident edge, or once each if it has none),
    each new node ``source`` draws ``m`` distinct targets uniformly from ``repeated`` (so by
    degree) and makes ``m`` links: the first to a target; each later one, with probability
    ``p``, to a random neighbour of the last target used that is not yet linked to
    ``source`` (a triangle), else to the next target. Every link, even one repeating an edge,
    appends its end to ``repeated``; then ``source`` is appended ``m`` times. With ``p = 0``
    and a star as the initial graph this is ``networkx.barabasi_albert_graph``.

    The targets are used in the order networkx's ``set.pop()`` returns them, which is
    CPython's hash-table order for small ints (emulated below, resizes included) and is not
    random: the oldest nodes (ids 0..m-1, the largest hubs) sit in the first slots and are
    used first, which shapes the hubs' degrees.

    For triad formation each node keeps its neighbours in a block of a shared pool that
    doubles when full, so a random neighbour of a hub is one draw (redrawn if not eligible)
    rather than a walk over its list. Returns the number of edges in ``src``/``dst``.

    ``python_random`` non-empty: draw for draw networkx's own generator. It holds the state
    of Python's ``random.Random(seed)`` (624 words and the index, as ``getstate()`` gives
    them), and every draw is the one Python's ``random`` makes: Mersenne Twister words,
    ``choice`` by rejection of ``getrandbits``, ``random()`` from two words; a triangle's
    third node is ``choice`` over the list of eligible neighbours. Empty: numba's own
    generator, seeded with ``seed``. ``coin``: toss the triangle coin for each link after a
    node's first (networkx's Holme–Kim tosses it even when ``p`` is 0; Barabási–Albert never).
    """
    like_python = len(python_random) > 0
    state = python_random.copy()

    def word(mt):  # genrand_uint32 of CPython's _randommodule.c; mt[624] is the index
        if mt[624] >= 624:
            for kk in range(624):
                y = (mt[kk] & 0x80000000) | (mt[(kk + 1) % 624] & 0x7FFFFFFF)
                mt[kk] = mt[(kk + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            mt[624] = 0
        y = mt[mt[624]]
        mt[624] += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        return y ^ (y >> 18)

    def below(mt, count):  # random.Random._randbelow_with_getrandbits: what choice draws
        if not like_python:
            return np.random.randint(0, count)
        bits = 0
        rest = count
        while rest:
            bits += 1
            rest >>= 1
        r = word(mt) >> (32 - bits)
        while r >= count:
            r = word(mt) >> (32 - bits)
        return r

    def uniform(mt):  # random.Random.random
        if not like_python:
            return np.random.random()
        return ((word(mt) >> 5) * 67108864.0 + (word(mt) >> 6)) * (1.0 / 9007199254740992.0)

    if not like_python:
        np.random.seed(seed)
    edges = 0
    for i in range(len(initial_src)):
        src[edges], dst[edges] = initial_src[i], initial_dst[i]
        edges += 1
    triads = p > 0.0
    blocks = n if triads else 0
    start = np.zeros(blocks, dtype=np.int64)  # node x's neighbours: pool[start[x] : start[x] + deg[x]]
    cap = np.zeros(blocks, dtype=np.int64)
    deg = np.zeros(blocks, dtype=np.int64)
    pool = np.empty(4 * len(src) + 4 * m if triads else 0, dtype=src.dtype)
    top = 0
    drawn = np.empty(m, dtype=np.int64)
    targets = np.empty(m, dtype=np.int64)  # in reverse pop order: the next target is targets[t_len - 1]
    room = 8
    while room <= 4 * m:
        room <<= 1
    table = np.empty(room, dtype=np.int64)
    spare = np.empty(room, dtype=np.int64)
    nearby = np.empty(n if like_python else 0, dtype=np.int64)  # a target's eligible neighbours, every one
    for source in range(n0, n):
        # m distinct targets drawn uniformly from the repeated-nodes list
        t_len = 0
        while t_len < m:
            x = np.int64(repeated[below(state, r_len)])
            fresh = True
            for j in range(t_len):
                if drawn[j] == x:
                    fresh = False
                    break
            if fresh:
                drawn[t_len] = x
                t_len += 1
        # CPython's set: insert in draw order (probe, perturb, resize), then pop in slot order
        size, used = 8, 0
        table[:size] = -1
        for j in range(m):
            x = drawn[j]
            mask = size - 1
            i, perturb = x & mask, x
            while True:
                probes = 9 if i + 9 <= mask else 0
                slot = -1
                for q in range(i, i + probes + 1):
                    if table[q] == -1:
                        slot = q
                        break
                if slot >= 0:
                    break
                perturb >>= 5
                i = (i * 5 + 1 + perturb) & mask
            table[slot] = x
            used += 1
            if used * 5 >= mask * 3:  # set_table_resize(used * 4), re-inserting in slot order
                grown = 8
                while grown <= (used * 2 if used > 50000 else used * 4):
                    grown <<= 1
                spare[:size] = table[:size]
                table[:grown] = -1
                mask = grown - 1
                for q in range(size):
                    y = spare[q]
                    if y == -1:
                        continue
                    i, perturb = y & mask, y
                    while True:
                        if table[i] == -1:
                            table[i] = y
                            break
                        slot = -1
                        if i + 9 <= mask:
                            for r in range(i + 1, i + 10):
                                if table[r] == -1:
                                    slot = r
                                    break
                        if slot >= 0:
                            table[slot] = y
                            break
                        perturb >>= 5
                        i = (i * 5 + 1 + perturb) & mask
                size = grown
        k = 0
        for q in range(size - 1, -1, -1):
            if table[q] != -1:
                targets[k] = table[q]
                k += 1
        first = edges  # this source's edges are src/dst[first:edges]
        target = np.int64(-1)
        count = 0
        while count < m:
            end = np.int64(-1)  # this link's other end: a triangle's third node, else the next target
            if count > 0 and coin and uniform(state) < p:
                # a neighbour of target, not source and not yet linked to source; at most
                # 1 + (edges - first) of target's neighbours are not eligible
                d, base = deg[target], start[target]
                if d > 1 + edges - first and not like_python:
                    while end < 0:
                        w = pool[base + below(state, d)]
                        linked = w == source
                        for e in range(first, edges):
                            if dst[e] == w:
                                linked = True
                                break
                        if not linked:
                            end = w
                else:
                    eligible = 0
                    for q in range(base, base + d):
                        linked = pool[q] == source
                        for e in range(first, edges):
                            if dst[e] == pool[q]:
                                linked = True
                                break
                        if not linked:
                            if like_python:
                                nearby[eligible] = pool[q]
                            else:
                                spare[eligible] = pool[q]
                            eligible += 1
                    if eligible > 0:
                        end = nearby[below(state, eligible)] if like_python else spare[below(state, eligible)]
            if end < 0:  # preferential attachment to the next target
                t_len -= 1
                target = targets[t_len]
                end = target
            exists = False
            for e in range(first, edges):
                if dst[e] == end:
                    exists = True
                    break
            if not exists:
                src[edges], dst[edges] = source, end
                edges += 1
                for side in range(2 if triads else 0):  # append each end to the other's block
                    a, b = (source, end) if side == 0 else (end, source)
                    if deg[a] == cap[a]:  # move a's block to the top of the pool, twice as large
                        grown = max(2 * m, 2 * cap[a])
                        if top + grown > len(pool):
                            bigger = np.empty(2 * (top + grown), dtype=pool.dtype)
                            bigger[:top] = pool[:top]
                            pool = bigger
                        pool[top : top + deg[a]] = pool[start[a] : start[a] + deg[a]]
                        start[a], cap[a] = top, grown
                        top += grown
                    pool[start[a] + deg[a]] = b
                    deg[a] += 1
            repeated[r_len] = end
            r_len += 1
            count += 1
        for _ in range(m):
            repeated[r_len] = source
            r_len += 1
    return edges


def _rewire_ring(n, k, p, seed, head, nxt, prv, nbr, deg):
    """Watts–Strogatz: a ring lattice of ``k // 2`` neighbours a side, each edge rewired with ``p``.

    networkx's order and rules: lattice distance in the outer loop, nodes in order in the
    inner one; edge ``(u, u + j)`` is rewired with probability ``p`` to ``(u, w)``, ``w``
    uniform, redrawn while it is ``u`` or already a neighbour of ``u`` (the rewiring is
    skipped if ``u`` is linked to everyone). Edge slot ``e = (j - 1) n + u`` keeps half-edge
    ``2e`` at ``u`` (its end changes) and moves half-edge ``2e + 1`` from ``v`` to ``w``;
    neighbour lists are doubly linked lists (``head``, ``nxt``, ``prv``, ``nbr``).
    """
    np.random.seed(seed)
    half = k // 2
    for j in range(1, half + 1):
        for u in range(n):
            e = (j - 1) * n + u
            v = (u + j) % n
            nbr[2 * e], nbr[2 * e + 1] = v, u
            nxt[2 * e], prv[2 * e], head[u] = head[u], -1, 2 * e
            if nxt[2 * e] != -1:
                prv[nxt[2 * e]] = 2 * e
            nxt[2 * e + 1], prv[2 * e + 1], head[v] = head[v], -1, 2 * e + 1
            if nxt[2 * e + 1] != -1:
                prv[nxt[2 * e + 1]] = 2 * e + 1
            deg[u] += 1
            deg[v] += 1
    for j in range(1, half + 1):
        for u in range(n):
            if np.random.random() >= p:
                continue
            e = (j - 1) * n + u
            v = nbr[2 * e]
            skip = False
            while True:
                w = np.random.randint(0, n)
                taken = w == u
                if not taken:
                    h = head[u]
                    while h != -1:
                        if nbr[h] == w:
                            taken = True
                            break
                        h = nxt[h]
                if not taken:
                    break
                if deg[u] >= n - 1:
                    skip = True
                    break
            if skip:
                continue
            # move half-edge 2e+1 from v's list to w's
            b = 2 * e + 1
            if prv[b] != -1:
                nxt[prv[b]] = nxt[b]
            else:
                head[v] = nxt[b]
            if nxt[b] != -1:
                prv[nxt[b]] = prv[b]
            nxt[b], prv[b] = head[w], -1
            if head[w] != -1:
                prv[head[w]] = b
            head[w] = b
            nbr[2 * e] = w
            deg[v] -= 1
            deg[w] += 1


@functools.cache
def _kernels() -> SimpleNamespace:
    """The compiled kernels (numba imported and the machine code compiled or loaded from cache)."""
    import numba

    jit = numba.njit(cache=True)
    return SimpleNamespace(grow_preferential=jit(_grow_preferential), rewire_ring=jit(_rewire_ring))


# --------------------------------------------------------------------------------------------
# CSR assembly


def csr_from_edges(n: int, u: np.ndarray, v: np.ndarray) -> sp.csr_matrix:
    """Symmetric 0/1 CSR adjacency on nodes ``0..n-1`` from edge ends ``u``, ``v``, sorted indices.

    Repeated edges count once; self-loops are dropped. This is the one place the social
    graph's matrix format is defined (:func:`simulation.core.social_graph.to_csr` builds through it).
    """
    u = np.asarray(u)
    v = np.asarray(v)
    keep = u != v
    if not keep.all():
        u, v = u[keep], v[keep]
    dtype = _index_dtype(max(n, 2 * len(u)))
    rows = np.concatenate([u, v]).astype(dtype, copy=False)
    cols = np.concatenate([v, u]).astype(dtype, copy=False)
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    matrix.sort_indices()
    return matrix


# --------------------------------------------------------------------------------------------
# Generators: edge arrays, and the CSR matrix


def _preferential_edges(
    n: int,
    m: int,
    p: float,
    seed: int,
    initial_src: np.ndarray,
    initial_dst: np.ndarray,
    repeated0: np.ndarray,
    like_networkx: bool,
    coin: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the preferential-attachment kernel from an initial graph; return its edge arrays.

    ``like_networkx``: draw from Python's ``random.Random(seed)`` as networkx does (the edges
    in the order networkx adds them); else from numba's generator seeded with ``seed``.
    """
    if p > 0 and len(initial_src):
        raise ValueError("triad formation starts from isolated nodes (the initial graph's ties are not tracked)")
    n0 = int(max(repeated0.max(initial=-1), initial_src.max(initial=-1), initial_dst.max(initial=-1))) + 1
    node = _index_dtype(n)
    repeated = np.empty(len(repeated0) + 2 * m * (n - n0), dtype=node)
    repeated[: len(repeated0)] = repeated0
    src = np.empty(len(initial_src) + m * (n - n0), dtype=node)
    dst = np.empty(len(src), dtype=node)
    edges = _kernels().grow_preferential(
        n,
        m,
        float(p),
        seed,
        _python_random_state(seed) if like_networkx else np.empty(0, dtype=np.int64),
        coin,
        n0,
        len(repeated0),
        initial_src.astype(node),
        initial_dst.astype(node),
        repeated,
        src,
        dst,
    )
    return src[:edges], dst[:edges]


def _python_random_state(seed: int) -> np.ndarray:
    """The state of Python's ``random.Random(seed)`` (624 words, then the index), as networkx seeds it."""
    if isinstance(seed, np.random.Generator) or int(seed) != seed:
        raise TypeError(
            f"like_networkx: the seed must be an integer (networkx seeds random.Random with it), got {seed!r}"
        )
    return np.array(random.Random(int(seed)).getstate()[1], dtype=np.int64)


def holme_kim_edges(
    n: int, m: int, p: float, seed: int | np.random.Generator, *, like_networkx: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Edges of a Holme–Kim graph (``networkx.powerlaw_cluster_graph(n, m, p)``'s model).

    Starts from ``m`` isolated nodes; each later node adds ``m`` links, each after the first
    closing a triangle with probability ``p``. ``like_networkx``: draw for draw
    ``networkx.powerlaw_cluster_graph(n, m, p, seed=seed)``, the edges in the order it adds
    them (:func:`simulation.core.social_graph.graph_in_order` rebuilds its graph exactly), compiled.
    """
    if m < 1 or n < m:
        raise ValueError(f"holme_kim: need 1 <= m <= n, got m={m}, n={n}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"holme_kim: p must be in [0, 1], got {p}")
    none = np.empty(0, dtype=np.int64)
    seed = seed if like_networkx else _seed_of(seed)
    return _preferential_edges(n, m, p, seed, none, none, np.arange(m), like_networkx, p > 0 or like_networkx)


def barabasi_albert_edges(
    n: int, m: int, seed: int | np.random.Generator, *, like_networkx: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Edges of a Barabási–Albert graph (``networkx.barabasi_albert_graph(n, m)``: a star on m + 1 nodes first).

    ``like_networkx``: draw for draw ``networkx.barabasi_albert_graph(n, m, seed=seed)``, the
    edges in the order it adds them, compiled.
    """
    if m < 1 or m >= n:
        raise ValueError(f"barabasi_albert: need 1 <= m < n, got m={m}, n={n}")
    hub, leaves = np.zeros(m, dtype=np.int64), np.arange(1, m + 1)
    seed = seed if like_networkx else _seed_of(seed)
    return _preferential_edges(
        n, m, 0.0, seed, hub, leaves, np.concatenate([hub, leaves]), like_networkx, False
    )  # fmt: skip


def watts_strogatz_edges(n: int, k: int, p: float, seed: int | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Edges of a Watts–Strogatz graph (``networkx.watts_strogatz_graph(n, k, p)``'s construction)."""
    if not 2 <= k < n:
        raise ValueError(f"watts_strogatz: need 2 <= k < n, got k={k}, n={n}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"watts_strogatz: p must be in [0, 1], got {p}")
    half = k // 2
    node = _index_dtype(n)
    link = _index_dtype(2 * half * n)
    head = np.full(n, -1, dtype=link)
    nxt = np.empty(2 * half * n, dtype=link)
    prv = np.empty(2 * half * n, dtype=link)
    nbr = np.empty(2 * half * n, dtype=node)
    deg = np.zeros(n, dtype=node)
    _kernels().rewire_ring(n, k, float(p), _seed_of(seed), head, nxt, prv, nbr, deg)
    return np.tile(np.arange(n, dtype=node), half), nbr[0::2].copy()


def erdos_renyi_edges(n: int, p: float, seed: int | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Edges of a G(n, p) graph by geometric skips over the pairs (Batagelj & Brandes 2005), vectorized.

    Pairs ``w < v`` are numbered ``v (v - 1) / 2 + w`` (networkx's order); the gaps between
    chosen pairs are geometric with parameter ``p``, drawn in blocks from
    ``numpy.random.default_rng(seed)``.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"erdos_renyi: p must be in [0, 1), got {p}")
    pairs = n * (n - 1) // 2
    if p == 0.0 or pairs == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    rng = np.random.default_rng(_seed_of(seed))
    mean = pairs * p
    block = int(mean + 6.0 * np.sqrt(mean * (1.0 - p))) + 16
    chosen = []
    last = -1
    while last < pairs:
        index = last + np.cumsum(rng.geometric(p, block))
        chosen.append(index)
        last = int(index[-1])
    index = np.concatenate(chosen)
    index = index[index < pairs]
    v = ((1.0 + np.sqrt(1.0 + 8.0 * index.astype(np.float64))) / 2.0).astype(np.int64)
    w = index - v * (v - 1) // 2
    v = np.where(w < 0, v - 1, np.where(w >= v, v + 1, v))  # float rounding at the row boundaries
    w = index - v * (v - 1) // 2
    node = _index_dtype(n)
    return v.astype(node), w.astype(node)


def holme_kim_csr(n: int, m: int, p: float, seed: int | np.random.Generator) -> sp.csr_matrix:
    """Adjacency of a Holme–Kim graph (see :func:`holme_kim_edges`)."""
    return csr_from_edges(n, *holme_kim_edges(n, m, p, seed))


def barabasi_albert_csr(n: int, m: int, seed: int | np.random.Generator) -> sp.csr_matrix:
    """Adjacency of a Barabási–Albert graph (see :func:`barabasi_albert_edges`)."""
    return csr_from_edges(n, *barabasi_albert_edges(n, m, seed))


def watts_strogatz_csr(n: int, k: int, p: float, seed: int | np.random.Generator) -> sp.csr_matrix:
    """Adjacency of a Watts–Strogatz graph (see :func:`watts_strogatz_edges`)."""
    return csr_from_edges(n, *watts_strogatz_edges(n, k, p, seed))


def erdos_renyi_csr(n: int, p: float, seed: int | np.random.Generator) -> sp.csr_matrix:
    """Adjacency of a G(n, p) graph (see :func:`erdos_renyi_edges`)."""
    return csr_from_edges(n, *erdos_renyi_edges(n, p, seed))
