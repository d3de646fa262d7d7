"""silosim on any Mesa 3: no warnings from our calls, the DataCollector's KPIs, Mesa's batch_run."""

from __future__ import annotations

import math
import warnings

import mesa
import numpy as np
import pytest

from simulation import SocialMediaOrgModel, build_config
from simulation.engines.mesa_compat import batch_run, batch_run_takes_rng, mesa_version, model_rng
from simulation.engines.mesa_model import COLLECTED
from simulation.outputs.kpis import HEADLINE


def tiny(engine: str = "vectorized", steps: int = 96, **extra) -> object:
    return build_config(
        {
            "customers": {"count": 600},
            "simulation": {"steps": steps, "engine": engine},
            "organization": {"model": "center_of_excellence"},
            **extra,
        }
    )


def busy(engine: str = "vectorized") -> object:
    """Siloed and gaffe-prone, then democratized over a lag: every headline KPI is non-zero."""
    return build_config(
        {
            "customers": {"count": 1000},
            "simulation": {"steps": 168, "engine": engine},
            "organization": {"model": "centralized"},
            "content": {"gaffe_prob": 0.3, "guidelines": False},
            "people": {"training": False},
            "interventions": [
                {"step": 60, "action": "change_org_model", "model": "democratized", "adoption_lag_steps": 24}
            ],
        }
    )


def final_summary(config, seed: int) -> dict[str, float]:
    model = SocialMediaOrgModel(config, seed, agent_views=False, collect=False)
    while model.running:
        model.step()
    return model.finish().summary


def same(a: float, b: float) -> bool:
    """The same float (NaN equals NaN): the running values are the summary's formulas on the same arrays."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_mesa_version_parsing():
    assert mesa_version("3.3.1") == (3, 3)
    assert mesa_version("3.5.1.dev0") == (3, 5)
    assert mesa_version()[0] == 3
    assert not batch_run_takes_rng((3, 3)) and batch_run_takes_rng((3, 5))
    with pytest.raises(ValueError, match="mesa version"):
        mesa_version("x")


def test_model_rng_seeds_mesa_streams_as_seed_did():
    # Model(rng=int) gives model.random and model.rng the same streams as the deprecated Model(seed=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        old = mesa.Model(seed=11)
    new = mesa.Model(**model_rng(11))
    assert new.random.random() == old.random.random()
    assert new.rng.random() == old.rng.random()


def test_networks_get_no_layout():
    # Mesa 3.5 would compute a spring layout (seconds for 600 nodes); silosim never uses positions
    model = SocialMediaOrgModel(tiny(steps=1), seed=1)
    assert len(model.grid.all_cells) == 600
    assert getattr(model.grid, "_kdtree", None) is None  # Mesa 3.5 builds a KD-tree of positions when it has them
    model.release()


def test_model_and_both_engines_warn_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every warning from silosim's own Mesa calls fails the test
        for engine in ("vectorized", "agents"):
            model = SocialMediaOrgModel(tiny(engine, steps=4), seed=1)
            for _ in range(4):
                model.step()
            model.finish()


@pytest.mark.parametrize("engine", ["vectorized", "agents"])
def test_datacollector_last_row_is_the_summary(engine):
    config = busy(engine)
    model = SocialMediaOrgModel(config, seed=3, agent_views=False)
    while model.running:
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 168 and list(frame.columns) == list(COLLECTED) and set(HEADLINE) <= set(COLLECTED)
    timeseries = model.result().timeseries
    last, summary = frame.iloc[-1], model.finish().summary
    assert all(summary[name] != 0 and np.isfinite(summary[name]) for name in HEADLINE), (
        summary
    )  # non-trivial values (net_value is signed)
    for name in COLLECTED:
        if name in summary:
            assert same(last[name], summary[name]), name
    assert last["inquiries"] == timeseries["inquiries"].sum() and last["resolved"] == timeseries["resolved"].sum()
    # running values: counts never fall, rates stay rates
    for count in ("inquiries", "answered", "resolved", "handoffs_lost", "gaffes", "reach"):
        assert (frame[count].diff().dropna() >= 0).all(), count
    for rate in ("resolution_rate", "response_rate", "answered_within_1h_share", "share_of_voice"):
        assert frame[rate].dropna().between(0, 1).all(), rate
    raised = frame["inquiries"] > 0
    assert (frame["resolution_rate"][raised] <= frame["response_rate"][raised]).all()
    assert frame["resolution_rate"][~raised].isna().all()  # a rate of no inquiries is undefined, as in the summary


def test_running_values_mid_run_are_the_summary_so_far():
    model = SocialMediaOrgModel(busy(), seed=5, agent_views=False, collect=False)
    for _ in range(100):  # mid-way through the change of org model
        model.step()
    so_far, summary = model.so_far.values(), model.result().summary
    for name in HEADLINE:
        assert same(so_far[name], summary[name]), name
    model.release()


def test_mesa_batch_run_returns_every_headline_kpi():
    config = tiny(steps=48)
    # a Config is iterable (pydantic), so Mesa needs it in a list to see one value
    rows = mesa.batch_run(SocialMediaOrgModel, {"config": [config]}, max_steps=500, display_progress=False)
    # one row per run on Mesa 3.3; Mesa 3.4+ adds the departments' agent-type reporters, one row per department
    assert len(rows) == (1 if mesa_version() < (3, 4) else 7)
    assert {row["RunId"] for row in rows} == {0}
    summary = final_summary(config, config.simulation.seed)
    for row in rows:
        assert set(HEADLINE) <= set(row) and "resolution_rate" in row
        for name in HEADLINE:
            assert same(row[name], summary[name]), name


def test_batch_run_gives_one_replicate_per_seed_on_any_mesa():
    config = tiny(steps=48)
    rows = batch_run(SocialMediaOrgModel, {"config": config}, [1, 2], max_steps=500, display_progress=False)
    assert {row["seed"] for row in rows} == {1, 2} and len({row["RunId"] for row in rows}) == 2
    expected = {seed: final_summary(config, seed) for seed in (1, 2)}
    for row in rows:  # each row is the run with its own seed, to its last step
        assert all(same(row[name], expected[row["seed"]][name]) for name in HEADLINE)
    assert expected[1]["reach"] != expected[2]["reach"]
    with pytest.raises(ValueError, match="seeds"):
        batch_run(SocialMediaOrgModel, {"config": config}, [], display_progress=False)
    with pytest.raises(ValueError, match="iterations"):
        batch_run(SocialMediaOrgModel, {"config": config}, [1], iterations=3)


def test_running_stops_at_the_scenario_length():
    model = SocialMediaOrgModel(tiny(steps=3), seed=1, agent_views=False, collect=False)
    states = []
    for _ in range(3):
        assert model.running
        model.step()
        states.append(model.running)
    assert states == [True, True, False] and model.steps == 3
    model.release()
