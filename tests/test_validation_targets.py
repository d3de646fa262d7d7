"""MODEL.md's validation targets: the reference scenarios land inside every published band.

One row per line of MODEL.md's "Validation targets" table: the scenario, the KPI, the band
and its source. Each KPI is the mean over ``SEEDS`` (ten) full-size runs (a quarter,
10,000 customers), and its 95% interval must lie inside the band; the churn ratio pools
thirty runs' customers, since few customers churn in a quarter.
docs/ODD.md "Validation against published figures" lists the values measured here.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from simulation import load_scenario, run
from simulation.scenario.presets import builtin_presets

SCENARIOS = Path(__file__).parent.parent / "scenarios"
SEEDS = tuple(range(1, 11))
CHURN_SEEDS = tuple(range(1, 31))  # churn events are few: the hazard ratio pools thirty quarters

TARGETS = [
    # scenario, KPI, low, high, source
    ("typical_brand", "response_rate", 0.08, 0.25, "Sprout Social Index 2013 / Q2 2016"),
    ("typical_brand", "first_response_mean_h", 6.0, 16.0, "Sprout Social Index 2013 / Q2 2016"),
    ("typical_brand", "promo_posts_per_reply", 10.0, 40.0, "Sprout Social Index (~23 promotional per reply)"),
    ("dedicated_care_team", "first_response_median_min", 10.0, 45.0, "Twitter 2016 airline study (~22 min)"),
    ("dedicated_care_team", "complaint_response_rate", 0.30, 0.70, "Gunarathne, Rui & Seidmann 2018 (< half)"),
    pytest.param(
        "centralized",
        "churn_ignored_over_answered",
        1.05,
        1.30,
        "Gartner 2012 (up to 15% more churn)",
        marks=pytest.mark.xfail(
            strict=True,
            reason="30 pooled quarters give 1.21 [1.12, 1.31]: the interval reaches past the band's top; the "
            "churn response to being ignored (support.ignored_drop) is not yet sourced against this figure",
        ),
    ),
]


CHURN_FLOWS = ["churned_ignored", "ignored_customer_hours", "churned_answered", "answered_customer_hours"]


@functools.cache
def runs(scenario: str, seeds: tuple[int, ...] = SEEDS) -> tuple[tuple[dict[str, float], dict[str, float]], ...]:
    """Each seed's summary, and its churn flows summed over the run."""
    config = load_scenario(SCENARIOS / f"{scenario}.toml")
    out = []
    for seed in seeds:
        result = run(config, seed=seed)
        out.append((result.summary, result.timeseries[CHURN_FLOWS].sum().to_dict()))
    return tuple(out)


def summaries(scenario: str) -> list[dict[str, float]]:
    return [summary for summary, _ in runs(scenario)]


def pooled_churn_ratio(scenario: str) -> tuple[float, float, float]:
    """Churn hazard of ignored customers over that of answered ones, events and exposure pooled over seeds.

    With its 95% interval: the log of a ratio of two Poisson rates has standard error
    sqrt(1/a + 1/b) for a and b events.
    """
    totals = {name: sum(flows[name] for _, flows in runs(scenario, CHURN_SEEDS)) for name in CHURN_FLOWS}
    ignored = totals["churned_ignored"] / totals["ignored_customer_hours"]
    ratio = float(ignored / (totals["churned_answered"] / totals["answered_customer_hours"]))
    half = 1.96 * math.sqrt(1 / totals["churned_ignored"] + 1 / totals["churned_answered"])
    return ratio, ratio * math.exp(-half), ratio * math.exp(half)


def mean_interval(values: list[float]) -> tuple[float, float, float]:
    """The mean of the seeds and its 95% Student-t interval."""
    v = np.asarray(values, dtype=float)
    half = scipy.stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "kpi", "low", "high", "source"), TARGETS)
def test_reference_scenario_lands_in_the_published_band(scenario, kpi, low, high, source):
    """The mean's 95% interval lies inside the band, not only the mean."""
    if kpi == "churn_ignored_over_answered":
        value, lo, hi = pooled_churn_ratio(scenario)
    else:
        value, lo, hi = mean_interval([s[kpi] for s in summaries(scenario)])
    assert low <= lo and hi <= high, (
        f"{scenario} {kpi} = {value:.3g} [{lo:.3g}, {hi:.3g}], not inside [{low}, {high}] ({source})"
    )


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(builtin_presets()))
def test_every_preset_engagement_in_the_rival_iq_band(preset):
    """Any preset, Facebook-like defaults: engagements per post / followers in 0.03%-0.12% (Rival IQ 2023)."""
    config = load_scenario(SCENARIOS / "_baseline.toml", [f'organization.model="{preset}"', "customers.count=3000",
                                                          "simulation.steps=720"])  # fmt: skip
    value = float(np.mean([run(config, seed=seed).summary["engagement_rate_pct"] for seed in SEEDS]))
    assert 0.03 <= value <= 0.12, f"{preset}: {value:.3f}% of followers per post (Rival IQ 2023: 0.03-0.12%)"
