"""Analytical results the submodels are validated against (tests, notebooks, benchmarks).

- M/M/c queue (Erlang C): probability of waiting, mean wait, waiting-time CDF
  (Kleinrock, *Queueing Systems* vol. 1, 1975, section 3.5; Gross, Shortle, Thompson &
  Harris, *Fundamentals of Queueing Theory*, 4th ed., 2008, section 2.3).
- Bond percolation on Erdős–Rényi graphs, the final size of an independent cascade with
  transmissibility T: S = 1 - exp(-k T S) above the threshold k T = 1, mean outbreak size
  1 / (1 - k T) below it (Grassberger 1983; Newman, Phys. Rev. E 66, 016128, 2002).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq


def _check_queue(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Validate an M/M/c queue's parameters and return its offered load a = lambda / mu."""
    if int(servers) != servers or servers < 1:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")
    if not service_rate > 0:
        raise ValueError(f"service_rate must be > 0, got {service_rate!r}")
    if not arrival_rate >= 0:
        raise ValueError(f"arrival_rate must be >= 0, got {arrival_rate!r}")
    offered = arrival_rate / service_rate
    if not offered < servers:
        raise ValueError(f"load {offered / servers:.3f} must be below 1 for a stationary queue")
    return offered


def _erlang_b(servers: int, offered: float) -> float:
    """Erlang B blocking probability by the stable recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1.

    The recursion never forms ``a**c / c!`` and so neither overflows nor cancels
    (Jagerman, Bell Syst. Tech. J. 53, 1974).
    """
    b = 1.0
    for k in range(1, int(servers) + 1):
        b = offered * b / (k + offered * b)
    return b


def erlang_c_wait_probability(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C formula).

    C(c, a) = B / (1 - rho (1 - B)) with B the Erlang B probability, a = lambda / mu and
    rho = a / c (Kleinrock 1975, section 3.5; Gross et al. 2008, section 2.3).

    Args:
        servers: number of servers c (>= 1).
        arrival_rate: Poisson arrival rate lambda (>= 0).
        service_rate: exponential service rate mu of one server (> 0).

    Returns:
        The stationary probability of waiting, in [0, 1).

    Raises:
        ValueError: on invalid parameters or a load rho >= 1 (no stationary queue).
    """
    offered = _check_queue(servers, arrival_rate, service_rate)
    b = _erlang_b(servers, offered)
    return b / (1.0 - offered / servers * (1.0 - b))


def erlang_c_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean waiting time before service in an M/M/c queue: W_q = C / (c mu - lambda).

    Kleinrock 1975, section 3.5; Gross et al. 2008, section 2.3.

    Args:
        servers: number of servers c (>= 1).
        arrival_rate: Poisson arrival rate lambda (>= 0).
        service_rate: exponential service rate mu of one server (> 0).

    Returns:
        The stationary mean wait, in the time unit of the rates.

    Raises:
        ValueError: on invalid parameters or a load rho >= 1.
    """
    c = erlang_c_wait_probability(servers, arrival_rate, service_rate)
    return c / (servers * service_rate - arrival_rate)


def erlang_c_wait_cdf(t: float | np.ndarray, servers: int, arrival_rate: float, service_rate: float) -> np.ndarray:
    """Waiting-time distribution of an M/M/c queue: P(W <= t) = 1 - C exp(-(c mu - lambda) t).

    An atom 1 - C at zero, then exponential with rate c mu - lambda given a wait
    (Gross et al. 2008, section 2.3; Kleinrock 1975, section 3.5).

    Args:
        t: time(s) at which to evaluate the CDF (0 for t < 0).
        servers: number of servers c (>= 1).
        arrival_rate: Poisson arrival rate lambda (>= 0).
        service_rate: exponential service rate mu of one server (> 0).

    Returns:
        P(W <= t), with the shape of ``t``.

    Raises:
        ValueError: on invalid parameters or a load rho >= 1.
    """
    c = erlang_c_wait_probability(servers, arrival_rate, service_rate)
    t = np.asarray(t, dtype=np.float64)
    cdf = 1.0 - c * np.exp(-(servers * service_rate - arrival_rate) * np.maximum(t, 0.0))
    return np.where(t < 0, 0.0, cdf)


def _check_percolation(mean_degree: float, transmissibility: float) -> float:
    """Validate ER percolation parameters and return the branching factor k T."""
    if not mean_degree >= 0:
        raise ValueError(f"mean_degree must be >= 0, got {mean_degree!r}")
    if not 0 <= transmissibility <= 1:
        raise ValueError(f"transmissibility must be in [0, 1], got {transmissibility!r}")
    return mean_degree * transmissibility


def percolation_giant_fraction(mean_degree: float, transmissibility: float) -> float:
    """Fraction S of an Erdős–Rényi graph reached by a large outbreak: S = 1 - exp(-k T S).

    Bond percolation with occupation probability T on G(n, k/n) leaves a Poisson graph of
    mean degree k T, whose giant component solves the equation (Erdős & Rényi 1960;
    Newman 2002). On ER graphs S is also the probability that one random seed
    starts a large outbreak. Solved with Brent's method, written with ``expm1`` so that it
    stays accurate just above the threshold.

    Args:
        mean_degree: mean degree k of the graph.
        transmissibility: per-edge activation probability T, in [0, 1].

    Returns:
        S in [0, 1); 0 at or below the threshold k T <= 1.

    Raises:
        ValueError: on a negative degree or T outside [0, 1].
    """
    r0 = _check_percolation(mean_degree, transmissibility)
    if r0 <= 1.0:
        return 0.0
    # f(s) = s - 1 + exp(-r0 s) brackets the non-zero root: f(1) = exp(-r0) > 0, and at
    # s = x / r0 with x = 1 - 1/r0, f = exp(-x) - (1 - x + x**2) < -x**2 / 2 < 0.
    return float(brentq(lambda s: s + math.expm1(-r0 * s), (r0 - 1.0) / r0**2, 1.0, xtol=1e-300))


def percolation_small_outbreak_size(mean_degree: float, transmissibility: float) -> float:
    """Mean final size (nodes, seed included) of an outbreak from one seed on an ER graph below threshold.

    <s> = 1 + T G0'(1) / (1 - T G1'(1)) = 1 / (1 - k T) for Poisson degrees (Newman 2002),
    the mean total progeny of a Poisson(k T) branching process.

    Args:
        mean_degree: mean degree k of the graph.
        transmissibility: per-edge activation probability T, in [0, 1].

    Returns:
        1 / (1 - k T); ``inf`` at or above the threshold k T >= 1.

    Raises:
        ValueError: on a negative degree or T outside [0, 1].
    """
    r0 = _check_percolation(mean_degree, transmissibility)
    if r0 >= 1.0:
        return math.inf
    return 1.0 / (1.0 - r0)
