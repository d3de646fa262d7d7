"""Model state as arrays: customers, employees, departments' queues, and open inquiries.

One declared schema per table; ``InquiryTable`` refuses unknown columns. Nothing here
draws random numbers except :func:`init_state`, from the streams it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from simulation.core.customers import is_advocate
from simulation.core.organization import Company
from simulation.scenario.config import Config

CUSTOMER, INFLUENCER, MEDIA = 0, 1, 2

INQUIRY_COLUMNS: dict[str, type] = {
    "customer": np.int64,
    "seq": np.int64,  # the customer's inquiry number (0, 1, ...): with customer, the key of its draws
    "kind": np.int8,
    "t_raise": np.float64,
    "patience": np.float64,
    "service_h": np.float64,  # handling time, drawn when the inquiry is raised
    "u_resolve": np.float64,  # uniform draw compared with the resolution probability
    "owner": np.int16,
    "detector": np.int16,  # -1 undetected, 0..D-1 a department, D the shared tool
    "lost": np.bool_,
    "handoff_hours": np.float64,
    "hops": np.int16,
    "t_queue": np.float64,  # inf when it never reaches the owner
    "t_start": np.float64,  # inf until service starts
    "off_duty_h": np.float64,  # of the wait in the owner's queue, hours the owner was off duty (set when served)
    "t_end": np.float64,
    "resolved": np.bool_,
    "expects_reply": np.bool_,
    "irate": np.bool_,
    "ignored": np.bool_,
    "done_ignored": np.bool_,
    "done_irate": np.bool_,
    "done_answer": np.bool_,
}


class InquiryTable:
    """Open inquiries as a structure of arrays (a few per step; compacted as they close).

    Each column (``table[name]``, ``table.cols``) is a view of the first ``len(table)`` rows of
    a buffer with room to spare, so appending a step's inquiries writes into the buffers
    instead of copying every column. A column fetched before an append or a compaction is
    stale: fetch it again.
    """

    def __init__(self, capacity: int = 64) -> None:
        self._size = 0
        self._buffers = {name: np.empty(capacity, dtype=dtype) for name, dtype in INQUIRY_COLUMNS.items()}
        self._view()

    def _view(self) -> None:
        size = self._size
        self.cols = {name: buffer[:size] for name, buffer in self._buffers.items()}

    def __getstate__(self) -> dict:
        return {"size": self._size, "buffers": self._buffers}

    def __setstate__(self, state: dict) -> None:  # (copies and pickles keep columns as views of the buffers)
        self._size, self._buffers = state["size"], state["buffers"]
        self._view()

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def _write(self, values: dict, added: int) -> None:
        """Append ``added`` rows, ``values[name]`` for each column (an array or one value for all).

        The buffers grow (doubling) when full; assignment casts to each column's type.
        """
        start = self._size
        capacity = len(self._buffers["customer"])
        if start + added > capacity:
            capacity = max(2 * capacity, start + added)
            for name, buffer in self._buffers.items():
                grown = np.empty(capacity, dtype=buffer.dtype)
                grown[:start] = buffer[:start]
                self._buffers[name] = grown
        for name, buffer in self._buffers.items():
            buffer[start : start + added] = values[name]
        self._size = start + added
        self._view()

    def append(self, rows: dict[str, np.ndarray]) -> None:
        """Append rows; every column must be given, no other."""
        if rows.keys() != INQUIRY_COLUMNS.keys():
            unknown = set(rows) ^ set(INQUIRY_COLUMNS)
            raise KeyError(f"inquiry columns do not match the schema: {sorted(unknown)}")
        self._write(rows, len(rows["customer"]))

    def append_new(self, rows: dict[str, np.ndarray]) -> None:
        """Append newly raised (and routed) inquiries: not started, not answered, not irate."""
        if rows.keys() != GIVEN_COLUMNS:
            unknown = (set(rows) | set(FRESH)) ^ set(INQUIRY_COLUMNS)
            raise KeyError(f"inquiry columns do not match the schema: {sorted(unknown)}")
        self._write({**rows, **FRESH}, len(rows["kind"]))

    def take(self, keep: np.ndarray) -> dict[str, np.ndarray]:
        """Remove the rows not in ``keep`` and return them (as a dict of arrays)."""
        kept, gone = np.flatnonzero(keep), np.flatnonzero(~keep)  # (taking by index beats masking, per column)
        removed = {name: col.take(gone) for name, col in self.cols.items()}
        for name, col in self.cols.items():
            self._buffers[name][: len(kept)] = col.take(kept)
        self._size = len(kept)
        self._view()
        return removed


NEW_FLAGS = ("resolved", "irate", "ignored", "done_ignored", "done_irate", "done_answer")
# a new inquiry's state
FRESH = {"t_start": np.inf, "t_end": np.inf, "off_duty_h": np.nan, **dict.fromkeys(NEW_FLAGS, False)}
GIVEN_COLUMNS = frozenset(INQUIRY_COLUMNS) - frozenset(FRESH)  # what append_new is given


@dataclass
class State:
    """Everything that changes during a run."""

    # customers
    adjacency: sp.csr_matrix
    degree: np.ndarray
    kind: np.ndarray
    follows: np.ndarray
    awareness: np.ndarray
    sentiment: np.ndarray
    baseline: np.ndarray  # each customer's own resting sentiment (anchoring)
    churned: np.ndarray
    advocate: np.ndarray  # sticky: entered above the threshold, left well below it (hysteresis)
    activity: np.ndarray
    promo_load: np.ndarray  # promotional exposures in the last day (decaying)
    was_answered: np.ndarray  # has had an inquiry answered
    was_ignored: np.ndarray  # has had an inquiry ignored (unanswered past ignored_after_hours)
    # employees
    skill: np.ndarray
    motivation: np.ndarray
    post_load: np.ndarray  # posts in the last day (decaying), for fatigue
    last_post_h: np.ndarray
    account_node: np.ndarray  # the employee's own node in the social graph
    # departments
    free_at: list[list[float]]
    duty: Any = None  # each department's on-duty hours so far, per step (simulation.core.service.DutyRecord)
    # inquiries and innovation
    inquiries: InquiryTable = field(default_factory=InquiryTable)
    log: list[dict[str, np.ndarray]] = field(default_factory=list)
    ideas_pending: np.ndarray = field(default_factory=lambda: np.empty(0))
    ideas_implemented: int = 0
    # crisis
    crisis_intensity: float = 0.0
    churned_total: int = 0  # churn events so far (a replaced customer can churn again)
    churned_count: int = 0  # customers marked churned now (churned.sum(), kept by settle)
    training_until_h: float | None = None  # when the training programme in force ends
    crisis_started_h: float = np.nan
    crisis_durations: list[float] = field(default_factory=list)
    crises: int = 0
    hours: float = 0.0  # simulated time at the start of the next step
    everyone: np.ndarray | None = None  # 0..n-1: the customers' indices (effects on all of them get this array)
    employees: np.ndarray | None = None  # 0..size-1: the employees' indices
    # keyed processes (see simulation.core.needs and customers): per customer, in units of a shared clock
    inquiry_clock: float = 0.0  # cumulated inquiry rate per unit of activity
    next_inquiry: np.ndarray | None = None  # the clock at which each customer's next inquiry comes
    inquiries_raised: np.ndarray | None = None  # inquiries each customer has raised (the next one's seq)
    crisis_complainers: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # next step's
    crisis_complaints: np.ndarray | None = None  # complaints each customer has raised about a crisis
    churn_left: np.ndarray | None = None  # churn hazard each customer has left before it churns
    churns: np.ndarray | None = None  # churns of each customer (index of its current threshold)
    discovery_left: np.ndarray | None = None  # likewise for discovering the brand (becoming a follower)
    discoveries: np.ndarray | None = None

    def active_mask(self) -> np.ndarray | None:
        """The customers who have not churned, as a mask; None when that is everyone (no mask needed)."""
        return ~self.churned if self.churned_count else None


def init_state(config: Config, company: Company, adjacency: sp.csr_matrix, rng: np.random.Generator) -> State:
    """Initial customers and employees (customer draws from ``rng``; company is given)."""
    cust = config.customers
    n = adjacency.shape[0]
    degree = np.diff(adjacency.indptr).astype(np.float64)
    kind = np.zeros(n, dtype=np.int8)
    n_influencers = int(round(cust.influencer_share * n))
    if n_influencers:
        kind[np.argsort(-degree, kind="stable")[:n_influencers]] = INFLUENCER
    media = rng.random(n) < cust.media_share
    kind[media & (kind == CUSTOMER)] = MEDIA
    follows = rng.random(n) < cust.follower_share
    sentiment = np.clip(rng.normal(cust.sentiment_mean, cust.sentiment_sd, n), -1, 1)
    sigma = cust.activity_sigma
    activity = rng.lognormal(-0.5 * sigma**2, sigma, n) if sigma > 0 else np.ones(n)
    awareness = np.where(follows, cust.follower_awareness, cust.non_follower_awareness_max * rng.random(n))

    skill_means = np.array(
        [config.people.skill_by_department.get(name, config.people.skill_mean) for name in company.departments]
    )
    skill = np.clip(rng.normal(skill_means[company.dept], config.people.skill_sd), 0, 1)
    motivation = np.full(company.size, config.people.motivation_mean)
    account_node = rng.integers(0, n, company.size)
    return State(
        adjacency=adjacency,
        degree=degree,
        kind=kind,
        follows=follows,
        awareness=awareness,
        sentiment=sentiment,
        baseline=sentiment.copy(),
        churned=np.zeros(n, dtype=bool),
        advocate=is_advocate(cust, sentiment, awareness),
        activity=activity,
        promo_load=np.zeros(n),
        was_answered=np.zeros(n, dtype=bool),
        was_ignored=np.zeros(n, dtype=bool),
        skill=skill,
        motivation=motivation,
        post_load=np.zeros(company.size),
        last_post_h=np.full(company.size, -np.inf),
        account_node=account_node,
        free_at=[[] for _ in company.departments],
        everyone=np.arange(n, dtype=np.int64),
        employees=np.arange(company.size, dtype=np.int64),
    )
