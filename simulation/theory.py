"""Analytical results the submodels are validated against (tests, notebooks, benchmarks).

- M/M/c queue (Erlang C): probability of waiting, mean wait, waiting-time CDF
  (e.g. Kleinrock, *Queueing Systems* vol. 1, 1975, section 3.5; Gross & Harris).
- Bond percolation on Erdős–Rényi graphs, the final size of an independent cascade:
  S = 1 - exp(-k T S) (Newman, *Networks*, 2010, section 16.2; Grassberger 1983).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq


def _erlang_b(servers: int, offered: float) -> float:
    """Erlang B blocking probability by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    return b


def erlang_c_wait_probability(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Probability an arrival waits in an M/M/c queue (Erlang C); requires load < 1."""
    offered = arrival_rate / service_rate
    rho = offered / servers
    if not 0 <= rho < 1:
        raise ValueError(f"load {rho:.3f} must be in [0, 1) for a stationary queue")
    b = _erlang_b(servers, offered)
    return b / (1.0 - rho * (1.0 - b))


def erlang_c_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean waiting time (before service) in an M/M/c queue."""
    c = erlang_c_wait_probability(servers, arrival_rate, service_rate)
    return c / (servers * service_rate - arrival_rate)


def erlang_c_wait_cdf(t: float | np.ndarray, servers: int, arrival_rate: float, service_rate: float) -> np.ndarray:
    """P(W <= t) in an M/M/c queue: 1 - C exp(-(c mu - lambda) t)."""
    c = erlang_c_wait_probability(servers, arrival_rate, service_rate)
    return 1.0 - c * np.exp(-(servers * service_rate - arrival_rate) * np.asarray(t, dtype=float))


def percolation_giant_fraction(mean_degree: float, transmissibility: float) -> float:
    """Fraction S of an Erdős–Rényi graph reached by a large outbreak: S = 1 - exp(-k T S).

    Zero at or below the threshold k T <= 1. For ER graphs S is also the probability
    that one random seed starts a large outbreak.
    """
    r0 = mean_degree * transmissibility
    if r0 <= 1.0:
        return 0.0
    return float(brentq(lambda s: s - 1.0 + math.exp(-r0 * s), 1e-12, 1.0))


def percolation_small_outbreak_size(mean_degree: float, transmissibility: float) -> float:
    """Mean outbreak size from one seed below threshold on an ER graph: 1 / (1 - k T)."""
    r0 = mean_degree * transmissibility
    if r0 >= 1.0:
        return math.inf
    return 1.0 / (1.0 - r0)
