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
    "Config": "simulation.scenario.config",
    "build_config": "simulation.scenario.config",
    "load_scenario": "simulation.scenario.config",
    "ScenarioError": "simulation.errors",
    "register_intervention": "simulation.scenario.interventions",
    "register_kpi": "simulation.outputs.kpis",
    "all_presets": "simulation.scenario.presets",
    "register_preset": "simulation.scenario.config",
    "RunResult": "simulation.outputs.result",
    "run": "simulation.api",
    "optimize": "simulation.studies.optimizer",
    "build_engine": "simulation.engines.build",
    "calibrate": "simulation.studies.calibration",
    "DepartmentAgent": "simulation.engines.mesa_model",
    "SocialMediaOrgModel": "simulation.engines.mesa_model",
}

_MODULES = {  # the modules a researcher reaches for, by their short names (simulation.batch, simulation.plots, ...)
    "analysis": "simulation.outputs.analysis",
    "batch": "simulation.studies.batch",
    "calibration": "simulation.studies.calibration",
    "config": "simulation.scenario.config",
    "interventions": "simulation.scenario.interventions",
    "kpis": "simulation.outputs.kpis",
    "ladder": "simulation.studies.ladder",
    "optimizer": "simulation.studies.optimizer",
    "plots": "simulation.outputs.plots",
    "plots_org": "simulation.outputs.plots_org",
    "presets": "simulation.scenario.presets",
    "priors": "simulation.scenario.priors",
    "report": "simulation.outputs.report",
    "theory": "simulation.studies.theory",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        module = importlib.import_module(_MODULES[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_MODULES})
