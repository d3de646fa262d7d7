"""Keyed random numbers: every draw a function of (run seed, stream, entity, sequence, slot).

A run's draws do not come from a stream consumed in the order code asks: each is the
output of a counter-based generator, Philox4x64-10 (Salmon et al. 2011, "Parallel random
numbers: as easy as 1, 2, 3"; NumPy's :class:`numpy.random.Philox`), at a counter that
names what the draw is for. The key (two 64-bit words) comes from the run's
``SeedSequence``; the counter is ``(entity, sequence, stream, block)``:

- *entity*: the customer, employee or edge the draw belongs to;
- *sequence*: which of its events (a customer's k-th inquiry, k-th churn threshold) or
  the step (an employee's posts in step t);
- *stream*: what kind of draw, by name (a CRC-32 of it, as :mod:`simulation.rng` keys
  its streams), so streams never overlap;
- *block*: one counter gives four uniforms (slots 0-3); slot ``k`` is block ``k // 4``,
  lane ``k % 4``.

So the same customer raises the same inquiry at the same time with the same patience,
and a cascade edge fires on the same uniform, whatever else the organisation changes:
paired runs of two designs differ only where the designs do (common random numbers,
keyed as in starsim and JAX's counter-based ``PRNGKey``). Both engines draw through
these functions, so they stay identical for a seed.

Uniforms are ``(x >> 11) * 2**-53`` of the 64-bit output, NumPy's ``random()``:
:func:`uniforms` equals ``Generator(Philox(key=key, counter=c - 1)).random(4)`` for the
counter ``c`` (NumPy advances the counter before it generates), which
``tests/test_keyed.py`` checks. Distributions come from uniforms by inverse transform
(:func:`exponential`, :func:`poisson`): exact, and monotone in the uniform, so a small
change of a rate moves a draw a little instead of reshuffling it.
"""

from __future__ import annotations

import functools
import zlib
from typing import Any

import numpy as np
import scipy.special

from simulation.core.compiled import jit

_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_W0 = np.uint64(0x9E3779B97F4A7C15)
_W1 = np.uint64(0xBB67AE8584CAA73B)
_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def stream_id(name: str) -> int:
    """The counter word of a named stream (CRC-32 of the name: adding a stream shifts no other)."""
    return zlib.crc32(name.encode())


def run_key(seed: int | np.random.SeedSequence) -> np.ndarray:
    """The run's Philox key: two 64-bit words from its ``SeedSequence`` (a child keyed "keyed")."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, stream_id("keyed")))
    return child.generate_state(2, dtype=np.uint64)


@jit
def _mulhilo(a, b):  # noqa: ANN001, ANN202 - uint64 scalars
    """High and low 64-bit words of the 128-bit product ``a * b``."""
    lo = a * b
    a0, a1 = a & _LOW32, a >> _S32
    b0, b1 = b & _LOW32, b >> _S32
    t = a1 * b0 + ((a0 * b0) >> _S32)
    w = (t & _LOW32) + a0 * b1
    return a1 * b1 + (t >> _S32) + (w >> _S32), lo


@jit
def _philox(c0, c1, c2, c3, k0, k1):  # noqa: ANN001, ANN202 - uint64 scalars
    """Philox4x64-10 of counter ``(c0, c1, c2, c3)`` under key ``(k0, k1)``: four 64-bit words."""
    for r in range(10):
        if r > 0:
            k0 += _W0
            k1 += _W1
        hi0, lo0 = _mulhilo(_M0, c0)
        hi1, lo1 = _mulhilo(_M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@jit
def _uniforms(key, entity, sequence, shared, stream, block):  # noqa: ANN001, ANN202
    n = len(entity)
    out = np.empty((n, 4))
    k0, k1 = key[0], key[1]
    s, b = np.uint64(stream), np.uint64(block)
    for i in range(n):
        x0, x1, x2, x3 = _philox(np.uint64(entity[i]), np.uint64(sequence[0 if shared else i]), s, b, k0, k1)
        out[i, 0] = (x0 >> _S11) * _TO_UNIT
        out[i, 1] = (x1 >> _S11) * _TO_UNIT
        out[i, 2] = (x2 >> _S11) * _TO_UNIT
        out[i, 3] = (x3 >> _S11) * _TO_UNIT
    return out


@jit
def _uniform(key, entity, sequence, shared, stream, block, lane):  # noqa: ANN001, ANN202
    n = len(entity)
    out = np.empty(n)
    k0, k1 = key[0], key[1]
    s, b = np.uint64(stream), np.uint64(block)
    for i in range(n):
        x = _philox(np.uint64(entity[i]), np.uint64(sequence[0 if shared else i]), s, b, k0, k1)
        out[i] = (x[lane] >> _S11) * _TO_UNIT
    return out


def _as_counter(values: np.ndarray | int) -> tuple[np.ndarray, bool]:
    """The sequence words as an int64 array, and whether one is shared by every entity."""
    if isinstance(values, int | np.integer):
        return np.array([values], dtype=np.int64), True
    array = np.asarray(values, dtype=np.int64)
    return (array.reshape(1), True) if array.ndim == 0 else (array, False)


def uniforms(
    key: np.ndarray, stream: int, entity: np.ndarray, sequence: np.ndarray | int, block: int = 0
) -> np.ndarray:
    """Slots ``4 block`` .. ``4 block + 3`` of each ``(entity, sequence)``: an ``(n, 4)`` array in [0, 1)."""
    entity = np.asarray(entity, dtype=np.int64)
    return _uniforms(key, entity, *_as_counter(sequence), stream, block)


def uniform(key: np.ndarray, stream: int, entity: np.ndarray, sequence: np.ndarray | int, slot: int = 0) -> np.ndarray:
    """Slot ``slot`` of each ``(entity, sequence)``: one uniform in [0, 1) per entity."""
    entity = np.asarray(entity, dtype=np.int64)
    return _uniform(key, entity, *_as_counter(sequence), stream, slot // 4, slot % 4)


def generator(key: np.ndarray, stream: int, entity: int, sequence: int) -> np.random.Generator:
    """A NumPy generator keyed to one event (its draws in order are slots 0, 1, 2, ... of it).

    For draws whose number depends on the event itself (an audience of a post, a count of a
    step): the event is the key, the order of draws within it is fixed.
    """
    return np.random.Generator(np.random.Philox(key=key, counter=before((entity, sequence, stream, 0))))


def before(counter: tuple[int, int, int, int]) -> np.ndarray:
    """The 256-bit counter one before ``counter`` (NumPy's Philox advances it, with carry, then generates)."""
    words = [int(w) for w in counter]
    for i in range(4):  # subtract 1 with borrow, lowest word first
        words[i] = (words[i] - 1) % 2**64
        if words[i] != 2**64 - 1:
            break
    return np.array(words, dtype=np.uint64)


# --- inverse transforms -------------------------------------------------------------------------


def exponential(u: np.ndarray, mean: float | np.ndarray = 1.0) -> np.ndarray:
    """Exponential draws of ``mean`` from uniforms (inverse CDF: ``-mean log(1 - u)``)."""
    return -np.log1p(-u) * mean


def poisson(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson counts of means ``lam`` from uniforms ``u``, by inversion of the CDF (exact).

    The smallest ``k`` with ``P(N <= k) > u``; a sequential search from 0 where the mean
    is small, the regularised incomplete gamma function (``scipy.special.pdtr``) around
    the mean where it is large.
    """
    u = np.asarray(u, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    if lam.shape != u.shape:
        lam = np.broadcast_to(lam, u.shape)
    if u.size and lam.max() < 30.0:  # the common case: small means, one compiled search
        return _poisson_small(u, lam, np.exp(-lam))
    counts = np.zeros(u.shape, dtype=np.int64)
    small = lam < 30.0
    if small.any():
        counts[small] = _poisson_small(u[small], lam[small], np.exp(-lam[small]))
    large = ~small
    if large.any():
        counts[large] = _poisson_large(u[large], lam[large])
    return counts


@jit
def _poisson_small(u, lam, p0):  # noqa: ANN001, ANN202
    out = np.zeros(len(u), dtype=np.int64)
    for i in range(len(u)):
        if lam[i] <= 0.0:
            continue
        k, p = 0, p0[i]
        cdf = p
        while u[i] >= cdf and k < 1000:
            k += 1
            p *= lam[i] / k
            cdf += p
        out[i] = k
    return out


def _poisson_large(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    k = np.maximum(np.floor(lam + np.sqrt(lam) * scipy.special.ndtri(np.clip(u, 1e-300, 1 - 1e-16))), 0.0)
    for _ in range(64):  # walk from the normal guess to the exact inverse (a few steps)
        below = scipy.special.pdtr(k - 1, lam) > u  # P(N <= k - 1) > u: k is too large
        above = scipy.special.pdtr(k, lam) <= u  # P(N <= k) <= u: k is too small
        if not (below.any() or above.any()):
            break
        k = k - below + above
    return k.astype(np.int64)


# --- a run's keys ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _word(stream: str, tag: int) -> int:
    return stream_id(stream) | (int(tag) << 32)


class Keys:
    """A run's keyed draws: its Philox key, and the streams by name.

    ``tag`` tells apart several events of one kind that share entity and sequence (the
    ``j``-th post of an employee in a step, one cascade among several); it goes into the
    stream word's upper half.
    """

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        self.key = run_key(seed)

    def uniform(self, stream: str, entity: Any, sequence: Any, slot: int = 0, tag: int = 0) -> np.ndarray:
        """Slot ``slot`` of each ``(entity, sequence)`` of ``stream``: one uniform per entity."""
        return uniform(self.key, _word(stream, tag), entity, sequence, slot)

    def uniforms(self, stream: str, entity: Any, sequence: Any, block: int = 0, tag: int = 0) -> np.ndarray:
        """Slots ``4 block`` .. ``4 block + 3`` of each ``(entity, sequence)`` of ``stream``: ``(n, 4)``."""
        return uniforms(self.key, _word(stream, tag), entity, sequence, block)

    def generator(self, stream: str, entity: int, sequence: int, tag: int = 0) -> np.random.Generator:
        """A NumPy generator keyed to one event of ``stream`` (for draws whose number the event decides)."""
        return generator(self.key, _word(stream, tag), entity, sequence)

    def __getstate__(self) -> dict:
        return {"key": self.key}

    def __setstate__(self, state: dict) -> None:
        self.key = state["key"]
