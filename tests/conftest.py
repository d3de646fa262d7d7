"""Shared fixtures: small configs that keep the suite fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))  # tests/ helpers such as regenerate_baseline
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def small():
    """Overrides that shrink any scenario to a quick run."""
    return ["customers.count=1500", "simulation.steps=240"]


@pytest.fixture
def scenario_dir() -> Path:
    """The shipped scenarios."""
    return SCENARIOS
