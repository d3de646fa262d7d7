"""The parameter schema: every parameter is declared once, with unit, role, source and (where assumed) prior."""

from __future__ import annotations

import json

import pytest

from simulation import build_config
from simulation.scenario.config import Config
from simulation.scenario.priors import declared_priors, parameter_fields, parameter_specs, without_prior
from simulation.scenario.schema import ROLES, PriorRule, param, spec_of, stated


def test_every_parameter_declares_unit_role_and_source():
    for key, field in parameter_fields().items():
        spec = spec_of(field)  # raises for a field not made by param()
        assert spec.unit.strip(), f"{key}: no unit"
        assert spec.role in ROLES, key
        assert spec.source.strip(), f"{key}: no source"
        assert field.description, f"{key}: no description"


def test_roles_split_the_parameters_and_levers_are_design_choices():
    specs = parameter_specs()
    levers = {k for k, s in specs.items() if s.role == "lever"}
    # a few a strategist decides, and facts about the world that are not theirs to choose
    assert {"organization.headcount", "organization.shared_tool", "support.owners", "people.training"} <= levers
    assert not levers & {"customers.churn_per_year", "support.handling_minutes", "simulation.seed"}
    assert all(k.startswith("simulation.") for k in specs if k.split(".")[0] == "simulation")
    assert {specs[k].role for k in specs if k.startswith("simulation.")} == {"structural"}


def test_a_prior_is_declared_for_uncertainties_and_levers_only():
    specs = parameter_specs()
    for key in declared_priors():
        head = next(k for k in specs if key == k or key.startswith(k + "."))
        assert specs[head].role in ("uncertainty", "lever"), key
    assert set(without_prior()).isdisjoint(declared_priors())


def test_the_json_schema_shows_unit_and_role():
    schema = Config.model_json_schema()
    props = schema["$defs"]["SupportSection"]["properties"]["handling_minutes"]
    assert (props["unit"], props["role"]) == ("min", "uncertainty")


def test_each_declared_context_is_a_valid_scenario():
    for key, spec in parameter_specs().items():
        if spec.context:
            try:
                build_config(json.loads(json.dumps(spec.context)))
            except Exception as err:  # a stale context names the parameter it belongs to
                raise AssertionError(f"{key}: context {spec.context}: {err}") from None


def test_a_new_parameter_needs_a_unit_and_a_known_role():
    with pytest.raises(TypeError):
        param(1.0, "no unit")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="role"):
        param(1.0, "a rate", unit="1/h", role="knob")  # type: ignore[arg-type]


def test_prior_rules_resolve_against_the_default():
    rule = PriorRule("uniform", "the default {default} plus or minus 0.1", shift=0.1)
    assert rule.resolve(0.5) == ("uniform", (0.4, 0.6), "the default 0.5 plus or minus 0.1")
    assert stated("loguniform", 1.0, 8.0).resolve(3.0)[:2] == ("loguniform", (1.0, 8.0))
