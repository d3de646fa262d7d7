"""The agent engine: the same model with one Mesa agent per customer and per employee.

This is the reference engine, written to be read. It runs the very same step as
:class:`~simulation.core.engine.VectorEngine`, which it subclasses, so everything that is
not about one person is shared: the company, both graphs, compiled params, interventions,
department plans, listening and routing, the department queues, cascades over the social
graph, the KPI records and the run's result. What changes is who does the work:

* an :class:`Employee` posts (its own Poisson number of posts, each with a quality, a type,
  a gaffe check and a brand check), then learns and gains or loses motivation;
* a :class:`Customer` sees posts and may engage or follow, raises its own inquiries, loses
  patience or takes an answer, hears re-shares and negative cascades, drifts toward its
  neighbours' sentiment (read through its cell of a ``mesa.discrete_space.Network``), may
  churn, and speaks up when it is an advocate or a detractor.

Every rule an agent applies is one of the per-agent formulas of
:mod:`simulation.core.processes` — the functions the vectorized engine applies to whole
arrays — so each formula is written once. An agent's attributes are its row of the
engine's state arrays (:class:`Row`), so both engines are measured by the same KPI code.
Agents draw from the run's ``agents`` random stream: runs differ from the vectorized
engine draw by draw but agree in distribution (checked by ``tests/test_engines.py``).
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent

from simulation.config import INQUIRY_TYPES, Config
from simulation.core import processes as proc
from simulation.core.engine import VectorEngine
from simulation.mesa_compat import network

Flows = dict[str, float]


class Row:
    """An agent attribute stored in the agent's row of a state array: ``state.<name>[agent.index]``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return getattr(agent.state, self.name)[agent.index]

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(agent.state, self.name)[agent.index] = value


class Customer(FixedAgent):
    """A customer (or influencer, or media outlet): one node of the social graph."""

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
        self.state = model.engine.state
        self.cell = model.social_network[index]
        self.neighbour_mean = 0.0

    @property
    def config(self) -> Config:
        """The config in force."""
        return self.model.engine.config

    # 2. exposure ------------------------------------------------------------------------
    def see(self, post: Post, follow_prob: float, flows: Flows) -> bool:
        """See a brand post: awareness, promotion overload, maybe engage, maybe follow; True if engaged."""
        cust, content = self.config.customers, self.config.content
        self.awareness = proc.awareness_after_exposure(self.awareness, cust.awareness_gain)
        if post.promoting:
            self.promo_load += 1.0
            if self.promo_load > cust.promo_tolerance_per_day:
                self.sentiment -= cust.overload_penalty
                if self.random.random() < cust.unfollow_prob and self.follows:
                    self.follows = False
                    flows["unfollows"] += 1
        engaged = self.random.random() < proc.engagement_probability(
            content, post.quality, post.promoting, self.sentiment
        )
        if engaged:
            self.sentiment += proc.engagement_lift(content, post.quality, post.promoting)
            flows["engagements"] += 1
            flows["mentions_positive"] += 1
        if not self.follows and self.random.random() < follow_prob:
            self.follows = True
            flows["new_followers"] += 1
        return bool(engaged)

    def hear_share(self, quality: float) -> None:
        """A re-share of a brand post reached me."""
        self.awareness = proc.awareness_after_exposure(self.awareness, self.config.customers.awareness_gain)
        self.sentiment += proc.share_lift(self.config.content, quality)

    def hear_negative(self) -> None:
        """A negative cascade (gaffe, complaint, crisis) reached me."""
        self.sentiment -= self.config.content.negative_hit
        self.awareness = proc.awareness_after_exposure(self.awareness, self.config.customers.awareness_gain)

    # 3. needs, 6. response --------------------------------------------------------------
    def raise_needs(self, t: float, dt: float, rate: float, kind_p: np.ndarray, raised: list) -> None:
        """Post my inquiries of this step (Poisson in my activity), each with a type, a time and my patience."""
        if self.churned:
            return
        n = self.rng.poisson(self.activity * rate)
        if n:
            kind = self.rng.choice(len(INQUIRY_TYPES), size=n, p=kind_p).astype(np.int8)
            when = t + self.rng.random(n) * dt
            patience = proc.draw_patience(self.config.customers, kind, self.rng)
            raised.append((np.full(n, self.index), kind, when, patience))

    def lose_patience(self) -> bool:
        """My inquiry went unanswered past my patience: sentiment drops; True if I complain in public."""
        support = self.config.support
        self.sentiment -= support.irate_drop
        return self.random.random() < support.complaint_share

    def take_answer(self, wait: float, resolved: bool) -> None:
        """An answer came after ``wait`` hours: a fast resolution lifts me, may make me an advocate."""
        support = self.config.support
        if not resolved:
            self.sentiment -= support.unresolved_drop
            return
        self.sentiment += proc.answer_lift(support, wait)
        if wait <= 1.0 and self.random.random() < support.advocate_conversion:
            self.sentiment = max(self.sentiment, self.config.customers.advocate_threshold + 0.05)
            self.follows = True
            self.advocate = True

    def take_hit(self) -> None:
        """An ongoing crisis reached me."""
        self.sentiment -= self.config.content.negative_hit

    # customer dynamics: observe (all), then step (all) ------------------------------------
    def observe(self) -> None:
        """Read my neighbours' mean sentiment (first stage, so every customer reads the same moment)."""
        sentiments = [other.sentiment for other in self.cell.neighborhood.agents]
        self.neighbour_mean = sum(sentiments) / len(sentiments) if sentiments else None

    def step(self, dt: float, flows: Flows) -> None:
        """Drift toward my neighbours; promotion load and awareness fade; maybe churn; maybe speak up."""
        cust = self.config.customers
        if self.neighbour_mean is not None:
            pull = proc.sentiment_pull(cust, dt) * proc.drift_weight(cust, self.advocate)
            self.sentiment += pull * (self.neighbour_mean - self.sentiment)
        self.sentiment = min(1.0, max(-1.0, self.sentiment))
        self.promo_load *= proc.decay(1.0, dt)
        self.awareness *= proc.decay(cust.awareness_decay_per_day, dt)
        if self.churned:
            return
        if self.random.random() < proc.churn_probability(cust, self.sentiment, dt):
            self.churned = True
            self.follows = False
            flows["churned"] += 1
        self.advocate = proc.advocate_after(cust, self.advocate, self.sentiment, self.awareness, not self.churned)
        rate = cust.voice_rate_per_day / proc.HOURS_PER_DAY * dt
        if self.advocate:
            flows["mentions_positive"] += self.rng.poisson(rate)
        elif self.sentiment < cust.detractor_threshold:
            flows["mentions_negative"] += self.rng.poisson(rate)


class Post:
    """One post: who wrote it, whether it promotes, its quality and whether it is a gaffe."""

    __slots__ = ("poster", "promoting", "quality", "gaffe")

    def __init__(self, poster: int, promoting: bool, quality: float, gaffe: bool) -> None:
        self.poster, self.promoting, self.quality, self.gaffe = poster, promoting, quality, gaffe


class Employee(CellAgent):
    """An employee: a node of the internal collaboration graph."""

    skill = Row()
    motivation = Row()
    post_load = Row()
    last_post_h = Row()

    def __init__(self, model: Population, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.state = model.engine.state
        self.department = int(model.engine.company.dept[index])
        self.cell = model.org_network[index]

    def post(self, on_duty: np.ndarray, t: float, dt: float, posts: list[Post], flows: Flows) -> None:
        """Write this step's posts (none unless my department is on duty and I am a poster)."""
        engine = self.model.engine
        params, config = engine.params, engine.config
        rate = proc.expected_posts(
            params.post_rate[self.index], self.motivation, on_duty[self.department], dt, config.people
        )
        n = self.rng.poisson(rate) if rate > 0 else 0
        if not n:
            return
        quality = float(proc.post_quality(params, config.content, self.skill, self.post_load))
        for _ in range(n):
            promoting = self.random.random() < params.promo_share
            gaffe = self.random.random() < proc.gaffe_probability(params, self.skill)
            on_brand = self.random.random() < proc.on_brand_probability(params, self.skill)
            posts.append(Post(self.index, promoting, quality, gaffe))
            flows["posts_promoting"] += promoting
            flows["gaffes"] += gaffe
            flows["posts_on_brand"] += on_brand
        flows["posts"] += n
        flows["quality_sum"] += n * quality
        flows["staff_hours"] += n * config.people.hours_per_post
        self.post_load += n
        self.last_post_h = t

    def develop(self, overloaded: np.ndarray, dt: float) -> None:
        """Training raises my skill; rewards, quotas, my department's overload and rest move my motivation."""
        engine = self.model.engine
        params, people = engine.params, engine.config.people
        day = dt / proc.HOURS_PER_DAY
        social = params.social_staff[self.index]
        self.skill = proc.skill_after_training(params, people, self.skill, social, day)
        self.motivation = proc.motivation_after(
            params, people, self.motivation, overloaded[self.department], social, day
        )
        self.post_load *= proc.decay(1.0, dt)


class Population(mesa.Model):
    """The agents of one run: customers on the social network, employees on the org graph.

    Args:
        engine: the agent engine whose state the agents live in.
        rng: the run's ``agents`` random stream (Mesa seeds ``random`` from it too).
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
    """

    name = "agents"

    def __init__(self, config: Config, seed: int | None = None) -> None:
        super().__init__(config, seed)
        self.population = Population(self, self.rngs["agents"])

    def reconfigure(self, config: Config, lag_steps: int = 0) -> None:
        """Adopt a new config (see :meth:`VectorEngine.reconfigure`) and re-place employees on the new org graph."""
        super().reconfigure(config, lag_steps)
        if hasattr(self, "population"):
            self.population.place_employees()

    # 1. content -----------------------------------------------------------------------------
    def produce_content(self, t: float, dt: float, staffed: np.ndarray, flows: Flows) -> proc.Posts:
        """Every employee writes its posts for the step."""
        posts: list[Post] = []
        self.population.employees.shuffle_do("post", staffed, t, dt, posts, flows)
        posts.sort(key=lambda post: post.poster)
        return proc.Posts(
            poster=np.array([p.poster for p in posts], dtype=np.int64),
            promoting=np.array([p.promoting for p in posts], dtype=bool),
            quality=np.array([p.quality for p in posts], dtype=np.float64),
            gaffe=np.array([p.gaffe for p in posts], dtype=bool),
        )

    # 2. exposure and diffusion --------------------------------------------------------------
    def expose(self, posts: proc.Posts, flows: Flows) -> list[np.ndarray]:
        """Each post reaches its audience; every viewer reacts; engaged viewers' shares cascade."""
        if len(posts) == 0:
            return []
        state, config, rng = self.state, self.config, self.rngs["content"]
        followers = np.flatnonzero(state.follows & ~state.churned)
        follow_prob = config.customers.follow_prob * posts.quality.mean()
        engaged: dict[bool, list[tuple[int, float]]] = {False: [], True: []}
        gaffe_seeds: list[np.ndarray] = []
        for i in range(len(posts)):
            post = Post(int(posts.poster[i]), bool(posts.promoting[i]), float(posts.quality[i]), bool(posts.gaffe[i]))
            seen = proc.post_audience(state, self.params, config.content, rng, followers, post.poster)
            flows["impressions"] += len(seen)
            self.reached[seen] = True
            for c in seen.tolist():
                if self.population.customer_at[c].see(post, follow_prob, flows):
                    engaged[post.promoting].append((c, post.quality))
            if post.gaffe and len(seen):
                gaffe_seeds.append(proc.gaffe_seeds(seen, rng))
        for is_promo, pairs in engaged.items():
            if not pairs:
                continue
            seeds = np.array([c for c, _ in pairs], dtype=np.int64)
            quality = float(np.mean([q for _, q in pairs]))
            shared = proc.reshare_cascade(state, config.content, rng, seeds, quality, is_promo, flows, self.reached)
            for c in shared.tolist():
                self.population.customer_at[c].hear_share(quality)
        return gaffe_seeds

    # 3. customer needs ----------------------------------------------------------------------
    def raise_needs(self, t: float, dt: float, tech_factor: float, flows: Flows) -> dict[str, np.ndarray]:
        """Every customer raises its own inquiries; the rows are sorted by the time they were raised."""
        cust = self.config.customers
        mix = proc.inquiry_mix(cust, tech_factor)
        rate = proc.needs_rate(cust, 1.0, dt, mix)  # per unit of activity
        raised: list[tuple[np.ndarray, ...]] = []
        self.population.customers.shuffle_do("raise_needs", t, dt, rate, mix / mix.sum(), raised)
        if raised:
            customer, kind, t_raise, patience = (np.concatenate(column) for column in zip(*raised, strict=True))
        else:
            customer, kind, t_raise, patience = np.empty(0, np.int64), np.empty(0, np.int8), np.empty(0), np.empty(0)
        order = np.argsort(t_raise, kind="stable")
        n = len(order)
        rng = self.rngs["needs"]
        kind = kind[order].astype(np.int8)
        proc.count_needs(kind, flows)
        return {
            "customer": customer[order].astype(np.int64),
            "kind": kind,
            "t_raise": t_raise[order],
            "patience": patience[order],
            "service_h": proc.draw_handling_hours(self.config.support, rng, n),
            "u_resolve": rng.random(n),
        }

    # 6. customer response, 7. innovation ----------------------------------------------------
    def respond(
        self,
        t: float,
        dt: float,
        dept_skill: np.ndarray,
        flows: Flows,
        negative: list[np.ndarray],
        answer_times: list[np.ndarray],
    ) -> None:
        """Customers whose patience ran out get irate (and may complain); answered ones react."""
        table = self.state.inquiries
        if len(table) == 0:
            return
        t1 = t + dt
        customers = self.population.customer_at
        who = proc.run_out_of_patience(table, t1, flows)
        complain = np.array([c for c in who.tolist() if customers[c].lose_patience()], dtype=np.int64)
        negative.append(complain)
        flows["complaints_public"] += len(complain)
        flows["mentions_negative"] += len(complain)
        rows, resolved, wait = proc.deliver_answers(table, self.config.support, t1, dept_skill, flows, answer_times)
        for c, ok, w in zip(table["customer"][rows].tolist(), resolved.tolist(), wait.tolist(), strict=True):
            customers[c].take_answer(w, ok)
        proc.innovate(self.state, self.config, self.rngs["response"], t, dt, flows)

    # negative cascades and crises -----------------------------------------------------------
    def spread_negative(self, seeds: np.ndarray, flows: Flows, transmissibility: float | None = None) -> int:
        """A negative cascade from ``seeds``; every customer it reaches hears it; returns its size."""
        if len(seeds) == 0:
            return 0
        hit = proc.negative_cascade(self.state, self.config, self.rngs["crisis"], seeds, transmissibility)
        for c in hit.tolist():
            self.population.customer_at[c].hear_negative()
        flows["mentions_negative"] += len(hit)
        return len(hit)

    def hit_by_crisis(self, t: float, dt: float, flows: Flows) -> None:
        """An ongoing crisis reaches random customers, then decays as the organisation responds."""
        if self.state.crisis_intensity <= 0:
            return
        hit = proc.crisis_targets(self.state, self.rngs["crisis"], dt)
        for c in hit.tolist():
            self.population.customer_at[c].take_hit()
        flows["mentions_negative"] += len(hit)
        proc.contain_crisis(self.state, self.params, self.config, t, dt, flows)

    # customer dynamics, 8. people -----------------------------------------------------------
    def customer_dynamics(self, dt: float, flows: Flows) -> None:
        """All customers read their neighbours first, then each updates itself (a synchronous update)."""
        self.population.customers.do("observe")
        self.population.customers.shuffle_do("step", dt, flows)

    def people_step(self, dt: float, overloaded: np.ndarray) -> None:
        """Every employee learns and updates its motivation."""
        self.population.employees.shuffle_do("develop", overloaded, dt)
