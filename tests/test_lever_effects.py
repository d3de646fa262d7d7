"""Every lever moves an outcome in the direction its mechanism says, beyond seed noise (paired seeds).

One row per lever (``role="lever"``): the change the test makes, and the outcome KPIs it must
move, each with the direction a reader of docs/ODD.md expects and the mechanism that makes
it so. Each row runs the lever's declared context (``param(context=...)``) at the default
and at the changed value on the same six seeds; keyed random numbers pair the runs, so the
differences are the lever's. A KPI passes when the mean paired difference has the expected
sign and lies at least three standard errors from zero. Levers with no outcome found yet are
listed in ``INERT`` with the reason, as strict expected failures: if one starts to act, the
test says so and its row moves to ``EXPECTED``.
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest
from conftest import deep_update

from simulation import build_config, run
from simulation.outputs.kpis import SUMMARY
from simulation.scenario.priors import parameter_specs

BASE = {
    "customers": {"count": 1500, "inquiry_rate_per_day": 0.05, "follower_share": 0.3},
    "simulation": {"steps": 672},
    "organization": {"model": "center_of_excellence", "employee_accounts": True, "reference_customers": 1500},
    "interventions": [{"step": 60, "action": "crisis", "size": 15}],
}
SEEDS = range(1, 7)
UP, DOWN = +1, -1

# lever: (changed value, {outcome KPI: expected direction}, the mechanism)
EXPECTED: dict[str, tuple[object, dict[str, int], str]] = {
    "organization.silo_strength": (0.9, {"first_response_mean_h": UP, "resolution_rate": DOWN},
                                   "silo friction slows and loses hand-offs (7.4)"),
    "organization.headcount": ({"marketing": 12, "customer_service": 40, "it": 10, "product": 8, "sales": 10, "pr": 4},
                               {"cost_total": UP, "resolution_rate": UP},
                               "more staff on the roster: paid for, and more skill-weighted answers (7.5, 7.10)"),
    "organization.posters": (["marketing", "customer_service"], {"cost_total": DOWN},
                             "fewer departments post: fewer rostered posting hours (7.1, 7.10)"),
    "organization.poster_share": (0.3, {"cost_total": UP, "sentiment_mean": DOWN},
                                  "twice the posters: their hours cost, their promotion overloads (7.1, 7.2)"),
    "organization.listeners": (["customer_service"], {"response_rate": DOWN, "cost_total": DOWN},
                               "fewer listening units detect fewer inquiries and cost less monitoring (7.4)"),
    "organization.listening_coverage": (0.3, {"response_rate": DOWN, "resolution_rate": DOWN},
                                        "half the coverage detects fewer inquiries (7.4)"),
    "organization.social_share": ({"customer_service": 0.5}, {"cost_total": UP, "first_response_mean_h": DOWN},
                                  "more of care's roster on social: paid, and answers sooner (7.5)"),
    "organization.leads": (False, {"cost_total": DOWN}, "no leads: no lead coordination hours (7.10)"),
    "organization.hub": (False, {"brand_consistency": DOWN, "crisis_containment_h": UP},
                         "no hub: no guidelines and coordination of content, a slower crisis response (7.1, 7.9)"),
    "organization.task_force": (["marketing", "customer_service", "it", "product"],
                                {"first_response_mean_h": DOWN, "response_rate": UP},
                                "a team tying departments shortens hand-off routes between them (7.4)"),
    "organization.internal_channel": (True, {"first_response_mean_h": DOWN, "response_rate": UP},
                                      "a channel tying posters and leads shortens hand-off routes (7.4)"),
    "organization.shared_tool": (False, {"response_rate": DOWN, "first_response_mean_h": UP, "cost_total": DOWN},
                                 "no tool: fewer detections, slower routing, no licence (7.4, 7.10)"),
    "organization.coordination": (0.4, {"brand_consistency": DOWN, "crisis_containment_h": UP},
                                  "less coordination: less consistent content, a slower crisis response (7.1, 7.9)"),
    "organization.agency": (True, {"cost_total": UP}, "an agency's fee and roster (7.10)"),
    "organization.agency_headcount": (12, {"cost_total": UP}, "a larger agency roster (7.10)"),
    "organization.hubs": (6, {"cost_total": UP, "first_response_mean_h": UP},
                          "more hubs: more hub staff, and routes through more hubs (7.4, 7.10)"),
    "organization.agency_social_share": (0.25, {"cost_total": DOWN, "first_response_mean_h": UP},
                                         "less of the agency's roster on social: cheaper, slower (7.5)"),
    "organization.hub_department": ("customer_service", {"first_response_mean_h": DOWN},
                                    "the hub in the owning department: shorter hand-off routes (7.4)"),
    "content.posts_per_poster_per_day": (2.0, {"sentiment_mean": DOWN},
                                         "twice the posts: more promotional exposures over tolerance (7.2)"),
    "content.promo_share": (0.8, {"sentiment_mean": DOWN}, "more promotion: overload (7.2)"),
    "content.guidelines": (False, {"gaffes": UP, "brand_consistency": DOWN},
                           "no guidelines: more gaffes, less consistent content (7.1)"),
    "content.quota": (True, {"sentiment_mean": DOWN}, "a quota: more posts of lower quality (7.1)"),
    "content.promo_share_by_department": ({"marketing": 0.0}, {"sentiment_mean": UP},
                                          "marketing stops promoting: less overload (7.2)"),
    "content.posts_per_day_by_department": ({"marketing": 6.0}, {"sentiment_mean": DOWN},
                                            "marketing posts six a day: overload (7.2)"),
    "support.owners": ({"product_question": "customer_service"}, {"first_response_mean_h": DOWN},
                       "product questions owned by care: fewer hand-offs (7.4)"),
    "support.staffed_hours": ([0, 24], {"first_response_mean_h": DOWN, "response_rate": UP, "cost_total": UP},
                              "round the clock: no off-duty waits, and the roster paid all day (7.5, 7.10)"),
    "people.training": (False, {"resolution_rate": DOWN, "cost_total": DOWN},
                        "no training: lower skill, no programme cost (7.8, 7.10)"),
    "people.rewards": (True, {"resolution_rate": UP}, "rewards raise motivation and cooperation (7.8)"),
    "people.training_days": (5.0, {"resolution_rate": DOWN, "cost_total": DOWN},
                             "a shorter programme: less skill gained, less cost (7.8, 7.10)"),
}  # fmt: skip

# levers with no outcome measured to move (and why), kept as strict expected failures
INERT: dict[str, tuple[object, dict[str, int], str]] = {
    "organization.task_force_size": (10, {"first_response_mean_h": DOWN},
                                     "routes run between departments' contacts, already in a team of 1 each: "
                                     "more members change no route (a mechanism to add: members answer)"),
    "organization.employee_accounts": (False, {"advocate_share": DOWN},
                                       "employees' own accounts move reach (an appearance), not yet an outcome"),
    "organization.agency_contact": ("pr", {"first_response_mean_h": UP},
                                    "the agency's tie moves to another manager, on no route an inquiry takes"),
}  # fmt: skip
NOT_TESTED = {"organization.model": "a bundle of levers, each tested on its own"}


@functools.cache
def _summaries(raw_json: str) -> tuple[dict[str, float], ...]:
    config = build_config(json.loads(raw_json))
    return tuple(run(config, seed=seed).summary for seed in SEEDS)


def _effects(key: str, value: object, kpis: dict[str, int]) -> dict[str, tuple[float, float]]:
    """Each KPI's mean paired difference (changed - default) and its t statistic."""
    context = deep_update(BASE, dict(parameter_specs()[key].context))
    section, field = key.split(".")
    moved = deep_update(context, {section: {field: value}})
    before = _summaries(json.dumps(context, sort_keys=True))
    after = _summaries(json.dumps(moved, sort_keys=True))
    out = {}
    for kpi in kpis:
        d = np.array([b[kpi] - a[kpi] for a, b in zip(before, after, strict=True)])
        d = d[np.isfinite(d)]
        mean, se = float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))
        out[kpi] = (mean, mean / se if se > 0 else math.copysign(math.inf, mean) if mean else 0.0)
    return out


def test_every_lever_has_a_row():
    levers = {key for key, spec in parameter_specs().items() if spec.role == "lever"}
    assert levers == set(EXPECTED) | set(INERT) | set(NOT_TESTED)
    for _, kpis, _ in [*EXPECTED.values(), *INERT.values()]:
        assert all(SUMMARY[k].kind == "outcome" for k in kpis), kpis  # an outcome, not an appearance


def _rows():
    for key, row in EXPECTED.items():
        yield pytest.param(key, *row, id=key)
    for key, row in INERT.items():
        yield pytest.param(key, *row, id=key, marks=pytest.mark.xfail(strict=True, reason=row[2]))


@pytest.mark.slow
@pytest.mark.parametrize(("key", "value", "kpis", "mechanism"), list(_rows()))
def test_a_lever_moves_its_outcomes_in_the_expected_direction(key, value, kpis, mechanism):
    effects = _effects(key, value, kpis)
    wrong = {
        kpi: effects[kpi] for kpi, direction in kpis.items() if not (effects[kpi][1] * direction >= 3.0)
    }  # mean difference >= 3 standard errors in the expected direction
    assert not wrong, f"{key} -> {value!r} ({mechanism}): (mean difference, t) = {wrong}"
