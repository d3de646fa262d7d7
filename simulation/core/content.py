"""7.1 Content: who posts how much, and each post's type, quality, gaffe risk and brand consistency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.effects import EMPLOYEES, Step, effect_on, read_only
from simulation.core.keyed import poisson
from simulation.core.organization import effective_coordination
from simulation.core.slices import copied, copy_fields, params_slice

if TYPE_CHECKING:
    from simulation.core.organization import Company, Structure
    from simulation.core.params import Params
    from simulation.scenario.config import Config


@params_slice
class ContentParams:
    """7.1 content's numbers: posting rates per employee, then the quality, gaffe and brand terms."""

    staffed_hours: tuple[int, int]  # hours of day [start, end) when staff work social
    post_rate: np.ndarray  # posts per hour while staffed (0 for non-posters)
    own_account: np.ndarray  # float 0..1: posts also go out on the employee's own account
    promo_share: np.ndarray  # per employee: share of posts that promote
    people_per_row: float  # customers / reference_customers: people an employee row stands for
    quality_offset: float  # base + guidelines + coordination - quota terms
    quality_skill_weight: float
    gaffe_factor: float  # gaffe probability x guideline reduction
    on_brand_offset: float
    on_brand_skill_weight: float
    reference_motivation: float = copied("people")
    fatigue_free_posts_per_day: float = copied("content")
    fatigue_penalty: float = copied("content")
    hours_per_post: float = copied("people")


def compile_content(config: Config, company: Company, structure: Structure, scale: float) -> dict[str, Any]:
    """Content's slice of the compiled parameters (``scale``: customers / reference_customers)."""
    org, content = config.organization, config.content
    coordination = effective_coordination(org)
    quota_mult = content.quota_multiplier if content.quota else 1.0
    start, end = config.support.staffed_hours
    posters = structure.posters
    names = np.array(company.departments)[company.dept]
    per_day = np.array([content.posts_per_day_by_department.get(n, content.posts_per_poster_per_day) for n in names])
    promo = np.array([content.promo_share_by_department.get(n, content.promo_share) for n in names])
    own_account = np.zeros(company.size)
    if org.employee_accounts:
        own_account[posters & (company.dept != company.agency_index)] = 1.0
    guidelines = float(content.guidelines)
    consistency = content.consistency_base
    return {
        "post_rate": posters * (per_day / float(end - start) * quota_mult * scale),
        "own_account": own_account,
        "promo_share": promo,
        "people_per_row": scale,
        "quality_offset": content.quality_base
        + content.quality_guidelines_weight * guidelines
        + content.quality_coordination_weight * coordination
        - content.quota_quality_penalty * float(content.quota),
        "quality_skill_weight": content.quality_skill_weight,
        "gaffe_factor": content.gaffe_prob * (1.0 - content.guidelines_gaffe_reduction * guidelines),
        "on_brand_offset": consistency
        + (1 - consistency)
        * (content.on_brand_guidelines_weight * guidelines + content.on_brand_coordination_weight * coordination),
        "on_brand_skill_weight": (1 - consistency) * content.on_brand_skill_weight,
        "staffed_hours": config.support.staffed_hours,
        **copy_fields(ContentParams, config),
    }


# --- formulas ---------------------------------------------------------------------------------


def expected_posts(post_rate: Any, motivation: Any, on_duty: Any, dt: float, reference_motivation: float) -> Any:
    """Mean posts an employee makes in a step: its rate, times motivation over the reference, while on duty."""
    return post_rate * (motivation / reference_motivation) * on_duty * dt


def post_quality(params: Params, skill: Any, post_load: Any) -> Any:
    """Quality of a post in [0.05, 1]: offset plus skill, minus fatigue beyond the free posts a day.

    ``post_load`` is the row's recent posts; a row stands for ``people_per_row`` people.
    """
    fatigue = np.maximum(0.0, post_load / params.people_per_row - params.fatigue_free_posts_per_day)
    return np.clip(
        params.quality_offset + params.quality_skill_weight * skill - params.fatigue_penalty * fatigue, 0.05, 1.0
    )


def gaffe_probability(params: Params, skill: Any) -> Any:
    """Probability a post is a gaffe: falls with the poster's skill (and with guidelines, in params)."""
    return params.gaffe_factor * (1.0 - skill)


def on_brand_probability(params: Params, skill: Any) -> Any:
    """Probability a post is on brand (guidelines and coordination in the offset, skill on top)."""
    return np.clip(params.on_brand_offset + params.on_brand_skill_weight * skill, 0, 1)


# --- effects ----------------------------------------------------------------------------------


@effect_on(EMPLOYEES)
def posted(step: Step, idx: np.ndarray, counts: np.ndarray) -> None:
    """Employees ``idx`` wrote ``counts`` posts this step: their posting load and last-post time."""
    state = step.state
    np.add.at(state.post_load, idx, counts)
    state.last_post_h[idx[counts > 0]] = step.t


# --- process ----------------------------------------------------------------------------------


@dataclass
class Posts:
    """The posts of one step."""

    poster: np.ndarray
    promoting: np.ndarray
    quality: np.ndarray
    gaffe: np.ndarray

    def __len__(self) -> int:
        return len(self.poster)


NO_POSTS = Posts(
    read_only(np.zeros(0, dtype=np.int64)),
    read_only(np.zeros(0, dtype=bool)),
    read_only(np.zeros(0)),
    read_only(np.zeros(0, dtype=bool)),
)  # a step without posts (shared, read-only)


POSTS = "posts"
"""Keyed stream of posting: an employee's count in a step (slot 0), then its j-th post's type,
gaffe and brand draws (block j + 1); entity: the employee, sequence: the step."""


def produce_content(step: Step, on_duty: np.ndarray) -> Posts:
    """Posters post on their staffed hours; quality, type, gaffes and brand consistency per post.

    Each employee's count in a step is a Poisson draw by inversion of its own keyed uniform,
    and each post's draws are the post's own (block ``j + 1`` of the employee's step).
    """
    state, params, flows = step.state, step.params, step.flows
    if not on_duty.any():  # off duty: every mean is 0
        return NO_POSTS
    lam = expected_posts(params.post_rate, state.motivation, on_duty, step.dt, params.reference_motivation)
    counts = np.zeros(len(lam), dtype=np.int64)
    positive = np.flatnonzero(lam)
    if len(positive):
        counts[positive] = poisson(step.keys.uniform(POSTS, positive, step.index), lam[positive])
    poster = np.repeat(np.arange(len(counts)), counts)
    k = len(poster)
    if k == 0:  # most steps (low rates): no draws to make, no load to add
        return NO_POSTS
    nth = np.arange(k) - np.repeat(np.cumsum(counts) - counts, counts)  # each post's number j among its poster's
    u = np.empty((k, 4))
    for j in range(int(nth.max()) + 1):
        mine = nth == j
        u[mine] = step.keys.uniforms(POSTS, poster[mine], step.index, block=j + 1)
    skill = state.skill[poster]
    quality = post_quality(params, skill, state.post_load[poster])
    promoting = u[:, 0] < params.promo_share[poster]
    gaffe = u[:, 1] < gaffe_probability(params, skill)
    on_brand = u[:, 2] < on_brand_probability(params, skill)
    step.apply(posted, np.arange(len(counts)), counts)
    flows["posts"] += k
    flows["posts_promoting"] += int(promoting.sum())
    flows["gaffes"] += int(gaffe.sum())
    flows["posts_on_brand"] += int(on_brand.sum())
    flows["quality_sum"] += float(quality.sum())
    flows["busy_hours"] += k * params.hours_per_post
    return Posts(poster, promoting, quality, gaffe)
