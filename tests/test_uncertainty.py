"""compare --uncertainty: draws shared by every scenario, prob_better in [0, 1], reproducible, one draw = plain."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SCENARIOS, TINY

from simulation import load_scenario
from simulation.studies import batch
from simulation.studies.batch.uncertainty import prob_better, variance_shares

PRIOR = """[prior]
"organization.listening_coverage" = { uniform = [0.2, 1.0] }
"support.resolution_prob" = { uniform = [0.4, 1.0] }
"""


@pytest.fixture
def pair():
    return [load_scenario(SCENARIOS / f"{name}.toml", TINY) for name in ("centralized", "center_of_excellence")]


@pytest.fixture
def prior_file(tmp_path):
    path = tmp_path / "prior.toml"
    path.write_text(PRIOR)
    return path


def test_probabilities_are_reproducible_and_in_range(pair, prior_file, tmp_path):
    first = batch.compare(pair, 2, seed=1, out=tmp_path / "a", uncertainty=prior_file, draws=3, workers=2)
    second = batch.compare(pair, 2, seed=1, out=tmp_path / "b", uncertainty=prior_file, draws=3)
    from simulation.outputs.report import write_report

    for root in ("a", "b"):
        write_report(tmp_path / root)
    prob = pd.read_csv(tmp_path / "a" / "prob_better.csv")
    assert prob["prob_better"].dropna().between(0, 1).all() and (prob["draws"] == 3).all()
    pd.testing.assert_frame_equal(prob, pd.read_csv(tmp_path / "b" / "prob_better.csv"))
    cols = ["run_id", "seed", "detection_rate", "resolution_rate"]
    pd.testing.assert_frame_equal(first.summary[cols], second.summary[cols])
    # every draw is applied to every scenario, on the same replicate seeds
    summary = first.summary
    assert summary.groupby("scenario")["point"].nunique().eq(3).all()
    assert summary.groupby(["point", "replicate"])["seed"].nunique().eq(1).all()
    values = summary.groupby("point")["organization.listening_coverage"].nunique()
    assert values.eq(1).all()
    ci = pd.read_csv(tmp_path / "a" / "ci.csv")
    shares = ci[["share_params", "share_seeds"]].dropna()
    assert ((shares.sum(axis=1) - 1).abs() < 1e-9).all()
    assert "plausible worlds" in (tmp_path / "a" / "report.md").read_text()


def test_one_draw_reproduces_the_plain_compare(pair):
    point = {"organization.listening_coverage": 0.45, "support.resolution_prob": 0.8}
    draws = pd.DataFrame([point])
    with_draw = batch.compare(pair, 2, seed=4, uncertainty=draws)
    plain = batch.compare([c.with_values(point) for c in pair], 2, seed=4)
    kpis = ["detection_rate", "resolution_rate", "share_of_voice", "churn_rate"]
    pd.testing.assert_frame_equal(
        with_draw.summary[["run_id", "seed", *kpis]], plain.summary[["run_id", "seed", *kpis]]
    )
    pd.testing.assert_frame_equal(with_draw.ci(kpis), plain.ci(kpis))
    pd.testing.assert_frame_equal(with_draw.paired(kpis=kpis), plain.paired(kpis=kpis))


def test_prob_better_and_shares_on_a_known_table():
    rows = []
    for point, lift in enumerate([1.0, 2.0, -1.0, 0.5]):
        for replicate in range(2):
            noise = 0.1 * replicate
            rows.append(("a", point, replicate, 10.0 + point + noise))
            rows.append(("b", point, replicate, 10.0 + point + noise + lift))
    summary = pd.DataFrame(rows, columns=["scenario", "point", "replicate", "resolution_rate"]).assign(status="ok")
    prob = prob_better(summary, "a", ["resolution_rate"])
    assert prob.loc[0, "prob_better"] == 0.75 and prob.loc[0, "draws"] == 4
    shares = variance_shares(summary, ["resolution_rate"]).set_index("scenario")
    assert shares.loc["a", "share_params"] > 0.9  # the draws differ by whole units, the seeds by 0.1


def test_cli_uncertainty_needs_a_good_file(tmp_path):
    from typer.testing import CliRunner

    from simulation.cli.main import app

    bad = tmp_path / "bad.toml"
    bad.write_text('[prior]\n"organization.listening_coverage" = { uniform = [0.5, 2.0] }\n')
    args = ["compare", str(SCENARIOS / "centralized.toml"), "--out", str(tmp_path / "out"), "-q"]
    result = CliRunner().invoke(app, [*args, "--uncertainty", str(bad)])
    assert result.exit_code == 2 and "organization.listening_coverage" in result.output
    result = CliRunner().invoke(app, [*args, "--draws", "3"])
    assert result.exit_code == 2 and "--draws" in result.output
    assert not (tmp_path / "out").exists()
