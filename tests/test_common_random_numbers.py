"""Keyed random numbers make paired runs share what the designs share (common random numbers).

Each test would fail if keying broke: a draw taken from a stream in the order code asks
for it, instead of from its own key, shifts every later draw as soon as one design takes
one more (ODD 7, "Stochasticity").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import build_config, run
from simulation.core import keyed
from simulation.core.needs import ARRIVALS

SMALL = {"customers": {"count": 800}, "simulation": {"steps": 336}}
DESIGNS = {
    "centralized": {"organization": {"model": "centralized"}},
    "center_of_excellence": {"organization": {"model": "center_of_excellence"}},
    "democratized, more posts": {"organization": {"model": "democratized"}, "content": {"posts_per_poster_per_day": 4}},
}


NO_INNOVATION = {"innovation": {"problem_reduction": 0.0}}  # implemented ideas would change the inquiry rate


def inquiries(design: dict, seed: int = 5, extra: dict | None = None) -> pd.DataFrame:
    result = run(build_config({**SMALL, **(NO_INNOVATION if extra is None else extra), **design}), seed=seed)
    return result.inquiries.set_index(["customer", "seq"]).sort_index()


def test_a_customer_raises_the_same_inquiries_at_the_same_times_with_the_same_patience_under_any_design():
    tables = {name: inquiries(design) for name, design in DESIGNS.items()}
    first = tables["centralized"]
    assert len(first) > 50
    for name, table in tables.items():
        common = first.index.intersection(table.index)
        assert len(common) >= 0.9 * min(len(first), len(table)), name  # churn may end a few customers' sequences
        for column in ("t_raise", "kind", "patience", "service_h", "u_resolve", "expects_reply"):
            np.testing.assert_array_equal(first.loc[common, column], table.loc[common, column], err_msg=(name, column))
    # and the designs do differ where they should: who detects, when answered
    assert not first["detector"].equals(tables["center_of_excellence"]["detector"])


def test_fewer_technical_problems_move_the_same_inquiries_a_little_instead_of_redrawing_them():
    """Implemented ideas cut the inquiry rate: later inquiries come a little later, the same ones."""
    plain = inquiries(DESIGNS["centralized"], extra={})
    coe = inquiries(DESIGNS["center_of_excellence"], extra={})  # captures more ideas
    common = plain.index.intersection(coe.index)
    shift = coe.loc[common, "t_raise"] - plain.loc[common, "t_raise"]
    assert (shift >= 0).all() and shift.max() > 0  # a lower rate: the clock reaches each threshold later
    assert (shift < 0.01 * plain.loc[common, "t_raise"] + 1.0).all()  # by a little
    np.testing.assert_array_equal(plain.loc[common, "patience"], coe.loc[common, "patience"])


def test_another_seed_gives_other_inquiries():
    a, b = inquiries(DESIGNS["centralized"], 5), inquiries(DESIGNS["centralized"], 6)
    assert len(a) > 50 and len(b) > 50
    common = a.index.intersection(b.index)
    assert len(common) < 0.5 * len(a) or not np.array_equal(a.loc[common, "t_raise"], b.loc[common, "t_raise"])


def test_inquiry_arrivals_are_the_customers_keyed_exponentials_on_the_time_changed_clock():
    """The k-th inquiry of customer i comes when activity_i x the cumulated rate passes its first k+1 exponentials."""
    config = build_config({**SMALL, "customers": {"count": 300, "activity_sigma": 0.0}})  # activity 1 for all
    result = run(config, seed=9)
    rate = config.customers.inquiry_rate_per_day / 24 * sum(config.customers.inquiry_mix.values())
    key = keyed.run_key(9)
    table = result.inquiries.sort_values(["customer", "seq"])
    for customer, rows in list(table.groupby("customer"))[:40]:
        k = np.arange(len(rows) + 0)
        gaps = keyed.exponential(keyed.uniform(key, keyed.stream_id(ARRIVALS), np.full(len(k), customer), k))
        expected = np.cumsum(gaps) / rate  # hours (the rate is constant: no innovation in 2 weeks at this size)
        np.testing.assert_allclose(rows["t_raise"].to_numpy(), expected, rtol=1e-9, err_msg=str(customer))
        assert rows["seq"].tolist() == list(range(len(rows)))


def test_arrivals_are_poisson_in_the_long_run():
    """Inquiries per customer-hour match the rate (the time change keeps the Poisson process)."""
    config = build_config({"customers": {"count": 2000, "activity_sigma": 0.0}, "simulation": {"steps": 720}})
    counts = [len(run(config, seed=seed).inquiries) for seed in (1, 2, 3)]
    rate = config.customers.inquiry_rate_per_day / 24 * sum(config.customers.inquiry_mix.values())
    expected = rate * 2000 * 720  # active customers: churn removes none (replaced)
    assert abs(np.mean(counts) - expected) < 4 * np.sqrt(expected / 3)


def test_churn_is_the_hazard_over_time_with_no_sentiment_slope():
    """Keyed churn thresholds: with a constant hazard h, churn events per customer over T hours are h T."""
    config = build_config(
        {
            "customers": {"count": 4000, "churn_sentiment_slope": 0.0, "churn_per_year": 0.5},
            "simulation": {"steps": 1000},
        }
    )
    hazard = -np.log1p(-0.5) / (365 * 24)
    events = [run(config, seed=seed).timeseries["churned"].sum() for seed in (1, 2)]
    expected = hazard * 1000 * 4000
    assert abs(np.mean(events) - expected) < 4 * np.sqrt(expected / 2)


def test_churn_keeps_its_customers_when_a_design_changes_nothing_they_feel():
    """A lever that changes no customer's sentiment (posting volume with nobody following) churns the same customers."""
    base = {
        **SMALL,
        "customers": {"count": 800, "follower_share": 0.0, "follow_prob": 0.0},
        "content": {"guidelines": False},
    }
    quiet = {**base, "customers": {**base["customers"], "discovery_per_day": 0.0}}
    a = run(build_config(quiet), seed=3).timeseries["churned"]
    more = {**quiet, "content": {"guidelines": False, "posts_per_poster_per_day": 3.0}}
    b = run(build_config(more), seed=3).timeseries["churned"]
    assert a.sum() > 0
    assert a.sum() == pytest.approx(b.sum(), abs=2)


def test_a_cascade_edge_fires_on_its_own_uniform():
    """The same edge's uniform whatever order the frontier visits it in, and whatever else is drawn before."""
    from simulation.core.diffusion import NEGATIVE, NEGATIVE_KINDS, keyed_edges
    from simulation.core.effects import Step

    keys = keyed.Keys(4)
    step = Step(None, None, {}, 0.0, 1.0, keys=keys, index=17)
    draw = keyed_edges(step, NEGATIVE, NEGATIVE_KINDS.index("gaffe"))
    edges = np.array([5, 80, 13])
    np.testing.assert_array_equal(draw(edges)[[2, 0]], draw(np.array([13, 5])))
    other_kind = keyed_edges(step, NEGATIVE, NEGATIVE_KINDS.index("crisis"))
    assert not np.array_equal(draw(edges), other_kind(edges))


def test_each_inquirys_patience_is_its_keyed_exponential_times_its_kinds_mean():
    """Patience = -log(1 - u) x mean patience of its kind (complaints shorter) x patience_scale, u the inquiry's own."""
    from simulation.core.needs import INQUIRY, SLOTS

    config = build_config({**SMALL, "customers": {"count": 800, "inquiry_rate_per_day": 0.05}})
    table = run(config, seed=11).inquiries
    assert set(table.kind_name) == {"product_question", "technical_problem", "service_complaint", "idea"}
    key = keyed.run_key(11)
    u = keyed.uniform(key, keyed.stream_id(INQUIRY), table.customer.to_numpy(), table.seq.to_numpy(), SLOTS["patience"])
    c = config.customers
    mean = np.where(table.kind_name == "service_complaint", c.complaint_patience_hours, c.patience_hours)
    np.testing.assert_allclose(table.patience, -np.log1p(-u) * mean * c.patience_scale, rtol=1e-12)
