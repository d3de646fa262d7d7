"""Regenerate the seeded baseline summaries used by tests/test_baseline.py.

Run after an intended change to the model's behaviour, and say why in the commit:
    .venv/bin/python tests/regenerate_baseline.py
"""

from __future__ import annotations

import json
from pathlib import Path

from simulation import build_config, run

HERE = Path(__file__).parent / "baseline"
CASES = {
    model: {"organization": {"model": model}, "customers": {"count": 1500}, "simulation": {"steps": 336}}
    for model in ("centralized", "democratized", "center_of_excellence", "agency_led")
}
CASES["task_force_formation"] = {
    "customers": {"count": 1500},
    "simulation": {"steps": 336},
    "interventions": [
        {"step": 100, "action": "change_org_model", "model": "task_force", "adoption_lag_steps": 48},
        {"step": 200, "action": "crisis", "size": 20},
    ],
}
SEED = 2024


def summaries() -> dict[str, dict[str, float]]:
    """Summary KPIs of every baseline case at the fixed seed."""
    return {name: run(build_config(raw), seed=SEED).summary for name, raw in CASES.items()}


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name, summary in summaries().items():
        (HERE / f"{name}.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
        print(f"wrote {HERE / name}.json")
