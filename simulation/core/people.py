"""7.8 People: training raises skill; rewards, quotas and overload move motivation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.effects import EMPLOYEES, Step, effect_on
from simulation.core.organization import HUB, LEAD
from simulation.core.response import HOURS_PER_DAY, decay

if TYPE_CHECKING:
    from simulation.config import Config
    from simulation.core.organization import Company, Structure
    from simulation.core.params import Params


def compile_people(config: Config, company: Company, structure: Structure) -> dict[str, Any]:
    """People's slice of the compiled parameters: who does social work, programmes in force."""
    people, content = config.people, config.content
    social = np.zeros(company.size)
    social[structure.posters] = 1.0
    social[(structure.roles == LEAD) | (structure.roles == HUB)] = 1.0
    return {
        "social_staff": social,
        "training": float(people.training),
        "rewards": float(people.rewards),
        "quota": float(content.quota),
    }


def skill_after_training(params: Params, people: Any, skill: Any, social_staff: Any, day: float) -> Any:
    """Skill after ``day`` days: training moves social staff toward 1."""
    return skill + params.training * people.training_gain_per_day * day * (1 - skill) * social_staff


def motivation_after(
    params: Params, people: Any, motivation: Any, overloaded: Any, social_staff: Any, day: float
) -> Any:
    """Motivation after ``day`` days: rewards up, quotas and overload down, recovery to rest."""
    change = (
        params.rewards * people.rewards_gain_per_day
        - params.quota * people.quota_drain_per_day
        - overloaded * people.overload_drain_per_day
        + people.recovery_per_day * (people.motivation_mean - motivation)
    )
    return np.clip(motivation + change * day * np.maximum(social_staff, people.non_social_motivation_weight), 0, 1)


def overloaded_departments(people: Any, waiting: np.ndarray, servers: np.ndarray) -> np.ndarray:
    """1.0 for a department whose queue holds more than ``overload_queue_per_server`` per server."""
    return (waiting > people.overload_queue_per_server * np.maximum(servers, 1)).astype(float)


@effect_on(EMPLOYEES)
def develop(step: Step, idx: np.ndarray, overloaded: np.ndarray) -> None:
    """Employees ``idx`` learn and update their motivation; their posting load fades."""
    state, params, people = step.state, step.params, step.config.people
    day = step.dt / HOURS_PER_DAY
    social = params.social_staff[idx]
    state.skill[idx] = skill_after_training(params, people, state.skill[idx], social, day)
    state.motivation[idx] = motivation_after(params, people, state.motivation[idx], overloaded, social, day)
    state.post_load[idx] *= decay(people.post_load_decay_per_day, step.dt)


def people_step(step: Step, overloaded: np.ndarray, dept: np.ndarray) -> None:
    """Every employee develops, given its department's overload."""
    step.apply(develop, np.arange(len(dept)), overloaded[dept])
