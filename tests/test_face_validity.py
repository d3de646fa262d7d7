"""MODEL.md's face-validity patterns, each over a few paired seeds (common random numbers)."""

import functools
import json
import warnings

import numpy as np
import pytest

from simulation import build_config, run

SEEDS = (11, 12, 13)
BASE = {"customers": {"count": 2000}, "simulation": {"steps": 720}}  # one month, 2,000 customers


def mean_kpis(raw: dict, seeds=SEEDS) -> dict[str, float]:
    """Each KPI's mean over ``seeds`` (several patterns share a configuration: it runs once per process)."""
    return dict(_mean_kpis(json.dumps(raw, sort_keys=True), tuple(seeds)))


@functools.cache
def _mean_kpis(raw_json: str, seeds: tuple[int, ...]) -> dict[str, float]:
    cfg = build_config({**BASE, **json.loads(raw_json)})
    runs = [run(cfg, seed=s).summary for s in seeds]
    with warnings.catch_warnings():  # all-NaN KPIs (e.g. no crisis to contain) stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return {k: float(np.nanmean([r[k] for r in runs])) for k in runs[0]}


def model(name: str, **sections) -> dict:
    raw = {"organization": {"model": name}}
    for section, values in sections.items():
        raw.setdefault(section, {}).update(values)
    return raw


@pytest.mark.slow
def test_more_silo_means_slower_less_complete_support_and_fewer_ideas():
    low = mean_kpis(model("centralized", organization={"silo_strength": 0.1}))
    high = mean_kpis(model("centralized", organization={"silo_strength": 0.95}))
    assert high["first_response_median_min"] > low["first_response_median_min"]
    assert high["resolution_rate"] < low["resolution_rate"]
    assert high["ideas_captured"] < low["ideas_captured"]
    assert high["handoffs_lost"] > low["handoffs_lost"]
    assert high["silo_index"] > low["silo_index"]


@pytest.mark.slow
def test_democratized_without_training_more_volume_more_gaffes_less_consistency():
    untrained = mean_kpis(model("democratized", people={"training": False}, content={"guidelines": False}))
    trained = mean_kpis(model("democratized"))
    central = mean_kpis(model("centralized"))
    assert untrained["posts"] > central["posts"]
    assert untrained["gaffes"] > trained["gaffes"]
    assert untrained["brand_consistency"] < trained["brand_consistency"]


@pytest.mark.slow
def test_democratized_with_training_has_most_reach_and_participation():
    trained = mean_kpis(model("democratized"))
    for other in ("centralized", "task_force", "center_of_excellence", "agency_led"):
        kpis = mean_kpis(model(other))
        assert trained["reach"] > kpis["reach"], other
        assert trained["participation"] > kpis["participation"], other


@pytest.mark.slow
def test_center_of_excellence_close_to_task_force_and_far_from_centralized():
    coe = mean_kpis(model("center_of_excellence"))
    tf = mean_kpis(model("task_force"))
    central = mean_kpis(model("centralized"))
    assert coe["brand_consistency"] >= tf["brand_consistency"] - 0.05
    assert abs(coe["resolution_rate"] - tf["resolution_rate"]) < 0.1
    assert coe["resolution_rate"] > central["resolution_rate"] + 0.15
    assert coe["first_response_median_min"] < central["first_response_median_min"]
    assert coe["reach"] > tf["reach"]  # CoE spokes in every department reach further


@pytest.mark.slow
def test_quotas_raise_volume_and_lower_quality_and_engagement_per_post():
    free = mean_kpis(model("democratized"))
    quota = mean_kpis(model("democratized", content={"quota": True}))
    assert quota["posts"] > free["posts"]
    assert quota["post_quality_mean"] < free["post_quality_mean"]
    assert quota["engagement_rate_pct"] < free["engagement_rate_pct"]


@pytest.mark.slow
def test_relating_content_out_engages_promoting():
    relating = mean_kpis(model("centralized", content={"promo_share": 0.0}))
    promoting = mean_kpis(model("centralized", content={"promo_share": 1.0}))
    assert relating["engagement_rate_pct"] > promoting["engagement_rate_pct"]
    assert relating["reshares"] > promoting["reshares"]
