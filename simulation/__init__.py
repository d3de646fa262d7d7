"""silosim: agent-based simulation of how companies organise social media work.

Start with :func:`load_scenario` and :func:`run`; :class:`SocialMediaOrgModel` is the Mesa
model; :mod:`simulation.core` holds the vectorized step core and its kernels.

Names are imported on first use, so ``import simulation`` loads neither Mesa nor
matplotlib (and Mesa's switch of multiprocessing's start method happens only when the
Mesa model is used).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Config": "simulation.config",
    "build_config": "simulation.config",
    "load_scenario": "simulation.config",
    "ScenarioError": "simulation.errors",
    "register_intervention": "simulation.interventions",
    "register_kpi": "simulation.kpis",
    "all_presets": "simulation.presets",
    "register_preset": "simulation.config",
    "RunResult": "simulation.result",
    "run": "simulation.api",
    "optimize": "simulation.optimizer",
    "build_engine": "simulation.engines",
    "calibrate": "simulation.calibration",
    "DepartmentAgent": "simulation.model",
    "SocialMediaOrgModel": "simulation.model",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
