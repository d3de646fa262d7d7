"""Priors as data: loading, validation errors naming the key, reproducible sampling, draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import build_config
from simulation.errors import ScenarioError
from simulation.scenario.priors import (
    SHIPPED_PRIORS,
    Prior,
    apply_draw,
    load_draws,
    load_prior,
    parameter_specs,
    sample_prior,
    shipped_priors,
)


def write(tmp_path, text, name="prior.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_assumed_uncertainty_has_a_shipped_prior_with_a_reason():
    # levers and structural choices may go without; a fact about the world that is assumed may not
    priors = shipped_priors()
    for key, spec in parameter_specs().items():
        if not spec.assumed or spec.role != "uncertainty":
            continue
        covered = key in priors or any(k.startswith(key + ".") for k in priors)
        assert covered, f"{key} is an assumption without a prior"
    assert all(p.reason for p in priors.values())


def test_the_shipped_prior_file_is_the_declared_priors():
    assert load_prior(SHIPPED_PRIORS) == shipped_priors()
    assert list(load_prior(SHIPPED_PRIORS)) == list(shipped_priors())  # the order draws are taken in


def test_a_relative_prior_follows_the_default():
    # declared relative to the default: half to one and a half times it, whatever the default is
    from simulation.scenario.schema import HALF_TO_ONE_AND_A_HALF, WITHIN_TWO

    assert HALF_TO_ONE_AND_A_HALF.resolve(0.15)[:2] == ("uniform", (0.075, 0.225))
    assert WITHIN_TWO.resolve(3.0)[:2] == ("loguniform", (1.5, 6.0))
    assert WITHIN_TWO.resolve(0.0) is None  # nothing to scale: no prior for a zero default


def test_shipped_priors_hold_the_defaults():
    base = build_config({})
    for key, prior in shipped_priors().items():
        section, name, *sub = key.split(".")
        default = getattr(getattr(base, section), name)
        default = default[sub[0]] if sub else default
        if prior.kind == "choice":
            assert default in prior.args, key
        else:
            low, high = prior.bounds()
            assert low <= default <= high, key


def test_load_prior_reads_every_kind(tmp_path):
    path = write(
        tmp_path,
        """[prior]
"organization.listening_coverage" = { uniform = [0.2, 1.0], reason = "wide" }
"support.handling_minutes" = { lognormal = [2.5, 0.4] }
"customers.inquiry_rate_per_day" = { loguniform = [0.001, 0.01] }
"customers.sentiment_mean" = { normal = [0.1, 0.05] }
"organization.hubs" = { choice = [1, 2] }
""",
    )
    priors = load_prior(path)
    assert priors["organization.listening_coverage"] == Prior(
        "organization.listening_coverage", "uniform", (0.2, 1.0), "wide"
    )
    assert [p.kind for p in priors.values()] == ["uniform", "lognormal", "loguniform", "normal", "choice"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"organization.bogus" = { uniform = [0, 1] }', "organization.bogus: not a config parameter"),
        (
            '"organization.listening_coverage" = { uniform = [0.8, 0.2] }',
            "organization.listening_coverage.uniform: empty",
        ),
        ('"organization.listening_coverage" = { uniform = [0.2, 1.5] }', "outside the parameter's range"),
        ('"organization.listening_coverage" = { beta = [1, 2] }', "listening_coverage.beta: unknown distribution"),
        ('"organization.listening_coverage" = { uniform = [0.2, 0.4], normal = [0, 1] }', "exactly one"),
        ('"support.handling_minutes" = { lognormal = [2.5, 0] }', "support.handling_minutes.lognormal: sigma"),
        ('"support.handling_minutes" = { loguniform = [0, 3] }', "low must be > 0"),
        ('"organization.hubs" = { uniform = [1, 3] }', "organization.hubs is an integer"),
        ('"organization.hubs" = { choice = [] }', "organization.hubs.choice: expected a non-empty list"),
        ('"organization.listening_coverage" = 0.5', "organization.listening_coverage: expected a table"),
    ],
)
def test_bad_priors_name_the_key(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_prior(write(tmp_path, "[prior]\n" + text + "\n"))


def test_bad_prior_files(tmp_path):
    with pytest.raises(ScenarioError, match="empty"):
        load_prior(write(tmp_path, "[prior]\n"))
    with pytest.raises(ScenarioError, match="no \\[prior\\] table"):
        load_prior(write(tmp_path, "\n"))
    with pytest.raises(ScenarioError, match="not found"):
        load_prior(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_prior(write(tmp_path, "[prior\n"))


def test_sample_prior_is_reproducible_and_inside_the_ranges():
    priors = shipped_priors()
    first = sample_prior(priors, 50, seed=3)
    assert first.equals(sample_prior(priors, 50, seed=3))
    assert not first.equals(sample_prior(priors, 50, seed=4))
    assert list(first.columns) == list(priors)
    for key, prior in priors.items():
        low, high = prior.bounds()
        assert first[key].between(low, high).all(), key


def test_draws_apply_to_a_config():
    config = build_config({"customers": {"count": 200}})
    draws = sample_prior(shipped_priors(), 3, seed=0)
    for _, row in draws.iterrows():
        drawn = apply_draw(config, row.to_dict())
        assert drawn.organization.listening_coverage == pytest.approx(row["organization.listening_coverage"])
        assert drawn.support.hop_hours["cross"] == pytest.approx(row["support.hop_hours.cross"])
        assert drawn.customers.count == 200
    with pytest.raises(ScenarioError, match="organization.listening_coverage"):
        apply_draw(config, {"organization.listening_coverage": 2.0})
    with pytest.raises(ScenarioError, match="organization.nope: not a config parameter"):
        apply_draw(config, {"organization.nope": 1.0})


def test_load_draws_from_a_prior_and_a_posterior(tmp_path):
    prior = write(tmp_path, '[prior]\n"organization.listening_coverage" = { uniform = [0.2, 1.0] }\n')
    assert len(load_draws(prior)) == 20
    assert load_draws(prior, 5, seed=1).equals(load_draws(prior, 5, seed=1))
    posterior = tmp_path / "posterior.csv"
    pd.DataFrame(
        {"organization.listening_coverage": [0.3, 0.6, 0.9], "weight": [0.0, 1.0, 0.0], "distance": [1.0, 0.5, 2.0]}
    ).to_csv(posterior, index=False)
    whole = load_draws(posterior)
    assert list(whole.columns) == ["organization.listening_coverage"] and len(whole) == 3
    resampled = load_draws(posterior, 10, seed=2)
    assert np.all(resampled["organization.listening_coverage"] == 0.6)  # all weight on one particle
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"organization.nope": [1.0], "weight": [1.0]}).to_csv(bad, index=False)
    with pytest.raises(ScenarioError, match="organization.nope"):
        load_draws(bad)
    pd.DataFrame({"organization.listening_coverage": [0.5], "weight": [-1.0]}).to_csv(bad, index=False)
    with pytest.raises(ScenarioError, match="weight"):
        load_draws(bad, 3)


def test_normal_and_lognormal_priors_are_truncated_to_the_declared_range():
    from simulation.scenario.priors import parameter_bounds, priors_from_table

    assert parameter_bounds("organization.listening_coverage") == (0.0, 1.0)
    assert parameter_bounds("support.hop_loss.cross") == (0.0, 1.0)  # a probability table's entry
    assert parameter_bounds("support.handling_minutes")[1] == float("inf")
    priors = priors_from_table(
        {
            "organization.listening_coverage": {"normal": [0.5, 5.0]},
            "support.silo_receiving_loss": {"lognormal": [-2.5, 3.0]},
            "customers.sentiment_mean": {"normal": [0.1, 0.05]},
        }
    )
    draws = sample_prior(priors, 2000, seed=1)
    assert draws["organization.listening_coverage"].between(0, 1).all()
    assert draws["organization.listening_coverage"].std() > 0.25  # nearly uniform on [0, 1], not squeezed
    assert draws["support.silo_receiving_loss"].between(0, 1).all()
    for key, prior in priors.items():
        low, high = prior.bounds()
        assert prior.support[0] <= low < high <= prior.support[1], key
    assert priors["support.silo_receiving_loss"].describe() == "lognormal [-2.5, 3] truncated to [0, 1]"
    assert sample_prior(priors, 5, seed=1).equals(sample_prior(priors, 5, seed=1))
    for _, row in draws.head(20).iterrows():
        apply_draw(build_config({}), row.to_dict())  # every draw is a valid value


def test_a_truncated_prior_far_wider_than_its_range_is_flat_on_it():
    from simulation.scenario.priors import priors_from_table

    # sigma 1e308 on [-1, 1]: scipy's truncnorm gave draws of 2.8e292; the prior is flat there to double precision
    prior = priors_from_table({"customers.sentiment_mean": {"normal": [0.5, 1e308]}})["customers.sentiment_mean"]
    draws = prior.sample(np.random.default_rng(0), 500)
    assert draws.min() >= -1 and draws.max() <= 1 and draws.std() > 0.5
    assert prior.bounds() == pytest.approx((-0.99, 0.99))
