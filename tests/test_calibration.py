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
    FAILED_IN_A_ROW,
    FAR,
    Observation,
    Simulator,
    calibrate,
    failed,
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
        with pytest.raises(ScenarioError, match=f"prior.{prior.key}[.:]"):  # the prior file's message
            calibrate(scenario, {"detection_rate": 0.5}, {prior.key: prior}, particles=4, generations=1, out=out)
        assert not out.exists()


# Calibrations that cannot succeed: tiny runs, refused or stopped with one line.
TINY = ["customers.count=300", "simulation.steps=24"]


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(SCENARIOS / "centralized.toml", TINY)


def test_a_kpi_no_run_gives_is_an_error_and_leaves_nothing_in_out(tiny, tmp_path):
    # no crisis happens in this scenario: crisis_containment_h is NaN in every run
    out = tmp_path / "out"
    priors = priors_from_table({"organization.listening_coverage": {"uniform": [0.2, 1.0]}})
    with pytest.raises(ScenarioError, match=r"observed\.crisis_containment_h: no particle accepted: 4 of 4 runs"):
        calibrate(tiny, {"crisis_containment_h": 5}, priors, particles=4, generations=2, out=out, predictive=0)
    assert not out.exists()
    obs, prior = tmp_path / "obs.toml", tmp_path / "prior.toml"
    obs.write_text("[observed]\ncrisis_containment_h = 5\n")
    prior.write_text('[prior]\n"organization.listening_coverage" = { uniform = [0.2, 1.0] }\n')
    result = _cli(
        ["calibrate", str(SCENARIOS / "centralized.toml"), "--observed", str(obs), "--prior", str(prior)]
        + ["--out", str(out), "--particles", "4", "--generations", "2", "--predictive", "0", "-q", "-w", "1"]
        + [x for kv in TINY for x in ("--set", kv)]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith("silosim: error: observed.crisis_containment_h: no particle accepted")
    assert not out.exists()


def test_a_failed_run_is_never_a_particle(tiny, tmp_path):
    # a mean degree of 300 or more on 300 customers fails the run: a fifth of this prior
    priors = priors_from_table({"network.mean_degree": {"uniform": [2.0, 375.0]}})
    result = calibrate(tiny, {"detection_rate": 0.5}, priors, particles=8, generations=2, seed=1, predictive=0)
    assert result.stopped is None and len(result.posterior) == 8
    assert (result.posterior["network.mean_degree"] < 300).all()
    assert (result.posterior["distance"] < 1e6).all()
    assert result.runs > 8 * 3  # the failed runs were made, and rejected
    sim = Simulator(layers_json(tiny), 1, ("detection_rate",))
    assert sim({"network.mean_degree": 350.0}) == {"detection_rate": FAR}
    assert failed(sim({"network.mean_degree": 350.0})) and not failed(sim({"network.mean_degree": 8.0}))


def test_a_task_gives_up_after_failed_runs_in_a_row():
    import cloudpickle
    from pyabc.population import Particle

    from simulation.studies.calibration import _seeded_task

    class Sample(list):
        pass

    def simulate_one():
        return Particle(m=0, parameter={"x": 1.0}, weight=1.0, sum_stat={"k": FAR}, distance=1.0, accepted=False)

    sample, runs, failures = _seeded_task((cloudpickle.dumps((simulate_one, Sample())), 3))
    assert runs == failures == FAILED_IN_A_ROW and len(sample) == FAILED_IN_A_ROW


def test_a_normal_prior_is_truncated_to_the_parameters_range(tiny):
    # normal [0.5, 5] on a probability put most draws outside [0, 1] (posterior values -1.45, 2.61, 11.3)
    priors = priors_from_table({"organization.listening_coverage": {"normal": [0.5, 5.0]}})
    prior = priors["organization.listening_coverage"]
    assert prior.truncated and prior.support == (0.0, 1.0)
    assert prior.describe() == "normal [0.5, 5] truncated to [0, 1]"
    result = calibrate(tiny, {"detection_rate": 0.5}, priors, particles=6, generations=2, seed=2, predictive=0)
    assert result.posterior["organization.listening_coverage"].between(0, 1).all()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"normal": [5.0, 0.1]}, "its mu 5 lies outside organization.listening_coverage's range \\[0, 1\\]"),
        ({"lognormal": [1.0, 0.1]}, "its median exp\\(mu\\) 2.71828 lies outside"),
    ],
)
def test_a_prior_centred_outside_the_range_is_refused(spec, message):
    with pytest.raises(ScenarioError, match=f"prior.organization.listening_coverage.{list(spec)[0]}: {message}"):
        priors_from_table({"organization.listening_coverage": spec})


@pytest.mark.parametrize("sd", [1e300, 1.5e6 + 1, float("inf"), float("nan")])
def test_an_absurd_observed_sd_is_refused(sd):
    with pytest.raises(ScenarioError, match="observed.detection_rate.sd: "):
        observations_from_table({"detection_rate": {"value": 0.5, "sd": sd}})
    with pytest.raises(ScenarioError, match="observed.detection_rate.sd: "):  # the API's Observation too
        calibrate(
            load_scenario(SCENARIOS / "centralized.toml", TINY),
            {"detection_rate": Observation("detection_rate", 0.5, sd)},
            priors_from_table(PRIOR),
        )
    assert observations_from_table({"detection_rate": {"value": 0.5, "sd": 1.5e6}})["detection_rate"].sd == 1.5e6


def test_choice_and_integer_priors_are_refused_up_front_naming_the_key(tiny, tmp_path):
    from simulation.scenario.priors import Prior

    choice = "prior.organization.model: a choice prior cannot be calibrated (fix the value with --set, or give a range)"
    integer = (
        "prior.organization.headcount.marketing.uniform: organization.headcount.marketing is an integer: "
        "calibration fits continuous parameters only (fix it with --set)"
    )
    cases = [
        ('"organization.model" = { choice = [1, 2] }', choice),  # was "expected a preset name" after the checks
        ('"organization.model" = { choice = ["centralized", "democratized"] }', choice),
        ('"organization.headcount.marketing" = { uniform = [1, 20] }', integer),
    ]
    obs = tmp_path / "obs.toml"
    obs.write_text("[observed]\ndetection_rate = { value = 0.5, sd = 0.05 }\n")
    for i, (text, message) in enumerate(cases):
        prior, out = tmp_path / f"prior{i}.toml", tmp_path / f"out{i}"
        prior.write_text(f"[prior]\n{text}\n")
        result = _cli(
            ["calibrate", str(SCENARIOS / "centralized.toml"), "--observed", str(obs), "--prior", str(prior)]
            + ["--out", str(out), "--particles", "4", "--generations", "1", "-q"]
            + [x for kv in TINY for x in ("--set", kv)]
        )
        assert result.exit_code == 2 and result.output.strip() == f"silosim: error: {message}", result.output
        assert not out.exists()
    # the Python API: the same messages, for Prior objects too
    for prior, message in (
        (Prior("organization.model", "choice", (1, 2)), choice),
        (Prior("organization.headcount.marketing", "uniform", (1.0, 20.0)), integer),
    ):
        with pytest.raises(ScenarioError) as err:
            calibrate(tiny, {"detection_rate": 0.5}, {prior.key: prior}, particles=4, generations=1, out=tmp_path / "o")
        assert str(err.value) == message
        assert not (tmp_path / "o").exists()


def test_a_generation_that_comes_up_short_stops_with_the_last_complete_posterior(tiny, tmp_path, monkeypatch):
    import simulation.studies.calibration as cal

    real, calls = cal._seeded_task, []

    def second_generation_gives_up(args):
        sample, runs, failures = real(args)
        calls.append(1)
        if len(calls) > 8:  # the calibration sample's 4 tasks and generation 1's 4: then every task gives up
            sample.accepted_particles = []
        return sample, runs, failures

    monkeypatch.setattr(cal, "_seeded_task", second_generation_gives_up)
    priors = priors_from_table({"organization.listening_coverage": {"uniform": [0.2, 1.0]}})
    result = calibrate(tiny, {"detection_rate": 0.5}, priors, particles=4, generations=3, seed=1, out=tmp_path / "o")
    assert result.stopped is not None and result.stopped.startswith("calibrate: 0 of 4 particles accepted: ")
    assert result.stopped.endswith("the posterior is generation 1's")
    assert len(result.generations) == 1 and len(result.posterior) == 4
    assert (tmp_path / "o" / "posterior.csv").is_file()
    calls.clear()
    obs, prior = tmp_path / "obs.toml", tmp_path / "prior.toml"
    obs.write_text("[observed]\ndetection_rate = 0.5\n")
    prior.write_text('[prior]\n"organization.listening_coverage" = { uniform = [0.2, 1.0] }\n')
    cli = _cli(
        ["calibrate", str(SCENARIOS / "centralized.toml"), "--observed", str(obs), "--prior", str(prior)]
        + ["--out", str(tmp_path / "c"), "--particles", "4", "--generations", "3", "-q", "-w", "1"]
        + [x for kv in TINY for x in ("--set", kv)]
    )
    assert cli.exit_code == 1, cli.output
    assert cli.output.startswith("silosim: calibration stopped early: calibrate: 0 of 4 particles accepted")
