"""The batch layer: plans, executors, incremental store and resume, statistics, sensitivity."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from simulation.errors import ScenarioError
from simulation.rng import replicate_seeds
from simulation.studies import batch
from simulation.studies.batch.plan import expand, integer_key
from simulation.studies.batch.stats import mean_ci
from simulation.studies.batch.store import RUNS_LOG, SUMMARY, TIMESERIES


def summary_bytes(root) -> bytes:
    return (root / SUMMARY).read_bytes()


# --------------------------------------------------------------------------------------------
# Plans


def test_grid_param_parsing():
    assert batch.parse_grid_param("organization.silo_strength=0:1:5") == (
        "organization.silo_strength",
        [0.0, 0.25, 0.5, 0.75, 1.0],
    )
    assert batch.parse_grid_param("organization.task_force_size=1:3:3") == ("organization.task_force_size", [1, 2, 3])
    assert batch.parse_grid_param("organization.model=centralized, democratized") == (
        "organization.model",
        ["centralized", "democratized"],
    )
    assert batch.parse_range_param("organization.silo_strength=0.2:0.9") == ("organization.silo_strength", (0.2, 0.9))
    for bad in ("silo_strength", "organization.silo_strength=0:1", "x=0:1:zero", "x=a:1:3", "=1,2", "x=1,,2"):
        with pytest.raises(ScenarioError):
            batch.parse_grid_param(bad)
    for bad in ("x=0:1:5", "x=1:0", "x=a:b"):
        with pytest.raises(ScenarioError):
            batch.parse_range_param(bad)
    assert integer_key("organization.task_force_size") and integer_key("organization.headcount.it")
    assert not integer_key("organization.silo_strength")


def test_sweep_grid_expansion_and_common_random_numbers(two):
    grid = {"organization.silo_strength": [0.2, 0.8], "organization.coordination": [0.1, 0.5, 0.9]}
    points = batch.grid_points(grid)
    assert len(points) == 6 and points[0] == {"organization.silo_strength": 0.2, "organization.coordination": 0.1}
    plan = expand("sweep", two, 3, seed=7, points=points)
    assert len(plan.specs) == 2 * 6 * 3
    assert [s.run_id for s in plan.specs] == sorted(s.run_id for s in plan.specs)
    assert len({s.run_id for s in plan.specs}) == len(plan.specs)
    seeds = replicate_seeds(7, 3)
    for spec in plan.specs:  # replicate i: one seed in every scenario and at every point
        assert spec.seed == seeds[spec.replicate]
    config = json.loads(next(s for s in plan.specs if s.point == 5).config_json)
    assert config["organization"]["silo_strength"] == 0.8 and config["organization"]["coordination"] == 0.9
    # more replicates later extend the same seeds (a batch can grow and resume)
    assert replicate_seeds(7, 5)[:3] == seeds


def test_invalid_point_and_names_fail_up_front(two):
    with pytest.raises(ScenarioError, match="organization.silo_strength"):
        expand("sweep", two, 1, 0, [{"organization.silo_strength": 2.0}])
    with pytest.raises(ScenarioError, match="organization.nope"):
        expand("sweep", two, 1, 0, [{"organization.nope": 1}])
    with pytest.raises(ScenarioError, match="two scenarios"):
        expand("compare", [two[0], two[0]], 1, 0)


# --------------------------------------------------------------------------------------------
# Executors, store, resume


def test_same_summary_on_every_executor(two, tmp_path):
    serial = batch.compare(two, 2, seed=3, out=tmp_path / "serial")
    pool = batch.compare(two, 2, seed=3, out=tmp_path / "pool", workers=2)
    dask = batch.compare(
        two, 2, seed=3, out=tmp_path / "dask", options=batch.RunOptions(workers=2, executor="dask", processes=False)
    )
    assert summary_bytes(tmp_path / "serial") == summary_bytes(tmp_path / "pool") == summary_bytes(tmp_path / "dask")
    assert (serial.summary.status == "ok").all() and len(serial.summary) == 4
    pd.testing.assert_frame_equal(pool.summary, dask.summary)
    assert "wall" not in (tmp_path / "serial" / SUMMARY).read_text().splitlines()[0]
    # common random numbers: replicate i has one seed in both scenarios
    by_replicate = serial.summary.groupby("replicate")["seed"].nunique()
    assert (by_replicate == 1).all()
    assert len(list((tmp_path / "serial" / TIMESERIES).glob("*.parquet"))) == 4
    manifest = json.loads((tmp_path / "serial" / "manifest.json").read_text())
    assert manifest["counts"] == {"planned": 4, "ok": 4, "failed": 0}
    assert set(manifest["runs"]) == set(serial.summary.run_id)


def test_in_process_batch_sees_session_registrations(two, fresh_registries):
    """workers=1 runs in this process: a notebook's presets, interventions and KPIs work, as in simulation.run."""
    import simulation

    simulation.register_preset(
        "test_listen_all",
        "every owner listens",
        "tests",
        {"organization": {"listeners": ["customer_service", "it", "product"]}},
        base="centralized",
    )

    def listen_everything(engine, intervention):
        engine.reconfigure(engine.config.with_values({"organization.listening_coverage": 1.0}), 0)

    simulation.register_intervention("test_listen_everything", listen_everything)
    simulation.register_kpi("test_steps", lambda result: float(len(result.timeseries)))
    custom = two[0].with_values(
        {
            "name": "custom",
            "organization.model": "test_listen_all",
            "interventions": [{"step": 10, "action": "test_listen_everything"}],
        }
    )
    result = batch.compare([two[0], custom], 2, seed=4, workers=1)
    assert (result.summary.status == "ok").all(), result.failures
    assert (result.summary["test_steps"] == 120).all()
    for row in result.summary.itertuples():
        config = custom if row.scenario == "custom" else two[0]
        assert row.resolution_rate == pytest.approx(simulation.run(config, seed=row.seed).summary["resolution_rate"])
    assert result.ci(["test_steps"])["mean"].eq(120).all()


@pytest.mark.parametrize("workers", [1, 2])
def test_org_model_switch_in_a_batch_run_matches_simulation_run(two, workers):
    """A worker rebuilds the config from its layers, so change_org_model brings the new preset's values."""
    import simulation

    switching = two[0].with_values(
        {
            "name": "switching",
            "interventions": [
                {"step": 20, "action": "change_org_model", "model": "center_of_excellence", "adoption_lag_steps": 10}
            ],
        }
    )
    result = batch.compare([switching], 1, seed=3, workers=workers)
    direct = simulation.run(switching, seed=int(result.summary.seed.iloc[0])).summary
    for kpi in ("resolution_rate", "handoffs", "first_response_median_min"):
        assert result.summary[kpi].item() == pytest.approx(direct[kpi]), kpi


def test_infinite_parameters_survive_the_trip_to_the_worker(two):
    """``inf`` (e.g. infinitely patient customers) reaches the run as inf, not as an invalid null."""
    import simulation
    from simulation.scenario.config import Config
    from simulation.studies.batch.plan import config_json

    patient = two[0].with_values({"customers.patience_scale": math.inf})
    assert Config.model_validate_json(config_json(patient)).model_dump() == patient.model_dump()
    result = batch.compare([patient], 1, seed=2)
    assert (result.summary.status == "ok").all(), result.failures
    direct = simulation.run(patient, seed=int(result.summary.seed.iloc[0])).summary
    assert result.summary["resolution_rate"].item() == pytest.approx(direct["resolution_rate"])


def test_unknown_executor_fails_before_anything_is_written(two, tmp_path):
    with pytest.raises(ValueError, match="--executor dsk: expected one of local, dask"):
        batch.compare(two, 1, seed=1, out=tmp_path / "b", options=batch.RunOptions(executor="dsk"))
    assert not (tmp_path / "b").exists()


def test_resume_skips_finished_and_redoes_partial(two, tmp_path):
    out = tmp_path / "b"
    batch.compare(two, 3, seed=1, out=out)
    original = summary_bytes(out)
    series = sorted((out / TIMESERIES).glob("*.parquet"))
    series[0].unlink()  # a run whose output vanished
    series[1].write_bytes(series[1].read_bytes()[:100])  # a half-written Parquet file
    with open(out / SUMMARY, "a") as handle:  # a row cut off mid-write
        handle.write("centralized-p0000-r002,centralized,0,2,123")
    logged = len((out / RUNS_LOG).read_text().splitlines())
    result = batch.compare(two, 3, seed=1, out=out)
    assert len((out / RUNS_LOG).read_text().splitlines()) == logged + 2  # only the two broken runs ran again
    assert summary_bytes(out) == original  # same rows, no duplicates
    assert result.summary.run_id.is_unique and len(result.summary) == 6
    # growing the batch keeps the finished replicates
    batch.compare(two, 4, seed=1, out=out)
    assert len((out / RUNS_LOG).read_text().splitlines()) == logged + 4
    assert len(pd.read_csv(out / SUMMARY)) == 8


def test_another_batch_in_the_directory_is_refused(two, tmp_path):
    out = tmp_path / "b"
    batch.compare(two, 1, seed=1, out=out)
    before = summary_bytes(out)
    with pytest.raises(ScenarioError, match="holds another batch"):
        batch.compare(two, 1, seed=2, out=out)
    assert summary_bytes(out) == before
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ScenarioError, match="not a silosim batch"):
        batch.compare(two, 1, seed=1, out=tmp_path / "other")
    batch.compare(two, 1, seed=2, out=out, options=batch.RunOptions(overwrite=True))
    assert summary_bytes(out) != before


def test_failing_run_is_recorded_and_the_batch_goes_on(two, tmp_path):
    edges = tmp_path / "edges.csv"
    edges.write_text("this,is\nnot,an edge list,at all\n")
    broken = two[0].with_values({"name": "broken", "network.kind": "edgelist", "network.path": str(edges)})
    result = batch.compare([two[0], broken], 2, seed=1, out=tmp_path / "b", workers=2)
    failed = result.summary[result.summary.status == "failed"]
    assert set(failed.scenario) == {"broken"} and len(failed) == 2
    assert failed.error.str.len().gt(0).all() and not failed.error.str.contains("\n").any()
    assert (result.summary[result.summary.scenario == "centralized"].status == "ok").all()
    assert len(result.failures) == 2
    # a resumed batch does not retry recorded failures unless asked
    logged = len((tmp_path / "b" / RUNS_LOG).read_text().splitlines())
    batch.compare([two[0], broken], 2, seed=1, out=tmp_path / "b")
    assert len((tmp_path / "b" / RUNS_LOG).read_text().splitlines()) == logged
    batch.compare([two[0], broken], 2, seed=1, out=tmp_path / "b", options=batch.RunOptions(retry_failed=True))
    assert len((tmp_path / "b" / RUNS_LOG).read_text().splitlines()) == logged + 2


def test_worker_exception_becomes_a_failed_row(two, monkeypatch):
    import simulation.api

    def explode(config, seed=None, progress=False):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(simulation.api, "run", explode)
    result = batch.compare(two, 1, seed=1)  # serial, in memory
    assert (result.summary.status == "failed").all()
    assert (result.summary.error == "RuntimeError: boom second line").all()


# --------------------------------------------------------------------------------------------
# Statistics


def test_mean_ci():
    mean, low, high = mean_ci([1.0, 2.0, 3.0, np.nan])
    assert mean == 2.0 and low < 2.0 < high
    assert high - mean == pytest.approx(4.303 * 1.0 / math.sqrt(3), rel=1e-3)  # t(0.975, 2) = 4.303
    assert mean_ci([5.0]) == (5.0, 5.0, 5.0)
    assert all(math.isnan(v) for v in mean_ci([]))


def test_ci_bounds_contain_the_mean_and_paired_differences(two):
    result = batch.compare(two, 4, seed=5)
    ci = result.ci(["resolution_rate", "reach", "sentiment_mean"])
    assert list(ci.scenario.unique()) == ["centralized", "democratized"]
    finite = ci.dropna(subset=["low", "high"])
    assert len(finite) == 6
    assert (finite["low"] <= finite["mean"]).all() and (finite["mean"] <= finite["high"]).all()
    assert (ci["n"] == 4).all()
    manual = result.summary.query("scenario == 'centralized'")["reach"]
    assert ci.query("scenario == 'centralized' and kpi == 'reach'")["mean"].item() == pytest.approx(manual.mean())
    paired = result.paired(kpis=["reach"])
    assert list(paired.scenario) == ["democratized"]
    wide = result.summary.pivot(index="replicate", columns="scenario", values="reach")
    diff = wide["democratized"] - wide["centralized"]
    row = paired.iloc[0]
    assert row["difference"] == pytest.approx(diff.mean())
    assert row["low"] <= row["difference"] <= row["high"]
    with pytest.raises(ValueError, match="baseline"):
        result.paired(baseline="nobody")


# --------------------------------------------------------------------------------------------
# Sampling and sensitivity


def test_lhs_sweep_and_sobol(two, tmp_path):
    ranges = {"organization.silo_strength": (0.0, 1.0), "organization.task_force_size": (1, 5)}
    lhs = batch.sweep(two[:1], ranges=ranges, n=5, replicates=1, seed=2)
    assert len(lhs.summary) == 5
    sizes = lhs.summary["organization.task_force_size"]
    assert (sizes == sizes.round()).all() and sizes.between(1, 5).all()
    short = two[0].with_values({"simulation.steps": 168})
    result = batch.sensitivity([short], ranges, n=4, seed=2, kpis=["reach", "resolution_rate"], out=tmp_path / "s")
    assert len(result.summary) == 4 * (2 + 2)
    sobol = pd.read_csv(tmp_path / "s" / "sobol.csv")
    assert list(sobol.columns) == ["scenario", "kpi", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(sobol) == 4
    varying = sobol[sobol.kpi == "resolution_rate"]  # varies with silo strength: finite indices
    assert np.isfinite(varying[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy()).all()
    with pytest.raises(ScenarioError, match="power of 2"):
        batch.sensitivity([short], ranges, n=6)
    with pytest.raises(ScenarioError, match="unknown KPI"):
        batch.sensitivity([short], ranges, n=4, kpis=["happiness"])


# --------------------------------------------------------------------------------------------
# Nothing lost or mixed: changed inputs, locks, dead workers, orphans


def test_resume_after_an_input_file_changed_is_refused(two, tmp_path):
    edges = tmp_path / "edges.csv"
    edges.write_text("source,target\n" + "\n".join(f"n{i},n{(i * 7 + 3) % 40}" for i in range(40)) + "\n")
    graph = two[0].with_values({"name": "graph", "network.kind": "edgelist", "network.path": str(edges)})
    out = tmp_path / "b"
    batch.compare([graph], 2, seed=1, out=out)
    before = summary_bytes(out)
    batch.compare([graph], 2, seed=1, out=out)  # unchanged input: resumes, nothing to do
    assert summary_bytes(out) == before
    edges.write_text(edges.read_text() + "n1,n2\n")
    with pytest.raises(ScenarioError, match=r"network.path .*edges.csv changed since this batch started"):
        batch.compare([graph], 3, seed=1, out=out)
    assert summary_bytes(out) == before
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["graph"]["network.path"]["sha256"]


def test_a_second_batch_into_the_same_directory_is_refused(two, tmp_path):
    from simulation.studies.batch.store import locked

    out = tmp_path / "b"
    out.mkdir()
    with locked(out), pytest.raises(ScenarioError, match="another silosim batch is writing there"):
        batch.compare(two, 1, seed=1, out=out)
    assert not (out / SUMMARY).exists()
    batch.compare(two, 1, seed=1, out=out)  # the lock is released with its holder
    assert (out / SUMMARY).exists()


def test_a_batch_with_failed_runs_exits_non_zero_saying_so_last(two, tmp_path, scenario_dir, monkeypatch):
    from typer.testing import CliRunner

    import simulation.api
    from simulation.cli.main import app

    def explode(config, seed=None, progress=False):
        raise RuntimeError("boom")

    monkeypatch.setattr(simulation.api, "run", explode)
    args = ["compare", str(scenario_dir / "centralized.toml"), "-r", "2", "-w", "1", "-q", "--out", str(tmp_path / "b")]
    result = CliRunner().invoke(app, [*args, "--set", "customers.count=500", "--set", "simulation.steps=48"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("silosim: 2 of 2 runs failed")


def _compare_in_subprocess(tmp_path, replicates: int, steps: int):
    import subprocess
    import sys

    command = [sys.executable, "-m", "simulation.cli", "compare", "scenarios/centralized.toml"]
    command += ["scenarios/democratized.toml", "-r", str(replicates), "-w", "2", "-q", "--out", str(tmp_path / "b")]
    command += ["--set", "customers.count=2000", "--set", f"simulation.steps={steps}"]
    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    return subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _workers(proc, count: int, timeout: float = 60.0) -> list:
    import time

    psutil = pytest.importorskip("psutil")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            child
            for child in psutil.Process(proc.pid).children(recursive=True)
            if "resource_tracker" not in " ".join(child.cmdline())
        ]
        if len(found) >= count:
            return found
        time.sleep(0.2)
    pytest.fail(f"{count} pool workers did not start")


def test_a_dead_worker_is_replaced_and_its_runs_redone(tmp_path):
    import os
    import signal
    import time

    proc = _compare_in_subprocess(tmp_path, replicates=3, steps=400)
    try:
        victim = _workers(proc, 2)[0]
        time.sleep(1.0)  # into a run
        os.kill(victim.pid, signal.SIGKILL)
        _, stderr = proc.communicate(timeout=240)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr.decode()
    summary = pd.read_csv(tmp_path / "b" / SUMMARY)
    assert len(summary) == 6 and (summary.status == "ok").all() and summary.run_id.is_unique


def test_pool_workers_exit_when_their_parent_is_killed(tmp_path):
    import os
    import signal
    import time

    psutil = pytest.importorskip("psutil")
    proc = _compare_in_subprocess(tmp_path, replicates=6, steps=1500)
    workers = []
    try:
        workers = _workers(proc, 2)
        log = tmp_path / "b" / RUNS_LOG
        deadline = time.monotonic() + 120
        while not (log.is_file() and log.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.2)  # a run has finished: the workers are up and working
        assert proc.poll() is None, "the batch finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10.0
        alive = workers
        while alive and time.monotonic() < deadline:
            alive = [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
            time.sleep(0.2)
        assert not alive, f"orphaned workers still running: {[w.pid for w in alive]}"
    finally:
        proc.kill()
        for worker in workers:  # only this test's own processes
            if worker.is_running():
                worker.kill()


def test_a_sweep_that_cannot_fit_is_refused_before_it_starts(two, tmp_path):
    out = tmp_path / "b"
    with pytest.raises(ScenarioError, match=r"customers.count: 4 runs, 2 at a time, would need ~.* of memory"):
        batch.sweep(two[:1], {"customers.count": [1000, 10**9]}, 2, seed=1, out=out, workers=2)
    with pytest.raises(ScenarioError, match="the grid has 1000000 points; at most 100000"):
        batch.sweep(two[:1], {"organization.silo_strength": [0.1] * 1000, "content.promo_share": [0.5] * 1000}, 1)
    assert not out.exists()
