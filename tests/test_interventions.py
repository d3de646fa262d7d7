import numpy as np
import pytest

from simulation import SocialMediaOrgModel, build_config, register_intervention, run
from simulation.scenario.interventions import expand_schedule, maturity_roadmap


def model_with(interventions, steps=120, **org):
    cfg = build_config(
        {
            "customers": {"count": 800},
            "simulation": {"steps": steps},
            "organization": org,
            "interventions": interventions,
        }
    )
    return SocialMediaOrgModel(cfg, seed=3, agent_views=False)


def step(model, n):
    for _ in range(n):
        model.step()


def test_switches_and_set_take_effect_at_their_step():
    model = model_with(
        [
            {"step": 5, "action": "training"},
            {"step": 6, "action": "quota", "enabled": True},
            {"step": 7, "action": "set", "key": "organization.silo_strength", "value": 0.2},
        ]
    )
    step(model, 5)
    assert not model.config.people.training
    step(model, 3)
    assert model.config.people.training and model.config.content.quota
    assert model.config.organization.silo_strength == 0.2


def test_pilot_adds_a_department_to_posting_and_listening():
    model = model_with([{"step": 2, "action": "pilot", "department": "it", "adoption_lag_steps": 0}])
    step(model, 3)
    org = model.config.organization
    assert "it" in org.posters and "it" in org.listeners and org.leads


def test_crisis_starts_and_is_contained():
    result = run(
        build_config(
            {
                "customers": {"count": 3000},
                "simulation": {"steps": 300},
                "interventions": [{"step": 20, "action": "crisis", "size": 30}],
            }
        )
    )
    assert result.summary["crises"] == 1
    ts = result.timeseries
    assert ts.loc[ts.step < 20, "crisis_intensity"].max() == 0
    assert ts.loc[20, "mentions_negative"] > 3 * ts.loc[:19, "mentions_negative"].mean()
    assert np.isfinite(result.summary["crisis_containment_h"])


def test_maturity_roadmap_runs_four_stages():
    cfg = build_config(
        {"simulation": {"steps": 400}, "interventions": [{"step": 10, "action": "maturity_roadmap", "stage_steps": 50}]}
    )
    stages = expand_schedule(list(cfg.interventions))
    assert [s.step for s in stages] == [10, 60, 110, 160]
    assert len(stages) == len(maturity_roadmap())
    model = model_with([{"step": 10, "action": "maturity_roadmap", "stage_steps": 50}], steps=300)
    step(model, 250)
    org = model.config.organization
    assert org.hub and org.shared_tool and org.internal_channel
    assert set(org.posters) == set(org.departments)
    assert org.silo_strength == 0.3


def test_registered_intervention_runs(fresh_registries):
    calls = []

    def double_coverage(engine, iv):
        calls.append(iv.step)
        engine.reconfigure(engine.config.with_values({"organization.listening_coverage": 1.0}))

    register_intervention("full_listening", double_coverage, "listen to everything")
    model = model_with([{"step": 4, "action": "full_listening"}])
    step(model, 6)
    assert calls == [4]
    assert model.config.organization.listening_coverage == 1.0


def test_intervention_validation_names_the_field():
    from simulation import ScenarioError

    with pytest.raises(ScenarioError, match=r"interventions\[0\].department: 'legal' is not a department"):
        build_config({"interventions": [{"step": 1, "action": "pilot", "department": "legal"}]})
    with pytest.raises(ScenarioError, match=r"interventions\[0\].value"):
        build_config({"interventions": [{"step": 1, "action": "set", "key": "organization.silo_strength", "value": 3}]})
