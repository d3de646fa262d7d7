"""The agents engine: the same model with one Mesa agent per customer and per employee.

This is the reference engine, written to be read. It runs the very step of
:class:`~simulation.core.engine.VectorEngine`, which it subclasses; what changes is who
applies each rule. Every state change of a customer or an employee is an *effect* of a
submodel module (:mod:`simulation.core.effects`), and this engine's dispatch hands each
effect to the agents it concerns: a :class:`Customer` notices posts, engages, follows,
hears re-shares and negative cascades, loses patience or takes an answer, is hit by a
crisis and settles (drifting toward its neighbours, read through its cell of a
``mesa.discrete_space.Network``); an :class:`Employee` records its posts and develops.
Each agent method calls the submodel's effect with the agent's own index, so no rule is
written twice, and the random numbers are drawn by the shared processes: given the same
seed both engines give the same run (``tests/test_effects.py`` checks each submodel
exactly, ``tests/test_engines.py`` whole runs in distribution). Agents are visited in a
random order each time (Mesa's ``random``), which cannot change a result because an
effect treats distinct agents independently.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent

from simulation.core import content, crisis, customers, diffusion, people, response
from simulation.core.effects import CUSTOMERS, Effect, Step, group_rows
from simulation.core.engine import VectorEngine
from simulation.engines.mesa_compat import network


class Row:
    """An agent attribute stored in the agent's row of a state array: ``state.<name>[agent.index]``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return getattr(agent.model.engine.state, self.name)[agent.index]

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(agent.model.engine.state, self.name)[agent.index] = value


class Customer(FixedAgent):
    """A customer (or influencer, or media outlet): one node of the social graph.

    Each method applies one rule to me; ``mine`` is my index once per row of input
    (a customer may see several posts or get several answers in a step).
    """

    sentiment = Row()
    awareness = Row()
    follows = Row()
    churned = Row()
    advocate = Row()
    activity = Row()
    promo_load = Row()

    def __init__(self, model: Population, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.cell = model.social_network[index]
        self.neighbour_mean = 0.0

    # 7.2 exposure and diffusion
    def notice(self, step: Step, mine: np.ndarray, times: np.ndarray, promo: np.ndarray, u: np.ndarray) -> None:
        """I saw brand posts this step: awareness, and promotion overload past my tolerance."""
        diffusion.notice(step, mine, times, promo, u)

    def engage(self, step: Step, mine: np.ndarray, lift: np.ndarray) -> None:
        """I engaged with posts: my sentiment rises."""
        diffusion.engage(step, mine, lift)

    def follow(self, step: Step, mine: np.ndarray) -> None:
        """I start following the brand."""
        diffusion.follow(step, mine)

    def hear_share(self, step: Step, mine: np.ndarray, lift: np.ndarray) -> None:
        """A re-share of a brand post reached me."""
        diffusion.hear_share(step, mine, lift)

    def hear_negative(self, step: Step, mine: np.ndarray) -> None:
        """A negative cascade reached me."""
        diffusion.hear_negative(step, mine)

    # 7.6 customer response
    def lose_patience(self, step: Step, mine: np.ndarray, u: np.ndarray) -> np.ndarray:
        """My inquiry went unanswered past my patience; returns whether I complain in public."""
        return response.lose_patience(step, mine, u)

    def take_answer(self, step: Step, mine: np.ndarray, wait: np.ndarray, resolved: np.ndarray, u: np.ndarray) -> None:
        """An answer came after ``wait`` hours: a fast resolution lifts me, may make me an advocate."""
        response.take_answer(step, mine, wait, resolved, u)

    def observe(self) -> None:
        """Read my neighbours' mean sentiment (all customers read before any settles)."""
        neighbours = sorted(self.cell.neighborhood.agents, key=lambda other: other.index)
        self.neighbour_mean = sum(other.sentiment for other in neighbours) / len(neighbours) if neighbours else 0.0

    def feel_ignored(self, step: Step, mine: np.ndarray) -> None:
        """My inquiry went unanswered for days: I feel ignored."""
        response.feel_ignored(step, mine)

    def settle(self, step: Step, mine: np.ndarray, neighbour_mean: np.ndarray) -> None:
        """Drift toward my neighbours; forget a little; maybe churn (on my own keyed thresholds); update my advocacy."""
        customers.settle(step, mine, neighbour_mean)

    # 7.9 crises
    def take_hit(self, step: Step, mine: np.ndarray) -> None:
        """An ongoing crisis reached me."""
        crisis.take_hit(step, mine)


class Employee(CellAgent):
    """An employee: a node of the internal collaboration graph."""

    skill = Row()
    motivation = Row()
    post_load = Row()
    last_post_h = Row()

    def __init__(self, model: Population, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.department = int(model.engine.company.dept[index])
        self.cell = model.org_network[index]

    def posted(self, step: Step, mine: np.ndarray, counts: np.ndarray) -> None:
        """I wrote ``counts`` posts this step (7.1 content)."""
        content.posted(step, mine, counts)

    def develop(self, step: Step, mine: np.ndarray, overloaded: np.ndarray, adopting: np.ndarray) -> None:
        """Training raises my skill; rewards, quotas, overload, change and rest move my motivation (7.8)."""
        people.develop(step, mine, overloaded, adopting)


class Population(mesa.Model):
    """The agents of one run: customers on the social network, employees on the org graph.

    Args:
        engine: the agent engine whose state the agents live in.
        rng: the run's ``agents`` random stream (Mesa seeds ``random`` from it; it only orders visits).
    """

    def __init__(self, engine: AgentEngine, rng: np.random.Generator) -> None:
        super().__init__(rng=rng)
        self.engine = engine
        self.social_network = network(engine.social_graph, self.random)
        self.org_network = network(engine.structure.graph, self.random)
        self.customer_at = [Customer(self, i) for i in range(engine.n_customers)]
        self.employee_at = [Employee(self, e) for e in range(engine.company.size)]
        self.customers = self.agents_by_type[Customer]
        self.employees = self.agents_by_type[Employee]

    def place_employees(self) -> None:
        """Move employees onto the org graph of the structure in force (after a reorganisation)."""
        self.org_network = network(self.engine.structure.graph, self.random)
        for employee in self.employee_at:
            employee.cell = self.org_network[employee.index]


class AgentEngine(VectorEngine):
    """A run of the model with one Mesa agent per customer and per employee (the reference engine).

    Args:
        config: a validated scenario.
        seed: root seed; defaults to ``config.simulation.seed``.
        **inputs: as for :class:`~simulation.core.engine.VectorEngine`.
    """

    name = "agents"

    def __init__(self, config: Any, seed: int | None = None, **inputs: Any) -> None:
        super().__init__(config, seed, **inputs)
        self.population = Population(self, self.rngs["agents"])

    def reconfigure(self, config: Any, lag_steps: int = 0) -> None:
        """Adopt a new config (see :meth:`VectorEngine.reconfigure`) and re-place employees on the new org graph."""
        super().reconfigure(config, lag_steps)
        if hasattr(self, "population"):
            self.population.place_employees()

    def dispatch(self, effect: Effect, step: Step, idx: np.ndarray, *arrays: np.ndarray) -> Any:
        """Hand an effect to each agent it concerns, in random order; gather their per-row results."""
        agents = self.population.customer_at if effect.population == CUSTOMERS else self.population.employee_at
        groups = group_rows(idx)
        self.population.random.shuffle(groups)
        out = None
        for i, rows in groups:
            result = getattr(agents[i], effect.__name__)(step, idx[rows], *(a[rows] for a in arrays))
            if result is not None:
                if out is None:
                    out = np.zeros(len(idx), dtype=np.asarray(result).dtype)
                out[rows] = result
        if out is None and len(idx) == 0:
            return effect(step, idx, *arrays)  # nobody to visit: the effect's own empty result
        return out

    def neighbour_sentiment(self) -> np.ndarray:
        """Every customer reads its neighbours through its Mesa cell (a synchronous update)."""
        self.population.customers.do("observe")
        return np.array([customer.neighbour_mean for customer in self.population.customer_at])
