"""7.10 Costs: the social roster is paid by the hour whether busy or idle, plus overheads while in force."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.core.effects import Step
from simulation.core.organization import HUB, LEAD
from simulation.core.slices import copied, copy_fields, params_slice

if TYPE_CHECKING:
    from simulation.core.organization import Structure
    from simulation.scenario.config import Config


@params_slice
class CostParams:
    """7.10 costs and value's numbers: overheads, monitoring hours, the staff rate and the value of outcomes."""

    fixed_cost_per_hour: float
    training_cost_per_hour: float  # while the training programme runs
    listening_hours: float  # staff hours per staffed hour spent monitoring and coordinating
    staff_cost_per_hour: float = copied("cost")
    reply_value: float = copied("value")
    customer_value_per_year: float = copied("value")


def compile_costs(
    config: Config, structure: Structure, listen_coverage: np.ndarray, social_staff: float, scale: float
) -> dict:
    """Overheads per hour (agency, tool, training), monitoring/coordination hours per staffed hour, and value.

    Every overhead grows with ``scale`` (customers / reference_customers): an agency's
    retainer and a tool's licence are priced by account size, training by the staff trained.
    """
    org, people, cost = config.organization, config.people, config.cost
    fixed = 0.0
    if org.agency:
        fixed += cost.agency_fee_per_hour * scale
    if org.shared_tool:
        fixed += cost.tool_cost_per_hour * scale
    training = cost.training_cost_per_employee_day * social_staff * scale / 24.0 if people.training else 0.0
    leads = float(((structure.roles == LEAD) | (structure.roles == HUB)).sum())
    listening = people.listening_hours_per_unit * float((listen_coverage > 0).sum()) + people.lead_hours * leads
    return {
        "fixed_cost_per_hour": fixed,
        "training_cost_per_hour": training,
        "listening_hours": listening * scale,
        **copy_fields(CostParams, config),
    }


def account_costs(step: Step, staffed: np.ndarray) -> None:
    """A step's cost: the rostered hours of departments on duty and monitoring, at the rate, plus overheads.

    ``staff_hours`` are paid hours (busy or idle); ``busy_hours`` (posting, answering,
    monitoring) are what the roster actually did.
    """
    flows, params, dt = step.flows, step.params, step.dt
    if staffed.any():  # (off duty nobody is paid or monitoring: both terms would add 0)
        monitoring = params.listening_hours * dt
        flows["staff_hours"] += float((params.servers * staffed).sum()) * dt + monitoring
        flows["busy_hours"] += monitoring
    overheads = (params.fixed_cost_per_hour + params.training_cost_per_hour) * dt
    flows["cost"] = flows["staff_hours"] * params.staff_cost_per_hour + overheads
