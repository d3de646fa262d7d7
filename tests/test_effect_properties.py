"""Property tests of every effect against a plain-Python reference written here, row by row.

``tests/test_effects.py`` shows that the two engines' dispatches of an effect agree; that
cannot tell whether the effect's rule is right, because both run the same function (a
``+=`` that drops repeated rows drops them in both). Here each effect of the step core
(``@effect_on`` in ``simulation/core``) is applied to a small real :class:`Step` whose state
and parameters Hypothesis draws: index arrays with repeated indices, many rows and every
customer at once, parameters at the ends of their declared bounds (read from the scenario
schema), customers already churned, advocates or followers, edge per-row inputs (a uniform
equal to the probability it is compared with, a wait equal to ``fast_answer_hours``, a
sentiment exactly at the advocate threshold less the hysteresis). The step applies the
effect through either engine's dispatch (all rows at once, or agent by agent in random
order). The resulting state arrays and flows are compared, customer by customer, with a
reference that loops over the rows *in order* with Python floats, as the effect's docstring
and ``docs/ODD.md`` describe the rule, without calling the effect's own helpers: repeated
indices are treated in row order, as ``simulation/core/effects.py`` requires of an effect.
Every state array is compared, so a change where none is due fails too. Floats are compared
with ``rtol=1e-12`` (and ``atol=1e-12``, for values that cancel to about zero, where the
reference's order of sums differs from the effect's), booleans, counts and flows exactly.

Two things are not compared bit for bit but by their definition: the keyed thresholds
``settle`` draws after a churn or a discovery are recomputed with :mod:`simulation.core.keyed`
from the run's key (the customer's stream, entity and new event number); and ``notice``'s
promotional exposures over tolerance are counted in exact arithmetic (the k-th is over when
``load + k > tolerance``), an example where ``load + k`` is within 1e-9 of the tolerance
without equalling it -- where float rounding, not the rule, decides -- being rejected.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import inspect
import math
import pkgutil
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import simulation.core
from simulation import build_config
from simulation.core import content, crisis, customers, diffusion, keyed, people, response
from simulation.core.effects import Step
from simulation.core.flows import FLOWS, new_flows
from simulation.core.params import Params
from simulation.core.slices import copied_sources
from simulation.engines.build import build_engine
from simulation.scenario.priors import parameter_fields

N = 60  # customers
CUSTOMER_ARRAYS = (
    "follows", "awareness", "sentiment", "baseline", "churned", "advocate", "promo_load", "was_answered",
    "was_ignored", "churn_left", "churns", "discovery_left", "discoveries",
)  # fmt: skip
EMPLOYEE_ARRAYS = ("skill", "motivation", "post_load", "last_post_h")
SCALARS = ("churned_total", "churned_count", "crisis_intensity")
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOURCES = copied_sources(Params)  # compiled field -> "section.key" of its declaration (and bounds)
DECLARED = parameter_fields()


@functools.cache
def engine(kind: str = "vectorized"):
    """A small real engine (its state, parameters, keys and dispatch): vectorized, or agents (one agent per row)."""
    config = build_config({"customers": {"count": N}, "simulation": {"steps": 5, "engine": kind}})
    return build_engine(config, 11)


# --- strategies --------------------------------------------------------------------------------


def bounded(name: str, cap: float | None = None) -> st.SearchStrategy[float]:
    """A value of compiled parameter ``name`` within its declared bounds (up to ``cap``), ends and default often."""
    field = DECLARED[SOURCES[name]]
    limits = {
        kind: float(getattr(b, kind)) for b in field.metadata for kind in ("ge", "gt", "le", "lt") if hasattr(b, kind)
    }
    lo, open_lo = (limits["gt"], True) if "gt" in limits else (limits["ge"], False)
    hi, open_hi = (limits["lt"], True) if "lt" in limits else (limits.get("le", math.inf), False)
    if cap is not None and cap < hi:
        hi, open_hi = cap, False
    assert math.isfinite(hi), f"{name}: give a cap"
    ends = [np.nextafter(lo, hi) if open_lo else lo, np.nextafter(hi, lo) if open_hi else hi, field.default]
    ends = [float(v) for v in ends if lo <= v <= hi]
    return st.one_of(st.sampled_from(ends), st.floats(lo, hi, exclude_min=open_lo, exclude_max=open_hi))


def draw_params(data, **caps: float | None) -> Params:
    """The engine's parameters with the named ones drawn (``name=cap``, None: the declared upper bound)."""
    drawn = {name: data.draw(bounded(name, cap), label=name) for name, cap in caps.items()}
    return dataclasses.replace(engine().params, **drawn)


def indices(n: int, max_rows: int = 40) -> st.SearchStrategy[np.ndarray]:
    """Row indices: a few customers many times each (twice as likely), any customers, or distinct ones."""
    pool = st.lists(st.integers(0, n - 1), min_size=1, max_size=5, unique=True)
    few_many_times = pool.flatmap(lambda few: st.lists(st.sampled_from(few), max_size=max_rows))
    anything = st.lists(st.integers(0, n - 1), max_size=max_rows)
    distinct = st.permutations(range(n)).flatmap(lambda order: st.integers(0, n).map(lambda k: order[:k]))
    options = st.one_of(few_many_times, few_many_times, anything, distinct, distinct.map(sorted))
    return options.map(lambda rows: np.array(rows, dtype=np.int64))


def array(dtype: type, n: int, elements: st.SearchStrategy, rows: bool) -> st.SearchStrategy[np.ndarray]:
    """An array of ``n`` elements: per-row inputs each drawn on its own, state often mostly one value."""
    return hnp.arrays(dtype, n, elements=elements, fill=st.nothing() if rows else None)


def floats(n: int, lo: float, hi: float, *edges: float, rows: bool = False) -> st.SearchStrategy[np.ndarray]:
    """``n`` floats in [lo, hi], with ``edges`` (and the ends) among them often."""
    values = [float(v) for v in (lo, hi, *edges) if lo <= v <= hi]
    return array(np.float64, n, st.one_of(st.sampled_from(values), st.floats(lo, hi)), rows)


def uniforms(n: int, *edges: float) -> st.SearchStrategy[np.ndarray]:
    """``n`` per-row uniforms in [0, 1), with ``edges`` (a probability they are compared with) among them often."""
    values = [float(v) for v in (0.0, *edges) if 0.0 <= v < 1.0]
    return array(np.float64, n, st.one_of(st.sampled_from(values), st.floats(0.0, 1.0, exclude_max=True)), True)


def flags(n: int, rows: bool = False) -> st.SearchStrategy[np.ndarray]:
    return array(np.bool_, n, st.booleans(), rows)


def counts(n: int, hi: int, rows: bool = False) -> st.SearchStrategy[np.ndarray]:
    return array(np.int64, n, st.integers(0, hi), rows)


DT = st.one_of(st.sampled_from([0.0, 0.25, 1.0, 24.0]), st.floats(0.0, 48.0))


# --- state, reference and comparison -----------------------------------------------------------


def fresh_state(**arrays: np.ndarray):
    """A copy of the engine's state (every array its own), the keyed processes started, ``arrays`` put in."""
    base = engine().state
    state = copy.copy(base)
    for name in CUSTOMER_ARRAYS + EMPLOYEE_ARRAYS + ("degree",):
        value = getattr(base, name)
        setattr(state, name, None if value is None else value.copy())
    state.churns = np.zeros(N, dtype=np.int64)
    state.discoveries = np.zeros(N, dtype=np.int64)
    state.churn_left = np.ones(N)
    state.discovery_left = np.ones(N)
    for name, values in arrays.items():
        setattr(state, name, np.array(values, dtype=getattr(state, name).dtype))
    state.churned_count = int(state.churned.sum())  # the invariant settle keeps
    return state


def make_step(data, state, params: Params, dt: float = 1.0, t: float = 30.0) -> Step:
    """A step over ``state``, applying effects all rows at once (vectorized) or agent by agent (agents engine)."""
    e = engine(data.draw(st.sampled_from(["vectorized", "vectorized", "agents"]), label="engine"))
    return Step(state, params, new_flows(), t, dt, e.dispatch, e.keys, 3)


def as_lists(state) -> dict[str, list]:
    """The state's arrays and counters as Python lists and numbers: what a reference changes."""
    out = {name: getattr(state, name).tolist() for name in CUSTOMER_ARRAYS + EMPLOYEE_ARRAYS}
    out.update({name: getattr(state, name) for name in SCALARS})
    return out


def assert_state(state, expected: dict) -> None:
    """Every array (float: allclose; bool and int: equal) and counter of ``state`` is the reference's."""
    for name in CUSTOMER_ARRAYS + EMPLOYEE_ARRAYS:
        actual = getattr(state, name)
        wanted = np.array(expected[name], dtype=actual.dtype)
        if actual.dtype.kind == "f":
            np.testing.assert_allclose(actual, wanted, rtol=1e-12, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(actual, wanted, err_msg=name)
    for name in SCALARS:
        assert getattr(state, name) == expected[name], name


def assert_flows(flows: dict, expected: dict) -> None:
    """Every flow equals the reference's (a count exactly, a sum of hours to 1e-12)."""
    reference = new_flows()
    reference.update(expected)
    assert set(flows) == set(FLOWS)
    np.testing.assert_allclose([flows[k] for k in FLOWS], [reference[k] for k in FLOWS], rtol=1e-12, atol=0)
    assert [k for k in FLOWS if flows[k] != 0] == [k for k in FLOWS if reference[k] != 0]


def exposed(awareness: float, gain: float) -> float:
    """Awareness after one exposure: a share ``gain`` of the way to 1."""
    return 1.0 - (1.0 - awareness) * (1.0 - gain)


def kept(rate_per_day: float, dt: float) -> float:
    """Share of a quantity kept after ``dt`` hours of exponential decay at ``rate_per_day``."""
    return float(np.exp(-rate_per_day * dt / 24.0))


# --- 7.1 content ------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_posted_adds_each_rows_posts_and_stamps_the_time_of_any_post(data):
    n = len(engine().state.skill)
    idx = data.draw(indices(n, max_rows=60), label="idx")
    posts = data.draw(counts(len(idx), 4, rows=True), label="counts")
    t = data.draw(st.floats(0.0, 1e4), label="t")
    state = fresh_state(
        post_load=data.draw(floats(n, 0.0, 50.0), label="post_load"),
        last_post_h=data.draw(floats(n, -1.0, 1e4, -np.inf), label="last_post_h"),
    )
    expected = as_lists(state)
    step = make_step(data, state, engine().params, t=t)
    step.apply(content.posted, idx, posts)
    for i, k in zip(idx.tolist(), posts.tolist(), strict=True):
        expected["post_load"][i] += k
        if k > 0:
            expected["last_post_h"][i] = t
    assert_state(state, expected)
    assert_flows(step.flows, {})


# --- 7.2 exposure and diffusion ---------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_notice_raises_awareness_per_exposure_and_charges_each_promotion_over_tolerance(data):
    params = draw_params(
        data, awareness_gain=None, promo_tolerance_per_day=6.0, overload_penalty=1.0, unfollow_prob=None
    )
    idx = data.draw(indices(N), label="idx")
    k = len(idx)
    promo = data.draw(counts(k, 4, rows=True), label="promo_times")
    times = promo + data.draw(counts(k, 3, rows=True), label="other_times")
    u = data.draw(uniforms(k, params.unfollow_prob), label="u_unfollow")
    tol = params.promo_tolerance_per_day
    state = fresh_state(
        awareness=data.draw(floats(N, 0.0, 1.0), label="awareness"),
        sentiment=data.draw(floats(N, -1.0, 1.0), label="sentiment"),
        promo_load=data.draw(floats(N, 0.0, 8.0, tol, tol - 1.0, tol - 0.5), label="promo_load"),
        follows=data.draw(flags(N), label="follows"),
    )
    expected = as_lists(state)
    follows_before = list(expected["follows"])
    step = make_step(data, state, params)
    step.apply(diffusion.notice, idx, times, promo, u)

    load_before, promos_seen, over, first_u = {}, {}, {}, {}
    for r, i in enumerate(idx.tolist()):
        if i not in first_u:  # the customer's first row: its load before the step's exposures, its uniform
            load_before[i], promos_seen[i], over[i], first_u[i] = expected["promo_load"][i], 0, 0, float(u[r])
        for _ in range(int(times[r])):
            expected["awareness"][i] = exposed(expected["awareness"][i], params.awareness_gain)
        for _ in range(int(promo[r])):  # the k-th promotional exposure is over when load_before + k > tolerance
            promos_seen[i] += 1
            margin = Fraction(load_before[i]) + promos_seen[i] - Fraction(tol)  # exactly
            assume(margin == 0 or abs(margin) > 1e-9)  # not a near tie that rounding decides
            if margin > 0:
                over[i] += 1
                expected["sentiment"][i] -= params.overload_penalty
        expected["promo_load"][i] += int(promo[r])
    unfollows = 0
    for i in first_u:  # each exposure over unfollows with unfollow_prob: one uniform decides
        if over[i] > 0 and follows_before[i] and first_u[i] < 1.0 - (1.0 - params.unfollow_prob) ** over[i]:
            expected["follows"][i] = False
            unfollows += 1
    assert_state(state, expected)
    assert_flows(step.flows, {"unfollows": unfollows})


@PROPERTY
@given(data=st.data())
def test_engage_lifts_sentiment_once_per_row_and_counts_every_engagement(data):
    idx = data.draw(indices(N), label="idx")
    lift = data.draw(floats(len(idx), -0.5, 0.5, 0.0, rows=True), label="lift")
    state = fresh_state(
        sentiment=data.draw(floats(N, -1.0, 1.0), label="sentiment"),
        follows=data.draw(flags(N), label="follows"),
    )
    expected = as_lists(state)
    step = make_step(data, state, engine().params)
    step.apply(diffusion.engage, idx, lift)
    by_followers = 0
    for i, x in zip(idx.tolist(), lift.tolist(), strict=True):
        expected["sentiment"][i] += x
        by_followers += expected["follows"][i]
    assert_state(state, expected)
    assert_flows(step.flows, {"engagements": len(idx), "engagements_by_followers": by_followers})


@PROPERTY
@given(data=st.data())
def test_follow_makes_every_non_follower_a_follower_counted_once(data):
    idx = data.draw(indices(N), label="idx")
    state = fresh_state(follows=data.draw(flags(N), label="follows"), churned=data.draw(flags(N), label="churned"))
    expected = as_lists(state)
    step = make_step(data, state, engine().params)
    step.apply(diffusion.follow, idx)
    new = 0
    for i in idx.tolist():
        if not expected["follows"][i]:
            expected["follows"][i] = True
            new += 1
    assert_state(state, expected)
    assert_flows(step.flows, {"new_followers": new})


@PROPERTY
@given(data=st.data())
def test_hear_share_gives_each_row_an_exposure_and_its_lift(data):
    params = draw_params(data, awareness_gain=None)
    idx = data.draw(indices(N), label="idx")
    lift = data.draw(floats(len(idx), 0.0, 0.5, rows=True), label="lift")
    state = fresh_state(
        awareness=data.draw(floats(N, 0.0, 1.0), label="awareness"),
        sentiment=data.draw(floats(N, -1.0, 1.0), label="sentiment"),
    )
    expected = as_lists(state)
    step = make_step(data, state, params)
    step.apply(diffusion.hear_share, idx, lift)
    for i, x in zip(idx.tolist(), lift.tolist(), strict=True):
        expected["awareness"][i] = exposed(expected["awareness"][i], params.awareness_gain)
        expected["sentiment"][i] += x
    assert_state(state, expected)
    assert_flows(step.flows, {})


@PROPERTY
@given(data=st.data())
def test_hear_negative_costs_each_row_the_hit_and_counts_a_negative_mention(data):
    params = draw_params(data, awareness_gain=None, negative_hit=1.0)
    idx = data.draw(indices(N), label="idx")
    state = fresh_state(
        awareness=data.draw(floats(N, 0.0, 1.0), label="awareness"),
        sentiment=data.draw(floats(N, -1.0, 1.0), label="sentiment"),
    )
    expected = as_lists(state)
    step = make_step(data, state, params)
    step.apply(diffusion.hear_negative, idx)
    for i in idx.tolist():
        expected["sentiment"][i] -= params.negative_hit
        expected["awareness"][i] = exposed(expected["awareness"][i], params.awareness_gain)
    assert_state(state, expected)
    assert_flows(step.flows, {"mentions_negative": len(idx)})


# --- 7.6.1 response to service ----------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_lose_patience_drops_each_row_and_returns_who_complains_in_public(data):
    params = draw_params(data, irate_drop=1.0, complaint_share=None)
    idx = data.draw(indices(N), label="idx")
    u = data.draw(uniforms(len(idx), params.complaint_share), label="u_complain")
    state = fresh_state(sentiment=data.draw(floats(N, -1.0, 1.0), label="sentiment"))
    expected = as_lists(state)
    step = make_step(data, state, params)
    complain = step.apply(response.lose_patience, idx, u)
    wanted = []
    for i, x in zip(idx.tolist(), u.tolist(), strict=True):
        expected["sentiment"][i] -= params.irate_drop
        wanted.append(x < params.complaint_share)
    assert_state(state, expected)
    np.testing.assert_array_equal(np.asarray(complain, dtype=bool), np.array(wanted, dtype=bool))
    assert_flows(step.flows, {"complaints_public": sum(wanted), "mentions_negative": sum(wanted)})


@pytest.mark.filterwarnings("ignore:overflow encountered in divide")  # lift_decay_hours near 0: no lift
@PROPERTY
@given(data=st.data())
def test_take_answer_lifts_or_drops_per_answer_and_converts_fast_resolutions(data):
    params = draw_params(
        data,
        answer_lift=1.0,
        lift_decay_hours=10.0,
        unresolved_drop=1.0,
        fast_answer_hours=10.0,
        advocate_conversion=None,
        advocate_margin=0.5,
        advocate_threshold=None,
    )
    idx = data.draw(indices(N), label="idx")
    k = len(idx)
    wait = data.draw(floats(k, 0.0, 20.0, params.fast_answer_hours, rows=True), label="wait")
    resolved = data.draw(flags(k, rows=True), label="resolved")
    u = data.draw(uniforms(k, params.advocate_conversion), label="u_convert")
    state = fresh_state(
        sentiment=data.draw(floats(N, -1.0, 1.0), label="sentiment"),
        follows=data.draw(flags(N), label="follows"),
        advocate=data.draw(flags(N), label="advocate"),
        was_answered=data.draw(flags(N), label="was_answered"),
    )
    expected = as_lists(state)
    step = make_step(data, state, params)
    step.apply(response.take_answer, idx, wait, resolved, u)
    floor = params.advocate_threshold + params.advocate_margin
    for r, i in enumerate(idx.tolist()):
        if resolved[r]:
            expected["sentiment"][i] += params.answer_lift * math.exp(-float(wait[r]) / params.lift_decay_hours)
        else:
            expected["sentiment"][i] -= params.unresolved_drop
        expected["was_answered"][i] = True
        if resolved[r] and wait[r] <= params.fast_answer_hours and u[r] < params.advocate_conversion:
            expected["sentiment"][i] = max(expected["sentiment"][i], floor)
            expected["follows"][i] = True
            expected["advocate"][i] = True
    assert_state(state, expected)
    assert_flows(step.flows, {})


@PROPERTY
@given(data=st.data())
def test_feel_ignored_drops_each_row_and_marks_the_customer_ignored(data):
    params = draw_params(data, ignored_drop=1.0)
    idx = data.draw(indices(N), label="idx")
    state = fresh_state(
        sentiment=data.draw(floats(N, -1.0, 1.0), label="sentiment"),
        was_ignored=data.draw(flags(N), label="was_ignored"),
    )
    expected = as_lists(state)
    step = make_step(data, state, params)
    step.apply(response.feel_ignored, idx)
    for i in idx.tolist():
        expected["sentiment"][i] -= params.ignored_drop
        expected["was_ignored"][i] = True
    assert_state(state, expected)
    assert_flows(step.flows, {"ignored": len(idx)})


# --- 7.6.2 customer dynamics ------------------------------------------------------------------


def threshold(stream: str, customer: int, event: int) -> float:
    """The customer's ``event``-th keyed unit exponential of ``stream`` (inverse CDF of its keyed uniform)."""
    u = keyed.uniform(engine().keys.key, keyed.stream_id(stream), np.array([customer]), event)[0]
    return -math.log1p(-float(u))


@settings(PROPERTY, max_examples=400)
@given(data=st.data())
def test_settle_drifts_churns_discovers_and_updates_advocacy_customer_by_customer(data):
    params = draw_params(
        data,
        sentiment_drift_per_day=None,
        sentiment_anchor_per_day=None,
        advocate_stubbornness=None,
        promo_load_decay_per_day=5.0,
        awareness_decay_per_day=None,
        churn_per_year=None,
        churn_sentiment_slope=5.0,
        discovery_per_day=2.0,
        non_follower_awareness_max=None,
        advocate_threshold=None,
        advocate_hysteresis=None,
        advocate_awareness_min=None,
    )
    params = dataclasses.replace(params, replace_churned=data.draw(st.booleans(), label="replace_churned"))
    dt = data.draw(DT, label="dt")
    everyone = data.draw(st.booleans(), label="everyone")
    idx = np.arange(N) if everyone else data.draw(indices(N), label="idx")
    k = len(idx)
    thr, hyst = params.advocate_threshold, params.advocate_hysteresis
    p_discover = params.discovery_per_day * dt / 24
    sentiments = (0.0, thr, thr - hyst, np.nextafter(thr, 2.0))
    sentiment = data.draw(floats(N, -1.0, 1.0, *sentiments), label="sentiment")
    at_baseline = data.draw(flags(N), label="at_baseline")  # no anchoring: an edge sentiment stays as it is
    state = fresh_state(
        sentiment=sentiment,
        baseline=np.where(at_baseline, sentiment, data.draw(floats(N, -1.0, 1.0, 0.0), label="baseline")),
        awareness=data.draw(floats(N, 0.0, 1.0, params.advocate_awareness_min), label="awareness"),
        promo_load=data.draw(floats(N, 0.0, 8.0), label="promo_load"),
        advocate=data.draw(flags(N), label="advocate"),
        follows=data.draw(flags(N), label="follows"),
        churned=data.draw(flags(N), label="churned"),
        was_answered=data.draw(flags(N), label="was_answered"),
        was_ignored=data.draw(flags(N), label="was_ignored"),
        churn_left=data.draw(st.one_of(floats(N, 0.0, 1e-3), floats(N, 0.0, 3.0)), label="churn_left"),
        discovery_left=data.draw(floats(N, 0.0, 0.2, p_discover, 2 * p_discover), label="discovery_left"),
        churns=data.draw(counts(N, 5), label="churns"),
        discoveries=data.draw(counts(N, 5), label="discoveries"),
        degree=np.where(data.draw(flags(N), label="isolated"), 0.0, engine().state.degree),
    )
    if everyone:
        idx = state.everyone  # the same array (the effect's whole-array path)
    neighbour_mean = data.draw(floats(k, -1.0, 1.0, rows=True), label="neighbour_mean")
    agree = data.draw(flags(k, rows=True), label="agree")  # rows whose neighbours agree: no social pull
    neighbour_mean = np.where(agree, sentiment[idx], neighbour_mean)
    state.churned_total = 7
    expected = as_lists(state)
    step = make_step(data, state, params, dt=dt)
    step.apply(customers.settle, idx, neighbour_mean)

    e = expected
    pull = 1.0 - kept(params.sentiment_drift_per_day, dt)
    anchor = 1.0 - kept(params.sentiment_anchor_per_day, dt)
    hazard = -math.log1p(-params.churn_per_year) / (365.0 * 24.0)  # per hour at neutral sentiment
    flows = dict.fromkeys(("new_followers", "churned", "churned_ignored", "churned_answered"), 0)
    flows.update(ignored_customer_hours=0.0, answered_customer_hours=0.0)
    for r, i in enumerate(idx.tolist()):
        x = e["sentiment"][i]  # drift toward the neighbours (an advocate resists) and the baseline, in [-1, 1]
        social = pull * (1.0 - params.advocate_stubbornness * e["advocate"][i]) * (neighbour_mean[r] - x)
        social = social if state.degree[i] > 0 else 0.0
        e["sentiment"][i] = min(max(x + social + anchor * (e["baseline"][i] - x), -1.0), 1.0)
        e["promo_load"][i] *= kept(params.promo_load_decay_per_day, dt)
        e["awareness"][i] *= kept(params.awareness_decay_per_day, dt)
        present, leave = not e["churned"][i], False
        if present:  # churn when the step's churn probabilities add up past the keyed threshold
            e["churn_left"][i] -= hazard * dt * math.exp(-params.churn_sentiment_slope * e["sentiment"][i])
            leave = e["churn_left"][i] <= 0.0
        ignored = e["was_ignored"][i]
        answered = e["was_answered"][i] and not ignored
        flows["ignored_customer_hours"] += dt if present and ignored else 0.0
        flows["answered_customer_hours"] += dt if present and answered else 0.0
        if present and not leave and not e["follows"][i]:  # discovery, likewise
            e["discovery_left"][i] -= p_discover
            if e["discovery_left"][i] <= 0.0:
                e["follows"][i] = True
                flows["new_followers"] += 1
                e["discoveries"][i] += 1
                e["discovery_left"][i] = threshold("discovery", i, e["discoveries"][i])
        if leave:
            flows["churned"] += 1
            flows["churned_ignored"] += ignored
            flows["churned_answered"] += answered
            e["follows"][i] = e["advocate"][i] = False
            e["churns"][i] += 1
            e["churn_left"][i] = threshold("churn", i, e["churns"][i])
            e["churned_total"] += 1
            if params.replace_churned:  # a newcomer of the same disposition
                e["sentiment"][i] = e["baseline"][i]
                e["awareness"][i] = params.non_follower_awareness_max / 2
                e["promo_load"][i] = 0.0
                e["was_ignored"][i] = e["was_answered"][i] = False
            else:
                e["churned"][i] = True
                e["churned_count"] += 1
                present = False
        s, a = e["sentiment"][i], e["awareness"][i]
        stays = e["advocate"][i] and s >= thr - hyst
        becomes = s > thr and a > params.advocate_awareness_min
        e["advocate"][i] = (stays or becomes) and present
    assert_state(state, expected)
    assert_flows(step.flows, flows)


# --- 7.8 people -------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_develop_trains_social_staff_moves_motivation_and_fades_the_posting_load(data):
    n = len(engine().state.skill)
    params = draw_params(
        data,
        training_gain_per_day=None,
        rewards_gain_per_day=1.0,
        quota_drain_per_day=1.0,
        overload_drain_per_day=1.0,
        change_resistance_per_day=1.0,
        recovery_per_day=None,
        motivation_mean=None,
        non_social_motivation_weight=None,
        post_load_decay_per_day=5.0,
    )
    programme = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))
    params = dataclasses.replace(
        params,
        training=data.draw(programme, label="training"),
        rewards=data.draw(programme, label="rewards"),
        quota=data.draw(programme, label="quota"),
        social_staff=data.draw(floats(n, 0.0, 1.0), label="social_staff"),
    )
    dt = data.draw(DT, label="dt")
    everyone = data.draw(st.booleans(), label="everyone")
    state = fresh_state(
        skill=data.draw(floats(n, 0.0, 1.0), label="skill"),
        motivation=data.draw(floats(n, 0.0, 1.0), label="motivation"),
        post_load=data.draw(floats(n, 0.0, 50.0), label="post_load"),
    )
    idx = state.employees if everyone else data.draw(indices(n), label="idx")
    overloaded = data.draw(array(np.float64, len(idx), st.sampled_from([0.0, 1.0]), True), label="overloaded")
    adopting = data.draw(array(np.float64, len(idx), st.sampled_from([0.0, 1.0]), True), label="adopting")
    expected = as_lists(state)
    step = make_step(data, state, params, dt=dt)
    step.apply(people.develop, idx, overloaded, adopting)
    p, day = params, dt / 24.0
    for r, i in enumerate(idx.tolist()):
        social = float(p.social_staff[i])
        skill, m = expected["skill"][i], expected["motivation"][i]
        expected["skill"][i] = skill + p.training * p.training_gain_per_day * day * (1.0 - skill) * social
        change = (
            p.rewards * p.rewards_gain_per_day
            - p.quota * p.quota_drain_per_day
            - overloaded[r] * p.overload_drain_per_day
            - adopting[r] * p.change_resistance_per_day
            + p.recovery_per_day * (p.motivation_mean - m)
        )
        expected["motivation"][i] = min(max(m + change * day * max(social, p.non_social_motivation_weight), 0.0), 1.0)
        expected["post_load"][i] *= kept(p.post_load_decay_per_day, dt)
    assert_state(state, expected)
    assert_flows(step.flows, {})


# --- 7.9 crises -------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_take_hit_costs_each_row_the_hit_and_counts_a_negative_mention(data):
    params = draw_params(data, negative_hit=1.0)
    idx = data.draw(indices(N, max_rows=80), label="idx")
    state = fresh_state(sentiment=data.draw(floats(N, -1.0, 1.0), label="sentiment"))
    expected = as_lists(state)
    step = make_step(data, state, params)
    step.apply(crisis.take_hit, idx)
    for i in idx.tolist():
        expected["sentiment"][i] -= params.negative_hit
    assert_state(state, expected)
    assert_flows(step.flows, {"mentions_negative": len(idx)})


def test_every_effect_has_a_property_test():
    """A new effect needs its own test here: the effects of the step core are exactly these."""
    found = set()
    for info in pkgutil.iter_modules(simulation.core.__path__):
        module = importlib.import_module(f"simulation.core.{info.name}")
        for name, value in inspect.getmembers(module, inspect.isfunction):
            if hasattr(value, "population") and value.__module__ == module.__name__:
                found.add(name)
    tested = {
        "posted", "notice", "engage", "follow", "hear_share", "hear_negative", "lose_patience", "take_answer",
        "feel_ignored", "settle", "develop", "take_hit",
    }  # fmt: skip
    assert found == tested
