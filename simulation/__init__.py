"""silosim: agent-based simulation of how companies organise social media work.

Start with :func:`load_scenario` and :func:`run`; :class:`SocialMediaOrgModel` is the Mesa
model; :mod:`simulation.core` holds the vectorized kernels.
"""

from simulation.api import run
from simulation.config import Config, build_config, load_scenario
from simulation.errors import ScenarioError
from simulation.interventions import register_intervention
from simulation.kpis import register_kpi
from simulation.model import DepartmentAgent, SocialMediaOrgModel
from simulation.presets import all_presets, register_preset
from simulation.result import RunResult

__all__ = [
    "Config",
    "DepartmentAgent",
    "RunResult",
    "ScenarioError",
    "SocialMediaOrgModel",
    "all_presets",
    "build_config",
    "load_scenario",
    "register_intervention",
    "register_kpi",
    "register_preset",
    "run",
]
__version__ = "0.1.0"
