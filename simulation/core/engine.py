"""The vectorized engine: builds a run from a config and a seed, and steps it.

One step (``step_hours``, default one hour) runs, in order: interventions due, department
plans, content, exposure and diffusion, customer needs, listening and routing, service,
customer response and innovation, negative cascades and crises, customer dynamics, people.
"""

from __future__ import annotations

import functools
import time
from importlib.metadata import PackageNotFoundError, version

import networkx as nx
import numpy as np
import pandas as pd

from simulation.config import INQUIRY_TYPES, Config
from simulation.core import processes as proc
from simulation.core.params import Params, Structure, blend, compile_params
from simulation.core.state import INQUIRY_COLUMNS, State, init_state
from simulation.graphs import Company, build_company, build_social_graph, to_csr, unit_names
from simulation.interventions import apply_intervention, expand_schedule
from simulation.kpis import FLOWS, add_user_kpis, summarize
from simulation.result import RunResult
from simulation.rng import streams

RESULT_PACKAGES = ("silosim", "mesa", "numpy", "scipy", "networkx", "pandas")


def package_versions(names: tuple[str, ...] = RESULT_PACKAGES) -> dict[str, str]:
    """Versions of silosim and the libraries that shape its results ("unknown" if not installed).

    Read once per process (``importlib.metadata`` scans the installed distributions, ~10 ms):
    the classroom app builds a result every frame. Returns a new dict each call.
    """
    return dict(_versions(names))


@functools.cache
def _versions(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    def one(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "unknown"

    return tuple((name, one(name)) for name in names)


KEEP_NETWORKX_UP_TO = 100_000


class VectorEngine:
    """A run of the model on structure-of-arrays state (the fast engine).

    Args:
        config: a validated scenario.
        seed: root seed; defaults to ``config.simulation.seed``.
    """

    name = "vectorized"

    def __init__(self, config: Config, seed: int | None = None) -> None:
        self.seed = int(config.simulation.seed if seed is None else seed)
        self.config = config
        self.rngs = streams(self.seed)
        self.company: Company = build_company(config.organization, self.rngs["company"])
        graph = build_social_graph(config.network, config.customers.count, self.rngs["social_graph"])
        self.state: State = init_state(config, self.company, to_csr(graph), self.rngs["customers"])
        self.state.hours = float(config.simulation.start_hour)
        # networkx costs ~2 KB a node: keep it for small graphs, rebuild from the CSR on demand otherwise
        self._social_graph: nx.Graph | None = graph if graph.number_of_nodes() <= KEEP_NETWORKX_UP_TO else None
        self.params, self.structure = compile_params(config, self.company)
        self._adoption: tuple[Params, Params, int, int] | None = None
        self.schedule = expand_schedule(list(config.interventions))
        self.steps_done = 0
        self.records: list[dict[str, float]] = []
        self.last_routes: dict[str, np.ndarray] = {}
        self.reached = np.zeros(self.n_customers, dtype=bool)
        self._negative: list[np.ndarray] = []

    # ---------------------------------------------------------------------------------------
    @property
    def social_graph(self) -> nx.Graph:
        """The customers' social graph as networkx (rebuilt from the CSR matrix for large runs)."""
        if self._social_graph is None:
            self._social_graph = nx.from_scipy_sparse_array(self.state.adjacency)
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
        new, self.structure = compile_params(config, self.company)
        self._adoption = (self.params, new, self.steps_done, lag_steps) if lag_steps > 0 else None
        if lag_steps <= 0:
            self.params = new
        self.config = config

    def inject_crisis(self, size: int) -> None:
        """Seed a crisis from ``size`` random active customers (intervention hook)."""
        rng = self.rngs["crisis"]
        active = np.flatnonzero(~self.state.churned)
        seeds = active[rng.integers(0, len(active), min(size, len(active)))]
        self._negative.append(seeds)
        self._crisis_seeds = seeds

    def department_plan(self, t: float) -> np.ndarray:
        """Whether each department is staffed during the step starting at hour ``t``."""
        return np.full(len(self.company.departments), proc.is_staffed(self.config, t))

    # ---------------------------------------------------------------------------------------
    def step(self, staffed: np.ndarray | None = None) -> dict[str, float]:
        """Advance one step; returns the step's record. ``staffed`` overrides department plans.

        The order of processes is fixed here; each process that acts on customers or
        employees is a method (``produce_content``, ``expose``, ``raise_needs``, ``respond``,
        ``spread_negative``, ``hit_by_crisis``, ``customer_dynamics``, ``people_step``) so the
        agent engine can run the same step with one Mesa agent per customer and employee.
        """
        self._apply_due_interventions()
        params, config, state, rngs = self.params, self.config, self.state, self.rngs
        t, dt = state.hours, config.simulation.step_hours
        if staffed is None:
            staffed = self.department_plan(t)
        flows = dict.fromkeys(FLOWS, 0.0)
        negative, self._negative = self._negative, []
        crisis_seeds = getattr(self, "_crisis_seeds", None)
        self._crisis_seeds = None

        posts = self.produce_content(t, dt, staffed, flows)
        gaffe_seeds = self.expose(posts, flows)

        inno = config.innovation
        tech_factor = 1.0 - min(inno.max_reduction, state.ideas_implemented * inno.problem_reduction)
        rows = self.raise_needs(t, dt, tech_factor, flows)
        rows = proc.route(rows, params, config, rngs["routing"], flows)
        self.last_routes = {k: rows[k] for k in ("detector", "owner", "lost", "kind")}
        n_new = len(rows["kind"])
        state.inquiries.append(
            {
                **rows,
                "t_start": np.full(n_new, np.inf),
                "t_end": np.full(n_new, np.inf),
                "resolved": np.zeros(n_new, bool),
                "irate": np.zeros(n_new, bool),
                "done_irate": np.zeros(n_new, bool),
                "done_answer": np.zeros(n_new, bool),
            }
        )
        waiting = proc.serve(state, params, rngs["service"], t, dt, staffed, flows)
        dept_skill = self._department_skill()
        answer_times: list[np.ndarray] = []
        self.respond(t, dt, dept_skill, flows, negative, answer_times)

        if crisis_seeds is not None:
            size = self.spread_negative(crisis_seeds, flows, config.content.crisis_transmissibility)
            proc.start_crisis(state, t, max(size, len(crisis_seeds)), flows)
        if gaffe_seeds:
            size = self.spread_negative(np.concatenate(gaffe_seeds), flows)
            if size >= config.content.crisis_threshold:
                proc.start_crisis(state, t, size, flows)
        others = [s for s in negative if s is not crisis_seeds]
        if others:
            self.spread_negative(np.concatenate(others), flows)
        self.hit_by_crisis(t, dt, flows)
        flows["mentions_competitor"] = float(rngs["competitor"].poisson(config.competitor.mentions_per_hour * dt))
        self.customer_dynamics(dt, flows)
        overloaded = (waiting > 2 * np.maximum(params.servers, 1)).astype(float)
        self.people_step(dt, overloaded)

        flows["staff_hours"] += params.listening_hours * dt * float(staffed.any())
        flows["cost"] = flows["staff_hours"] * config.cost.staff_cost_per_hour + params.fixed_cost_per_hour * dt
        record = self._record(flows, answer_times, waiting, t)
        state.hours = t + dt
        self.steps_done += 1
        self.records.append(record)
        return record

    def _apply_due_interventions(self) -> None:
        """Fire the interventions due at this step and advance an org-model adoption in progress."""
        while self.schedule and self.schedule[0].step <= self.steps_done:
            apply_intervention(self, self.schedule.pop(0))
        if self._adoption is not None:
            old, new, start, lag = self._adoption
            weight = (self.steps_done - start + 1) / lag
            self.params = blend(old, new, weight)
            if weight >= 1:
                self._adoption = None

    # --- the per-customer and per-employee processes (the agent engine overrides these) ---
    def produce_content(self, t: float, dt: float, staffed: np.ndarray, flows: dict[str, float]) -> proc.Posts:
        """1. Posters post on their department's staffed hours."""
        on_duty = staffed[self.company.dept]
        return proc.produce_content(self.state, self.params, self.config, self.rngs["content"], t, dt, on_duty, flows)

    def expose(self, posts: proc.Posts, flows: dict[str, float]) -> list[np.ndarray]:
        """2. Followers see posts, engage and re-share; returns the seeds of gaffe cascades."""
        followers = np.flatnonzero(self.state.follows & ~self.state.churned)
        gaffe_seeds: list[np.ndarray] = []
        proc.diffuse(
            self.state,
            self.params,
            self.config,
            self.rngs["content"],
            posts,
            followers,
            flows,
            gaffe_seeds,
            self.reached,
        )
        return gaffe_seeds

    def raise_needs(self, t: float, dt: float, tech_factor: float, flows: dict[str, float]) -> dict[str, np.ndarray]:
        """3. Customers raise public inquiries; returns the new rows (sorted by time raised)."""
        return proc.raise_needs(self.state, self.params, self.config, self.rngs["needs"], t, dt, tech_factor, flows)

    def respond(
        self,
        t: float,
        dt: float,
        dept_skill: np.ndarray,
        flows: dict[str, float],
        negative: list[np.ndarray],
        answer_times: list[np.ndarray],
    ) -> None:
        """6-7. Customers react to lost patience and to answers; ideas are captured; closed rows logged."""
        proc.respond(
            self.state,
            self.params,
            self.config,
            self.rngs["response"],
            t,
            dt,
            dept_skill,
            flows,
            negative,
            answer_times,
        )

    def spread_negative(self, seeds: np.ndarray, flows: dict[str, float], transmissibility: float | None = None) -> int:
        """A negative cascade (gaffe, complaint, crisis) from ``seeds``; returns its size."""
        return proc.negative_spread(self.state, self.config, self.rngs["crisis"], seeds, flows, transmissibility)

    def hit_by_crisis(self, t: float, dt: float, flows: dict[str, float]) -> None:
        """An ongoing crisis reaches more customers and decays as the organisation responds."""
        proc.crisis_step(self.state, self.params, self.config, self.rngs["crisis"], t, dt, flows)

    def customer_dynamics(self, dt: float, flows: dict[str, float]) -> None:
        """Sentiment drift toward neighbours, decays, churn and advocates' voice."""
        proc.customer_dynamics(self.state, self.config, self.rngs["response"], dt, flows)

    def people_step(self, dt: float, overloaded: np.ndarray) -> None:
        """8. Training, rewards, quotas and overload change employees' skill and motivation."""
        proc.people_step(self.state, self.params, self.config, dt, overloaded, self.company.dept)

    def _department_skill(self) -> np.ndarray:
        """Mean skill of each department's staff."""
        dept = self.company.dept
        counts = np.bincount(dept, minlength=len(self.company.departments))
        return np.bincount(dept, weights=self.state.skill, minlength=len(counts)) / np.maximum(counts, 1)

    def _record(self, flows: dict[str, float], answers: list[np.ndarray], waiting: np.ndarray, t: float) -> dict:
        state = self.state
        active = ~state.churned
        n_active = max(int(active.sum()), 1)
        advocates = int((active & state.advocate).sum())
        staff = self.params.social_staff > 0
        company = self.company.dept != self.company.agency_index
        recent = (t - state.last_post_h[company]) < 168.0
        waits = np.concatenate(answers) if answers else np.empty(0)
        own = flows["mentions_positive"] + flows["mentions_negative"] + flows["mentions_neutral"]
        return {
            "step": self.steps_done,
            "hours": t,
            **flows,
            "share_of_voice": own / (own + flows["mentions_competitor"])
            if own + flows["mentions_competitor"]
            else np.nan,
            "first_response_median_min": 60 * float(np.median(waits)) if len(waits) else np.nan,
            "queue_waiting": float(waiting.sum()),
            "sentiment_mean": float(state.sentiment[active].mean()) if active.any() else np.nan,
            "advocates": advocates,
            "advocate_share": advocates / n_active,
            "followers": float((state.follows & active).sum()),
            "awareness_mean": float(state.awareness.mean()),
            "churn_rate": 1.0 - n_active / len(active),
            "ideas_implemented_total": float(state.ideas_implemented),
            "participation": float(recent.mean()),
            "motivation_mean": float(state.motivation[staff].mean()) if staff.any() else np.nan,
            "skill_mean": float(state.skill[staff].mean()) if staff.any() else np.nan,
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

    def result(self, wall_seconds: float = float("nan")) -> RunResult:
        """Package what has been simulated so far as a :class:`RunResult`."""
        timeseries = pd.DataFrame.from_records(self.records)
        inquiries = self.inquiry_log()
        summary = summarize(timeseries, inquiries, self.end_stocks())
        meta = {
            "engine": self.name,
            "versions": package_versions(),
            "wall_seconds": wall_seconds,
            "steps": self.steps_done,
        }
        result = RunResult(self.config, self.seed, timeseries, summary, inquiries, meta)
        add_user_kpis(result)
        return result

    def run(self, steps: int | None = None, progress: bool = False) -> RunResult:
        """Run to the end (or ``steps`` more steps) and return the result."""
        from tqdm.auto import tqdm

        total = self.config.simulation.steps - self.steps_done if steps is None else steps
        start = time.perf_counter()
        bar = tqdm(
            total=total,
            desc=self.config.name,
            unit="step",
            disable=not progress,
            mininterval=0.5,
            delay=2.0,
            leave=False,
        )
        for _ in range(total):
            self.step()
            bar.update()
        bar.close()
        return self.result(time.perf_counter() - start)


def structure_of(engine: VectorEngine) -> Structure:
    """The current org structure of an engine (graph, contacts, roles, hand-off routes)."""
    return engine.structure
