"""Calibration (ABC-SMC): parameter recovery, resume, 1 vs 2 workers, bad observed/prior files."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SCENARIOS

from simulation import load_scenario
from simulation.errors import ScenarioError
from simulation.scenario.priors import priors_from_table
from simulation.studies.batch.plan import layers_json
from simulation.studies.calibration import (
    Simulator,
    calibrate,
    load_observed,
    observations_from_table,
)

# Small and cheap: detection and resolution respond strongly and monotonically to these two.
CAL = ["customers.count=200", "simulation.steps=240", "customers.inquiry_rate_per_day=0.1"]
TRUTH = {"organization.listening_coverage": 0.6, "support.resolution_prob": 0.7}
PRIOR = {"organization.listening_coverage": {"uniform": [0.2, 1.0]}, "support.resolution_prob": {"uniform": [0.3, 1.0]}}
KPIS = ("detection_rate", "resolution_rate")


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "centralized.toml", CAL)


@pytest.fixture(scope="module")
def observed(scenario):
    """Observations simulated by the model itself at the known values (another seed than the fit's)."""
    summary = Simulator(layers_json(scenario), 99, KPIS).summary(TRUTH)
    return {kpi: {"value": summary[kpi], "sd": 0.03} for kpi in KPIS}


def test_parameter_recovery(scenario, observed, tmp_path):
    priors = priors_from_table(PRIOR)
    result = calibrate(
        scenario, observed, priors, particles=20, generations=3, seed=5, workers=2, out=tmp_path, predictive=6
    )
    for key, truth in TRUTH.items():
        low, high = result.credible_interval(key, 0.9)
        prior_low, prior_high = priors[key].bounds()
        assert low <= truth <= high, (key, low, high)
        assert high - low < 0.8 * (prior_high - prior_low), key
    assert len(result.generations) == 3 and result.runs >= 20 * 4
    posterior = pd.read_csv(tmp_path / "posterior.csv")
    assert list(posterior.columns) == [*TRUTH, "weight", "distance"] and len(posterior) == 20
    calibrated = load_scenario(tmp_path / "calibrated.toml")
    for key in TRUTH:
        section, name = key.split(".")
        assert getattr(getattr(calibrated, section), name) == pytest.approx(result.quantile(key, 0.5), abs=1e-5)
    report = (tmp_path / "report.md").read_text()
    for heading in ("Posterior marginals", "Convergence per generation", "Posterior-predictive check"):
        assert heading in report
    assert len(result.predictive) == 6


def test_same_posterior_with_one_and_two_workers(scenario, observed):
    priors = priors_from_table(PRIOR)
    runs = [
        calibrate(scenario, observed, priors, particles=8, generations=2, seed=11, workers=w, predictive=0)
        for w in (1, 2)
    ]
    pd.testing.assert_frame_equal(runs[0].posterior, runs[1].posterior)
    assert runs[0].runs == runs[1].runs
    other = calibrate(scenario, observed, priors, particles=8, generations=2, seed=12, workers=1, predictive=0)
    assert not other.posterior.equals(runs[0].posterior)


def test_resumes_from_its_history(scenario, observed, tmp_path):
    priors = priors_from_table(PRIOR)
    first = calibrate(scenario, observed, priors, particles=8, generations=1, seed=3, out=tmp_path, predictive=0)
    assert (tmp_path / "history.db").is_file()
    more = calibrate(scenario, observed, priors, particles=8, generations=2, seed=3, out=tmp_path, predictive=0)
    assert len(more.generations) == 2
    assert more.generations["epsilon"].iloc[0] == first.generations["epsilon"].iloc[0]
    assert more.runs > first.runs
    again = calibrate(scenario, observed, priors, particles=8, generations=2, seed=3, out=tmp_path, predictive=0)
    assert again.runs == more.runs  # nothing left to run
    pd.testing.assert_frame_equal(again.posterior, more.posterior)
    with pytest.raises(ScenarioError, match="holds another calibration"):
        calibrate(scenario, observed, priors, particles=8, generations=2, seed=4, out=tmp_path, predictive=0)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"no_such_kpi": 0.4}, "observed.no_such_kpi: unknown KPI"),
        ({"response_rate": 1.4}, "observed.response_rate: 1.4 is outside the KPI's range"),
        ({"response_rate": {"value": 0.4, "sd": -1}}, "observed.response_rate.sd"),
        ({"response_rate": {"sd": 0.1}}, "observed.response_rate.value: required"),
        ({"response_rate": 0}, "observed.response_rate: the value is 0"),
        ({}, "no \\[observed\\] table"),
    ],
)
def test_bad_observations_name_the_key(table, message):
    with pytest.raises(ScenarioError, match=message):
        observations_from_table(table)


def test_bare_number_gets_a_tenth_as_sd(tmp_path):
    path = tmp_path / "obs.toml"
    path.write_text("[observed]\nengagement_rate_pct = 0.05\nresponse_rate = { value = 0.4, sd = 0.05 }\n")
    observed = load_observed(path)
    assert observed["engagement_rate_pct"].sd == pytest.approx(0.005)
    assert observed["response_rate"].sd == 0.05


def _cli(args):
    from typer.testing import CliRunner

    from simulation.cli.main import app

    return CliRunner().invoke(app, args)


def test_cli_bad_files_exit_2_naming_the_key(tmp_path):
    good_obs = tmp_path / "obs.toml"
    good_obs.write_text("[observed]\ndetection_rate = { value = 0.5, sd = 0.05 }\n")
    good_prior = tmp_path / "prior.toml"
    good_prior.write_text('[prior]\n"organization.listening_coverage" = { uniform = [0.2, 1.0] }\n')
    cases = [
        ("[observed]\nbogus_kpi = 3\n", good_prior, "observed.bogus_kpi"),
        ("[observed]\ndetection_rate = 2.0\n", good_prior, "observed.detection_rate"),
        (None, '[prior]\n"organization.nope" = { uniform = [0, 1] }\n', "organization.nope"),
        (None, '[prior]\n"organization.listening_coverage" = { uniform = [0.9, 0.1] }\n', "listening_coverage"),
        (None, "[prior]\n", "empty"),
        (None, '[prior]\n"content.guidelines" = { uniform = [0, 1] }\n', "content.guidelines is not a number"),
        (None, '[prior]\n"organization.headcount.marketing" = { uniform = [2, 10] }\n', "is an integer"),
    ]
    for i, (obs_text, prior, key) in enumerate(cases):
        obs = good_obs
        if obs_text is not None:
            obs = tmp_path / f"obs{i}.toml"
            obs.write_text(obs_text)
        if isinstance(prior, str):
            text, prior = prior, tmp_path / f"prior{i}.toml"
            prior.write_text(text)
        out = tmp_path / f"out{i}"
        result = _cli(
            ["calibrate", str(SCENARIOS / "centralized.toml"), "--observed", str(obs), "--prior", str(prior)]
            + ["--out", str(out), "--particles", "4", "--generations", "1", "-q"]
            + [x for kv in CAL for x in ("--set", kv)]
        )
        assert result.exit_code == 2, (key, result.output)
        assert key in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
        assert not out.exists()


def test_dask_gives_the_same_posterior(scenario, observed):
    priors = priors_from_table({"organization.listening_coverage": {"uniform": [0.2, 1.0]}})
    one = {"detection_rate": observed["detection_rate"]}
    serial = calibrate(scenario, one, priors, particles=4, generations=1, seed=2, workers=1, predictive=0)
    dask = calibrate(
        scenario, one, priors, particles=4, generations=1, seed=2, workers=2, executor="dask", predictive=0
    )
    pd.testing.assert_frame_equal(serial.posterior, dask.posterior)


def test_a_prior_the_scenario_cannot_take_is_refused_before_anything_is_written(scenario, tmp_path):
    from simulation.scenario.priors import Prior

    out = tmp_path / "out"
    for prior in (Prior("content.guidelines", "uniform", (0.0, 1.0)), Prior("organization.model", "choice", ("x",))):
        with pytest.raises(ScenarioError, match=f"prior.{prior.key}: "):
            calibrate(scenario, {"detection_rate": 0.5}, {prior.key: prior}, particles=4, generations=1, out=out)
        assert not out.exists()
