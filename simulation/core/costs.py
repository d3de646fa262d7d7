"""7.10 Costs: staff hours on social work at a loaded rate, plus fixed fees while in force."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.core.effects import Step
from simulation.core.organization import HUB, LEAD

if TYPE_CHECKING:
    from simulation.config import Config
    from simulation.core.organization import Structure


def compile_costs(config: Config, structure: Structure, listen_coverage: np.ndarray, social_staff: float) -> dict:
    """Fixed cost per hour (agency, tool, training) and monitoring/coordination hours per staffed hour."""
    org, people, cost = config.organization, config.people, config.cost
    fixed = 0.0
    if org.agency:
        fixed += cost.agency_fee_per_hour
    if org.shared_tool:
        fixed += cost.tool_cost_per_hour
    if people.training:
        fixed += cost.training_cost_per_employee_day * social_staff / 24.0
    leads = float(((structure.roles == LEAD) | (structure.roles == HUB)).sum())
    listening = people.listening_hours_per_unit * float((listen_coverage > 0).sum()) + people.lead_hours * leads
    return {"fixed_cost_per_hour": fixed, "listening_hours": listening}


def account_costs(step: Step, staffed: np.ndarray) -> None:
    """A step's cost: monitoring hours while anyone is on duty, all staff hours at the rate, fixed fees."""
    flows, params = step.flows, step.params
    flows["staff_hours"] += params.listening_hours * step.dt * float(staffed.any())
    flows["cost"] = flows["staff_hours"] * step.config.cost.staff_cost_per_hour + params.fixed_cost_per_hour * step.dt
