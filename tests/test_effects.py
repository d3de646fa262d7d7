"""Exact cross-engine rule tests: each submodel gives identical results in both engines.

Both engines share every rule (the effects of :mod:`simulation.core.effects`); they differ in
how an effect is applied: all affected customers at once (vectorized) or agent by agent, in
random order, each with its own index (agents). Given the same state, inputs and random
stream, each submodel's process must therefore leave both engines' states and counters
*identical* -- not only equal in distribution (``test_engines.py`` checks that too).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from simulation import build_config, run
from simulation.core import content, crisis, customers, diffusion, innovation, needs, people, response, routing, service
from simulation.core.effects import Step, apply_at_once, group_rows, rows_of
from simulation.core.flows import new_flows
from simulation.core.state import INQUIRY_COLUMNS
from simulation.engines.agents import AgentEngine
from simulation.engines.build import build_engine

SMALL = {
    "customers": {"count": 300, "inquiry_rate_per_day": 0.08, "follower_share": 0.4},
    "content": {"guidelines": False, "posts_per_poster_per_day": 6.0},
    "simulation": {"steps": 120, "start_hour": 8},
}
SCENARIOS = {
    "centralized": {"organization": {"model": "centralized"}},
    "democratized": {"organization": {"model": "democratized"}},
    "center_of_excellence": {"organization": {"model": "center_of_excellence"}},
    "reorganise_and_crisis": {
        "organization": {"model": "centralized"},
        "interventions": [
            {"step": 10, "action": "change_org_model", "model": "task_force", "adoption_lag_steps": 12},
            {"step": 20, "action": "crisis", "size": 15},
            {"step": 25, "action": "training"},
        ],
    },
}
STATE_ARRAYS = (
    "follows", "awareness", "sentiment", "churned", "advocate", "promo_load",
    "skill", "motivation", "post_load", "last_post_h",
)  # fmt: skip


def engines(scenario: str, seed: int = 5) -> tuple:
    config = build_config({**SMALL, **SCENARIOS[scenario]})
    vector = build_engine(config, seed)
    agents = build_engine(config.with_values({"simulation.engine": "agents"}), seed)
    assert isinstance(agents, AgentEngine) and not isinstance(vector, AgentEngine)
    return vector, agents


def assert_same_state(a, b) -> None:
    for name in STATE_ARRAYS:
        np.testing.assert_array_equal(getattr(a.state, name), getattr(b.state, name), err_msg=name)
    for name in a.state.inquiries.cols:
        np.testing.assert_array_equal(a.state.inquiries[name], b.state.inquiries[name], err_msg=name)
    assert a.state.crisis_intensity == b.state.crisis_intensity


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_whole_runs_are_identical_in_both_engines(scenario):
    vector, agents = engines(scenario)
    for _ in range(40):
        assert vector.step() == agents.step()
    assert_same_state(vector, agents)


def _negative(step, rng):
    seeds = np.flatnonzero(~step.state.churned)[:12]
    diffusion.negative_cascade(step, seeds, "complaint", 0.3)


def _content_and_diffusion(step, rng):
    posts = content.produce_content(step, np.ones(len(step.state.skill)))
    diffusion.diffuse(step, posts, np.zeros(len(step.state.sentiment), bool), [])


def _needs_routing_service(step, rng):
    rows = routing.route(needs.raise_needs(step, 1.0), step)
    step.state.inquiries.append_new(rows)
    service.serve(step, np.ones(len(step.state.free_at), bool), np.zeros(len(step.state.free_at)))


def _response(step, rng):
    step.dt = 24.0  # a whole day: patience runs out and answers arrive
    response.respond(step, lambda: np.full(len(step.state.free_at), 0.5), [])
    innovation.innovate(step)


def _dynamics(step, rng):
    neighbours = (step.state.adjacency @ step.state.sentiment) / np.maximum(step.state.degree, 1.0)
    customers.customer_dynamics(step, neighbours)


def _crisis(step, rng):
    step.state.crisis_intensity = 40.0
    step.state.crisis_started_h = step.t
    crisis.crisis_step(step)


def _people(step, rng):
    overloaded = (rng.random(len(step.state.free_at)) < 0.5).astype(float)
    people.people_step(step, overloaded, np.arange(len(step.state.skill)) % len(step.state.free_at))


SUBMODELS = {
    "7.1-7.2 content, exposure and diffusion": _content_and_diffusion,
    "7.2 negative cascades": _negative,
    "7.3-7.5 needs, routing and service": _needs_routing_service,
    "7.6 customer response and 7.7 innovation": _response,
    "7.6 customer dynamics": _dynamics,
    "7.8 people": _people,
    "7.9 crises": _crisis,
}


@pytest.mark.parametrize("submodel", sorted(SUBMODELS))
@pytest.mark.parametrize("scenario", ["centralized", "democratized"])
def test_each_submodel_is_identical_in_both_engines(submodel, scenario):
    vector, agents = engines(scenario)
    for _ in range(30):  # a state with followers, open inquiries and loads
        vector.step()
        agents.step()
    outcomes = []
    for engine in (vector, agents):
        step = Step(engine.state, engine.params, new_flows(), engine.hours, 1.0, engine.dispatch, engine.keys, 30)
        SUBMODELS[submodel](step, np.random.default_rng(99))
        outcomes.append(step.flows)
    assert outcomes[0] == outcomes[1]
    assert_same_state(vector, agents)


def test_promotion_overload_costs_each_exposure_over_tolerance():
    """Three promotional exposures in one step at tolerance 2 and load 0: only the third is over."""
    vector, agents = engines("centralized")
    for engine in (vector, agents):
        state = engine.state
        state.promo_load[:] = 0.0
        state.sentiment[:] = 0.0
        state.follows[:] = True
        step = Step(state, engine.params, new_flows(), engine.hours, 1.0, engine.dispatch)
        who = np.array([3, 7])
        diffusion.notice(step, who, np.array([3, 1]), np.array([3, 1]), np.array([1.0, 1.0]))
        penalty = engine.config.customers.overload_penalty
        assert engine.config.customers.promo_tolerance_per_day == 2.0
        assert state.sentiment[3] == pytest.approx(-penalty)  # one exposure over: 1 x penalty, not 3 x
        assert state.sentiment[7] == 0.0 and state.promo_load[3] == 3.0
        step.apply(diffusion.notice, np.array([5, 5, 5]), np.ones(3, int), np.ones(3, int), np.ones(3))
        assert state.sentiment[5] == pytest.approx(-penalty)  # the same, one exposure per row


def test_agent_dispatch_visits_each_agent_once_with_all_its_rows():
    idx = np.array([4, 1, 4, 2, 1, 4])
    groups = dict(group_rows(idx))
    assert sorted(groups) == [1, 2, 4]
    assert groups[4].tolist() == [0, 2, 5] and groups[1].tolist() == [1, 4]
    seen = []
    _, agents = engines("centralized")
    original = copy.copy(agents.population.customer_at[4].engage)

    def spy(step, mine, lift):
        seen.append((mine.tolist(), lift.tolist()))
        return original(step, mine, lift)

    agents.population.customer_at[4].engage = spy
    step = Step(agents.state, agents.params, new_flows(), 0.0, 1.0, agents.dispatch)
    step.apply(diffusion.engage, idx, np.arange(6) / 100)
    assert seen == [([4, 4, 4], [0.0, 0.02, 0.05])]
    assert step.flows["engagements"] == 6
    assert apply_at_once is not agents.dispatch


@pytest.mark.parametrize(
    ("idx", "whole"),
    [
        (np.arange(5), True),
        (np.arange(4), False),  # not everyone
        (np.array([0, 2, 1, 3, 4]), False),  # everyone, out of order
        (np.array([0, 1, 1, 3, 4]), False),  # a repeat, first and last in place
        (np.arange(1), True),
    ],
)
def test_rows_of_takes_whole_arrays_only_for_everyone_in_order(idx, whole):
    rows = rows_of(idx, len(idx) if len(idx) == 1 else 5)
    values = np.arange(10.0, 10.0 + (1 if len(idx) == 1 else 5))
    assert isinstance(rows, slice) is whole
    np.testing.assert_array_equal(values[rows], values[idx])


def test_a_closed_inquiry_takes_no_further_part_while_it_waits_for_the_log():
    """Closed inquiries move to the log in batches; until then every scan skips them.

    A never-queued inquiry whose author is more patient than ``ignored_after_hours`` is
    ignored at 72 h and so closed: its patience running out later must not make it irate.
    """
    engine = build_engine(build_config({"customers": {"count": 200}, "simulation": {"steps": 10}}), seed=1)
    state = engine.state
    row = {
        **{name: np.zeros(1, dtype=dtype) for name, dtype in INQUIRY_COLUMNS.items()},
        "t_raise": np.zeros(1),
        "patience": np.array([200.0]),  # longer than ignored_after_hours (72)
        "t_queue": np.array([np.inf]),  # never reached a queue (undetected or lost)
        "t_start": np.array([np.inf]),
        "t_end": np.array([np.inf]),
        "expects_reply": np.ones(1, dtype=bool),
        "owner": np.zeros(1, dtype=np.int16),
    }
    state.inquiries.append(row)
    waiting = {**row, "t_queue": np.ones(1), "expects_reply": np.zeros(1, dtype=bool), "patience": np.full(1, 1e6)}
    for _ in range(3):  # queued and never served: open, so one closed row is not yet worth a compaction
        state.inquiries.append(waiting)
    state.inquiries["patience"][1] = 240.0  # runs out before 250: the patience scan runs then

    def respond_at(t):
        step = Step(state, engine.params, new_flows(), t, 1.0, engine.dispatch, engine.keys, int(t))
        response.respond(step, lambda: np.full(len(state.free_at), 0.5), [])
        response.close_inquiries(state)
        return step.flows

    assert respond_at(80.0)["ignored"] == 1  # ignored: closed, but one closed row does not fill a batch
    assert len(state.inquiries) == 4 and not state.log
    assert respond_at(250.0)["irate"] == 0  # patience ran out after it closed: nothing happens
    assert not state.inquiries["irate"][0] and not state.inquiries["done_irate"][0]
    assert len(engine.inquiry_log()) == 4  # the log of the run has every inquiry either way


@pytest.mark.parametrize(
    ("per_day", "staffed", "quota", "customers"), [(1.0, [8, 20], False, 600), (3.5, [0, 24], True, 1500)]
)
def test_a_posters_mean_posts_are_its_daily_rate_spread_over_the_staffed_hours(per_day, staffed, quota, customers):
    """Expected posts per step: posts per day / staffed hours x (quota) x people per row x motivation / reference."""
    from simulation.core.content import expected_posts

    config = build_config(
        {
            "customers": {"count": customers},
            "simulation": {"steps": 5},
            "organization": {"reference_customers": 3000},
            "content": {"posts_per_poster_per_day": per_day, "quota": quota},
            "support": {"staffed_hours": staffed},
        }
    )
    engine = build_engine(config, 1)
    params, state = engine.params, engine.state
    on_duty = np.ones(len(state.skill))
    dt = 1.0
    got = expected_posts(params.post_rate, state.motivation, on_duty, dt, params.reference_motivation)
    hours = staffed[1] - staffed[0]
    multiplier = config.content.quota_multiplier if quota else 1.0
    scale = customers / 3000
    posters = engine.structure.posters
    assert posters.any() and not posters.all()
    for e in range(len(got)):
        rate = per_day / hours * multiplier * scale * state.motivation[e] / config.people.reference_motivation
        assert got[e] == pytest.approx(rate * dt if posters[e] else 0.0, rel=1e-12, abs=0.0), e


@pytest.mark.parametrize("guidelines", [True, False])
def test_post_quality_gaffes_and_brand_consistency_follow_their_formulas(guidelines):
    """ODD 7.1, written out per post in plain Python from the content parameters."""
    from simulation.core.content import gaffe_probability, on_brand_probability, post_quality
    from simulation.core.organization import effective_coordination

    config = build_config({"customers": {"count": 600}, "content": {"guidelines": guidelines}})
    engine = build_engine(config, 2)
    params, c = engine.params, config.content
    skill = np.linspace(0.0, 1.0, 11)
    load = np.linspace(0.0, 8.0, 11) * params.people_per_row
    g, coordination = float(guidelines), effective_coordination(config.organization)
    offset = c.quality_base + c.quality_guidelines_weight * g + c.quality_coordination_weight * coordination
    consistency = c.consistency_base
    brand_weight = c.on_brand_guidelines_weight * g + c.on_brand_coordination_weight * coordination
    for s, post_load, q, gaffe, brand in zip(
        skill, load, post_quality(params, skill, load), gaffe_probability(params, skill),
        on_brand_probability(params, skill), strict=True,
    ):  # fmt: skip
        fatigue = max(0.0, post_load / params.people_per_row - c.fatigue_free_posts_per_day)
        quality = offset + c.quality_skill_weight * s - c.fatigue_penalty * fatigue
        assert q == pytest.approx(min(max(quality, 0.05), 1.0), rel=1e-12)
        assert gaffe == pytest.approx(c.gaffe_prob * (1 - c.guidelines_gaffe_reduction * g) * (1 - s), rel=1e-12)
        on_brand = consistency + (1 - consistency) * (brand_weight + c.on_brand_skill_weight * s)
        assert brand == pytest.approx(min(max(on_brand, 0.0), 1.0), rel=1e-12)


def test_the_competitors_mentions_are_poisson_in_its_rate_per_active_customer():
    """ODD 7.2: the competitor's voice grows with the market: mentions_per_customer_per_day x active customers."""
    config = build_config({"customers": {"count": 2000}, "simulation": {"steps": 720}})
    result = run(config, seed=3)
    assert config.customers.replace_churned  # every customer stays active (a leaver's place is taken)
    expected = config.competitor.mentions_per_customer_per_day / 24.0 * 2000 * 720
    assert abs(result.timeseries["mentions_competitor"].sum() - expected) < 4 * np.sqrt(expected)
