import math

import numpy as np
import pytest
from scipy import integrate, special

from simulation.studies.theory import (
    erlang_c_mean_wait,
    erlang_c_wait_cdf,
    erlang_c_wait_probability,
    percolation_giant_fraction,
    percolation_small_outbreak_size,
)


def erlang_c_by_factorials(c, lam, mu):
    """The textbook closed form, fine for small c."""
    a, rho = lam / mu, lam / (c * mu)
    tail = a**c / math.factorial(c) / (1 - rho)
    return tail / (sum(a**k / math.factorial(k) for k in range(c)) + tail)


# ------------------------------------------------------------------ Erlang C


def test_mm1_waits_with_probability_rho():
    assert erlang_c_wait_probability(1, 0.7, 1.0) == pytest.approx(0.7)
    assert erlang_c_mean_wait(1, 0.7, 1.0) == pytest.approx(0.7 / 0.3)  # rho / (mu - lambda)


def test_mm2_by_hand():
    # c = 2, a = 1: C = (1/2 * 2) / (1 + 1 + 1) = 1/3, W_q = C / (2 - 1)
    assert erlang_c_wait_probability(2, 1.0, 1.0) == pytest.approx(1 / 3)
    assert erlang_c_mean_wait(2, 1.0, 1.0) == pytest.approx(1 / 3)


@pytest.mark.parametrize(("c", "lam", "mu"), [(3, 2.4, 1.0), (5, 4.5, 1.2), (10, 7.0, 1.0), (20, 1.0, 0.3)])
def test_erlang_c_matches_the_factorial_formula(c, lam, mu):
    assert erlang_c_wait_probability(c, lam, mu) == pytest.approx(erlang_c_by_factorials(c, lam, mu), rel=1e-12)


def test_erlang_c_is_stable_for_many_servers():
    # a**c / c! overflows a float here; the Erlang B recursion does not.
    c = erlang_c_wait_probability(2000, 0.97 * 2000, 1.0)
    assert 0.0 < c < 1.0
    assert math.isfinite(erlang_c_mean_wait(2000, 0.97 * 2000, 1.0))
    # more servers at the same load: less waiting (economies of scale)
    waits = [erlang_c_wait_probability(c, 0.8 * c, 1.0) for c in (1, 2, 5, 20, 100, 1000)]
    assert all(np.diff(waits) < 0)


def test_no_arrivals_no_wait():
    assert erlang_c_wait_probability(3, 0.0, 1.0) == 0.0
    assert erlang_c_mean_wait(3, 0.0, 1.0) == 0.0


def test_wait_cdf_shape_atom_and_mean():
    c, lam, mu = 3, 2.4, 1.0
    p_wait = erlang_c_wait_probability(c, lam, mu)
    t = np.array([-1.0, 0.0, 1.0, 1e9])
    cdf = erlang_c_wait_cdf(t, c, lam, mu)
    assert cdf.shape == t.shape
    assert cdf[0] == 0.0
    assert cdf[1] == pytest.approx(1 - p_wait)
    assert cdf[3] == pytest.approx(1.0)
    assert np.all(np.diff(cdf) >= 0)
    # E[W] = integral of the survival function
    mean, _ = integrate.quad(lambda x: 1 - erlang_c_wait_cdf(x, c, lam, mu), 0, np.inf)
    assert mean == pytest.approx(erlang_c_mean_wait(c, lam, mu), rel=1e-8)


@pytest.mark.parametrize(
    ("servers", "lam", "mu"),
    [(3, 3.0, 1.0), (3, 4.0, 1.0), (0, 0.5, 1.0), (2.5, 0.5, 1.0), (2, -1.0, 1.0), (2, 1.0, 0.0)],
)
def test_erlang_c_rejects_invalid_queues(servers, lam, mu):
    with pytest.raises(ValueError):
        erlang_c_wait_probability(servers, lam, mu)
    with pytest.raises(ValueError):
        erlang_c_wait_cdf(1.0, servers, lam, mu)


# ------------------------------------------------------------------ percolation


def test_no_giant_at_or_below_threshold():
    assert percolation_giant_fraction(4.0, 0.0) == 0.0
    assert percolation_giant_fraction(4.0, 0.2) == 0.0
    assert percolation_giant_fraction(4.0, 0.25) == 0.0  # k T = 1 exactly
    assert percolation_giant_fraction(0.0, 1.0) == 0.0


@pytest.mark.parametrize("r0", [1.0 + 1e-9, 1.001, 1.2, 1.5, 2.0, 3.0, 8.0, 40.0])
def test_giant_fraction_solves_the_equation_and_matches_lambert_w(r0):
    s = percolation_giant_fraction(r0, 1.0)
    assert 0.0 < s < 1.0 or (r0 > 30 and s == pytest.approx(1.0))
    assert s == pytest.approx(1.0 - math.exp(-r0 * s), rel=1e-10, abs=1e-15)
    if r0 >= 1.2:  # closed form S = 1 + W0(-r0 exp(-r0)) / r0, which cancels badly near the threshold
        closed = 1.0 + special.lambertw(-r0 * math.exp(-r0)).real / r0
        assert s == pytest.approx(closed, rel=1e-9)


def test_giant_fraction_just_above_threshold_is_twice_the_excess():
    eps = 1e-7
    assert percolation_giant_fraction(1.0 + eps, 1.0) == pytest.approx(2 * eps, rel=1e-5)


def test_giant_fraction_depends_on_k_times_t_and_grows():
    assert percolation_giant_fraction(4.0, 0.5) == pytest.approx(percolation_giant_fraction(8.0, 0.25))
    values = [percolation_giant_fraction(5.0, t) for t in np.linspace(0.21, 1.0, 30)]
    assert all(np.diff(values) > 0)


def test_small_outbreak_size():
    assert percolation_small_outbreak_size(4.0, 0.0) == 1.0  # the seed alone
    assert percolation_small_outbreak_size(4.0, 0.15) == pytest.approx(2.5)
    assert percolation_small_outbreak_size(4.0, 0.25) == math.inf
    assert percolation_small_outbreak_size(4.0, 0.5) == math.inf


@pytest.mark.parametrize(("k", "t"), [(-1.0, 0.5), (4.0, -0.1), (4.0, 1.5), (4.0, math.nan)])
def test_percolation_rejects_invalid_parameters(k, t):
    with pytest.raises(ValueError):
        percolation_giant_fraction(k, t)
    with pytest.raises(ValueError):
        percolation_small_outbreak_size(k, t)
