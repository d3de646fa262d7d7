"""The Mesa face of the model: a thin ``mesa.Model`` over an engine.

Departments are ``mesa.Agent``s that make the department-level decisions (when they are on
duty, hence when they post and answer). Customers and employees are reachable as Mesa
agents too — light views on the engine's arrays — so ``model.agents``, ``DataCollector``
and Mesa's visualization work; views are created for runs up to ``VIEW_LIMIT`` customers.
With ``engine = "agents"`` the customers and employees are full agents with their own
``step()``, in ``model.population`` (a Mesa model of their own), and no views are made.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent, Network

from simulation.config import Config
from simulation.core.engine import is_staffed
from simulation.core.organization import ROLE_NAMES
from simulation.engines import build_engine
from simulation.result import RunResult, result_of

VIEW_LIMIT = 20_000
COLLECTED = (
    "posts",
    "engagements",
    "reshares",
    "inquiries",
    "answered",
    "resolved",
    "handoffs",
    "handoffs_lost",
    "share_of_voice",
    "first_response_median_min",
    "sentiment_mean",
    "advocate_share",
    "followers",
    "churn_rate",
    "ideas_captured",
    "gaffes",
    "participation",
    "cost",
    "silo_index",
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
        from simulation.config import INQUIRY_TYPES

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
        collect: record Mesa ``DataCollector`` tables each step (the engine's own per-step
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
        super().__init__(seed=seed)
        self.engine = build_engine(config, seed)
        self.departments = mesa.agent.AgentSet(
            [DepartmentAgent(self, i) for i in range(len(self.engine.company.departments))], random=self.random
        )
        # The agents engine has real customer and employee agents of its own (``model.population``).
        self.population: mesa.Model | None = getattr(self.engine, "population", None)
        views = self.engine.n_customers <= VIEW_LIMIT if agent_views == "auto" else bool(agent_views)
        self.grid: Network | None = None
        if views and self.population is None:
            self.grid = Network(self.engine.social_graph, random=self.random)
            for i in range(self.engine.n_customers):
                CustomerAgent(self, i).cell = self.grid[i]
            for e in range(self.engine.company.size):
                EmployeeAgent(self, e)
        self.collect = collect
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
        """Departments decide, then the engine advances one step; Mesa's collector records it."""
        self.departments.do("step")
        staffed = np.array([d.on_duty for d in sorted(self.departments, key=lambda d: d.index)])
        self.engine.step(staffed)
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
        return model.engine.records[-1][name] if model.engine.records else np.nan

    return report
