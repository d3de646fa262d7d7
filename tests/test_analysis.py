import math

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import LineCollection

import simulation
from simulation.outputs import analysis, plots_org
from simulation.studies.theory import erlang_c_wait_probability, percolation_giant_fraction

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def centralized(request):
    root = request.config.rootpath
    config = simulation.load_scenario(
        root / "scenarios" / "centralized.toml", ["customers.count=2000", "simulation.steps=336"]
    )
    return simulation.run(config, seed=3)


def test_handoff_table_counts_every_handoff_and_loss(centralized):
    table = analysis.handoff_table(centralized)
    inq = centralized.inquiries
    moved = inq[(inq.detector >= 0) & (inq.detector != inq.owner)]
    assert table.handoffs.sum() == len(moved) == centralized.summary["handoffs"]
    assert table.lost.sum() == moved.lost.sum() == centralized.summary["handoffs_lost"]
    assert set(table.detector) == {"marketing"}  # only marketing listens in the centralized model
    assert (table.loss_rate == table.lost / table.handoffs).all()
    assert (table.mean_delay_h > 0).all() and (table.hops >= 1).all()
    matrix = analysis.handoff_matrix(centralized, "handoffs")
    assert matrix.loc["marketing"].sum() == len(moved)


def test_handoff_table_is_empty_without_handoffs(centralized):
    config = centralized.config.with_values({"support.handoffs": False, "simulation.steps": 48})
    result = simulation.run(config, seed=1)
    assert analysis.handoff_table(result).empty
    assert analysis.handoff_matrix(result).empty


def test_inquiry_funnel_is_monotone_and_sums(centralized):
    funnel = analysis.inquiry_funnel(centralized)
    assert funnel.loc["total", "raised"] == len(centralized.inquiries)
    assert (funnel.loc["total"] == funnel.drop(index="total").sum()).all()
    for earlier, later in [
        ("raised", "detected"),
        ("detected", "reached_owner"),
        ("reached_owner", "answered"),
        ("answered", "resolved"),
    ]:
        assert (funnel[earlier] >= funnel[later]).all()
    assert funnel.loc["total", "resolved"] == round(centralized.summary["resolution_rate"] * len(centralized.inquiries))


def test_lost_ideas_explain_every_idea_not_captured(centralized):
    outcomes = analysis.idea_outcomes(centralized)
    assert outcomes["raised"] == centralized.summary["ideas_raised"]
    assert outcomes["captured"] == centralized.summary["ideas_captured"]
    assert outcomes["raised"] == outcomes[["captured", "undetected", "lost_in_handoff", "in_transit"]].sum()
    lost = analysis.lost_ideas(centralized)
    assert (lost.kind_name == "idea").all()
    assert set(lost.reason) <= {"undetected", "lost_in_handoff", "in_transit"}
    assert (lost[lost.reason == "undetected"].detector == -1).all()
    assert lost[lost.reason == "lost_in_handoff"].lost.all()


def test_handoff_routes_follow_the_structure(centralized):
    engine = simulation.SocialMediaOrgModel(centralized.config, seed=3, agent_views=False).engine
    departments = engine.company.departments
    routes = analysis.handoff_routes(engine.structure, departments)
    assert not (routes["from"] == routes["to"]).any()
    graph = engine.structure.graph
    for row in routes.itertuples():
        assert len(row.path) - 1 == row.hops == len(row.kinds.split(" > "))
        assert all(graph.has_edge(u, v) for u, v in zip(row.path[:-1], row.path[1:], strict=True))
        assert 0 <= row.loss <= 1 and row.delay_h > 0


def test_daily_sums_flows_and_averages_stocks(centralized):
    day = analysis.daily(centralized.timeseries)
    assert len(day) == 14
    assert day.posts.sum() == centralized.timeseries.posts.sum()
    assert day.sentiment_mean.iloc[0] == pytest.approx(centralized.timeseries.sentiment_mean.iloc[:24].mean())


def test_mmc_config_is_an_mmc_queue():
    config = analysis.mmc_config(4, 4.0, 0.7, customers=2000, steps=400)
    assert config.support.handoffs is False and math.isinf(config.customers.patience_scale)
    result = simulation.run(config, seed=2)
    inq = result.inquiries
    assert (inq.detector == inq.owner).all() and (inq.owner_name == "customer_service").all()
    waits = analysis.queue_waits(result)
    assert len(waits) > 0.98 * len(inq)
    arrival_rate = len(inq) / 400
    assert arrival_rate == pytest.approx(0.7 * 4 * 4.0, rel=0.1)
    assert (waits > 0).mean() == pytest.approx(erlang_c_wait_probability(4, 11.2, 4.0), abs=0.1)


def test_cascade_sizes_match_percolation_above_threshold():
    sizes = analysis.cascade_sizes(3000, 4.0, 0.5, 150, np.random.default_rng(5))
    large = sizes > 0.05
    s = percolation_giant_fraction(4.0, 0.5)
    assert large.mean() == pytest.approx(s, abs=0.12)
    assert sizes[large].mean() == pytest.approx(s, abs=0.05)
    assert (analysis.cascade_sizes(3000, 4.0, 0.1, 50, np.random.default_rng(5)) < 0.01).all()


def test_draw_internal_graph_and_heatmap(centralized):
    engine = simulation.SocialMediaOrgModel(centralized.config, seed=3, agent_views=False).engine
    paths = [engine.structure.handoffs.paths[(0, 3)]]
    ax = plots_org.draw_internal_graph(engine.structure, engine.company.departments, highlight_paths=paths, title="t")
    assert ax.get_title() == "t"
    ties = sum(len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection))
    assert ties == engine.structure.graph.number_of_edges() and len(ax.lines) == 1  # every tie, one route
    ax = plots_org.handoff_heatmap(analysis.handoff_matrix(centralized), unit="hours")
    assert ax.get_xlabel().startswith("owner")
    import matplotlib.pyplot as plt

    plt.close("all")
