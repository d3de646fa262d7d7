"""silosim optimize: the best design under a budget, Pareto fronts, resume, determinism, best/*.toml, errors."""

from __future__ import annotations

import math
import socket

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS
from typer.testing import CliRunner

from simulation import load_scenario, optimize, run
from simulation.cli.main import app
from simulation.errors import ScenarioError
from simulation.rng import replicate_seeds
from simulation.studies import batch
from simulation.studies.batch import RunOptions
from simulation.studies.optimizer.outputs import non_dominated

OPT = ["customers.count=600", "simulation.steps=150"]
SEED = 11
SPACE = {
    "organization.model": {"choices": ["centralized", "task_force", "democratized", "center_of_excellence"]},
    "organization.shared_tool": {"choices": [True, False]},
}
MIXED = {
    **SPACE,
    "support.staffed_hours": {"choices": [[8, 20], [0, 24]]},
    "organization.silo_strength": {"range": [0.2, 0.8]},
}


@pytest.fixture(scope="module")
def base():
    return load_scenario(SCENARIOS / "centralized.toml", OPT)


@pytest.fixture(scope="module")
def brute(base):
    """Every design of SPACE on the seeds optimize uses (a sweep over the grid, 2 replicates)."""
    grid = {k: v["choices"] for k, v in SPACE.items()}
    result = batch.sweep([base], grid, replicates=2, seed=SEED)
    means = result.summary.groupby(list(grid))[["resolution_rate", "cost_total"]].mean().reset_index()
    return means


@pytest.fixture(scope="module")
def budgeted(base, brute, tmp_path_factory):
    """A budget just below the unconstrained best design's cost, and the study run under it."""
    best_cost = brute.loc[brute["resolution_rate"] == brute["resolution_rate"].max(), "cost_total"].min()
    cheaper = brute[brute["cost_total"] < best_cost]
    assert len(cheaper), "the unconstrained best design is the cheapest: the test needs another space"
    budget = (cheaper["cost_total"].max() + best_cost) / 2
    out = tmp_path_factory.mktemp("budget")
    result = optimize(
        base, SPACE, ["resolution_rate:max"], [f"cost_total<={budget}"], trials=16, replicates=2, seed=SEED, out=out
    )
    return budget, result


def test_finds_the_known_best_design_under_the_budget(brute, budgeted):
    budget, result = budgeted
    feasible = brute[brute["cost_total"] <= budget]
    unconstrained = brute["resolution_rate"].max()
    assert feasible["resolution_rate"].max() < unconstrained  # the budget rules the best design out
    found = result.pareto.iloc[0]
    assert found["cost_total"] <= budget
    assert math.isclose(found["resolution_rate"], feasible["resolution_rate"].max(), rel_tol=1e-12)
    match = feasible[
        (feasible["organization.model"] == found["organization.model"])
        & (feasible["organization.shared_tool"] == found["organization.shared_tool"])
    ]
    assert len(match) == 1 and math.isclose(match["resolution_rate"].iloc[0], found["resolution_rate"])
    report = (result.root / "report.md").read_text()
    assert "## Pareto front" in report and found["name"] in report and (result.root / "pareto.png").stat().st_size


@pytest.fixture(scope="module")
def two_objectives(base, brute, tmp_path_factory):
    budget = float(brute["cost_total"].median())
    out = tmp_path_factory.mktemp("pareto")
    result = optimize(
        base,
        MIXED,
        ["resolution_rate:max", "cost_total"],
        [f"cost_total<={budget}"],
        trials=12,
        replicates=2,
        seed=SEED,
        out=out,
    )
    return budget, result


def test_pareto_designs_are_feasible_and_none_dominates_another(two_objectives):
    budget, result = two_objectives
    pareto = pd.read_csv(result.root / "pareto.csv")
    trials = pd.read_csv(result.root / "trials.csv")
    assert len(trials) == 12 and len(pareto) >= 1
    assert (pareto["cost_total"] <= budget).all() and pareto["feasible"].all()
    values = pareto[["resolution_rate", "cost_total"]].to_numpy(float)
    assert non_dominated(values, [True, False]).all()
    # and every feasible complete trial is matched or dominated by a Pareto design
    done = trials[(trials["state"] == "complete") & trials["feasible"]][["resolution_rate", "cost_total"]]
    for rate, cost in done.to_numpy(float):
        assert ((values[:, 0] >= rate) & (values[:, 1] <= cost)).any()
    assert {"resolution_rate_lo", "resolution_rate_hi", "violation[cost_total<=" + f"{budget:g}]"} <= set(trials)


def test_non_dominated():
    x = np.array([[1.0, 5.0], [2.0, 6.0], [2.0, 4.0], [0.5, 1.0]])
    assert non_dominated(x, [True, False]).tolist() == [False, False, True, True]


def test_every_best_toml_runs_and_reproduces_its_trial(two_objectives):
    _, result = two_objectives
    files = sorted((result.root / "best").glob("*.toml"))
    assert [f.stem for f in files] == sorted(result.pareto["name"])
    seeds = replicate_seeds(SEED, 2)
    for path in files:
        config = load_scenario(path)
        row = result.pareto[result.pareto["name"] == path.stem].iloc[0]
        mean = np.mean([run(config, seed=s).summary["resolution_rate"] for s in seeds])
        assert math.isclose(mean, row["resolution_rate"], rel_tol=1e-12)
    cli = CliRunner().invoke(app, ["run", str(files[0]), "--quiet"])
    assert cli.exit_code == 0, cli.output


def test_resume_continues_without_rerunning(base, tmp_path):
    import optuna
    from optuna.storages import RDBStorage

    first = optimize(base, SPACE, ["resolution_rate"], trials=4, replicates=2, seed=SEED, out=tmp_path)
    assert first.runs == 2 + 4 * 2  # the starting design, then 4 trials x 2 replicates
    # a killed run leaves a trial RUNNING, owned by a process that is gone
    study = optuna.load_study(study_name=first.study_name, storage=RDBStorage(first.storage))
    from simulation.studies.optimizer.problem import make_problem
    from simulation.studies.optimizer.study import distributions

    study.enqueue_trial({"organization.model": "task_force", "organization.shared_tool": True})
    abandoned = study.ask(distributions(make_problem(base, SPACE, ["resolution_rate"])))
    abandoned.set_user_attr("owner", f"{socket.gethostname()}:999999999")
    again = optimize(base, SPACE, ["resolution_rate"], trials=7, replicates=2, seed=SEED, out=tmp_path)
    assert again.runs == 3 * 2  # no starting design, no finished trial again: only the 3 missing trials
    trials = again.trials
    assert trials.loc[trials["trial"] == abandoned.number, "state"].item() == "abandoned"
    rerun = trials[trials["trial"] > abandoned.number].iloc[0]  # its design is tried again first
    assert (rerun["organization.model"], rerun["organization.shared_tool"]) == ("task_force", True)
    pd.testing.assert_frame_equal(trials[trials["trial"] < 4].reset_index(drop=True), first.trials)
    done = optimize(base, SPACE, ["resolution_rate"], trials=7, replicates=2, seed=SEED, out=tmp_path)
    assert done.runs == 0 and len(done.trials) == len(trials)
    assert "16 runs in all" in (tmp_path / "report.md").read_text()  # the sessions' runs add up


def test_same_trials_with_one_and_two_workers_and_on_dask(base, tmp_path):
    kwargs = {"trials": 8, "replicates": 2, "seed": SEED}
    objectives = ["resolution_rate", "cost_total"]
    one = optimize(base, MIXED, objectives, **kwargs, out=tmp_path / "one")
    two = optimize(base, MIXED, objectives, **kwargs, out=tmp_path / "two", options=RunOptions(workers=2))
    dask = optimize(
        base,
        MIXED,
        objectives,
        **kwargs,
        out=tmp_path / "dask",
        options=RunOptions(workers=2, executor="dask", processes=False),
    )
    pd.testing.assert_frame_equal(one.trials, two.trials)
    pd.testing.assert_frame_equal(one.trials, dask.trials)
    assert (tmp_path / "one" / "trials.csv").read_bytes() == (tmp_path / "two" / "trials.csv").read_bytes()
    assert len(set(one.trials["organization.silo_strength"])) == 8  # continuous values were sampled


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ('"organization.silo_strenght" = { range = [0.2, 0.8] }', "organization.silo_strenght"),
        ('"organization.model" = { choices = [] }', "choices must be a non-empty list"),
        ('"organization.silo_strength" = { range = [0.8, 0.2] }', "upside down"),
        ('"organization.model" = { choices = ["centralized", "centralised"] }', "organization.model: 'centralised'"),
        ('"organization.silo_strength" = { range = [0.2, 1.8] }', "organization.silo_strength"),
        ('"organization.silo_strength" = { range = [0.2, 0.8], log = true, step = 0.1 }', "step and log"),
        ('"simulation.seed" = { choices = [1, 2] }', "simulation.seed: not a design lever (its role is structural)"),
        ('"support.handling_minutes" = { range = [5, 20] }', "not a design lever (its role is uncertainty)"),
        ('"simulation.steps" = { range = [10, 20] }', "simulation.steps: not a design lever"),
        ('"simulation.engine" = { choices = ["vectorized", "agents"] }', "simulation.engine: not a design lever"),
        (
            '"organization.headcount.marketing" = { range = [2, 10], step = 0.5 }',
            "organization.headcount.marketing: step 0.5: a whole-number key needs a whole-number step",
        ),
        ('"organization.shared_tool" = { range = [0, 1] }', "organization.shared_tool: a range needs a numeric key"),
        ('"organization.model" = { choices = ["centralized"] }', "organization.model: one choice"),
    ],
)
def test_bad_space_is_one_line_exit_2_before_any_trial(tmp_path, space, message):
    path = tmp_path / "space.toml"
    path.write_text(f"[space]\n{space}\n")
    out = tmp_path / "out"
    cli = CliRunner().invoke(
        app,
        [
            "optimize",
            str(SCENARIOS / "centralized.toml"),
            "--space",
            str(path),
            "--objective",
            "resolution_rate",
            "--out",
            str(out),
            "-q",
        ],
    )
    assert cli.exit_code == 2 and message in cli.output and len(cli.output.strip().splitlines()) == 1, cli.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--objective", "resolution_rat"], "unknown KPI 'resolution_rat'"),
        (["--objective", "resolution_rate:up"], "max or min"),
        (["--objective", "resolution_rate:"], "resolution_rate:: direction must be max or min"),
        (["--objective", "posts"], "no better direction"),
        (["--objective", "cost_total", "--constraint", "cost_total<=-5"], "no design can meet it"),
        (["--objective", "cost_total", "--constraint", "resolution_rate>=1.2"], "no design can meet it"),
        (["--objective", "cost_total", "--constraint", "costs<=5"], "unknown KPI 'costs'"),
        (["--objective", "cost_total", "--robust", "missing.toml"], "missing.toml"),
    ],
)
def test_bad_objective_or_constraint_is_one_line_exit_2(tmp_path, args, message):
    path = tmp_path / "space.toml"
    path.write_text('[space]\n"organization.shared_tool" = { choices = [true, false] }\n')
    out = tmp_path / "out"
    cli = CliRunner().invoke(
        app, ["optimize", str(SCENARIOS / "centralized.toml"), "--space", str(path), *args, "--out", str(out), "-q"]
    )
    assert cli.exit_code == 2 and message in cli.output and len(cli.output.strip().splitlines()) == 1, cli.output
    assert not out.exists()


def test_another_study_in_the_same_out_is_refused(base, tmp_path):
    optimize(base, SPACE, ["resolution_rate"], trials=1, replicates=1, seed=SEED, out=tmp_path)
    before = (tmp_path / "trials.csv").read_bytes()
    with pytest.raises(ScenarioError, match="another optimisation"):
        optimize(base, SPACE, ["cost_total"], trials=1, replicates=1, seed=SEED, out=tmp_path)
    assert (tmp_path / "trials.csv").read_bytes() == before


def test_robust_check_gives_probabilities(base, tmp_path):
    prior = tmp_path / "prior.toml"
    prior.write_text('[prior]\n"customers.inquiry_rate_per_day" = { loguniform = [0.0025, 0.01] }\n')
    result = optimize(
        base, SPACE, ["resolution_rate"], trials=4, replicates=1, seed=SEED, out=tmp_path / "o", robust=prior, draws=3
    )
    robust = pd.read_csv(tmp_path / "o" / "robust.csv")
    assert list(robust["name"]) == list(result.pareto["name"]) and (robust["draws"] == 3).all()
    assert robust["p_beats_start"].between(0, 1).all() and robust["p_feasible"].eq(1).all()
    assert "## Robustness" in (tmp_path / "o" / "report.md").read_text()


def test_trials_breaking_the_budget_in_every_replicate_stop_early(base, brute, tmp_path):
    budget = float(brute["cost_total"].min()) + 1.0  # only the cheapest designs can meet it
    result = optimize(
        base,
        SPACE,
        ["resolution_rate", "cost_total"],
        [f"cost_total<={budget}"],
        trials=8,
        replicates=3,
        seed=SEED,
        out=tmp_path,
    )
    stopped = result.trials[result.trials["state"] == "stopped_infeasible"]
    assert len(stopped) and (stopped["replicates"] == 2).all() and not stopped["feasible"].any()
    assert (result.trials.loc[result.trials["state"] == "complete", "replicates"] == 3).all()
    assert not set(stopped["trial"]) & set(result.pareto["trial"])
    assert result.runs < 3 + 8 * 3


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        ("bogus://x", "--storage bogus://x: cannot open"),
        ("sqlite:///{tmp}/nowhere/study.db", "nowhere does not exist"),
        ("sqlite:///{tmp}/fifo", "is not a regular file"),
        ("sqlite://", "an in-memory database cannot be resumed"),
        ("sqlite:///:memory:", "an in-memory database cannot be resumed"),
        ("postgresql://me:secret@127.0.0.1:1/db", "--storage postgresql://me:***@127.0.0.1:1/db: cannot open"),
        ("not a url", "not a database URL"),
    ],
)
def test_bad_storage_is_one_line_exit_2_and_leaves_out_untouched(tmp_path, storage, message):
    import os

    os.mkfifo(tmp_path / "fifo")
    path = tmp_path / "space.toml"
    path.write_text('[space]\n"organization.shared_tool" = { choices = [true, false] }\n')
    out = tmp_path / "out"
    args = ["optimize", str(SCENARIOS / "centralized.toml"), "--space", str(path), "--objective", "resolution_rate"]
    cli = CliRunner().invoke(app, [*args, "--storage", storage.format(tmp=tmp_path), "--out", str(out), "-q"])
    assert cli.exit_code == 2 and message in cli.output and len(cli.output.strip().splitlines()) == 1, cli.output
    assert "secret" not in cli.output
    assert not out.exists()  # no .lock, no directory


@pytest.mark.parametrize("kind", ["deep", "zero", "fifo", "directory", "missing"])
def test_a_space_file_that_is_not_a_toml_file_is_one_line(tmp_path, kind):
    import os

    path = {"deep": tmp_path / "deep.toml", "zero": "/dev/zero", "fifo": tmp_path / "fifo"}.get(kind, tmp_path)
    if kind == "deep":
        path.write_text("[space]\nx = " + "[" * 5000 + "]" * 5000 + "\n")
    elif kind == "fifo":
        os.mkfifo(path)  # reading it would block forever
    elif kind == "missing":
        path = tmp_path / "none.toml"
    expected = {"deep": "nested too deeply", "missing": "file not found"}.get(kind, "not a regular file")
    out = tmp_path / "out"
    args = ["optimize", str(SCENARIOS / "centralized.toml"), "--space", str(path), "--objective", "resolution_rate"]
    cli = CliRunner().invoke(app, [*args, "--out", str(out), "-q"])
    assert cli.exit_code == 2 and f"--space {path}: " in cli.output and expected in cli.output, cli.output
    assert len(cli.output.strip().splitlines()) == 1 and not out.exists()
