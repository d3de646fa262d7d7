"""The two engines run the same model: the agent engine (one Mesa agent per customer and
employee) and the vectorized engine agree in distribution on every summary KPI.

Design. For each scenario both engines run the same ``SEEDS`` seeds. A seed fixes the
company, both graphs and the initial customers (built by shared code), so the runs differ
only in the random draws of the step processes, which the engines make differently. Per
KPI we compare the two samples of ``len(SEEDS)`` run summaries:

* KPIs that vary between runs: Welch's t-test, failing below ``ALPHA / (number of tests)``
  (Bonferroni over every KPI of every scenario, family-wise error ``ALPHA``);
* near-deterministic KPIs (standard deviation below ``DETERMINISTIC_SD`` of the mean in both
  samples, e.g. ``silo_index``, ``skill_mean`` under training): the means must agree within
  a relative tolerance ``RTOL`` (1%) — they are set by shared code and should be equal;
* KPIs undefined (NaN) in too many runs of either engine (``crisis_containment_h`` without
  a crisis) are compared only when each engine has ``MIN_RUNS`` defined values.

Scenarios are small (300 customers, 200 hourly steps) with a higher inquiry rate so that
support KPIs are informative; the whole file takes about a minute on two cores.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from simulation import build_config, run
from simulation.cli.main import app
from simulation.outputs.kpis import SUMMARY

SEEDS = tuple(range(1, 11))
ALPHA = 0.01
RTOL = 0.01
DETERMINISTIC_SD = 1e-9
MIN_RUNS = 5
SMALL = {
    "customers": {"count": 300, "inquiry_rate_per_day": 0.05, "follower_share": 0.3},
    "simulation": {"steps": 200},
    "competitor": {"mentions_per_customer_per_day": 0.08},
}
SCENARIOS: dict[str, dict] = {
    "centralized": {"organization": {"model": "centralized"}},
    "democratized": {"organization": {"model": "democratized"}, "content": {"guidelines": False}},
    "center_of_excellence": {"organization": {"model": "center_of_excellence"}},
    "reorganise_and_crisis": {
        "organization": {"model": "centralized"},
        "interventions": [
            {"step": 40, "action": "change_org_model", "model": "task_force", "adoption_lag_steps": 48},
            {"step": 90, "action": "crisis", "size": 15},
            {"step": 120, "action": "training"},
        ],
    },
}
N_TESTS = len(SCENARIOS) * len(SUMMARY)


def summaries(scenario: str, engine: str) -> dict[str, np.ndarray]:
    """KPI name -> one value per seed, for one scenario and engine."""
    raw = {**SCENARIOS[scenario], **SMALL}
    raw["simulation"] = {**SMALL["simulation"], "engine": engine}
    config = build_config(raw)
    results = [run(config, seed).summary for seed in SEEDS]
    return {name: np.array([r[name] for r in results], dtype=float) for name in SUMMARY}


def compare(name: str, a: np.ndarray, b: np.ndarray) -> str | None:
    """Why the two samples of one KPI disagree, or None if they agree."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < MIN_RUNS or len(b) < MIN_RUNS:
        return None
    scale = max(abs(a.mean()), abs(b.mean()), 1e-12)
    if a.std() <= DETERMINISTIC_SD * scale and b.std() <= DETERMINISTIC_SD * scale:
        if abs(a.mean() - b.mean()) > RTOL * scale:
            return f"{name}: deterministic values differ: {a.mean():.6g} vs {b.mean():.6g}"
        return None
    with warnings.catch_warnings():  # nearly constant samples (e.g. idea_capture_rate = 1) warn harmlessly
        warnings.simplefilter("ignore", RuntimeWarning)
        p = stats.ttest_ind(a, b, equal_var=False).pvalue
    if math.isfinite(p) and p < ALPHA / N_TESTS:
        return f"{name}: means {a.mean():.4g} vs {b.mean():.4g} (Welch p = {p:.2g})"
    return None


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_engines_agree_in_distribution(scenario):
    vectorized, agents = summaries(scenario, "vectorized"), summaries(scenario, "agents")
    problems = [msg for name in SUMMARY if (msg := compare(name, vectorized[name], agents[name]))]
    assert not problems, f"{scenario}: " + "; ".join(problems)


def test_agent_engine_is_mesa_agents_on_the_graphs():
    from mesa.discrete_space import Network

    from simulation.engines.agents import AgentEngine, Customer, Employee
    from simulation.engines.mesa_model import SocialMediaOrgModel

    config = build_config({**SMALL, "simulation": {"steps": 5, "engine": "agents"}})
    model = SocialMediaOrgModel(config, seed=4, agent_views=False)
    engine = model.engine
    assert isinstance(engine, AgentEngine)
    population = engine.population
    assert len(population.customers) == engine.n_customers == 300
    assert len(population.employees) == engine.company.size
    assert isinstance(population.social_network, Network)
    first = population.customer_at[0]
    assert isinstance(first, Customer) and first.cell is population.social_network[0]
    assert {a.index for a in first.cell.neighborhood.agents} == set(engine.social_graph.neighbors(0))
    assert isinstance(population.employee_at[0], Employee)
    first.sentiment = 0.25  # an agent's attribute is its row of the engine's state
    assert engine.state.sentiment[0] == 0.25
    for _ in range(5):
        model.step()
    result = model.result()
    assert result.meta["engine"] == "agents"
    assert len(result.timeseries) == 5


def test_agent_engine_is_reproducible_for_a_seed():
    config = build_config({**SMALL, "simulation": {"steps": 30, "engine": "agents"}})
    first, second = run(config, seed=7), run(config, seed=7)
    assert first.timeseries.equals(second.timeseries)


def test_reorganisation_moves_employees_to_the_new_org_graph():
    from simulation.engines.agents import AgentEngine
    from simulation.engines.build import build_engine

    config = build_config(
        {**SMALL, **SCENARIOS["reorganise_and_crisis"], "simulation": {"steps": 150, "engine": "agents"}}
    )
    engine = build_engine(config, seed=3)
    assert isinstance(engine, AgentEngine)
    for _ in range(45):
        engine.step()
    assert config.organization.model == "centralized"
    assert engine.config.organization.model == "task_force"
    graph = engine.population.org_network.G
    assert graph is engine.structure.graph
    assert any(kind == "team" for _, _, kind in graph.edges(data="kind"))
    assert all(e.cell is engine.population.org_network[e.index] for e in engine.population.employee_at)


runner = CliRunner()


def test_cli_runs_the_agent_engine(scenario_dir):
    result = runner.invoke(
        app,
        [
            "run",
            "--engine",
            "agents",
            str(scenario_dir / "centralized.toml"),
            "--set",
            "customers.count=2000",
            "--set",
            "simulation.steps=24",
            "--seed",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "resolution_rate" in result.output
    assert "24 steps" in result.output


def test_scenario_file_can_choose_the_agent_engine(tmp_path, scenario_dir):
    path = tmp_path / "agents.toml"
    path.write_text(
        f'extends = "{(scenario_dir / "centralized.toml").as_posix()}"\n'
        '[simulation]\nengine = "agents"\nsteps = 12\n[customers]\ncount = 500\n'
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    import json

    assert json.loads((out / "summary.json").read_text())["meta"]["engine"] == "agents"


@pytest.mark.parametrize("engine", ["vectorized", "agents"])
def test_churned_count_follows_the_churned_flags(engine):
    """Without replacement churned customers stay churned; the kept count is their number at every step."""
    from simulation.engines.build import build_engine

    config = build_config(
        {
            "customers": {"count": 400, "replace_churned": False, "churn_per_year": 0.9},
            "simulation": {"steps": 200, "engine": engine},
        }
    )
    model = build_engine(config, seed=3)
    for _ in range(config.simulation.steps):
        model.step()
        assert model.state.churned_count == int(model.state.churned.sum())
    assert model.state.churned_count > 0
    population = getattr(model, "population", None)
    if population is not None:
        population.remove_all_agents()


def test_the_record_counts_active_followers_and_advocates_only():
    """A churned customer can follow again (an answer to an inquiry raised before leaving): not counted."""
    from simulation.engines.build import build_engine

    config = build_config({"customers": {"count": 300, "replace_churned": False}, "simulation": {"steps": 5}})
    engine = build_engine(config, seed=2)
    engine.step()
    state = engine.state
    gone = np.flatnonzero(~state.churned)[:5]
    state.churned[gone] = True
    state.churned_count += len(gone)
    state.follows[gone] = True  # as take_answer leaves them
    record = engine.step()
    assert record["followers"] == float((state.follows & ~state.churned).sum())
    assert record["advocates"] == int((state.advocate & ~state.churned).sum())
    assert record["followers"] < state.follows.sum()
