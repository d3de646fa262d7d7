import math

import pytest
from pydantic import ValidationError

from simulation import Config, ScenarioError, build_config, load_scenario
from simulation.presets import all_presets, builtin_presets, get_preset, register_preset


def test_defaults_are_the_centralized_preset():
    assert Config().model_dump() == build_config({}).model_dump()
    assert Config().organization.model == "centralized"
    # the section defaults repeat the centralized preset, so Config() means what it says
    for section, values in get_preset("centralized").overrides.items():
        model = Config.model_fields[section].annotation
        for key, value in values.items():
            assert model.model_fields[key].default == value, f"{section}.{key}"


def test_preset_values_merge_under_scenario_keys():
    cfg = build_config({"organization": {"model": "democratized", "poster_share": 0.9}})
    assert cfg.organization.poster_share == 0.9  # scenario wins
    assert cfg.organization.internal_channel is True  # preset value
    assert cfg.people.training is True


def test_every_builtin_preset_builds_and_has_description_and_source():
    for name, preset in builtin_presets().items():
        cfg = build_config({"organization": {"model": name}})
        assert cfg.organization.model == name
        assert preset.description and preset.source


def test_overrides_are_typed_and_relayer_the_preset():
    cfg = build_config({"organization": {"model": "centralized"}})
    changed = cfg.with_overrides(["organization.silo_strength=0.2", "people.training=true"])
    assert changed.organization.silo_strength == 0.2
    assert changed.people.training is True
    moved = cfg.with_values({"organization.model": "democratized"})
    assert moved.organization.posters == get_preset("democratized").overrides["organization"]["posters"]


def test_partial_owner_table_keeps_other_owners():
    cfg = build_config({"support": {"owners": {"idea": "marketing"}}})
    assert cfg.support.owners["idea"] == "marketing"
    assert cfg.support.owners["technical_problem"] == "it"


def test_infinite_patience_is_accepted():
    cfg = build_config({"customers": {"patience_scale": math.inf}})
    assert math.isinf(cfg.customers.patience_scale)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"organization": {"silo_strength": 1.5}},
            "organization.silo_strength: Input should be less than or equal to 1",
        ),
        ({"organization": {"colour": "red"}}, "organization.colour: unknown key"),
        ({"bogus": 1}, "bogus: unknown key"),
        ({"simulation": {"steps": "many"}}, "simulation.steps: Input should be a valid integer"),
        ({"organization": {"model": "anarchy"}}, "organization.model: unknown org model 'anarchy'"),
        ({"organization": {"posters": ["legal"]}}, "organization.posters: 'legal' is not a department"),
        ({"support": {"owners": {"idea": "legal"}}}, "support.owners.idea: 'legal' is not a department"),
        ({"customers": {"inquiry_mix": {"praise": 1.0}}}, "customers.inquiry_mix: unknown inquiry type 'praise'"),
        ({"network": {"kind": "edgelist"}}, "network.path: required when kind = 'edgelist'"),
        ({"interventions": [{"step": 5, "action": "teleport"}]}, "interventions[0].action: unknown action 'teleport'"),
        ({"interventions": [{"step": 5, "action": "change_org_model"}]}, "interventions[0].model: required"),
        (
            {"simulation": {"steps": 10}, "interventions": [{"step": 50, "action": "crisis"}]},
            "interventions[0].step: 50 is past",
        ),
    ],
)
def test_bad_values_name_the_key_and_reason(raw, expected):
    with pytest.raises(ScenarioError) as err:
        build_config(raw)
    message = str(err.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_load_scenario_resolves_extends_and_relative_paths(tmp_path):
    (tmp_path / "base.toml").write_text('[customers]\ncount = 500\n[network]\nkind = "edgelist"\npath = "g.csv"\n')
    (tmp_path / "g.csv").write_text("source,target\n" + "\n".join(f"{i},{i + 1}" for i in range(20)))
    (tmp_path / "child.toml").write_text('extends = "base.toml"\n[organization]\nmodel = "task_force"\n')
    cfg = load_scenario(tmp_path / "child.toml", ["organization.silo_strength=0.1"])
    assert cfg.name == "child"
    assert cfg.customers.count == 500
    assert cfg.organization.model == "task_force"
    assert cfg.organization.silo_strength == 0.1
    assert cfg.network.path == (tmp_path / "g.csv").resolve()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[simulation\nsteps = 3", "not valid TOML"),
        ('extends = "child.toml"', "extends itself in a cycle"),
        ('extends = "missing.toml"', "missing.toml: scenario file not found"),
    ],
)
def test_broken_files(tmp_path, text, expected):
    path = tmp_path / "child.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(path)


def test_missing_file():
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario("nope/nothing.toml")


def test_override_syntax_errors():
    with pytest.raises(ScenarioError, match="expected key=value"):
        Config().with_overrides(["organization.silo_strength"])
    with pytest.raises(ScenarioError, match="'silo_strength' is not a table"):
        Config().with_overrides(["organization.silo_strength.x=1"])


def test_register_preset_validates_and_lists():
    register_preset("test_lab", "a lab preset", "tests", {"organization": {"coordination": 0.9}}, base="task_force")
    assert "test_lab" in all_presets()
    cfg = build_config({"organization": {"model": "test_lab"}})
    assert cfg.organization.coordination == 0.9
    assert cfg.organization.task_force == ["marketing", "customer_service", "it"]
    with pytest.raises(ScenarioError):
        register_preset("test_broken", "broken", "tests", {"organization": {"silo_strength": 7}})
    assert "test_broken" not in all_presets()


def test_config_is_frozen():
    cfg = Config()
    with pytest.raises(ValidationError):
        cfg.organization.silo_strength = 0.1


def test_config_is_deep_frozen():
    import pickle

    cfg = build_config({})
    with pytest.raises(TypeError, match="frozen"):
        cfg.organization.headcount["it"] = 999
    with pytest.raises(TypeError, match="frozen"):
        cfg.organization.posters.append("it")
    with pytest.raises(TypeError, match="frozen"):
        cfg.customers.inquiry_mix.update(idea=1.0)
    assert cfg.organization.posters == ["marketing"] and cfg.organization.headcount["it"] == 10
    again = pickle.loads(pickle.dumps(cfg))
    assert again == cfg and again.organization.headcount == cfg.organization.headcount
    assert cfg.with_values({"organization.coordination": 0.9}).organization.coordination == 0.9
