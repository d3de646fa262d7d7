"""7.9 Crises: a large negative cascade becomes a crisis that keeps hitting customers until contained."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.effects import CUSTOMERS, Step, effect_on
from simulation.core.organization import effective_coordination
from simulation.core.slices import copied, copy_fields, params_slice
from simulation.core.state import MEDIA

if TYPE_CHECKING:
    from simulation.core.state import State
    from simulation.scenario.config import Config


@params_slice
class CrisisParams:
    """7.9 crises' numbers: the organisation's response capability and the crisis rates."""

    response_capability: float  # multiplies the crisis decay rate
    crisis_decay_per_hour: float = copied("content")
    crisis_threshold_share: float = copied("content")
    crisis_intensity_per_node: float = copied("content")
    crisis_contained_per_customer: float = copied("content")
    crisis_complaint_share: float = copied("content")


def compile_crisis(config: Config, listen_coverage: np.ndarray, tool_coverage: float) -> dict[str, float]:
    """Crises' slice: the organisation's response capability (coordination plus detection) and the crisis rates."""
    content = config.content
    detection = 1.0 - float(np.prod(1.0 - listen_coverage))
    capability = content.crisis_base_capability + (
        effective_coordination(config.organization) + detection + content.crisis_tool_weight * tool_coverage
    )
    return {"response_capability": capability, **copy_fields(CrisisParams, config)}


@effect_on(CUSTOMERS)
def take_hit(step: Step, idx: np.ndarray) -> None:
    """An ongoing crisis reached customers ``idx`` (once per row): sentiment lost, a negative mention each."""
    np.subtract.at(step.state.sentiment, idx, step.params.negative_hit)
    step.flows["mentions_negative"] += len(idx)


def crisis_targets(state: State, rng: np.random.Generator, dt: float) -> np.ndarray:
    """Active customers an ongoing crisis reaches this step (Poisson in its intensity, with replacement)."""
    n = rng.poisson(state.crisis_intensity * dt) if state.crisis_intensity > 0 else 0
    active = np.flatnonzero(~state.churned)
    if not (n and len(active)):
        return np.empty(0, dtype=np.int64)
    return active[rng.integers(0, len(active), n)]


def contain_crisis(step: Step) -> None:
    """An active crisis decays as the organisation responds; a contained one records its duration."""
    state, params = step.state, step.params
    if state.crisis_intensity <= 0:
        return
    state.crisis_intensity *= np.exp(-params.crisis_decay_per_hour * params.response_capability * step.dt)
    step.flows["crisis_active"] = 1.0
    if state.crisis_intensity < params.crisis_contained_per_customer * max(int((~state.churned).sum()), 1):
        state.crisis_intensity = 0.0
        state.crisis_durations.append(step.t + step.dt - state.crisis_started_h)


CRISIS = "crisis"
"""Keyed stream of an ongoing crisis's targets (a generator keyed by the step)."""


def crisis_step(step: Step) -> None:
    """An active crisis adds negative mentions and decays as the organisation responds."""
    if step.state.crisis_intensity <= 0:
        return
    rng = step.keys.generator(CRISIS, 0, step.index)
    targets = crisis_targets(step.state, rng, step.dt)
    step.apply(take_hit, targets)
    media = int(np.count_nonzero(step.state.kind[targets] == MEDIA))
    if media:  # an outlet the crisis reaches covers it: its coverage counts as that many mentions
        step.flows["mentions_negative"] += step.params.media_amplification * media
    complain_about_crisis(step, targets)
    contain_crisis(step)


CRISIS_COMPLAINTS = "crisis_complaints"
"""Keyed stream of whether a customer a crisis reaches complains (entity: customer, sequence: the step)."""


def complain_about_crisis(step: Step, targets: np.ndarray) -> None:
    """A share of the customers the crisis reached this step raise a service complaint (in the next step).

    Each reached customer decides on its own keyed uniform (once a step, however often hit);
    the complaints join the next step's inquiries (:func:`simulation.core.needs.raise_needs`).
    """
    share = step.params.crisis_complaint_share
    if share <= 0 or not len(targets):
        return
    reached = np.unique(targets)
    complainers = reached[step.keys.uniform(CRISIS_COMPLAINTS, reached, step.index) < share]
    if len(complainers):
        step.state.crisis_complainers = np.concatenate([step.state.crisis_complainers, complainers])


def is_crisis(step: Step, size: int) -> bool:
    """Whether a negative cascade of this weight reaches the crisis threshold (a share of active customers)."""
    return size >= step.params.crisis_threshold_share * int((~step.state.churned).sum())


def start_crisis(step: Step, size: int) -> None:
    """A negative cascade large enough becomes a crisis (or feeds one already running)."""
    state: Any = step.state
    if state.crisis_intensity <= 0:
        state.crisis_started_h = step.t
        state.crises += 1
        step.flows["crises_started"] += 1
    state.crisis_intensity += size * step.params.crisis_intensity_per_node
