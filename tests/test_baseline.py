"""Seeded regression: the model's summaries at a fixed seed match the stored baseline.

A failure means behaviour changed. If the change is intended, run
``python tests/regenerate_baseline.py`` and explain the change in the commit message.
"""

import json
import math

import pytest
from regenerate_baseline import CASES, HERE, SEED

from simulation import build_config, run


@pytest.mark.parametrize("name", sorted(CASES))
def test_summary_matches_baseline(name):
    expected = json.loads((HERE / f"{name}.json").read_text())
    actual = run(build_config(CASES[name]), seed=SEED).summary
    assert set(actual) >= set(expected)
    for key, value in expected.items():
        got = actual[key]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            assert math.isnan(got), key
        else:
            assert got == pytest.approx(value, rel=1e-9, abs=1e-12), key
