"""Every parameter in the config reference changes at least one KPI (MODEL.md: a parameter doing nothing is a bug).

Design levers (``role="lever"``) are held to more in ``tests/test_lever_effects.py``: an
outcome KPI, in the expected direction, beyond seed noise.

Table-driven over every parameter of every section: each is moved away from its default
(a boolean flipped, a number halved or doubled within its bounds, or a value from
``CHANGED``), in a context where its mechanism is in force (the ``context`` its declaration
names: an agency for the agency's levers, a quota for the quota's, ...), and the run's summary
must differ from the same context's at the default, on the same seed.
"""

from __future__ import annotations

import functools
import json
import math

import pytest
from conftest import deep_update

from simulation import build_config, run
from simulation.scenario.config import Config
from simulation.scenario.priors import parameter_specs

BASE = {
    "customers": {"count": 600, "inquiry_rate_per_day": 0.05, "follower_share": 0.3},
    "simulation": {"steps": 336},
    "organization": {"model": "center_of_excellence", "employee_accounts": True, "reference_customers": 600},
    "interventions": [{"step": 60, "action": "crisis", "size": 15}],
}
NOT_LEVERS = {
    "name", "description", "interventions", "simulation.seed", "simulation.engine",  # identity, not behaviour
    "organization.model",  # a bundle of levers, each tested on its own
    "network.path", "organization.org_chart",  # input files, tested in test_inputs.py
}  # fmt: skip
CHANGED = {  # levers whose changed value cannot be derived from the default
    "network.kind": "erdos_renyi",
    "organization.hub_department": "customer_service",
    "organization.agency_contact": "pr",
    "organization.departments": ["customer_service", "marketing", "it", "product", "sales", "pr"],
    "organization.headcount": {"marketing": 12, "customer_service": 40, "it": 10, "product": 8, "sales": 10, "pr": 4},
    "organization.posters": ["marketing", "customer_service"],
    "organization.listeners": ["customer_service"],
    "organization.task_force": ["marketing", "customer_service"],
    "organization.social_share": {"customer_service": 0.5},
    "support.owners": {"product_question": "customer_service"},
    "support.handling_distribution": "lognormal",
    "support.staffed_hours": [0, 24],
    "support.hop_hours": {"cross": 6.0, "hierarchy": 6.0, "tool": 2.0, "hub": 2.0},
    "support.hop_loss": {"cross": 0.3, "hierarchy": 0.3, "tool": 0.2, "hub": 0.2},
    "support.structural_relief": {"tool": 0.9, "hub": 0.9},
    "customers.inquiry_mix": {"idea": 0.6},
    "people.skill_by_department": {"marketing": 0.1, "customer_service": 0.9},
    "content.promo_share_by_department": {"marketing": 0.0},
    "content.posts_per_day_by_department": {"marketing": 6.0},
    "customers.influencer_share": 0.3,
    "customers.media_share": 0.1,
    "customers.discovery_per_day": 0.01,
    "content.engagement_sentiment_weight": 1.0,
    "content.gaffe_seed_min_audience": 2,
    "content.crisis_threshold_share": 0.5,
    "content.crisis_complaint_share": 0.5,
    "organization.social_share_default": 0.9,
    "people.training_days": 5.0,
    "people.participation_window_hours": 6.0,
}


def levers() -> list[str]:
    out = []
    for section, model in Config.model_fields.items():
        annotation = model.annotation
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            out += [f"{section}.{field}" for field in annotation.model_fields]
        else:
            out.append(section)
    specs = parameter_specs()
    # a design lever (role "lever") has a stronger test: tests/test_lever_effects.py (an outcome, a direction)
    return [key for key in out if key not in NOT_LEVERS and not (key in specs and specs[key].role == "lever")]


def changed_value(key: str, default: object, field: object) -> object:
    if key in CHANGED:
        return CHANGED[key]
    if isinstance(default, bool):
        return not default
    bounds = {type(m).__name__: m for m in getattr(field, "metadata", [])}
    upper = next((getattr(m, "le", getattr(m, "lt", None)) for m in bounds.values()
                  if getattr(m, "le", getattr(m, "lt", None)) is not None), math.inf)  # fmt: skip
    if isinstance(default, int):
        return default * 2 if default else 1
    if isinstance(default, float):
        if default == 0:
            return min(0.5, upper)
        doubled = default * 2
        return doubled if doubled <= upper and not (upper == 1 and doubled == 1) else default / 2
    raise AssertionError(f"{key}: no rule to change a {type(default).__name__}; add it to CHANGED")


@functools.cache
def _summary(raw_json: str) -> dict[str, float]:
    return run(build_config(json.loads(raw_json)), seed=7).summary


def summary(raw: dict) -> dict[str, float]:
    return _summary(json.dumps(raw, sort_keys=True))


@pytest.mark.slow
@pytest.mark.parametrize("key", levers())
def test_every_lever_changes_at_least_one_kpi(key):
    context = deep_update(BASE, dict(parameter_specs()[key].context))
    config = build_config(context)
    section, field = key.split(".")
    default = getattr(getattr(config, section), field)
    default = json.loads(json.dumps(default))
    field_info = type(getattr(config, section)).model_fields[field]
    value = changed_value(key, default, field_info)
    moved = deep_update(context, {section: {field: value}})
    before, after = summary(context), summary(moved)
    differs = [k for k in before if not (before[k] == after[k] or (math.isnan(before[k]) and math.isnan(after[k])))]
    assert differs, f"{key}: {default!r} -> {value!r} changes no KPI"
