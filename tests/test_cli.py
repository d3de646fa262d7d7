import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app

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
