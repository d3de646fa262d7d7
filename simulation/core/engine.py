"""The vectorized engine: the state of one run and its step, in ODD section 3's order.

One step (``step_hours``, default one hour) runs: scheduled changes due, department plans,
7.1 content, 7.2 exposure and diffusion, 7.3 customer needs, 7.4 listening and routing,
7.5 service, 7.6.1 customer response, 7.7 innovation, negative cascades and 7.9 crises,
7.6.2 customer dynamics, 7.8 people, 7.10 costs. Every rule is in its submodel's module;
this module only orders them. Effects go through :attr:`VectorEngine.dispatch`, which the
agents engine (:mod:`simulation.engines.agents`) replaces with one Mesa agent per customer
and employee.

The engine imports nothing above the core: interventions arrive as a ``schedule`` of
callables, input files are read before it is built (see :func:`simulation.engines.build.build_engine`),
and :func:`simulation.outputs.result.result_of` turns its records into a result.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from simulation.core import (
    content,
    costs,
    crisis,
    customers,
    diffusion,
    innovation,
    needs,
    people,
    response,
    routing,
    service,
)
from simulation.core.effects import Dispatch, Step, apply_at_once, read_only
from simulation.core.flows import Flows, median, new_flows, voice_shares
from simulation.core.kernels import SlotMajor, neighbour_mean, slot_major
from simulation.core.keyed import Keys, poisson
from simulation.core.organization import Company, Structure, build_company, unit_names
from simulation.core.params import Params, blend, compile_params
from simulation.core.social_graph import build_social, graph_from_csr, to_csr
from simulation.core.state import INQUIRY_COLUMNS, State, init_state
from simulation.rng import streams
from simulation.scenario.config import INQUIRY_TYPES, Config

KEEP_NETWORKX_UP_TO = 100_000
NO_ROUTES = {  # last_routes of a step without new inquiries (shared, read-only)
    "detector": read_only(np.zeros(0, dtype=np.int16)),
    "owner": read_only(np.zeros(0, dtype=np.int16)),
    "lost": read_only(np.zeros(0, dtype=bool)),
    "kind": read_only(np.zeros(0, dtype=np.int8)),
}
ScheduledChange = tuple[int, Callable[[Any], None]]


def staffed_at(staffed_hours: tuple[int, int], t: float) -> bool:
    """Whether staff work social during the step starting at hour ``t``, given the hours of day [start, end)."""
    start, end = staffed_hours
    hour = t % 24.0
    return start <= hour < end


COMPETITOR = "competitor"  # keyed stream of the competitor's mentions (a Poisson count by inversion, keyed by the step)
ZERO = np.zeros(1, dtype=np.int64)
INJECTED_CRISIS = "injected_crisis"  # keyed stream of an injected crisis's seeds (keyed by the step)


class VectorEngine:
    """A run of the model on structure-of-arrays state (the fast engine).

    Args:
        config: a validated scenario.
        seed: root seed; defaults to ``config.simulation.seed``.
        company: the company, if already built (from an org chart read beforehand).
        social_graph: the customers' graph, if already built (from a user's edge list).
        schedule: ``(step, change)`` pairs; ``change(engine)`` runs before that step
            (interventions, from :func:`simulation.scenario.interventions.schedule_for`).
    """

    name = "vectorized"
    dispatch: Dispatch = staticmethod(apply_at_once)

    def __init__(
        self,
        config: Config,
        seed: int | None = None,
        *,
        company: Company | None = None,
        social_graph: nx.Graph | None = None,
        schedule: Sequence[ScheduledChange] | None = None,
    ) -> None:
        self.seed = int(config.simulation.seed if seed is None else seed)
        self.config = config
        self.rngs = streams(self.seed)  # initialisation (company, graph, customers) and the agents' visiting order
        self.keys = Keys(self.seed)  # every draw of the step (simulation.core.keyed)
        if schedule is None and config.interventions:
            raise ValueError("the config schedules interventions: build the engine with simulation.build_engine")
        if company is None:
            if config.organization.org_chart is not None:
                raise ValueError("organization.org_chart: read it first (simulation.build_engine does)")
            company = build_company(config.organization, self.rngs["company"])
        # networkx costs ~2 KB a node and a run needs only the CSR: the networkx graph is
        # built when first asked for (social_graph); a given one is kept only if small
        self._as_networkx: Callable[[], nx.Graph]
        if social_graph is None:
            if config.network.kind == "edgelist":
                raise ValueError("network.path: read the edge list first (simulation.build_engine does)")
            adjacency, self._as_networkx = build_social(
                config.network, config.customers.count, self.rngs["social_graph"]
            )
        else:
            adjacency = to_csr(social_graph)
            social_graph = social_graph if social_graph.number_of_nodes() <= KEEP_NETWORKX_UP_TO else None
            self._as_networkx = functools.partial(graph_from_csr, adjacency)
        self.company: Company = company
        self.state: State = init_state(config, company, adjacency, self.rngs["customers"])
        self.state.hours = float(config.simulation.start_hour)
        self._social_graph: nx.Graph | None = social_graph
        self.params: Params
        self.structure: Structure
        self.params, self.structure = compile_params(config, company, self.n_customers)
        if config.people.training:
            self.state.training_until_h = self.state.hours + config.people.training_days * 24.0
        self._adoption: tuple[Params, Params, int, int] | None = None
        self.schedule = sorted(schedule or [], key=lambda item: item[0])
        self.steps_done = 0
        self.records: list[dict[str, float]] = []
        self.last_routes: dict[str, np.ndarray] = {}
        self.reached = np.zeros(self.n_customers, dtype=bool)
        self._negative: list[np.ndarray] = []
        self._crisis_seeds: np.ndarray | None = None
        self._neighbours: SlotMajor = slot_major(self.state.adjacency)  # the graph is fixed: laid out once
        self._company_staff: np.ndarray | None = None  # employees of the company itself (not the agency)
        self._staff: tuple[Params, np.ndarray, int] | None = None  # social staff under these parameters
        self._nobody_on_duty = np.zeros(self.company.size, dtype=bool)

    # ---------------------------------------------------------------------------------------
    @property
    def social_graph(self) -> nx.Graph:
        """The customers' social graph as networkx, built on first use (from the CSR matrix for large runs)."""
        if self._social_graph is None:
            self._social_graph = self._as_networkx()
        return self._social_graph

    @property
    def n_customers(self) -> int:
        """Number of nodes in the social graph."""
        return self.state.adjacency.shape[0]

    @property
    def hours(self) -> float:
        """Simulated hours at the start of the next step."""
        return self.state.hours

    def reconfigure(self, config: Config, lag_steps: int = 0) -> None:
        """Adopt a new config now, or blend into it over ``lag_steps`` (intervention hook)."""
        new, self.structure = compile_params(config, self.company, self.n_customers)
        self._adoption = (self.params, new, self.steps_done, lag_steps) if lag_steps > 0 else None
        if lag_steps <= 0:
            self.params = new
        if config.people.training and not self.config.people.training:  # a new programme starts
            self.state.training_until_h = self.state.hours + config.people.training_days * 24.0
        self.config = config

    def inject_crisis(self, size: int) -> None:
        """Seed a crisis from ``size`` random active customers (intervention hook)."""
        rng = self.keys.generator(INJECTED_CRISIS, 0, self.steps_done)  # keyed by the step it is injected in
        active = np.flatnonzero(~self.state.churned)
        seeds = active[rng.integers(0, len(active), min(size, len(active)))]
        self._negative.append(seeds)
        self._crisis_seeds = seeds

    def department_plan(self, t: float) -> np.ndarray:
        """Whether each department is staffed during the step starting at hour ``t``."""
        return np.full(len(self.company.departments), staffed_at(self.params.staffed_hours, t))

    def neighbour_sentiment(self) -> np.ndarray:
        """Mean sentiment of each customer's neighbours (the agents engine reads it through Mesa cells)."""
        return neighbour_mean(self._neighbours, self.state.sentiment)

    # ---------------------------------------------------------------------------------------
    def step(self, staffed: np.ndarray | None = None) -> dict[str, float]:
        """Advance one step; returns the step's record. ``staffed`` overrides department plans."""
        self._apply_due_changes()
        params, state = self.params, self.state
        t, dt = state.hours, params.step_hours
        if staffed is None:
            staffed = self.department_plan(t)
        step = Step(state, params, new_flows(), t, dt, self.dispatch, self.keys, self.steps_done)
        negative, self._negative = self._negative, []
        crisis_seeds, self._crisis_seeds = self._crisis_seeds, None

        on_duty = staffed[self.company.dept] if staffed.any() else self._nobody_on_duty
        posts = content.produce_content(step, on_duty)
        gaffe_seeds: list[np.ndarray] = []
        diffusion.diffuse(step, posts, self.reached, gaffe_seeds)

        tech_factor = innovation.technical_factor(params, state.ideas_implemented, params.people_per_row)
        rows = needs.raise_needs(step, tech_factor)
        if len(rows["kind"]):  # (routing no rows draws nothing)
            rows = routing.route(rows, step)
            self.last_routes = {k: rows[k] for k in ("detector", "owner", "lost", "kind")}
            state.inquiries.append_new(rows)
        else:
            self.last_routes = NO_ROUTES
        n_dept = len(self.company.departments)
        if len(posts):
            posts_by_dept = np.bincount(self.company.dept[posts.poster], minlength=n_dept)
            posting_hours = posts_by_dept * params.hours_per_post
        else:
            posting_hours = np.zeros(n_dept)
        waiting = service.serve(step, staffed, posting_hours)
        waits = response.respond(step, self._department_skill, negative)
        if len(state.inquiries):
            innovation.innovate(step)
            response.close_inquiries(state)

        if crisis_seeds is not None:
            size = diffusion.negative_cascade(step, crisis_seeds, "crisis", params.crisis_transmissibility)
            crisis.start_crisis(step, max(size, len(crisis_seeds)))
        if gaffe_seeds:
            size = diffusion.negative_cascade(step, np.concatenate(gaffe_seeds), "gaffe")
            if crisis.is_crisis(step, size):
                crisis.start_crisis(step, size)
        others = [s for s in negative if s is not crisis_seeds]
        if others:
            diffusion.negative_cascade(step, np.concatenate(others), "complaint")
        crisis.crisis_step(step)
        active = len(state.churned) - state.churned_count
        competitor_rate = params.competitor_mentions_per_customer_per_day * active * dt / 24.0
        u = self.keys.uniform(COMPETITOR, ZERO, step.index)
        step.flows["mentions_competitor"] = float(poisson(u, np.array([competitor_rate]))[0])
        step.flows["value_customers"] = params.customer_value_per_year * active * dt / (365.0 * 24.0)
        advocates, followers = customers.customer_dynamics(step, self.neighbour_sentiment())
        overloaded = people.overloaded_departments(params, waiting)
        people.people_step(step, overloaded, self.company.dept, adopting=self._adoption is not None)
        costs.account_costs(step, staffed)

        record = self._record(step.flows, waits, waiting, t, advocates, followers)
        state.hours = t + dt
        self.steps_done += 1
        self.records.append(record)
        return record

    def _apply_due_changes(self) -> None:
        """Run the scheduled changes due at this step and advance an org-model adoption in progress."""
        while self.schedule and self.schedule[0][0] <= self.steps_done:
            _, change = self.schedule.pop(0)
            change(self)
        if self._adoption is not None:
            old, new, start, lag = self._adoption
            weight = min((self.steps_done - start + 1) / lag, 1.0)
            params = blend(old, new, weight)
            # the learning curve: capacity dips half-way through the change, recovers at its end
            dip = 1.0 - params.adoption_dip * 4.0 * weight * (1.0 - weight)
            self.params = dataclasses.replace(params, servers=params.servers * dip, post_rate=params.post_rate * dip)
            if weight >= 1:
                self._adoption = None
        until = self.state.training_until_h
        if self.params.training and until is not None and self.state.hours >= until:  # the programme has ended
            self.params = dataclasses.replace(self.params, training=0.0, training_cost_per_hour=0.0)

    def _department_skill(self) -> np.ndarray:
        """Mean skill of each department's staff."""
        dept = self.company.dept
        counts = np.bincount(dept, minlength=len(self.company.departments))
        return np.bincount(dept, weights=self.state.skill, minlength=len(counts)) / np.maximum(counts, 1)

    def _record(
        self, flows: Flows, waits: np.ndarray, waiting: np.ndarray, t: float, advocates: int, followers: int
    ) -> dict:
        # the means are written as sum / count (what ndarray.mean computes, without its Python-level wrapper)
        state = self.state
        active = state.active_mask()  # None: everyone, and the stocks are over the whole arrays (no copies)
        n_active = len(state.churned) - state.churned_count
        if self._staff is None or self._staff[0] is not self.params:
            staff = self.params.social_staff > 0
            self._staff = (self.params, staff, np.count_nonzero(staff))
        _, staff, n_staff = self._staff
        if self._company_staff is None:
            self._company_staff = self.company.dept != self.company.agency_index
        last_post = state.last_post_h[self._company_staff]
        recent = np.count_nonzero((t - last_post) < self.params.participation_window_hours)
        sentiment = state.sentiment if active is None else state.sentiment[active]
        return {
            "step": self.steps_done,
            "hours": t,
            **flows,
            **voice_shares(flows),
            "first_response_median_min": 60 * median(waits) if len(waits) else np.nan,
            "queue_waiting": float(np.add.reduce(waiting)),
            "sentiment_mean": float(np.add.reduce(sentiment) / n_active) if n_active else np.nan,
            "advocates": advocates,
            "advocate_share": advocates / max(n_active, 1),
            "followers": float(followers),
            "awareness_mean": float(np.add.reduce(state.awareness) / len(state.awareness)),
            "churn_rate": state.churned_total / len(state.churned),
            "ideas_implemented_total": float(state.ideas_implemented),
            "participation": float(recent / len(last_post)) if len(last_post) else np.nan,
            "motivation_mean": float(np.add.reduce(state.motivation[staff]) / n_staff) if n_staff else np.nan,
            "skill_mean": float(np.add.reduce(state.skill[staff]) / n_staff) if n_staff else np.nan,
            "silo_index": self.params.silo_index,
            "crisis_intensity": state.crisis_intensity,
        }

    # ---------------------------------------------------------------------------------------
    def inquiry_log(self) -> pd.DataFrame:
        """Every inquiry so far, closed and open, with names for types and units."""
        chunks = [*self.state.log, self.state.inquiries.cols]
        frame = pd.DataFrame({name: np.concatenate([c[name] for c in chunks]) for name in INQUIRY_COLUMNS})
        frame = frame.sort_values("t_raise", kind="stable").reset_index(drop=True)
        units = unit_names(self.company.departments)
        frame["kind_name"] = pd.Categorical.from_codes(frame["kind"], INQUIRY_TYPES)
        frame["owner_name"] = [units[i] for i in frame["owner"]]
        frame["detector_name"] = [units[i] if i >= 0 else "undetected" for i in frame["detector"]]
        return frame

    def end_stocks(self) -> dict[str, float]:
        """Stocks at the end of the run used by the summary."""
        last = self.records[-1]
        durations = self.state.crisis_durations
        return {
            "advocates": last["advocates"],
            "advocate_share": last["advocate_share"],
            "reach": float(self.reached.sum()),
            "awareness_mean": last["awareness_mean"],
            "sentiment_mean": last["sentiment_mean"],
            "followers": last["followers"],
            "churn_rate": last["churn_rate"],
            "crisis_containment_h": float(np.mean(durations)) if durations else np.nan,
            "motivation_mean": last["motivation_mean"],
            "skill_mean": last["skill_mean"],
        }
