import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli.main import app
from simulation.errors import ScenarioError

runner = CliRunner()


def test_run_writes_outputs_and_prints_kpis(tmp_path, scenario_dir, small):
    out = tmp_path / "out"
    args = ["run", str(scenario_dir / "centralized.toml"), "--seed", "3", "--out", str(out)]
    for item in small:
        args += ["--set", item]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "resolution_rate" in result.output
    ts = pd.read_csv(out / "timeseries.csv")
    assert len(ts) == 240
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3
    assert summary["config"]["customers"]["count"] == 1500
    assert set(summary["meta"]["versions"]) >= {"mesa", "numpy", "silosim"}
    assert 0 <= summary["summary"]["resolution_rate"] <= 1
    assert (out / "inquiries.csv").exists()


def test_validate_and_presets(scenario_dir):
    result = runner.invoke(app, ["validate", str(scenario_dir / "democratized.toml")])
    assert result.exit_code == 0
    assert "democratized" in result.output
    result = runner.invoke(app, ["presets"])
    assert result.exit_code == 0
    for name in (
        "centralized",
        "agency_led",
        "task_force",
        "democratized",
        "center_of_excellence",
        "organic",
        "coordinated",
        "hub_and_spoke_multi",
        "holistic",
    ):
        assert name in result.output


BROKEN = {
    "unknown_key": ("[organization]\nsilo = 0.5\n", "organization.silo: unknown key"),
    "out_of_range": ("[organization]\nsilo_strength = -1\n", "organization.silo_strength"),
    "wrong_type": ('[customers]\ncount = "lots"\n', "customers.count"),
    "bad_toml": ("[organization\n", "not valid TOML"),
    "bad_preset": ('[organization]\nmodel = "feudal"\n', "organization.model: unknown org model"),
    "bad_intervention": ('[[interventions]]\nstep = 1\naction = "pilot"\n', "interventions[0].department"),
    "bad_edgelist": ('[network]\nkind = "edgelist"\npath = "nowhere.csv"\n', "network.path: file not found"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_scenarios_exit_2_with_one_line(tmp_path, case):
    text, expected = BROKEN[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("precious")
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--set", "simulation.steps=5"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert (out / "summary.json").read_text() == "precious"  # nothing already written is lost


def test_missing_file_and_bad_set(tmp_path, scenario_dir):
    result = runner.invoke(app, ["run", str(tmp_path / "none.toml")])
    assert result.exit_code == 2
    assert "scenario file not found" in result.output
    result = runner.invoke(app, ["validate", str(scenario_dir / "centralized.toml"), "--set", "organization.nope=1"])
    assert result.exit_code == 2
    assert "organization.nope: unknown key" in result.output


def test_console_script_installed():
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).parent / "silosim"
    assert exe.exists(), "the package is installed with its console script"
    done = subprocess.run([str(exe), "validate", "nowhere.toml"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == "silosim: error: nowhere.toml: scenario file not found"


# --------------------------------------------------------------------------------------------
# Hostile input through the command line: exit 2, one line naming the key, nothing written

S = ["--set", "customers.count=500", "--set", "simulation.steps=48"]


def one_error_line(result, expected):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("silosim: error: "), result.output
    assert expected in lines[0], lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--set", "support.hop_loss.cross=5.0"], "support.hop_loss.cross: 5 must be in [0, 1]"),
        (
            ["--set", "competitor.mentions_per_customer_per_day=inf"],
            "competitor.mentions_per_customer_per_day: must be finite",
        ),
        (["--set", "network=5"], "network: expected a table"),
        (["--seed", "-1"], "--seed"),
        (["--frobnicate"], "No such option: --frobnicate"),
        (["--out", ""], "--out: empty path"),
    ],
)
def test_run_refuses_bad_input_in_one_line(scenario_dir, args, expected):
    one_error_line(runner.invoke(app, ["run", str(scenario_dir / "centralized.toml"), *S, *args]), expected)


def test_validate_prints_the_estimate_and_refuses_what_cannot_fit(scenario_dir):
    ok = runner.invoke(app, ["validate", str(scenario_dir / "centralized.toml")])
    assert ok.exit_code == 0 and "estimate ~" in ok.output
    for key, value in (("customers.count", "1000000000"), ("simulation.steps", "1000000000")):  # (1e9 is a float)
        result = runner.invoke(app, ["validate", str(scenario_dir / "centralized.toml"), "--set", f"{key}={value}"])
        one_error_line(result, f"silosim: error: {key}: the run would ")
        assert "estimate per run: ~" in result.output
    result = runner.invoke(
        app, ["validate", str(scenario_dir / "centralized.toml"), "--set", "organization.headcount.marketing=200000"]
    )
    one_error_line(result, "organization.headcount: the run would need")


def test_run_out_never_loses_or_mixes_earlier_results(tmp_path, scenario_dir):
    out = tmp_path / "run"
    first = runner.invoke(app, ["run", str(scenario_dir / "centralized.toml"), *S, "--out", str(out), "-q"])
    assert first.exit_code == 0, first.output
    before = (out / "summary.json").read_bytes()
    again = runner.invoke(app, ["run", str(scenario_dir / "centralized.toml"), *S, "--seed", "9", "--out", str(out)])
    one_error_line(again, "holds earlier results (timeseries.csv, inquiries.csv, summary.json)")
    assert (out / "summary.json").read_bytes() == before
    replaced = runner.invoke(
        app, ["run", str(scenario_dir / "centralized.toml"), *S, "--seed", "9", "--out", str(out), "--overwrite", "-q"]
    )
    assert replaced.exit_code == 0 and json.loads((out / "summary.json").read_text())["seed"] == 9
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(app, ["run", str(scenario_dir / "centralized.toml"), *S, "--out", str(blocker / "sub")])
    one_error_line(result, "cannot be created")


def test_a_failed_write_leaves_nothing_half_written(tmp_path, scenario_dir, monkeypatch):
    import simulation.studies.batch.store as store

    out = tmp_path / "run"
    real = store.os.replace
    calls = []

    def full_disk(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(store.os, "replace", full_disk)
    result = runner.invoke(app, ["run", str(scenario_dir / "centralized.toml"), *S, "--out", str(out)])
    assert result.exit_code == 2 and "cannot write (No space left on device)" in result.output
    assert not list(out.glob(".*.tmp"))  # temporaries cleaned up


def test_scheduler_that_does_not_answer_fails_fast_and_writes_nothing(tmp_path, scenario_dir):
    import time

    out = tmp_path / "b"
    start = time.monotonic()
    result = runner.invoke(
        app,
        ["compare", str(scenario_dir / "centralized.toml"), *S, "-r", "1", "--scheduler", "tcp://127.0.0.1:1",
         "--out", str(out)],
    )  # fmt: skip
    one_error_line(result, "--scheduler tcp://127.0.0.1:1: cannot connect")
    assert time.monotonic() - start < 15 and not out.exists()


def test_set_intervention_on_a_fixed_key_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[interventions]]\nstep = 3\naction = "set"\nkey = "simulation.steps"\nvalue = 10\n')
    one_error_line(runner.invoke(app, ["validate", str(path)]), "interventions[0].key: 'simulation.steps' is fixed")


def test_every_json_file_a_run_and_a_batch_write_is_strict(tmp_path, scenario_dir):
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")

    run_out, batch_out = tmp_path / "run", tmp_path / "batch"
    done = runner.invoke(app, ["run", str(scenario_dir / "centralized.toml"), *S, "--out", str(run_out), "-q"])
    assert done.exit_code == 0, done.output
    patient = ["--set", "customers.patience_scale=inf"]  # an infinite parameter in every config echo
    done = runner.invoke(
        app, ["compare", str(scenario_dir / "centralized.toml"), *S, *patient, "-r", "2", "-q", "--out", str(batch_out)]
    )
    assert done.exit_code == 0, done.output
    files = [*run_out.rglob("*.json"), *batch_out.rglob("*.json"), *batch_out.rglob("*.jsonl")]
    assert {p.name for p in files} >= {"summary.json", "manifest.json", "runs.jsonl"}
    for path in files:
        for text in [path.read_text()] if path.suffix == ".json" else path.read_text().splitlines():
            json.loads(text, parse_constant=refuse)
    summary = json.loads((run_out / "summary.json").read_text())
    assert summary["config"]["customers"]["count"] == 500
    assert summary["summary"]["crisis_containment_h"] is None  # NaN (no crisis) written as null


def test_report_refuses_a_text_kpi_column(tmp_path, scenario_dir):
    out = tmp_path / "b"
    done = runner.invoke(
        app, ["compare", str(scenario_dir / "centralized.toml"), *S, "-r", "2", "-q", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    frame = pd.read_csv(out / "summary.csv")
    frame["resolution_rate"] = frame["resolution_rate"].astype(object)
    frame.loc[0, "resolution_rate"] = "high"
    frame.to_csv(out / "summary.csv", index=False)
    one_error_line(
        runner.invoke(app, ["report", str(out)]), "KPI column resolution_rate: 'high' on line 2 is not a number"
    )


def test_commands_do_not_depend_on_import_order():
    import subprocess
    import sys

    code = (
        "import simulation.cli.optimize, simulation.cli.batch, simulation.cli.app, simulation.cli.options\n"
        "import typer.main\nfrom simulation.cli.main import app\n"
        "print(' '.join(sorted(typer.main.get_command(app).commands)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [
        "app",
        "calibrate",
        "compare",
        "ladder",
        "optimize",
        "presets",
        "report",
        "run",
        "sensitivity",
        "sweep",
        "validate",
    ]


def test_ladder_command_writes_its_table_and_waterfall(tmp_path):
    from typer.testing import CliRunner

    from simulation.cli.main import app

    out = tmp_path / "ladder"
    args = ["ladder", "scenarios/centralized.toml", "scenarios/center_of_excellence.toml", "--replicates", "2",
            "--workers", "1", "--set", "customers.count=400", "--set", "simulation.steps=96", "--out", str(out),
            "--quiet"]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out / "ladder.csv")
    assert {"start", "organization.hub", "interaction", "end"} <= set(table.step)
    assert (out / "figures" / "waterfall.png").exists() and "interaction" in (out / "report.md").read_text()
    bad = CliRunner().invoke(app, ["ladder", "scenarios/centralized.toml", "scenarios/centralized.toml", "--quiet",
                                   "--out", str(tmp_path / "same")])  # fmt: skip
    assert bad.exit_code == 2 and "does not differ" in bad.output


def test_every_batch_command_takes_the_shared_run_options_from_one_place():
    import typer.main

    from simulation.cli.options import RUN_PANEL

    group = typer.main.get_command(app)
    expected = {"--seed", "--workers", "--executor", "--scheduler", "--set", "--quiet"}
    resumable = {"--overwrite", "--retry-failed"}
    helps = {}
    for name in ("compare", "sweep", "sensitivity", "ladder", "calibrate", "optimize"):
        command = group.commands[name]
        shared = {
            o: p for p in command.params if p.param_type_name == "option" for o in p.opts if o in expected | resumable
        }
        assert set(shared) >= expected, name
        for option, param in shared.items():
            assert getattr(param, "rich_help_panel", None) == RUN_PANEL, (name, option)
            helps.setdefault(option, set()).add(param.help)
    assert all(len(texts) == 1 for texts in helps.values()), helps
    assert "--retry-failed" in {o for p in group.commands["compare"].params for o in p.opts}
    assert "--retry-failed" not in {o for p in group.commands["optimize"].params for o in p.opts}


def test_the_shared_options_reach_the_command(tmp_path, scenario_dir):
    result = runner.invoke(
        app,
        ["compare", str(scenario_dir / "centralized.toml"), "-r", "1", "--seed", "9", "-w", "1", "-q", "--out",
         str(tmp_path / "o"), "--set", "customers.count=120", "--set", "simulation.steps=48"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "o" / "summary.csv")
    assert result.output == ""  # --quiet
    assert len(summary) == 1
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["seed"] == 9
    assert manifest["scenarios"]["centralized"]["customers"]["count"] == 120  # --set


def test_validate_refuses_what_run_refuses(scenario_dir):
    # network.mean_degree=5000 on 500 customers: validate said ok while run refused it
    args = [str(scenario_dir / "centralized.toml"), *S, "--set", "network.mean_degree=5000"]
    expected = "network.mean_degree: 5000.0 is not below customers.count = 500"
    for command in ("validate", "run"):
        one_error_line(runner.invoke(app, [command, *args]), expected)
    from simulation import load_scenario
    from simulation.api import check_runnable

    config = load_scenario(scenario_dir / "centralized.toml", ["customers.count=500", "network.mean_degree=5000"])
    with pytest.raises(ScenarioError, match=expected):
        check_runnable(config)
    assert check_runnable(config.with_values({"network.mean_degree": 8.0})).seconds > 0
