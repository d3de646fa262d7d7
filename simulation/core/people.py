"""7.8 People: training raises skill; rewards, quotas and overload move motivation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.compiled import jit
from simulation.core.customers import HOURS_PER_DAY, decay
from simulation.core.effects import EMPLOYEES, Step, effect_on
from simulation.core.organization import HUB, LEAD
from simulation.core.slices import copied, copy_fields, params_slice

if TYPE_CHECKING:
    from simulation.core.organization import Company, Structure
    from simulation.core.params import Params
    from simulation.scenario.config import Config


@params_slice
class PeopleParams:
    """7.8 people's numbers: who does social work, the programmes in force and their rates."""

    social_staff: np.ndarray  # float 0..1: share of the employee's role that is social work
    training: float
    rewards: float
    quota: float
    training_gain_per_day: float = copied("people")
    rewards_gain_per_day: float = copied("people")
    quota_drain_per_day: float = copied("people")
    overload_drain_per_day: float = copied("people")
    overload_queue_per_server: float = copied("people")
    change_resistance_per_day: float = copied("people")
    adoption_dip: float = copied("people")
    recovery_per_day: float = copied("people")
    motivation_mean: float = copied("people")
    non_social_motivation_weight: float = copied("people")
    post_load_decay_per_day: float = copied("people")
    participation_window_hours: float = copied("people")


def compile_people(config: Config, company: Company, structure: Structure) -> dict[str, Any]:
    """People's slice of the compiled parameters: who does social work, programmes in force, their rates."""
    people, content = config.people, config.content
    social = np.zeros(company.size)
    social[structure.posters] = 1.0
    social[(structure.roles == LEAD) | (structure.roles == HUB)] = 1.0
    return {
        "social_staff": social,
        "training": float(people.training),
        "rewards": float(people.rewards),
        "quota": float(content.quota),
        **copy_fields(PeopleParams, config),
    }


@jit
def skill_after_training(skill: float, social_staff: float, training_step: float) -> float:
    """One employee's skill after a step: training moves social staff toward 1.

    ``training_step`` is training in force x ``training_gain_per_day`` x the step in days.
    """
    return skill + training_step * (1 - skill) * social_staff


@jit
def motivation_after(
    motivation: float,
    social_staff: float,
    overloaded: float,
    adopting: float,
    programmes: float,
    overload_drain: float,
    resistance: float,
    recovery: float,
    rest: float,
    day: float,
    non_social_weight: float,
) -> float:
    """One employee's motivation after ``day`` days, in [0, 1].

    ``programmes`` (rewards' gain less the quota's drain, per day) and overload and
    resistance to change (while ``adopting``) move it; it recovers toward ``rest``. Staff who
    do little social work feel it at ``non_social_weight``.
    """
    change = programmes - overloaded * overload_drain - adopting * resistance + recovery * (rest - motivation)
    return min(max(motivation + change * day * max(social_staff, non_social_weight), 0.0), 1.0)


def overloaded_departments(params: Params, waiting: np.ndarray) -> np.ndarray:
    """1.0 for a department whose queue holds more than ``overload_queue_per_server`` per server."""
    return (waiting > params.overload_queue_per_server * np.maximum(params.servers, 1)).astype(float)


@effect_on(EMPLOYEES)
def develop(step: Step, idx: np.ndarray, overloaded: np.ndarray, adopting: np.ndarray) -> None:
    """Employees ``idx`` learn and update their motivation; their posting load fades.

    ``adopting`` is 1 while a new org model is being adopted (resistance to change).
    """
    state, params = step.state, step.params
    day = step.dt / HOURS_PER_DAY
    _develop_rows(
        np.asarray(idx), overloaded, adopting, state.skill, state.motivation, state.post_load, params.social_staff,
        params.training * params.training_gain_per_day * day,
        params.rewards * params.rewards_gain_per_day - params.quota * params.quota_drain_per_day,
        params.overload_drain_per_day, params.change_resistance_per_day, params.recovery_per_day,
        params.motivation_mean, day, params.non_social_motivation_weight,
        decay(params.post_load_decay_per_day, step.dt),
    )  # fmt: skip


@jit
def _develop_rows(
    idx, overloaded, adopting, skill, motivation, post_load, social_staff, training_step, programmes, overload_drain,
    resistance, recovery, rest, day, non_social_weight, keep_post_load,
):  # fmt: skip
    """Row by row: skill (:func:`skill_after_training`), motivation (:func:`motivation_after`), load fades."""
    for r in range(len(idx)):
        i = idx[r]
        social = social_staff[i]
        new_skill = skill_after_training(skill[i], social, training_step)
        motivation[i] = motivation_after(
            motivation[i], social, overloaded[r], adopting[r], programmes, overload_drain, resistance, recovery, rest,
            day, non_social_weight,
        )  # fmt: skip
        skill[i] = new_skill
        post_load[i] *= keep_post_load


def people_step(step: Step, overloaded: np.ndarray, dept: np.ndarray, adopting: bool = False) -> None:
    """Every employee develops, given its department's overload and whether a change is being adopted."""
    n = len(dept)
    everyone = step.state.employees
    step.apply(develop, everyone, overloaded[dept], np.ones(n) if adopting else np.zeros(n))
