"""Bad input across commands (issue 26): one line on stderr, exit 2, no traceback, nothing written to --out."""

from __future__ import annotations

import pytest
from conftest import SCENARIOS
from typer.testing import CliRunner

from simulation.cli.main import app

SMALL = ["--set", "customers.count=300", "--set", "simulation.steps=24"]


def _cli(args: list[str]):
    return CliRunner().invoke(app, args)


def _one_line_exit_2(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("silosim: error: "), result.output
    assert message in lines[0], lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["run", str(SCENARIOS / "centralized.toml")],
        ["compare", str(SCENARIOS / "centralized.toml"), "-r", "1"],
        ["sweep", str(SCENARIOS / "centralized.toml"), "--param", "organization.silo_strength=0.2,0.4", "-r", "1"],
    ],
)
def test_an_out_name_too_long_for_the_file_system_is_one_line(tmp_path, command):
    out = tmp_path / ("a" * 300) / "sub"
    result = _cli([*command, *SMALL, "--out", str(out), "-q"])
    _one_line_exit_2(result, "cannot be created (File name too long)")


def test_an_out_name_too_long_is_refused_by_the_python_api_too(tmp_path, two):
    from simulation.errors import ScenarioError
    from simulation.studies import batch

    with pytest.raises(ScenarioError, match="File name too long"):
        batch.compare(two, 1, 1, out=tmp_path / ("a" * 300))


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_seed_beyond_int64_is_refused_by_the_cli(tmp_path, command):
    out = tmp_path / "out"
    seed = "99999999999999999999999999"
    result = _cli([command, str(SCENARIOS / "centralized.toml"), *SMALL, "--seed", seed, "--out", str(out), "-q"])
    _one_line_exit_2(result, "--seed")
    assert "9223372036854775807" in result.output and not out.exists()


@pytest.mark.parametrize("config", [None, {"customers": {"count": 300}}, "scenarios/centralized.toml"])
def test_api_run_refuses_what_is_not_a_config(config):
    from simulation import run

    with pytest.raises(TypeError, match=r"run: expected a Config \(from simulation.load_scenario"):
        run(config)


@pytest.mark.parametrize("seed", [1.5, -1, 2**63, True, "3"])
def test_api_run_and_compare_refuse_a_seed_the_cli_refuses(two, seed):
    from simulation import run
    from simulation.errors import ScenarioError
    from simulation.studies import batch

    message = "must be a whole number from 0 to 9223372036854775807"
    with pytest.raises(ScenarioError, match=message):
        run(two[0], seed=seed)
    with pytest.raises(ScenarioError, match=message):
        batch.compare(two, 1, seed)


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"workers": 0}, "--workers 0"), ({"replicates": True}, "--replicates")]
)
def test_api_compare_refuses_counts_the_cli_refuses(two, tmp_path, kwargs, message):
    from simulation.errors import ScenarioError
    from simulation.studies import batch

    with pytest.raises(ScenarioError, match=message):
        batch.compare(two, **{"replicates": 1, **kwargs}, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("simulation.steps=true", "simulation.steps: Input should be a valid integer"),
        ('organization.silo_strength="0.5"', "organization.silo_strength: Input should be a valid number"),
        ("customers.count=300.0", "customers.count: Input should be a valid integer"),
        ("content.guidelines=1", "content.guidelines: Input should be a valid boolean"),
        ('support.staffed_hours=["8", 20]', "support.staffed_hours[0]: Input should be a valid integer"),
    ],
)
def test_types_are_strict(tmp_path, override, message):
    result = _cli(["run", str(SCENARIOS / "centralized.toml"), *SMALL, "--set", override, "--out", str(tmp_path / "o")])
    _one_line_exit_2(result, message)
    assert not (tmp_path / "o").exists()


def test_strict_types_in_a_scenario_file_and_what_stays_converted(tmp_path):
    from simulation import load_scenario
    from simulation.errors import ScenarioError

    path = tmp_path / "quoted.toml"
    path.write_text('[organization]\nsilo_strength = "0.5"\n')
    with pytest.raises(ScenarioError, match="organization.silo_strength: Input should be a valid number"):
        load_scenario(path)
    path.write_text("[organization]\nsilo_strength = 1\n[support]\nstaffed_hours = [8, 20]\n")
    config = load_scenario(path)  # an integer is a number; a TOML list is a tuple
    assert config.organization.silo_strength == 1.0 and config.support.staffed_hours == (8, 20)


BIG = "1000000000"


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["compare", str(SCENARIOS / "centralized.toml"), "-r", BIG], "--replicates"),
        (["optimize", str(SCENARIOS / "centralized.toml"), "--trials", BIG], "--trials"),
        (["optimize", str(SCENARIOS / "centralized.toml"), "--replicates", BIG], "--replicates"),
        (["calibrate", str(SCENARIOS / "centralized.toml"), "--particles", BIG], "--particles"),
        (["calibrate", str(SCENARIOS / "centralized.toml"), "--generations", BIG], "--generations"),
        (["calibrate", str(SCENARIOS / "centralized.toml"), "--predictive", BIG], "--predictive"),
    ],
)
def test_a_study_of_a_billion_runs_is_refused_up_front_with_the_estimate(tmp_path, command, option):
    import time

    space = tmp_path / "space.toml"
    space.write_text('[space]\n"organization.shared_tool" = { choices = [true, false] }\n')
    observed = tmp_path / "observed.toml"
    observed.write_text("[observed]\nresolution_rate = 0.5\n")
    prior = tmp_path / "prior.toml"
    prior.write_text('[prior]\n"organization.listening_coverage" = { uniform = [0.2, 1.0] }\n')
    extra = {
        "optimize": ["--space", str(space), "--objective", "resolution_rate"],
        "calibrate": ["--observed", str(observed), "--prior", str(prior)],
    }.get(command[0], [])
    out = tmp_path / "out"
    start = time.perf_counter()
    result = _cli([*command, *extra, *SMALL, "-w", "1", "--out", str(out), "-q"])
    assert time.perf_counter() - start < 30
    _one_line_exit_2(result, f"{option}: ")
    assert "over the limit of 1,000,000 runs in one study" in result.output and "estimate per run: ~" in result.output
    assert not out.exists()


def test_a_batch_over_a_week_is_refused_before_it_is_planned(tmp_path):
    # 200,000 full-size runs are under the run-count limit, but not under a week on one worker
    result = _cli(["compare", str(SCENARIOS / "centralized.toml"), "-r", "200000", "-w", "1", "--out", str(tmp_path)])
    _one_line_exit_2(result, "--replicates: 200,000 runs, 1 at a time, would take ~")
    assert "over the limit of 7 days" in result.output and not any(tmp_path.iterdir())


@pytest.mark.parametrize("name", ['""', '"a/b"', '".hidden"', '"x:y"'])
def test_a_name_that_cannot_name_a_file_is_refused_by_validate_as_by_compare(name, tmp_path):
    runner = CliRunner()
    scenario = str(SCENARIOS / "centralized.toml")
    for args in (["validate", scenario], ["compare", scenario, "-r", "1", "-q", "--out", str(tmp_path / "o")]):
        result = runner.invoke(app, [*args, "--set", f"name={name}"])
        assert result.exit_code == 2, (args, result.output)
        assert "name:" in result.output and "file name" in result.output
    assert not (tmp_path / "o").exists()


def test_the_python_api_refuses_a_run_that_cannot_fit_before_allocating():
    from simulation import load_scenario, run
    from simulation.errors import ScenarioError

    config = load_scenario(SCENARIOS / "centralized.toml", ["customers.count=1000000000"])
    with pytest.raises(ScenarioError, match="customers.count: the run would need"):
        run(config)
