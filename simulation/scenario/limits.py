"""What a run will cost, estimated before it starts, and a refusal of what this machine cannot do.

The estimate is deliberately rough (within a factor of two or three of ``benchmarks/``'s
measurements): its job is to turn a billion customers or a million-employee company into
one clear line up front instead of an hour of swapping or a 37 GiB allocation. The
coefficients are the measured costs of the vectorized engine on the benchmark machine
(``benchmarks/README.md``); the agents engine costs a few KB and ~600x the time per
customer.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulation.errors import ScenarioError

if TYPE_CHECKING:
    from simulation.scenario.config import Config

# Measured costs (vectorized engine, one core of the benchmark machine).
BASE_BYTES = 250e6  # Python, numpy, scipy, networkx, Mesa, pandas loaded
BYTES_PER_TIE = 150.0  # networkx adjacency while the graph is built, plus the CSR
BYTES_PER_CUSTOMER = 400.0  # state arrays, node attributes, layout of the cascade buffers
BYTES_PER_EMPLOYEE_PAIR = 40.0  # candidate internal ties: (i, j, u) for every pair of employees
BYTES_PER_STEP = 1000.0  # one record of ~60 numbers, kept twice (list and DataFrame)
BYTES_PER_INQUIRY = 200.0  # the inquiry log and its DataFrame
AGENT_BYTES_PER_CUSTOMER = 5000.0  # a Mesa agent and its cell
SETUP_SECONDS_PER_CUSTOMER = 25e-6  # the networkx generator
SETUP_SECONDS_PER_EMPLOYEE_PAIR = 60e-9
STEP_SECONDS = 1.5e-3  # fixed cost of a step
STEP_SECONDS_PER_CUSTOMER = 70e-9  # whole-array work and one sparse mat-vec per step
SECONDS_PER_POST = 20e-6
SECONDS_PER_INQUIRY = 10e-6
AGENTS_SLOWDOWN = 600.0

MAX_SEED = 2**63 - 1  # as simulation.seed: a seed must fit numpy's int64

MAX_SECONDS = 7 * 24 * 3600.0  # a run (or a batch on its workers) estimated longer than a week is refused
MAX_RUNS = (
    1_000_000  # runs in one study (a batch, an optimisation, a calibration): more is a typo, and is planned in memory
)
MEMORY_HEADROOM = 0.8  # share of the memory available now that a run may plan to use


@dataclass(frozen=True)
class Estimate:
    """Peak memory (bytes) and wall time (seconds) of one run."""

    bytes: float
    seconds: float
    memory_key: str = "customers.count"  # the key whose size dominates the memory
    time_key: str = "simulation.steps"  # ... and the time

    def text(self) -> str:
        """``~1.2 GB, ~3 min``."""
        return f"~{format_bytes(self.bytes)}, ~{format_seconds(self.seconds)}"


def format_bytes(value: float) -> str:
    """Bytes in the largest unit that keeps the number above 1."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            return f"{value:.3g} {unit}"
        value /= 1000
    return f"{value:.3g} PB"  # pragma: no cover - the loop always returns


def format_seconds(value: float) -> str:
    """Seconds as s, min, h or days."""
    if value < 120:
        return f"{value:.2g} s"
    if value < 7200:
        return f"{value / 60:.2g} min"
    if value < 3 * 86400:
        return f"{value / 3600:.2g} h"
    if value < 3 * 365 * 86400:
        return f"{value / 86400:.3g} days"
    return f"{value / (365 * 86400):.3g} years"


def estimate(config: Config) -> Estimate:
    """Rough peak memory and wall time of one run of ``config`` (no input file is read)."""
    customers = float(config.customers.count)
    if config.network.kind == "edgelist" and config.network.path is not None:
        try:  # an edge list's size bounds its nodes and ties (a line is at least 4 bytes)
            customers = max(10.0, config.network.path.stat().st_size / 4.0)
        except OSError:
            customers = 10.0
    org = config.organization
    if org.org_chart is not None:
        try:
            employees = max(1.0, org.org_chart.stat().st_size / 4.0)
        except OSError:
            employees = 1.0
    else:
        employees = float(sum(org.headcount.get(name, 0) for name in org.departments))
    employees += org.agency_headcount
    steps = float(config.simulation.steps)
    step_hours = config.simulation.step_hours
    ties = customers * config.network.mean_degree / 2
    pairs = employees * (employees - 1) / 2
    inquiries = customers * config.customers.inquiry_rate_per_day * steps * step_hours / 24
    posts_per_step = (
        employees
        * config.content.posts_per_poster_per_day
        * (config.content.quota_multiplier if config.content.quota else 1.0)
        * step_hours
        / 24
    )
    per_customer_step = STEP_SECONDS_PER_CUSTOMER
    agent_bytes = 0.0
    if config.simulation.engine == "agents":
        agent_bytes = customers * AGENT_BYTES_PER_CUSTOMER
        per_customer_step *= AGENTS_SLOWDOWN
    memory = {
        "customers.count": ties * BYTES_PER_TIE + customers * BYTES_PER_CUSTOMER + agent_bytes,
        "organization.headcount": pairs * BYTES_PER_EMPLOYEE_PAIR,
        "simulation.steps": steps * BYTES_PER_STEP + inquiries * BYTES_PER_INQUIRY,
    }
    seconds = {
        "customers.count": customers * SETUP_SECONDS_PER_CUSTOMER,
        "organization.headcount": pairs * SETUP_SECONDS_PER_EMPLOYEE_PAIR,
        "simulation.steps": steps * (STEP_SECONDS + customers * per_customer_step) + inquiries * SECONDS_PER_INQUIRY,
        "content.posts_per_poster_per_day": steps * posts_per_step * SECONDS_PER_POST,
    }
    if config.network.kind == "edgelist":
        memory["network.path"] = memory.pop("customers.count")
    return Estimate(BASE_BYTES + sum(memory.values()), sum(seconds.values()), _largest(memory), _largest(seconds))


def _largest(parts: dict[str, float]) -> str:
    return max(parts, key=lambda key: parts[key])


def available_bytes() -> float:
    """Memory this process could use now (physical memory available, no swapping)."""
    import psutil

    return float(psutil.virtual_memory().available)


def check_fits(config: Config) -> Estimate:
    """Refuse a run this machine cannot do; returns its estimate.

    Raises:
        ScenarioError: the estimated memory exceeds what is available, or the estimated
            time exceeds :data:`MAX_SECONDS`; the message names the dominant key and gives the estimate.
    """
    one = estimate(config)
    check_batch([one], parallel=1)
    return one


def check_batch(estimates: list[Estimate], parallel: int, *, check_memory: bool = True) -> None:
    """Refuse a batch of runs (``parallel`` at a time) that cannot fit this machine.

    Memory is the largest run times ``parallel``; time is the sum over runs divided by
    ``parallel``. ``check_memory=False`` for runs on remote workers (their memory is theirs).
    """
    if not estimates:
        return
    parallel = max(1, min(parallel, len(estimates)))
    biggest = max(estimates, key=lambda e: e.bytes)
    slowest = max(estimates, key=lambda e: e.seconds)
    memory = biggest.bytes * parallel
    seconds = sum(e.seconds for e in estimates) / parallel
    what = "the run" if len(estimates) == 1 else f"{len(estimates)} runs, {parallel} at a time,"
    limit = available_bytes() * MEMORY_HEADROOM
    if check_memory and memory > limit:
        raise ScenarioError(
            f"{biggest.memory_key}: {what} would need ~{format_bytes(memory)} of memory, "
            f"{format_bytes(limit)} is available on this machine (estimate per run: {biggest.text()})"
        )
    if seconds > MAX_SECONDS:
        raise ScenarioError(
            f"{slowest.time_key}: {what} would take ~{format_seconds(seconds)}, over the limit of "
            f"{format_seconds(MAX_SECONDS)} (estimate per run: {slowest.text()})"
        )


def _whole(value: Any) -> bool:
    """An integer (Python's or numpy's), not a boolean."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_seed(seed: Any, option: str = "--seed") -> int | None:
    """``seed`` as an int (None stays None); anything but a whole number in [0, 2^63 - 1] is a ScenarioError."""
    if seed is None:
        return None
    if not _whole(seed) or not 0 <= seed <= MAX_SEED:
        raise ScenarioError(f"{option} {seed!r:.40}: must be a whole number from 0 to {MAX_SEED} (2^63 - 1)")
    return int(seed)


def check_count(value: Any, option: str, least: int = 1) -> int:
    """A count option (replicates, trials, workers, ...) as an int: a whole number, at least ``least``."""
    if not _whole(value):
        raise ScenarioError(f"{option} {value!r:.40}: must be a whole number")
    if value < least:
        raise ScenarioError(f"{option} {value}: must be at least {least}")
    return int(value)


def check_study(one: Estimate, runs: int, parallel: int, option: str, *, check_memory: bool = True) -> None:
    """Refuse a study of ``runs`` runs like ``one``, ``parallel`` at a time, before anything is planned or run.

    The guard of :func:`check_batch` for a whole study (a batch's runs, an optimisation's
    trials x replicates, a calibration's particles x generations), from one run's estimate, so
    a billion replicates is one line up front rather than an hour of planning. ``option`` is
    the option that sets the size (named in the message).
    """
    parallel = max(1, min(int(parallel), runs)) if runs > 0 else 1
    seconds = one.seconds * runs / parallel
    what = f"{runs:,} runs, {parallel} at a time,"
    if runs > MAX_RUNS:
        raise ScenarioError(
            f"{option}: {what} are over the limit of {MAX_RUNS:,} runs in one study "
            f"(they would take ~{format_seconds(seconds)}; estimate per run: {one.text()})"
        )
    limit = available_bytes() * MEMORY_HEADROOM
    if check_memory and one.bytes * parallel > limit:
        raise ScenarioError(
            f"{one.memory_key}: {what} would need ~{format_bytes(one.bytes * parallel)} of memory, "
            f"{format_bytes(limit)} is available on this machine (estimate per run: {one.text()})"
        )
    if seconds > MAX_SECONDS:
        raise ScenarioError(
            f"{option}: {what} would take ~{format_seconds(seconds)}, over the limit of "
            f"{format_seconds(MAX_SECONDS)} (estimate per run: {one.text()})"
        )
