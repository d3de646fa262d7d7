import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from simulation import Config, ScenarioError, build_config, load_scenario
from simulation.scenario.config import register_preset
from simulation.scenario.presets import all_presets, builtin_presets, get_preset

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_defaults_are_the_centralized_preset():
    # centralized sets nothing of its own: the built-in defaults are the centralized design
    assert get_preset("centralized").overrides == {}
    assert Config().model_dump() == build_config({}).model_dump()
    assert build_config({"organization": {"model": "centralized"}}).model_dump() == Config().model_dump()
    assert Config().organization.model == "centralized"


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
        build_config({"organization": {"silo_strength": 0.5}}).with_overrides(["organization.silo_strength.x=1"])
    with pytest.raises(ScenarioError, match="organization.silo_strength: Input should be a valid number"):
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


# --------------------------------------------------------------------------------------------
# Hostile input: one generic number check, and nothing but a one-line ScenarioError

NUMBER_CASES = {
    "competitor.mentions_per_customer_per_day=inf": "competitor.mentions_per_customer_per_day: must be finite",
    "customers.inquiry_rate_per_day=inf": "customers.inquiry_rate_per_day: must be finite",
    "content.posts_per_poster_per_day=1e300": "content.posts_per_poster_per_day: 1e+300 is absurdly large",
    "customers.inquiry_mix.idea=nan": "customers.inquiry_mix.idea: nan is not a number",
    "support.hop_hours.cross=nan": "support.hop_hours.cross: nan is not a number",
    "support.hop_loss.cross=5.0": "support.hop_loss.cross: 5 must be in [0, 1]",
    "people.skill_by_department.marketing=nan": "people.skill_by_department.marketing: nan is not a number",
    "people.skill_by_department.marketing=1e308": "people.skill_by_department.marketing: 1e+308 is absurdly large",
    "people.skill_by_department.pr=1.5": "people.skill_by_department.pr: 1.5 must be in [0, 1]",
    "content.sentiment_lift=inf": "content.sentiment_lift: must be finite",
    "support.handling_minutes=inf": "support.handling_minutes: must be finite",
    "network=5": "network: expected a table",
    'organization="x"': "organization: expected a table",
    "customers.count=100000000000000000000": "customers.count: 100000000000000000000 is too large",
}


@pytest.mark.parametrize("override", sorted(NUMBER_CASES))
def test_non_finite_absurd_and_scalar_sections_are_named(override):
    with pytest.raises(ScenarioError) as err:
        load_scenario(SCENARIOS / "centralized.toml", [override])
    assert str(err.value).startswith(NUMBER_CASES[override])


def test_a_new_parameter_is_checked_without_code_of_its_own():
    from simulation.scenario.config import Section, param

    class NewSection(Section):
        rate: float = param(1.0, "a rate", unit="1/h")
        shares: dict[str, float] = param({"a": 0.5}, "shares", unit="share", probability=True)
        patience: float = param(1.0, "may be infinite", unit="h", allow_inf=True)

    assert NewSection(patience=float("inf")).patience == float("inf")
    for bad, where in (({"rate": float("inf")}, "rate"), ({"shares": {"a": 2.0}}, "shares.a")):
        with pytest.raises(ValueError, match=where):
            NewSection(**bad)


def test_extends_chains_and_deep_nesting_are_clear(tmp_path):
    for i in range(40):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "s{i + 1}.toml"\n')
    (tmp_path / "s40.toml").write_text("")
    with pytest.raises(ScenarioError, match="extends: a chain of more than 16 files"):
        load_scenario(tmp_path / "s0.toml")
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError, match="deep.toml: "):
        load_scenario(deep)
    with pytest.raises(ScenarioError, match="nested too deeply|unknown key"):
        load_scenario(SCENARIOS / "centralized.toml", ["customers.x=" + "[" * 5000 + "]" * 5000])


def test_set_interventions_on_fixed_keys_and_bad_roadmap_stages_are_refused():
    base = {"simulation": {"steps": 48}}
    for key in ("simulation.steps", "customers.count", "network.mean_degree"):
        iv = {"step": 1, "action": "set", "key": key, "value": 100}
        with pytest.raises(ScenarioError, match=f"interventions\\[0\\].key: '{key}' is fixed when the run starts"):
            build_config({**base, "interventions": [iv]})
    for value in (9, -1, 1.5, "two", None):
        iv = {"step": 1, "action": "roadmap_stage", "value": value}
        with pytest.raises(ScenarioError, match="interventions\\[0\\].value: the roadmap stage is a whole number 0..3"):
            build_config({**base, "interventions": [iv]})
    build_config({**base, "interventions": [{"step": 1, "action": "roadmap_stage", "value": 2}]})


def _toml_documents():
    from hypothesis import strategies as st

    sections = ["simulation", "customers", "network", "organization", "content", "support", "people", "x"]
    keys = ["steps", "count", "kind", "path", "model", "headcount", "hop_loss", "inquiry_mix", "extends", "y"]
    scalars = st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.booleans(),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
        max_leaves=8,
    )
    return st.dictionaries(
        st.sampled_from(sections),
        st.one_of(values, st.dictionaries(st.sampled_from(keys), values, max_size=4)),
        max_size=4,
    )


def test_no_toml_document_or_set_value_raises_anything_but_scenario_error(tmp_path_factory):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from simulation.scenario.config import apply_overrides, build_config

    folder = tmp_path_factory.mktemp("hypothesis")

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(document=_toml_documents(), text=st.text(max_size=40), raw_toml=st.text(max_size=60))
    def check(document, text, raw_toml):
        for attempt in (
            lambda: build_config(document),
            lambda: build_config(apply_overrides(document, [f"customers.count={text}", text])),
            lambda: build_config(apply_overrides({}, [(text or "k", document)])),
        ):
            try:
                attempt()
            except ScenarioError as err:
                assert "\n" not in str(err)
        path = folder / "s.toml"
        path.write_text(raw_toml, encoding="utf-8", errors="surrogatepass")
        try:
            load_scenario(path, [f"organization.silo_strength={text}"])
        except ScenarioError as err:
            assert "\n" not in str(err)

    check()


def test_changing_the_model_of_the_defaults_brings_the_new_preset():
    # the defaults are no layer of their own: a bare Config() changed to another model is that model
    changed = Config().with_values({"organization.model": "democratized"})
    assert changed.model_dump() == build_config({"organization": {"model": "democratized"}}).model_dump()
