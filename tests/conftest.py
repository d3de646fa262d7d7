"""Shared fixtures: small configs that keep the suite fast."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))  # tests/ helpers such as regenerate_baseline
SCENARIOS = ROOT / "scenarios"
TINY = ["customers.count=800", "simulation.steps=120"]  # a run in a fraction of a second, for batches


@pytest.fixture
def small():
    """Overrides that shrink any scenario to a quick run."""
    return ["customers.count=1500", "simulation.steps=240"]


@pytest.fixture
def scenario_dir() -> Path:
    """The shipped scenarios."""
    return SCENARIOS


@pytest.fixture
def two():
    """Two org models (centralized, democratized) on the tiny setting, for batches and reports."""
    from simulation import load_scenario

    return [load_scenario(SCENARIOS / f"{name}.toml", TINY) for name in ("centralized", "democratized")]


@pytest.fixture
def fresh_registries(monkeypatch):
    """Presets, interventions and KPIs registered in a test vanish when it ends."""
    from simulation.outputs import kpis
    from simulation.scenario import interventions, presets

    for module, registry in ((presets, "_USER_PRESETS"), (interventions, "_REGISTRY"), (kpis, "_USER_KPIS")):
        monkeypatch.setattr(module, registry, {})


def deep_update(base: dict, top: dict) -> dict:
    """``base`` with ``top`` merged in, table by table (a partial scenario over another); neither is changed."""
    out = json.loads(json.dumps(base))
    for k, v in top.items():
        out[k] = deep_update(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
