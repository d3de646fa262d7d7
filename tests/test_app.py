"""The classroom app's wiring, without a browser: controls -> configs, stepping together, exports."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from simulation.app.controls import SIDES, Controls, SideControls, default_controls, explain, preset_names
from simulation.app.session import Comparison
from simulation.app.views import SAMPLE_LIMIT, chart_series, customer_sample, force_layout, sample_nodes
from simulation.outputs.kpis import SUMMARY
from simulation.scenario.presets import all_presets

SMALL = 1_000


@pytest.fixture
def controls() -> Controls:
    return Controls(SideControls.from_preset("centralized"), SideControls.from_preset("task_force"), SMALL, 7)


def test_every_preset_is_offered_and_explained():
    assert preset_names() == list(all_presets())
    for name in preset_names():
        config = Controls(SideControls.from_preset(name), SideControls.from_preset(name), SMALL).config("left")
        lines = explain(config)
        assert lines[0] == all_presets()[name].description
        assert lines[-1] == f"From: {all_presets()[name].source}"


def test_choosing_a_preset_gives_its_own_values_unchanged(controls):
    for side, name in zip(SIDES, ("centralized", "task_force"), strict=True):
        config = controls.config(side)
        plain = controls.config(side).with_values({"organization.model": name})
        assert config.organization == plain.organization
        assert config.customers.count == SMALL and config.simulation.seed == 7


def test_controls_change_the_config_the_model_gets(controls):
    changed = controls.with_model("left", "democratized").with_side(
        "left", silo_strength=0.9, training=False, guidelines=False, rewards=False, quota=True
    )
    comparison = Comparison(changed)
    try:
        left = comparison.models["left"].config
        assert left.organization.model == "democratized"
        assert left.organization.silo_strength == 0.9
        assert (left.people.training, left.content.guidelines, left.people.rewards, left.content.quota) == (
            False,
            False,
            False,
            True,
        )
        assert left.organization.internal_channel  # the rest of the preset still applies
        assert comparison.models["right"].config.organization.model == "task_force"  # other side untouched
        assert (
            comparison.models["left"].engine.params.silo_index
            != Comparison(controls).models["left"].engine.params.silo_index
        )
    finally:
        comparison.close()


def test_with_model_resets_the_side_to_the_preset(controls):
    changed = controls.with_side("right", silo_strength=0.05).with_model("right", "task_force")
    assert changed.right == SideControls.from_preset("task_force")
    assert changed.left == controls.left


def test_both_models_share_company_and_customers_and_step_together(controls):
    comparison = Comparison(controls)
    try:
        left, right = (comparison.models[s].engine for s in SIDES)
        assert np.array_equal(left.company.dept, right.company.dept)
        assert (left.state.adjacency != right.state.adjacency).nnz == 0
        comparison.step()
        comparison.step(5)
        assert left.steps_done == right.steps_done == 6 == comparison.steps_done
        assert len(left.records) == len(right.records) == 6
        assert comparison.clock() == "day 1, 14:00 (6 h simulated)"  # the class starts at 08:00
        assert set(comparison.summaries["left"]) >= {"share_of_voice", "silo_index"}
    finally:
        comparison.close()


def test_stepping_stops_at_the_end_of_the_run(controls):
    comparison = Comparison(controls)
    comparison.configs["left"] = comparison.configs["left"].with_values({"simulation.steps": 3})
    comparison.step(10)
    assert comparison.steps_done == 3 and comparison.finished
    comparison.close()


def test_exports_give_a_png_and_csvs(controls):
    comparison = Comparison(controls)
    try:
        comparison.step(24)
        png = comparison.charts_png()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        kpis = pd.read_csv(io.StringIO(comparison.kpi_csv()))
        assert list(kpis.columns) == ["hours", "kpi", "description", "centralized (left)", "task_force (right)"]
        assert "resolution_rate" in set(kpis.kpi)
        assert kpis.loc[kpis.kpi == "silo_index", "centralized (left)"].item() > 0
        series = pd.read_csv(io.StringIO(comparison.timeseries_csv()))
        assert len(series) == 48 and set(series.model) == {"centralized (left)", "task_force (right)"}
        assert all(image.startswith(b"\x89PNG") for image in comparison.figures_png().values())
    finally:
        comparison.close()


def test_customer_sample_is_capped_connected_and_cached():
    big = Controls(SideControls.from_preset("centralized"), SideControls.from_preset("organic"), 3_000, 3)
    comparison = Comparison(big)
    try:
        left, right = (comparison.models[s].engine for s in SIDES)
        sample = customer_sample(left)
        assert len(sample.nodes) == SAMPLE_LIMIT == len(set(sample.nodes.tolist()))
        assert customer_sample(right) is sample  # same customers: layout computed once
        assert comparison.side_figures["left"].customers.sample is comparison.side_figures["right"].customers.sample
        assert np.all((sample.positions >= 0) & (sample.positions <= 1))
        assert len(sample.segments) > len(sample.nodes) // 2
    finally:
        comparison.close()


def test_sample_nodes_and_layout_on_a_small_graph():
    import networkx as nx

    graph = nx.path_graph(10)
    adjacency = nx.to_scipy_sparse_array(graph, format="csr")
    assert sorted(sample_nodes(adjacency, 4).tolist()) == sorted(set(sample_nodes(adjacency, 4).tolist()))
    assert len(sample_nodes(adjacency, 4)) == 4 and len(sample_nodes(adjacency, 50)) == 10
    coo = adjacency.tocoo()
    pos = force_layout(coo.row, coo.col, 10, iterations=30)
    assert pos.shape == (10, 2) and np.isfinite(pos).all()
    ends = np.linalg.norm(pos[0] - pos[9])
    assert ends > np.linalg.norm(pos[0] - pos[1])  # a path lays out stretched


def test_chart_series_rolls_and_accumulates():
    records = [
        {
            "hours": h,
            "mentions_positive": 1.0,
            "mentions_negative": 0.0,
            "mentions_neutral": 0.0,
            "mentions_competitor": 3.0,
            "first_response_median_min": np.nan if h % 2 else 10.0 * h,
            "sentiment_mean": 0.1,
            "churn_rate": 0.0,
            "ideas_captured": 1.0,
            "handoffs_lost": 2.0,
        }
        for h in range(30)
    ]
    series = chart_series(records)
    assert np.allclose(series["share_of_voice"], 0.25)
    assert series["ideas_captured"][-1] == 30 and series["handoffs_lost"][-1] == 60
    assert series["first_response_min"][0] == 0.0 and np.isfinite(series["first_response_min"]).all()
    assert chart_series([])["days"].size == 0


def test_default_controls_and_page_import_without_building_anything():
    import importlib

    module = importlib.import_module("simulation.app.app")
    assert callable(module.Page)
    assert default_controls().left.model == "centralized"


def test_kpi_markdown_bolds_the_better_value(controls):
    from simulation.app.app import kpi_markdown

    comparison = Comparison(controls)
    try:
        comparison.step(48)
        table = kpi_markdown(comparison)
        assert table.splitlines()[0].startswith("| KPI | what it measures | centralized (left) | task_force (right)")
        checked = 0
        for line in table.splitlines()[2:]:
            name, _, left, right = (cell.strip() for cell in line.strip("|").split(" | "))
            values = [comparison.summaries[side][name] for side in ("left", "right")]
            better = SUMMARY[name].higher_is_better
            if better is None or not all(math.isfinite(v) for v in values) or values[0] == values[1]:
                assert "**" not in left + right, line
                continue
            best = values.index(max(values) if better else min(values))
            assert [left, right][best].startswith("**") and "**" not in [left, right][1 - best], line
            checked += 1
        assert checked >= 3
    finally:
        comparison.close()


def test_cli_app_command_is_registered():
    from typer.testing import CliRunner

    from simulation.cli.main import app

    result = CliRunner().invoke(app, ["app", "--help"])
    assert result.exit_code == 0 and "--port" in result.output


@pytest.fixture
def no_server(monkeypatch):
    """`silosim app` with the Solara server replaced by a record of where it would listen."""
    import importlib

    app_cli = importlib.import_module("simulation.cli.app")  # (simulation.cli.app, the attribute, is the Typer app)
    started = []
    monkeypatch.setattr(app_cli, "serve", lambda host, port: started.append((host, port)))
    return started


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("999.999.1.1", "--host 999.999.1.1: not a host name or address"),
        ("8.8.8.8", "--host 8.8.8.8: cannot listen there"),
        ("", "--host : not a host name or address"),
    ],
)
def test_cli_app_bad_host_is_one_line_exit_2(no_server, host, expected):
    from typer.testing import CliRunner

    from simulation.cli.main import app

    result = CliRunner().invoke(app, ["app", "--host", host, "--port", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert result.output.strip().splitlines() == [f"silosim: error: {result.output.split('error: ')[1].strip()}"]
    assert expected in result.output and not no_server


def test_cli_app_on_every_interface_warns_that_it_is_reachable_from_the_network(no_server):
    from typer.testing import CliRunner

    from simulation.cli.main import app

    wide = CliRunner().invoke(app, ["app", "--host", "0.0.0.0", "--port", "0"])
    assert wide.exit_code == 0 and "warning: --host 0.0.0.0: the app is reachable from the network" in wide.stderr
    local = CliRunner().invoke(app, ["app", "--port", "0"])
    assert local.exit_code == 0 and "warning" not in local.output
    assert [host for host, _ in no_server] == ["0.0.0.0", "127.0.0.1"]
