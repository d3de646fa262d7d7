"""7.2 Exposure and diffusion: who sees a post, who engages, follows or re-shares, and negative cascades."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.content import Posts
from simulation.core.effects import CUSTOMERS, Step, effect_on, has_repeats
from simulation.core.kernels import independent_cascade, out_edges
from simulation.core.slices import copied, copy_fields, params_slice
from simulation.core.state import INFLUENCER, MEDIA

if TYPE_CHECKING:
    from simulation.core.params import Params
    from simulation.core.state import State
    from simulation.scenario.config import Config


@params_slice
class DiffusionParams:
    """7.2 exposure and diffusion's numbers: reach, engagement, reshares, follows and cascades."""

    organic_reach: float = copied("content")
    ambassador_reach: float = copied("content")
    engagement_rate: float = copied("content")
    engagement_sentiment_weight: float = copied("content")
    promoting_multiplier: float = copied("content")
    relating_multiplier: float = copied("content")
    sentiment_lift: float = copied("content")
    promoting_lift_share: float = copied("content")
    reshare_prob: float = copied("content")
    share_lift_share: float = copied("content")
    gaffe_seed_share: float = copied("content")
    gaffe_seed_min_audience: int = copied("content")
    negative_hit: float = copied("content")  # sentiment a negative mention costs
    negative_transmissibility: float = copied("content")
    crisis_transmissibility: float = copied("content")
    influencer_reach: float = copied("customers")
    awareness_gain: float = copied("customers")
    promo_tolerance_per_day: float = copied("customers")
    overload_penalty: float = copied("customers")
    unfollow_prob: float = copied("customers")
    follow_prob: float = copied("customers")
    media_amplification: float = copied("customers")


def compile_diffusion(config: Config) -> dict[str, Any]:
    """Exposure and diffusion's slice of the compiled parameters: reach, engagement, cascades."""
    return copy_fields(DiffusionParams, config)


# --- formulas ---------------------------------------------------------------------------------


def awareness_after_exposure(awareness: Any, gain: float, count: Any = 1) -> Any:
    """Awareness after ``count`` exposures to the brand: each a step ``gain`` of the way toward 1."""
    return 1.0 - (1.0 - awareness) * (1.0 - gain) ** count


def exposures_over_tolerance(load_before: Any, exposures: Any, tolerance: float) -> Any:
    """How many of ``exposures`` promotional exposures exceed the tolerance, counted one by one.

    The k-th exposure of a step (k = 1..exposures) is over when ``load_before + k > tolerance``.
    """
    free = np.maximum(np.floor(tolerance - load_before), 0.0)
    return np.clip(exposures - free, 0, exposures)


def engagement_probability(params: Params, quality: Any, promoting: Any, sentiment: Any) -> Any:
    """Probability a viewer engages with a post: quality x content type x the viewer's sentiment."""
    type_mult = np.where(promoting, params.promoting_multiplier, params.relating_multiplier)
    per_view = params.engagement_rate / max(params.organic_reach, 1e-9)
    return np.clip(per_view * quality * type_mult * (1.0 + params.engagement_sentiment_weight * sentiment), 0, 1)


def engagement_lift(params: Params, quality: Any, promoting: Any) -> Any:
    """Sentiment an engaged viewer gains (promoting content lifts a share of that)."""
    return params.sentiment_lift * quality * np.where(promoting, params.promoting_lift_share, 1.0)


def reshare_probability(params: Params, quality: float, promoting: bool) -> float:
    """Per-tie probability that an engaged viewer's share of a post activates a neighbour."""
    mult = params.promoting_multiplier if promoting else params.relating_multiplier
    return min(1.0, params.reshare_prob * quality * mult / params.relating_multiplier)


def share_lift(params: Params, quality: Any) -> Any:
    """Sentiment gained by a customer a re-share reaches."""
    return params.share_lift_share * params.sentiment_lift * quality


# --- effects ----------------------------------------------------------------------------------


@effect_on(CUSTOMERS)
def notice(step: Step, idx: np.ndarray, times: np.ndarray, promo_times: np.ndarray, u_unfollow: np.ndarray) -> None:
    """Customers ``idx`` saw brand posts ``times`` times (``promo_times`` promoting) this step.

    Awareness rises per exposure; each promotional exposure over the daily tolerance costs
    ``overload_penalty`` of sentiment, and a follower unfollows with ``unfollow_prob`` per such
    exposure (one uniform per customer decides: the first of its rows).
    """
    state, params, flows = step.state, step.params, step.flows
    if len(idx) > 1 and not bool((idx[1:] > idx[:-1]).all()):  # repeated customers: one row each
        idx, first, rows = np.unique(idx, return_index=True, return_inverse=True)
        times = np.bincount(rows, weights=times, minlength=len(idx))
        promo_times = np.bincount(rows, weights=promo_times, minlength=len(idx))
        u_unfollow = u_unfollow[first]
    else:  # already one row per customer, in order (the vectorized engine's case)
        times, promo_times = times.astype(np.float64), promo_times.astype(np.float64)
    state.awareness[idx] = awareness_after_exposure(state.awareness[idx], params.awareness_gain, times)
    over = exposures_over_tolerance(state.promo_load[idx], promo_times, params.promo_tolerance_per_day)
    state.promo_load[idx] += promo_times
    state.sentiment[idx] -= params.overload_penalty * over  # (idx is one row per customer here)
    leave = idx[(over > 0) & (u_unfollow < 1.0 - (1.0 - params.unfollow_prob) ** over) & state.follows[idx]]
    flows["unfollows"] += len(leave)
    state.follows[leave] = False


@effect_on(CUSTOMERS)
def engage(step: Step, idx: np.ndarray, lift: np.ndarray) -> None:
    """Customers ``idx`` engaged with a post (once per row), gaining ``lift`` of sentiment each time.

    An engagement (a like, a comment on the brand's post) is its own flow, not a mention.
    """
    np.add.at(step.state.sentiment, idx, lift)
    step.flows["engagements"] += len(idx)
    step.flows["engagements_by_followers"] += int(step.state.follows[idx].sum())


@effect_on(CUSTOMERS)
def follow(step: Step, idx: np.ndarray) -> None:
    """Customers ``idx`` start following the brand (counted once each)."""
    state = step.state
    new = np.unique(idx[~state.follows[idx]])
    step.flows["new_followers"] += len(new)
    state.follows[new] = True


@effect_on(CUSTOMERS)
def hear_share(step: Step, idx: np.ndarray, lift: np.ndarray) -> None:
    """A re-share of a brand post reached customers ``idx``: awareness and ``lift`` of sentiment (per row)."""
    if has_repeats(idx):  # a customer reached more than once: each row in turn
        for r in range(len(idx)):
            hear_share(step, idx[r : r + 1], lift[r : r + 1])
        return
    state = step.state
    state.awareness[idx] = awareness_after_exposure(state.awareness[idx], step.params.awareness_gain)
    state.sentiment[idx] += lift


@effect_on(CUSTOMERS)
def hear_negative(step: Step, idx: np.ndarray) -> None:
    """A negative cascade (gaffe, complaint, crisis) reached customers ``idx``: a negative mention each (per row)."""
    if has_repeats(idx):  # a customer reached more than once: each row in turn
        for r in range(len(idx)):
            hear_negative(step, idx[r : r + 1])
        return
    state = step.state
    state.sentiment[idx] -= step.params.negative_hit
    state.awareness[idx] = awareness_after_exposure(state.awareness[idx], step.params.awareness_gain)
    step.flows["mentions_negative"] += len(idx)


# --- processes --------------------------------------------------------------------------------


def _neighbours(state: State, node: int) -> np.ndarray:
    a = state.adjacency
    return a.indices[a.indptr[node] : a.indptr[node + 1]]


def post_audience(
    state: State, params: Params, rng: np.random.Generator, followers: np.ndarray, poster: int
) -> np.ndarray:
    """Customers who see one post (churned ones excluded).

    A random draw of followers (organic reach, with replacement), plus a share of the
    poster's own ties if the poster also posts from an own account.
    """
    n_view = rng.binomial(len(followers), params.organic_reach) if len(followers) else 0
    seen = followers[rng.integers(0, len(followers), n_view)] if n_view else np.empty(0, dtype=np.int64)
    if params.own_account[poster] > 0:
        ties = _neighbours(state, int(state.account_node[poster]))
        seen = np.concatenate([seen, ties[rng.random(len(ties)) < params.ambassador_reach]])
    return seen if state.churned_count == 0 else seen[~state.churned[seen]]


DIFFUSION = "diffusion"
"""Keyed stream of the step's audiences, engagement and follows (a generator keyed by the step)."""
RESHARE = "reshare"
"""Keyed stream of re-share cascades' edges (entity: the edge's CSR position, sequence: the step; tag: promotional)."""
NEGATIVE = "negative"
"""Keyed stream of negative cascades' edges (entity: the edge, sequence: the step; tag: the kind)."""
NEGATIVE_KINDS = ("complaint", "gaffe", "crisis")


INFLUENCER_TIES = "influencer_ties"
"""Keyed stream of the ties an influencer passes a negative cascade on to (entity: the edge, sequence: the step)."""


def influencer_ties_reached(step: Step, influencers: np.ndarray, tag: int) -> np.ndarray:
    """The active ties of ``influencers`` who hear what they pass on: ``influencer_reach`` of them, keyed per edge."""
    state = step.state
    edges = out_edges(state.adjacency.indptr, influencers)
    ties = state.adjacency.indices[edges]
    heard = ties[step.keys.uniform(INFLUENCER_TIES, edges, step.index, tag=tag) < step.params.influencer_reach]
    return np.unique(heard if state.churned_count == 0 else heard[~state.churned[heard]])


def keyed_edges(step: Step, stream: str, tag: int) -> Callable[[np.ndarray], np.ndarray]:
    """The uniforms of a cascade's edges in this step: each edge's own (``independent_cascade``'s ``rng``)."""
    keys, index = step.keys, step.index
    return lambda edges: keys.uniform(stream, edges, index, tag=tag)


def gaffe_seeds(params: Params, seen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Viewers of a gaffe who start a negative cascade (a share of them; one for a small audience)."""
    if len(seen) <= params.gaffe_seed_min_audience:
        return seen[:1]
    return seen[rng.random(len(seen)) < params.gaffe_seed_share]


def diffuse(step: Step, posts: Posts, reached: np.ndarray, negative_seeds: list[np.ndarray]) -> None:
    """Followers (and posters' own ties) see posts, some engage, engaged viewers' shares cascade.

    Audiences, engagement and follows draw from a generator keyed to the step
    (:data:`DIFFUSION`); a re-share cascade's edges fire on their own keyed uniforms.
    """
    if len(posts) == 0:
        return
    state, params, flows = step.state, step.params, step.flows
    rng = step.keys.generator(DIFFUSION, 0, step.index)
    active = state.active_mask()  # None: nobody has churned
    followers = np.flatnonzero(state.follows if active is None else state.follows & active)
    viewers = [post_audience(state, params, rng, followers, posts.poster[i]) for i in range(len(posts))]
    viewer = np.concatenate(viewers).astype(np.int64)
    post = np.repeat(np.arange(len(posts)), [len(v) for v in viewers])
    flows["impressions"] += len(viewer)
    reached[viewer] = True
    quality = posts.quality[post]
    promoting = posts.promoting[post]
    # a customer may see several posts a step: each viewer once, in order, with its counts
    # (np.unique(viewer, return_counts=True), by counting instead of sorting)
    times = np.bincount(viewer, minlength=len(state.follows))
    seen = np.flatnonzero(times > 0)  # (nonzero on a bool mask is several times faster than on counts)
    times = times[seen]
    promo_times = np.bincount(viewer[promoting], minlength=len(state.follows))[seen]
    step.apply(notice, seen, times, promo_times, rng.random(len(seen)))

    p_engage = engagement_probability(params, quality, promoting, state.sentiment[viewer])
    engaged = rng.random(len(viewer)) < p_engage
    step.apply(engage, viewer[engaged], engagement_lift(params, quality[engaged], promoting[engaged]))
    amplify_by_influencers(step, rng, viewer[engaged], reached)
    newcomers = viewer[~state.follows[viewer]]
    step.apply(follow, newcomers[rng.random(len(newcomers)) < params.follow_prob * posts.quality.mean()])

    for is_promo in (False, True):
        mask = engaged & (promoting == is_promo)
        if not mask.any():
            continue
        share_quality = float(quality[mask].mean())
        edges = keyed_edges(step, RESHARE, int(is_promo))
        shared = reshare_cascade(state, params, edges, viewer[mask], share_quality, is_promo, flows, reached)
        step.apply(hear_share, shared, np.full(len(shared), share_lift(params, share_quality)))
    for i in np.flatnonzero(posts.gaffe):
        if len(viewers[i]):
            negative_seeds.append(gaffe_seeds(params, viewers[i], rng))


def amplify_by_influencers(step: Step, rng: np.random.Generator, engaged: np.ndarray, reached: np.ndarray) -> None:
    """Influencers who engaged pass the post on: ``influencer_reach`` of their ties see it (impressions, awareness)."""
    state, params = step.state, step.params
    influencers = np.unique(engaged[state.kind[engaged] == INFLUENCER])
    if not len(influencers) or params.influencer_reach <= 0:
        return
    ties = np.concatenate([_neighbours(state, int(i)) for i in influencers])
    seen = ties[(rng.random(len(ties)) < params.influencer_reach) & ~state.churned[ties]]
    step.flows["impressions"] += len(seen)
    reached[seen] = True
    seen, times = np.unique(seen, return_counts=True)
    step.apply(notice, seen, times, np.zeros(len(seen), dtype=np.int64), np.ones(len(seen)))


def reshare_cascade(
    state: State,
    params: Params,
    rng: np.random.Generator | Callable[[np.ndarray], np.ndarray],
    seeds: np.ndarray,
    quality: float,
    promoting: bool,
    flows: dict[str, float],
    reached: np.ndarray,
) -> np.ndarray:
    """Engaged viewers (``seeds``) share a post: the active customers the cascade reaches beyond them.

    Counts the re-shares (an engagement of its own kind, and an impression each) and marks the
    customers reached; the caller applies what a re-share does to each of them.
    """
    p = reshare_probability(params, quality, promoting)
    active = independent_cascade(state.adjacency, seeds, p, rng, susceptible=state.active_mask())
    active[seeds] = False
    shared = np.flatnonzero(active)
    flows["reshares"] += len(shared)
    flows["impressions"] += len(shared)
    reached[shared] = True
    return shared


def negative_cascade(step: Step, seeds: np.ndarray, kind: str, transmissibility: float | None = None) -> int:
    """A negative cascade (``kind``: "gaffe", "complaint" or "crisis") from ``seeds`` over active customers.

    Its edges fire on their own keyed uniforms (stream :data:`NEGATIVE`, one per kind a step).

    Influencers it reaches pass it on to ``influencer_reach`` of their ties (one hop, each tie
    on its own keyed uniform), as they pass on brand posts they engage with.

    Returns its weight toward a crisis: the customers it reached, each media outlet among them
    counting ``media_amplification`` more (media amplify crises).
    """
    if len(seeds) == 0:
        return 0
    state = step.state
    p = step.params.negative_transmissibility if transmissibility is None else transmissibility
    tag = NEGATIVE_KINDS.index(kind)
    edges = keyed_edges(step, NEGATIVE, tag)
    hit = np.flatnonzero(independent_cascade(state.adjacency, seeds, p, edges, susceptible=state.active_mask()))
    influencers = hit[state.kind[hit] == INFLUENCER]
    if len(influencers) and step.params.influencer_reach > 0:
        hit = np.union1d(hit, influencer_ties_reached(step, influencers, tag))
    step.apply(hear_negative, hit)
    media = int((state.kind[hit] == MEDIA).sum())
    return len(hit) + int(round(step.params.media_amplification * media))
