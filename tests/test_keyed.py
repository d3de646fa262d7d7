"""Keyed random numbers: Philox4x64-10 against NumPy's, keys that name draws, exact inverse transforms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.core import keyed

WORD = st.integers(min_value=0, max_value=2**63 - 1)


@settings(max_examples=60, deadline=None)
@given(entity=WORD, sequence=WORD, stream=st.integers(0, 2**32 - 1), block=st.integers(0, 1000), seed=WORD)
def test_uniforms_are_numpys_philox_at_the_named_counter(entity, sequence, stream, block, seed):
    key = keyed.run_key(seed)
    mine = keyed.uniforms(key, stream, np.array([entity]), np.array([sequence]), block)[0]
    counter = keyed.before((entity, sequence, stream, block))
    reference = np.random.Generator(np.random.Philox(key=key, counter=counter)).random(4)
    assert np.array_equal(mine, reference)


def test_a_draw_depends_on_its_key_not_on_what_else_is_drawn():
    key = keyed.run_key(7)
    alone = keyed.uniform(key, keyed.stream_id("churn"), np.array([42]), 3)
    among = keyed.uniform(key, keyed.stream_id("churn"), np.array([5, 42, 9, 42]), np.array([1, 3, 3, 3]))
    assert among[1] == alone[0] == among[3]
    assert among[0] != among[1] != among[2]
    assert (
        keyed.uniform(key, keyed.stream_id("churn"), np.array([42]), 3, slot=5)[0]
        == (keyed.uniforms(key, keyed.stream_id("churn"), np.array([42]), 3, block=1)[0, 1])
    )
    others = [
        keyed.uniform(keyed.run_key(8), keyed.stream_id("churn"), np.array([42]), 3)[0],  # another seed
        keyed.uniform(key, keyed.stream_id("needs"), np.array([42]), 3)[0],  # another stream
        keyed.uniform(key, keyed.stream_id("churn"), np.array([42]), 4)[0],  # another event
        keyed.uniform(key, keyed.stream_id("churn"), np.array([43]), 3)[0],  # another entity
    ]
    assert len({alone[0], *others}) == 5


def test_keyed_uniforms_are_uniform_and_independent_across_neighbouring_keys():
    key = keyed.run_key(1)
    n = 200_000
    u = keyed.uniform(key, 3, np.arange(n), 0)
    assert scipy.stats.kstest(u, "uniform").pvalue > 1e-3
    v = keyed.uniform(key, 3, np.arange(n), 1)  # the next event of the same entities
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.01
    w = keyed.uniform(key, 3, np.arange(1, n + 1), 0)  # the next entity
    assert abs(np.corrcoef(u, w)[0, 1]) < 0.01


def test_a_keyed_generator_continues_the_keyed_slots_of_its_event():
    key = keyed.run_key(3)
    gen = keyed.generator(key, 11, 0, 0)  # entity 0: NumPy's counter wraps, with carry
    assert np.array_equal(gen.random(4), keyed.uniforms(key, 11, np.array([0]), 0)[0])


@pytest.mark.parametrize("lam", [0.0, 1e-4, 0.3, 5.0, 29.9, 30.0, 41.5, 800.0, 2.5e5])
def test_poisson_by_inversion_is_the_exact_inverse_cdf(lam):
    u = keyed.uniform(keyed.run_key(2), 5, np.arange(5000), 0)
    counts = keyed.poisson(u, np.full(len(u), lam))
    assert np.array_equal(counts, scipy.stats.poisson.ppf(u, lam).astype(np.int64) if lam > 0 else np.zeros(5000))
    assert np.all(np.diff(keyed.poisson(np.sort(u), np.full(len(u), lam))) >= 0)  # monotone in the uniform


def test_exponential_by_inversion():
    u = keyed.uniform(keyed.run_key(4), 6, np.arange(100_000), 0)
    draws = keyed.exponential(u, 2.5)
    assert scipy.stats.kstest(draws, "expon", args=(0, 2.5)).pvalue > 1e-3
    np.testing.assert_allclose(draws, scipy.stats.expon.ppf(u, scale=2.5), rtol=1e-14)
