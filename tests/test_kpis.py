"""KPIs: one formula each, the same floats while the run goes and at its end, against a plain pandas reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation import SocialMediaOrgModel, build_config, run
from simulation.core.flows import FLOWS, median, quantile, voice_shares
from simulation.engines.mesa_model import COLLECTED
from simulation.outputs.kpis import (
    HEADLINE,
    STEP_COLUMNS,
    SUMMARY,
    RunSoFar,
    all_kpis,
    format_value,
    kpi_table,
    register_kpi,
)

CHECKPOINTS = (1, 17, 40, 73, 100)  # before and after the crisis and the change of org model
CHANGES = (
    {"step": 30, "action": "crisis", "size": 15},
    {"step": 50, "action": "change_org_model", "model": "task_force", "adoption_lag_steps": 12},
)


def eventful(engine: str = "vectorized", steps: int = max(CHECKPOINTS)) -> object:
    """A CoE company with a crisis and a change of org model: inquiries, hand-offs, a crisis and ideas happen."""
    return build_config(
        {
            "customers": {"count": 300},
            "simulation": {"steps": steps, "engine": engine},
            "organization": {"model": "center_of_excellence"},
            "interventions": [change for change in CHANGES if change["step"] < steps],  # those due by then
        }
    )


def quiet(engine: str = "vectorized", steps: int = max(CHECKPOINTS)) -> object:
    """A centralized company on its defaults."""
    return build_config({"customers": {"count": 300}, "simulation": {"steps": steps, "engine": engine}})


def identical(a: float, b: float) -> bool:
    """The same float (NaN equals NaN)."""
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize(
    ("make", "engine", "seed"),
    [(eventful, "vectorized", 3), (eventful, "agents", 3), (quiet, "vectorized", 8)],
    ids=["eventful", "eventful-agents", "quiet"],
)
def test_running_value_after_t_steps_is_the_summary_of_a_t_step_run(make, engine, seed):
    config = make(engine)
    model = SocialMediaOrgModel(config, seed, agent_views=False, collect=False)
    for t in range(1, max(CHECKPOINTS) + 1):
        model.step()
        if t not in CHECKPOINTS:
            continue
        so_far = model.so_far.values()
        summary = run(make(engine, steps=t), seed).summary  # a separate run of exactly t steps
        assert set(SUMMARY) <= set(so_far)
        # exactly the same floats: both sides reduce the same arrays in the same order
        wrong = {k: (so_far[k], summary[k]) for k in SUMMARY if not identical(so_far[k], summary[k])}
        assert not wrong, f"t={t}: {wrong}"
    if config.interventions:  # the run exercised what the KPIs count
        for name in ("resolution_rate", "handoffs", "crises", "first_response_p90_min", "ideas_raised"):
            assert summary[name] > 0, name
    model.release()


def test_datacollector_records_the_running_values():
    config = eventful()
    model = SocialMediaOrgModel(config, 3, agent_views=False)
    for _ in range(40):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == list(COLLECTED)
    summary, ts = model.result().summary, model.result().timeseries
    for name in COLLECTED:
        if name in SUMMARY:
            assert identical(frame[name].iloc[-1], summary[name]), name
    assert frame["inquiries"].iloc[-1] == ts["inquiries"].sum() > 0
    assert frame["resolved"].iloc[-1] == ts["resolved"].sum()
    model.release()


def reference_summary(ts: pd.DataFrame, inq: pd.DataFrame, end: dict[str, float]) -> dict[str, float]:
    """Every KPI written out plainly in pandas over the finished frames (an independent reference)."""

    def ratio(a, b):
        return a / b if b else math.nan

    def q(values, p):
        return float(np.quantile(values, p)) if len(values) else math.nan

    tot = ts[list(FLOWS)].sum()
    answered = inq[np.isfinite(inq.t_end)]
    resolved = answered[answered.resolved]
    first = (answered.t_start - answered.t_raise).to_numpy()
    resolution = (resolved.t_end - resolved.t_raise).to_numpy()
    threads = 2 + (answered.detector != answered.owner).astype(int) + 2 * (~answered.resolved).astype(int)
    complaints = inq.kind_name == "service_complaint"
    return {
        "mentions_own": tot.mentions_positive + tot.mentions_negative + tot.mentions_neutral,
        "mentions_positive": tot.mentions_positive,
        "mentions_negative": tot.mentions_negative,
        **voice_shares(tot),
        "reshares": tot.reshares,
        **{k: end[k] for k in ("advocates", "advocate_share", "reach", "awareness_mean", "sentiment_mean")},
        **{k: end[k] for k in ("followers", "churn_rate", "crisis_containment_h", "motivation_mean", "skill_mean")},
        "engagement_rate_pct": 100 * ratio(tot.engagements_by_followers, (ts.posts * ts.followers).sum()),
        "interactions_per_post": ratio(tot.engagements + tot.reshares, tot.posts),
        "thread_length_msgs": threads.mean() if len(answered) else math.nan,
        "detection_rate": ratio(tot.detected, tot.inquiries),
        "response_rate": ratio(len(answered), len(inq)),
        "resolution_rate": ratio(len(resolved), len(inq)),
        "first_response_median_min": 60 * q(first, 0.5),
        "first_response_p90_min": 60 * q(first, 0.9),
        "first_response_mean_h": first.mean() if len(first) else math.nan,
        **wait_parts_reference(answered),
        "complaint_response_rate": ratio((answered.kind_name == "service_complaint").sum(), complaints.sum()),
        "ignored_share": ratio(tot.ignored, tot.inquiries),
        "promo_posts_per_reply": ratio(tot.posts_promoting, len(answered)),
        "resolution_median_h": q(resolution, 0.5),
        "resolution_p90_h": q(resolution, 0.9),
        "answered_within_1h_share": ratio((first <= 1.0).sum(), len(inq)),
        "handoffs": tot.handoffs,
        "handoffs_lost": tot.handoffs_lost,
        "handoff_loss_rate": ratio(tot.handoffs_lost, tot.handoffs),
        "irate_share": ratio(tot.irate, tot.inquiries),
        "ideas_raised": tot.ideas_raised,
        "ideas_captured": tot.ideas_captured,
        "ideas_implemented": tot.ideas_implemented,
        "idea_capture_rate": ratio(tot.ideas_captured, tot.ideas_raised),
        "impressions": tot.impressions,
        "retention_rate": 1.0 - end["churn_rate"],
        "churn_ignored_over_answered": ratio(
            ratio(tot.churned_ignored, tot.ignored_customer_hours),
            ratio(tot.churned_answered, tot.answered_customer_hours),
        )
        if tot.churned_ignored > 0 and tot.churned_answered > 0
        else math.nan,
        "posts": tot.posts,
        "promo_share_actual": ratio(tot.posts_promoting, tot.posts),
        "gaffes": tot.gaffes,
        "crises": tot.crises_started,
        "brand_consistency": ratio(tot.posts_on_brand, tot.posts),
        "post_quality_mean": ratio(tot.quality_sum, tot.posts),
        "participation": ts.participation.mean(),
        "staff_hours": tot.staff_hours,
        "cost_total": tot.cost,
        "cost_per_resolution": ratio(tot.cost, len(resolved)),
        "utilisation": ratio(tot.busy_hours, tot.staff_hours),
        "reply_value": tot.value_replies,
        "value_total": tot.value_replies + tot.value_customers,
        "net_value": tot.value_replies + tot.value_customers - tot.cost,
        "silo_index": ts.silo_index.mean(),
    }


def wait_parts_reference(answered: pd.DataFrame) -> dict[str, float]:
    """The four parts of the first response, row by row in plain Python, then averaged."""
    parts = {"detection": [], "handoff": [], "off_duty": [], "queue": []}
    for row in answered.itertuples():
        parts["detection"].append(row.t_queue - row.t_raise - row.handoff_hours)
        parts["handoff"].append(row.handoff_hours)
        parts["off_duty"].append(row.off_duty_h)
        parts["queue"].append(row.t_start - row.t_queue - row.off_duty_h)
    return {f"first_response_{k}_h": float(np.mean(v)) if v else math.nan for k, v in parts.items()}


@pytest.mark.parametrize(("config", "seed"), [(eventful(), 3), (quiet(), 8)], ids=["eventful", "quiet"])
def test_every_formula_matches_a_plain_pandas_reference(config, seed):
    from simulation.engines.build import build_engine

    engine = build_engine(config, seed)
    for _ in range(config.simulation.steps):
        engine.step()
    result = run(config, seed)
    reference = reference_summary(result.timeseries, result.inquiries, engine.end_stocks())
    assert set(reference) == set(SUMMARY)
    wrong = {k: (result.summary[k], float(v)) for k, v in reference.items() if not identical(result.summary[k], v)}
    assert not wrong


def test_quantile_of_sorted_values_is_numpys_to_the_bit():
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 4, 5, 11, 100, 1000, 1001):
        for values in (rng.exponential(3.0, n), rng.integers(0, 4, n).astype(float), np.full(n, 0.7)):
            ordered = np.sort(values)
            for q in (0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0):
                assert quantile(ordered, q) == float(np.quantile(values, q)), (n, q)
            assert median(values) == float(np.median(values)), n
    assert math.isnan(quantile(np.empty(0), 0.5)) and math.isnan(median(np.empty(0)))


def test_public_kpi_api():
    assert set(HEADLINE) <= set(SUMMARY) and all(k.formula is not None for k in SUMMARY.values())
    kpi = register_kpi("test_kpis_posts_twice", lambda result: 2 * result.summary["posts"], "twice the posts")
    try:
        assert all_kpis()["test_kpis_posts_twice"] is kpi and kpi.formula is None
        result = run(quiet(steps=5))
        assert result.summary["test_kpis_posts_twice"] == 2 * result.summary["posts"]
    finally:
        from simulation import kpis

        kpis._USER_KPIS.pop("test_kpis_posts_twice")
    assert format_value(math.nan) == "-" and format_value(1234.5) == "1,234"
    assert list(kpi_table({"a": {"posts": 1.0}, "b": {"posts": 2.0}}, ["posts"]).columns) == ["a", "b"]


def test_an_order_dependent_sum_follows_the_log_order():
    # the running summary holds inquiries closed first; the log sorts them by raise time; float sums depend on order
    rng = np.random.default_rng(1)
    n = 200
    t_raise = np.sort(rng.uniform(0, 100, n))
    log = {
        "t_raise": t_raise,
        "t_start": t_raise + 10.0 ** rng.uniform(-6, 6, n),  # waits over 12 orders of magnitude
        "t_end": np.where(rng.random(n) < 0.8, t_raise + 1e7, np.inf),
        "resolved": rng.random(n) < 0.5,
        "detector": rng.integers(-1, 3, n).astype(np.int16),
        "owner": rng.integers(0, 3, n).astype(np.int16),
        "kind": rng.integers(0, 4, n).astype(np.int8),
    }
    log["off_duty_h"] = (log["t_start"] - t_raise) * rng.uniform(0, 0.5, n)
    log["handoff_hours"] = (log["t_start"] - t_raise) * rng.uniform(0, 0.3, n)
    log["t_queue"] = t_raise + log["handoff_hours"] + (log["t_start"] - t_raise) * rng.uniform(0, 0.2, n)
    permutation = rng.permutation(n)
    shuffled = {name: column[permutation] for name, column in log.items()}
    steps = {name: np.ones(3) for name in STEP_COLUMNS}
    end = dict.fromkeys(("advocates", "reach"), 1.0)
    in_order = RunSoFar(steps.__getitem__, log.__getitem__, end)
    held = RunSoFar(
        steps.__getitem__, shuffled.__getitem__, end, log_order=lambda: np.argsort(shuffled["t_raise"], kind="stable")
    )
    answered = np.isfinite(shuffled["t_end"])
    naive = (shuffled["t_start"] - shuffled["t_raise"])[answered].mean()
    assert naive != in_order.kpi("first_response_mean_h")  # the order matters for these values
    for name, kpi in SUMMARY.items():
        if kpi.group in ("support", "dialogue"):
            assert identical(held.kpi(name), in_order.kpi(name)), name


@pytest.mark.parametrize(("ignored", "answered", "defined"), [(0, 5, False), (3, 0, False), (3, 5, True)])
def test_the_churn_ratio_is_undefined_without_a_churn_event_in_both_groups(ignored, answered, defined):
    steps = {name: np.zeros(4) for name in STEP_COLUMNS}
    steps["churned_ignored"][1], steps["churned_answered"][2] = ignored, answered
    steps["ignored_customer_hours"][:] = steps["answered_customer_hours"][:] = 100.0
    log = {name: np.zeros(0) for name in ("t_raise", "t_start", "t_end", "resolved", "detector", "owner", "kind")}
    so_far = RunSoFar(steps.__getitem__, log.__getitem__, dict.fromkeys(("advocates", "reach"), 1.0))
    value = so_far.kpi("churn_ignored_over_answered")
    assert (value == pytest.approx(ignored / answered)) if defined else math.isnan(value)
