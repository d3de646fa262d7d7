"""Batch reports and figures, and the batch commands end to end through the CLI."""

from __future__ import annotations

import pytest
from conftest import TINY
from typer.testing import CliRunner

from simulation.cli.main import app
from simulation.outputs.report import write_report
from simulation.studies import batch

runner = CliRunner()
TINY_SET = [arg for override in TINY for arg in ("--set", override)]
PNG = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    assert path.is_file(), path
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 5000, path


def test_compare_report_with_figures(two, tmp_path):
    out = tmp_path / "cmp"
    batch.compare(two, 3, seed=4, out=out)
    path = write_report(out)
    text = path.read_text()
    assert "## KPIs (mean ± 95% CI half-width)" in text and "## Paired differences vs centralized" in text
    assert "| resolution_rate |" in text and " ± " in text
    for name in ("kpi_bars", "timeseries", "overview"):
        assert f"figures/{name}.png" in text
        assert_png(out / "figures" / f"{name}.png")
    assert (out / "ci.csv").is_file() and (out / "paired.csv").is_file()


def test_report_of_a_kpi_registered_only_when_the_batch_ran(two, tmp_path, fresh_registries, monkeypatch):
    """`silosim report` in a later session still reports a custom KPI it no longer knows (no direction)."""
    import simulation
    from simulation.outputs import kpis

    simulation.register_kpi("test_days", lambda result: len(result.timeseries) / 24, higher_is_better=True)
    out = tmp_path / "custom"
    batch.compare(two, 2, seed=4, out=out, workers=1)
    monkeypatch.setattr(kpis, "_USER_KPIS", {})  # a new process: the KPI is not registered
    text = write_report(out, ["resolution_rate", "test_days"]).read_text()
    assert "| test_days |  |" in text and "| resolution_rate | ↑ |" in text


def test_silo_strength_sweep_report(two, tmp_path):
    out = tmp_path / "sweep"
    batch.sweep(two[:1], {"organization.silo_strength": [0.0, 0.5, 1.0]}, replicates=2, seed=1, out=out)
    text = write_report(out).read_text()
    assert "## Sweep over organization.silo_strength" in text
    assert_png(out / "figures" / "silo_sweep.png")
    assert_png(out / "figures" / "timeseries.png")


def test_cli_compare_end_to_end(scenario_dir, tmp_path):
    out = tmp_path / "cmp"
    args = [
        "compare",
        str(scenario_dir / "centralized.toml"),
        str(scenario_dir / "democratized.toml"),
        "--replicates",
        "2",
        "--workers",
        "1",
        "--seed",
        "9",
        "--out",
        str(out),
        "--quiet",
        *TINY_SET,
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "report.md").is_file() and (out / "summary.csv").is_file()
    result = runner.invoke(app, [a for a in args if a != "--quiet"])  # resumed: nothing to run, table printed
    assert result.exit_code == 0, result.output
    assert "resolution_rate" in result.output and "±" in result.output
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0 and "report.md" in result.output


def test_cli_sweep_and_sensitivity(scenario_dir, tmp_path):
    scenario = str(scenario_dir / "centralized.toml")
    result = runner.invoke(
        app,
        [
            "sweep",
            scenario,
            "--param",
            "organization.silo_strength=0:1:2",
            "-r",
            "1",
            "-w",
            "1",
            "--out",
            str(tmp_path / "sw"),
            "-q",
            *TINY_SET,
        ],
    )
    assert result.exit_code == 0, result.output
    assert_png(tmp_path / "sw" / "figures" / "silo_sweep.png")
    result = runner.invoke(
        app,
        [
            "sensitivity",
            scenario,
            "--param",
            "organization.silo_strength=0:1",
            "--param",
            "organization.coordination=0:1",
            "--n",
            "2",
            "--kpi",
            "reach",
            "-w",
            "1",
            "--out",
            str(tmp_path / "sa"),
            "-q",
            "--set",
            "customers.count=800",
            "--set",
            "simulation.steps=48",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sa" / "sobol.csv").is_file()
    assert_png(tmp_path / "sa" / "figures" / "sobol_centralized.png")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--set", "organization.nope=1"], "organization.nope: unknown key"),
        (["--kpi", "happiness"], "--kpi happiness: unknown KPI"),
        (["--baseline", "nobody"], "--baseline nobody"),
        (["--executor", "spark"], "--executor spark"),
        (["--seed", "2"], "holds another batch"),
    ],
)
def test_cli_bad_input_one_line_exit_2(scenario_dir, tmp_path, extra, expected):
    out = tmp_path / "cmp"
    base = [
        "compare",
        str(scenario_dir / "centralized.toml"),
        "-r",
        "1",
        "-w",
        "1",
        "--seed",
        "1",
        "--out",
        str(out),
        "-q",
        *TINY_SET,
    ]
    assert runner.invoke(app, base).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    result = runner.invoke(app, [*base, *extra])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # nothing lost


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sweep", "{s}", "--param", "organization.silo_strength=0:1"], "start:stop:num"),
        (["sweep", "{s}", "--param", "organization.silo_strength=0:2:3"], "organization.silo_strength"),
        (["sweep", "{s}", "--param", "silo"], "expected key="),
        (["sweep", "{s}", "--param", "organization.silo_strength=0:1", "--sample", "lhs"], "--n"),
        (["sensitivity", "{s}", "--param", "organization.silo_strength=0:1", "--n", "3"], "power of 2"),
        (["report", "{tmp}"], "manifest.json"),
        (
            [
                "sweep",
                "{s}",
                "--param",
                "organization.silo_strength=0.2,0.4",
                "--param",
                "organization.silo_strength=0.6",
            ],
            "--param organization.silo_strength: given twice",
        ),
        (
            ["sweep", "{s}", "--sample", "lhs", "--n", "4"]
            + ["--param", "organization.silo_strength=0.2:0.4", "--param", "organization.silo_strength=0.5:0.6"],
            "--param organization.silo_strength: given twice",
        ),
        (
            ["sensitivity", "{s}", "--n", "4"]
            + ["--param", "organization.silo_strength=0.2:0.4", "--param", "organization.silo_strength=0.5:0.6"],
            "--param organization.silo_strength: given twice",
        ),
    ],
)
def test_cli_bad_batch_input(scenario_dir, tmp_path, args, expected):
    args = [a.format(s=scenario_dir / "centralized.toml", tmp=tmp_path) for a in args]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o")] if args[0] != "report" else args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output
    assert not (tmp_path / "o").exists()


def test_sweep_axes_stop_at_zero_only_for_non_negative_kpis():
    """Wide intervals of a share may dip below 0; the axis does not, but a signed KPI's may."""
    import pandas as pd

    from simulation.outputs import plots

    rows = [
        {"scenario": "s", "organization.silo_strength": x, "kpi": kpi, "mean": m, "low": m - 0.5, "high": m + 0.5}
        for x in (0.0, 0.5, 1.0)
        for kpi, m in (("resolution_rate", 0.2), ("sentiment_mean", 0.1))
    ]
    fig = plots.sweep_curves(
        pd.DataFrame(rows), "organization.silo_strength", ["resolution_rate", "sentiment_mean"], "t"
    )
    share, sentiment = fig.axes[:2]
    assert share.get_ylim()[0] == 0 and sentiment.get_ylim()[0] < 0
    assert share.get_ylabel() == "share (0-1)" and sentiment.get_ylabel() == "sentiment (-1 to 1)"


def test_each_scenario_keeps_its_style_in_every_figure(two, tmp_path, monkeypatch):
    """Scenarios given out of alphabetical order: bars, radar and time series all use the given order."""
    from simulation.outputs import plots

    seen = {}
    order = {
        "kpi_bars": lambda frame: frame["scenario"],
        "timeseries_bands": lambda frame: frame["label"],
        "overview_radar": lambda frame: frame.index,  # one row per scenario
    }
    for name, groups in order.items():
        original = getattr(plots, name)

        def spy(frame, *args, _original=original, _name=name, _groups=groups, **kwargs):
            seen[_name] = list(dict.fromkeys(_groups(frame)))
            return _original(frame, *args, **kwargs)

        monkeypatch.setattr(plots, name, spy)
    out = tmp_path / "cmp"
    batch.compare({"zeta": two[0], "alpha": two[1]}, 2, seed=4, out=out)
    write_report(out)
    assert seen == dict.fromkeys(order, ["zeta", "alpha"])


@pytest.mark.parametrize(
    ("manifest", "summary", "expected"),
    [
        ("{}", "run_id,scenario,resolution_rate\na,b,0.5\n", "manifest.json: kind None is not one of"),
        ("[]", "run_id,scenario,resolution_rate\na,b,0.5\n", "manifest.json: expected a JSON object, not list"),
        ('{"kind": "compare"}', "run_id,scenario\na,b\n", "manifest.json: no counts.planned"),
        (
            '{"kind": "compare", "counts": {"planned": 1}}',
            "run_id,scenario,resolution_rate\na,b,0.5\n",
            "summary.csv: no point column",
        ),
        (
            '{"kind": "compare", "counts": {"planned": 1}, "scenarios": {"b": 3}}',
            "run_id,scenario\na,b\n",
            "scenarios must map names to configs",
        ),
    ],
)
def test_report_of_a_broken_batch_directory_is_one_line(tmp_path, manifest, summary, expected):
    (tmp_path / "manifest.json").write_text(manifest)
    (tmp_path / "summary.csv").write_text(summary)
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and expected in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "summary.csv"]  # nothing written
