"""The Mesa face of the model: a thin ``mesa.Model`` over an engine.

Departments are ``mesa.Agent``s that make the department-level decisions (when they are on
duty, hence when they post and answer). Customers and employees are reachable as Mesa
agents too — light views on the engine's arrays — so ``model.agents``, ``DataCollector``
and Mesa's visualization work; views are created for runs up to ``VIEW_LIMIT`` customers.
With ``engine = "agents"`` the customers and employees are full agents, in
``model.population`` (a Mesa model of their own), to which the engine hands each rule's
effect (they have no ``step()`` of their own: the step's order is the ODD's), and no views
are made.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent, Network

from simulation.core.engine import is_staffed
from simulation.core.flows import voice_shares
from simulation.core.organization import ROLE_NAMES
from simulation.engines.build import build_engine
from simulation.engines.mesa_compat import model_rng, network
from simulation.outputs.kpis import FLOWS, HEADLINE, _ratio
from simulation.outputs.result import RunResult, result_of
from simulation.scenario.config import Config

VIEW_LIMIT = 20_000
# The DataCollector's model columns: the run so far, each meaning what the summary KPI of the same
# name means if the run ended at that step (see RunningSummary); per-step flows are in result().timeseries.
COLLECTED = (
    *HEADLINE,
    "response_rate",
    "posts",
    "reshares",
    "handoffs",
    "followers",
    "inquiries",
    "answered",
    "resolved",
)


class DepartmentAgent(mesa.Agent):
    """A department: decides each step whether it is on duty; exposes its social state."""

    def __init__(self, model: SocialMediaOrgModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.name = model.engine.company.departments[index]
        self.on_duty = False
        self._members = np.flatnonzero(model.engine.company.dept == index)  # the company never changes

    @property
    def headcount(self) -> int:
        """Employees in the department."""
        return len(self._members)

    @property
    def servers(self) -> int:
        """Staff answering social inquiries while on duty (0 for a department that does not answer)."""
        return int(round(self.model.engine.params.servers[self.index]))

    @property
    def posters(self) -> int:
        """Employees who post."""
        return int((self.model.engine.params.post_rate[self._members] > 0).sum())

    @property
    def can_post(self) -> bool:
        """Whether anyone in the department posts."""
        return self.posters > 0

    @property
    def can_listen(self) -> bool:
        """Whether the department monitors public mentions."""
        return bool(self.model.engine.params.listen_coverage[self.index] > 0)

    @property
    def owns(self) -> list[str]:
        """Inquiry types this department answers."""
        from simulation.scenario.config import INQUIRY_TYPES

        return [t for t, d in zip(INQUIRY_TYPES, self.model.engine.params.owner, strict=True) if d == self.index]

    @property
    def skill(self) -> float:
        """Mean skill of the department's employees."""
        return float(self.model.engine.state.skill[self._members].mean()) if self.headcount else float("nan")

    @property
    def motivation(self) -> float:
        """Mean motivation of the department's employees."""
        return float(self.model.engine.state.motivation[self._members].mean()) if self.headcount else float("nan")

    @property
    def queue_length(self) -> int:
        """Inquiries waiting in this department's queue."""
        table = self.model.engine.state.inquiries
        if len(table) == 0:
            return 0
        return int(((table["owner"] == self.index) & np.isinf(table["t_start"]) & np.isfinite(table["t_queue"])).sum())

    def step(self) -> None:
        """Decide whether the department is on duty this step (its staffed hours)."""
        self.on_duty = is_staffed(self.model.engine.config, self.model.engine.hours)


class CustomerAgent(FixedAgent):
    """A customer or other stakeholder: a view on one node of the social graph."""

    def __init__(self, model: SocialMediaOrgModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def _get(self, name: str) -> Any:
        return getattr(self.model.engine.state, name)[self.index]

    sentiment = property(lambda self: float(self._get("sentiment")), doc="sentiment in [-1, 1]")
    follows = property(lambda self: bool(self._get("follows")), doc="follows the brand")
    awareness = property(lambda self: float(self._get("awareness")), doc="brand awareness in [0, 1]")
    churned = property(lambda self: bool(self._get("churned")), doc="has left")

    advocate = property(lambda self: bool(self._get("advocate")), doc="an advocate (sticky, see ODD 7.6)")


class EmployeeAgent(mesa.Agent):
    """An employee: a view on one row of the employee arrays."""

    def __init__(self, model: SocialMediaOrgModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    department = property(
        lambda self: self.model.engine.company.departments[self.model.engine.company.dept[self.index]]
    )
    role = property(lambda self: ROLE_NAMES[self.model.engine.structure.roles[self.index]])
    skill = property(lambda self: float(self.model.engine.state.skill[self.index]))
    motivation = property(lambda self: float(self.model.engine.state.motivation[self.index]))
    posts = property(lambda self: bool(self.model.engine.params.post_rate[self.index] > 0))


class SocialMediaOrgModel(mesa.Model):
    """How a company organises social media work, as a Mesa model.

    Args:
        config: a validated scenario (default: the built-in defaults, centralized).
        seed: root seed (default ``config.simulation.seed``).
        agent_views: create customer/employee agents (``"auto"``: when customers <= VIEW_LIMIT).
        collect: record Mesa ``DataCollector`` tables each step: the ``COLLECTED`` KPIs of the
            run so far (``model.so_far``) and each department's state (the engine's own per-step
            records, ``model.result().timeseries``, are kept either way).
    """

    def __init__(
        self,
        config: Config | None = None,
        seed: int | None = None,
        *,
        agent_views: bool | str = "auto",
        collect: bool = True,
    ):
        config = Config() if config is None else config
        seed = config.simulation.seed if seed is None else int(seed)
        super().__init__(**model_rng(seed))
        self.engine = build_engine(config, seed)
        self.departments = mesa.agent.AgentSet(
            [DepartmentAgent(self, i) for i in range(len(self.engine.company.departments))], random=self.random
        )
        self._by_index = sorted(self.departments, key=lambda d: d.index)
        # The agents engine has real customer and employee agents of its own (``model.population``).
        self.population: mesa.Model | None = getattr(self.engine, "population", None)
        views = self.engine.n_customers <= VIEW_LIMIT if agent_views == "auto" else bool(agent_views)
        self.grid: Network | None = None
        if views and self.population is None:
            self.grid = network(self.engine.social_graph, self.random)
            for i in range(self.engine.n_customers):
                CustomerAgent(self, i).cell = self.grid[i]
            for e in range(self.engine.company.size):
                EmployeeAgent(self, e)
        self.collect = collect
        self.so_far = RunningSummary(self.engine)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _reporter(name) for name in COLLECTED},
            agenttype_reporters={
                DepartmentAgent: {
                    "department": "name",
                    "on_duty": "on_duty",
                    "queue_length": "queue_length",
                    "skill": "skill",
                    "motivation": "motivation",
                }
            },
        )

    @property
    def config(self) -> Config:
        """The config in force (interventions may have changed it)."""
        return self.engine.config

    def step(self) -> None:
        """Departments decide, then the engine advances one step; Mesa's collector records it.

        ``running`` turns False once the scenario's ``simulation.steps`` are done, so Mesa's
        ``batch_run`` stops there (given a ``max_steps`` at least that large).
        """
        for department in self._by_index:  # (what self.departments.do("step") does, in the same order)
            department.step()
        staffed = np.fromiter((d.on_duty for d in self._by_index), dtype=bool, count=len(self._by_index))
        self.engine.step(staffed)
        self.running = self.engine.steps_done < self.config.simulation.steps
        if self.collect:
            self.datacollector.collect(self)

    def result(self) -> RunResult:
        """The run so far as a :class:`RunResult`."""
        return result_of(self.engine)

    def finish(self) -> RunResult:
        """Return the result and release the Mesa agent registry (call when a run ends)."""
        result = self.result()
        self.release()
        return result

    def release(self) -> None:
        """Remove every agent (Mesa's class-level registry would otherwise keep them across runs)."""
        self.remove_all_agents()
        if self.population is not None:
            self.population.remove_all_agents()


def _reporter(name: str):  # noqa: ANN202 - a DataCollector callable
    def report(model: SocialMediaOrgModel) -> float:
        return model.so_far.values()[name]

    report.__name__ = name
    return report


def _first_response_hours(rows: dict[str, np.ndarray]) -> np.ndarray:
    """Hours from raise to first answer of the inquiries whose service has started (as the summary counts them)."""
    answered = np.isfinite(rows["t_end"])
    return rows["t_start"][answered] - rows["t_raise"][answered]


def _sorted_median(values: np.ndarray) -> float:
    """``np.quantile(values, 0.5)`` of sorted ``values``: the same float (numpy's linear method), NaN if empty."""
    if not len(values):
        return float("nan")
    h = (len(values) - 1) * 0.5
    lo = int(h)
    a, b = values[lo], values[min(lo + 1, len(values) - 1)]
    return float(b - (b - a) * 0.5) if h > lo else float(a)


class RunningSummary:
    """The summary KPIs of the run so far, brought up to date in O(new records) when read.

    Each value means what the KPI of the same name in ``RunResult.summary`` (``kpis.summarize``)
    means if the run ended at the last step: totals of the per-step flows, means of per-step
    stocks, end-of-run stocks from the last record, and first-response times from the
    inquiries whose service has started. ``inquiries``, ``answered`` and ``resolved`` are the
    counts so far. After the last step the values equal the summary up to floating-point
    summation order (checked in ``tests/test_mesa_compat.py`` for both engines).
    """

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.totals = dict.fromkeys(FLOWS, 0.0)
        self._means = {"participation": [0.0, 0], "silo_index": [0.0, 0]}  # sum and count of non-NaN values
        self._records_seen = 0
        self._closed_seen = 0
        self._closed_waits = np.empty(0)  # sorted: a merge per step, not np.quantile's ~0.2 ms
        self._values: dict[str, float] = {}
        self._at_step = -1

    def values(self) -> dict[str, float]:
        """KPI name -> value for the run so far."""
        if self._at_step != self.engine.steps_done:
            self._update()
            self._at_step = self.engine.steps_done
        return self._values

    def _update(self) -> None:
        engine, totals = self.engine, self.totals
        records = engine.records
        for record in records[self._records_seen :]:
            for name in FLOWS:
                totals[name] += record[name]
            for name, acc in self._means.items():
                if not np.isnan(record[name]):
                    acc[0] += record[name]
                    acc[1] += 1
        self._records_seen = len(records)
        closed = engine.state.log[self._closed_seen :]
        if closed:
            waits = [self._closed_waits, *map(_first_response_hours, closed)]
            self._closed_waits = np.sort(np.concatenate(waits), kind="stable")  # merges the sorted run
            self._closed_seen += len(closed)
        first = np.sort(
            np.concatenate([self._closed_waits, _first_response_hours(engine.state.inquiries.cols)]), kind="stable"
        )
        raised, resolved = totals["inquiries"], totals["resolved"]
        last = (
            records[-1]
            if records
            else dict.fromkeys(("advocate_share", "sentiment_mean", "followers", "churn_rate"), np.nan)
        )
        self._values = {
            "share_of_voice": voice_shares(totals)["share_of_voice"],
            "resolution_rate": _ratio(resolved, raised),
            "response_rate": _ratio(len(first), raised),
            "first_response_median_min": 60 * _sorted_median(first),
            "answered_within_1h_share": _ratio(int(np.searchsorted(first, 1.0, side="right")), raised),
            "handoffs_lost": totals["handoffs_lost"],
            "ideas_captured": totals["ideas_captured"],
            "reach": float(engine.reached.sum()),
            "advocate_share": float(last["advocate_share"]),
            "sentiment_mean": float(last["sentiment_mean"]),
            "churn_rate": float(last["churn_rate"]),
            "gaffes": totals["gaffes"],
            "brand_consistency": _ratio(totals["posts_on_brand"], totals["posts"]),
            "participation": _ratio(*self._means["participation"]),
            "cost_per_resolution": _ratio(totals["cost"], resolved),
            "net_value": totals["value_replies"] + totals["value_customers"] - totals["cost"],
            "silo_index": _ratio(*self._means["silo_index"]),
            "posts": totals["posts"],
            "reshares": totals["reshares"],
            "handoffs": totals["handoffs"],
            "followers": float(last["followers"]),
            "inquiries": raised,
            "answered": float(len(first)),
            "resolved": resolved,
        }
