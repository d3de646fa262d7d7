"""The Mesa face of the model: a thin ``mesa.Model`` over an engine.

Departments are ``mesa.Agent``s that make the department-level decisions (when they are on
duty, hence when they post and answer). Customers and employees are reachable as Mesa
agents too — light views on the engine's arrays — so ``model.agents``, ``DataCollector``
and Mesa's visualization work; views are created for runs up to ``VIEW_LIMIT`` customers.
With ``engine = "agents"`` the customers and employees are full agents, in
``model.population`` (a Mesa model of their own), to which the engine hands each rule's
effect (they have no ``step()`` of their own: the step's order is the ODD's), and no views
are made.
The ``DataCollector`` and the app read the run so far from :class:`RunningSummary`, which
evaluates the summary's own KPI formulas (``simulation.outputs.kpis.SUMMARY``) on the run so far.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent, Network

from simulation.core.engine import staffed_at
from simulation.core.organization import ROLE_NAMES
from simulation.core.state import INQUIRY_COLUMNS
from simulation.engines.build import build_engine
from simulation.engines.mesa_compat import model_rng, network
from simulation.outputs.kpis import HEADLINE, INQUIRY_FIELDS, STEP_COLUMNS, SUMMARY, RunSoFar
from simulation.outputs.result import RunResult, result_of
from simulation.scenario.config import Config

VIEW_LIMIT = 20_000
# The DataCollector's model columns: the run so far, each the summary KPI of the same name for a run
# ending at that step (see RunningSummary), then COUNTS; per-step flows are in result().timeseries.
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
        self.on_duty = staffed_at(self.model.engine.params.staffed_hours, self.model.engine.hours)


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
        return model.so_far.value(name)

    report.__name__ = name
    return report


# Running counts the DataCollector records beside the KPIs (not summary KPIs themselves).
COUNTS: dict[str, Callable[[RunSoFar], float]] = {
    "inquiries": lambda run: run.totals["inquiries"],
    "answered": lambda run: float(run.answered),
    "resolved": lambda run: run.totals["resolved"],
}


class RunningSummary:
    """Every summary KPI of the run so far, by the summary's own formulas (``kpis.SUMMARY``), to the bit.

    Each update copies only the new step records and newly closed inquiries into the arrays a
    :class:`~simulation.outputs.kpis.RunSoFar` reads; a KPI is then reduced from them when first read at
    a step (numpy work over the run so far, no Python loop over it). So the value after t steps
    is what ``RunResult.summary`` says for a run of t steps (``tests/test_kpis.py``), and the
    counts in ``COUNTS`` are the run's so far.
    """

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._steps = {name: np.empty(64) for name in STEP_COLUMNS}  # the records' columns, grown by doubling
        self._records_seen = 0
        self._closed = {name: np.empty(0, INQUIRY_COLUMNS[name]) for name in INQUIRY_FIELDS}  # the closed log
        self._closed_seen = 0
        self._run: RunSoFar | None = None
        self._values: dict[str, float] = {}
        self._at_step = -1

    def run(self) -> RunSoFar:
        """The run so far as the KPI formulas read it (valid until the engine steps again)."""
        if self._at_step != self.engine.steps_done or self._run is None:
            self._run = self._update()
            self._values = {}
            self._at_step = self.engine.steps_done
        return self._run

    def value(self, name: str) -> float:
        """The KPI (or count, ``COUNTS``) ``name`` of the run so far."""
        run = self.run()
        if name not in self._values:  # (run() clears the values at a new step)
            self._values[name] = float(COUNTS[name](run)) if name in COUNTS else run.kpi(name)
        return self._values[name]

    def values(self) -> dict[str, float]:
        """KPI name -> value for the run so far: every summary KPI, then the counts."""
        return {name: self.value(name) for name in (*SUMMARY, *COUNTS)}

    def _update(self) -> RunSoFar:
        engine, steps = self.engine, self._steps
        records, seen = engine.records, self._records_seen
        if len(records) > len(steps["posts"]):
            size = max(2 * len(steps["posts"]), len(records))
            for name, column in steps.items():
                steps[name] = np.resize(column, size)
        for i, record in enumerate(records[seen:], seen):
            for name, column in steps.items():
                column[i] = record[name]
        self._records_seen = n = len(records)
        closed = engine.state.log[self._closed_seen :]
        if closed:
            for name in INQUIRY_FIELDS:
                self._closed[name] = np.concatenate([self._closed[name], *(chunk[name] for chunk in closed)])
            self._closed_seen += len(closed)
        closed_now, open_now = self._closed, engine.state.inquiries.cols

        def inquiry_column(name: str) -> np.ndarray:  # closed, then open: the order inquiry_log sorts
            return np.concatenate([closed_now[name], open_now[name]])

        return RunSoFar(
            lambda name: steps[name][:n],
            inquiry_column,
            engine.end_stocks() if records else _NO_STOCKS,
            log_order=lambda: np.argsort(inquiry_column("t_raise"), kind="stable"),
        )


class _NoStocks(dict):
    """End stocks before the first step: NaN, whatever the stock."""

    def __missing__(self, key: str) -> float:
        return float("nan")


_NO_STOCKS = _NoStocks()
