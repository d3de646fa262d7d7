"""The processes of one step, in MODEL.md's order, over structure-of-arrays state.

Each process function reads the compiled :class:`~simulation.core.params.Params`, the
config sections it needs (as data), one named random stream, and updates the state and
the step's ``flows`` counters in place. No Mesa, no I/O, no loop over customers or edges:
loops run over the few posts or queue events of a step.

The rules for one customer, one employee or one post are small pure functions (the
"per-agent formulas" below) that take scalars or arrays alike. The vectorized processes
call them on whole arrays; the agent engine (:mod:`simulation.agents_engine`) calls the
same functions from each agent's ``step``, so every formula lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.config import INQUIRY_TYPES, Config
from simulation.core.kernels import fifo_queue_state, independent_cascade
from simulation.core.params import COMPLAINT, IDEA, TECHNICAL, Params
from simulation.core.state import State

HOURS_PER_DAY = 24.0
Flows = dict[str, float]


def decay(rate_per_day: float, dt: float) -> float:
    """Share kept after ``dt`` hours of exponential decay at ``rate_per_day``."""
    return float(np.exp(-rate_per_day * dt / HOURS_PER_DAY))


def is_staffed(config: Config, t: float) -> bool:
    """Whether staff work social during the step starting at hour ``t``."""
    start, end = config.support.staffed_hours
    hour = t % HOURS_PER_DAY
    return start <= hour < end


# --------------------------------------------------------------------------------------------
# Per-agent formulas: scalars or arrays in, the same numbers out (shared by both engines)


def expected_posts(post_rate: Any, motivation: Any, on_duty: Any, dt: float, people: Any) -> Any:
    """Mean posts an employee makes in a step: its rate, scaled by motivation, while on duty."""
    participation = motivation / max(people.motivation_mean, 1e-9)
    return post_rate * participation * on_duty * dt


def post_quality(params: Params, content: Any, skill: Any, post_load: Any) -> Any:
    """Quality of a post in [0.05, 1]: offset plus skill, minus fatigue beyond two posts a day."""
    fatigue = np.maximum(0.0, post_load - 2.0)
    return np.clip(
        params.quality_offset + params.quality_skill_weight * skill - content.fatigue_penalty * fatigue, 0.05, 1.0
    )


def gaffe_probability(params: Params, skill: Any) -> Any:
    """Probability a post is a gaffe: falls with the poster's skill (and with guidelines, in params)."""
    return params.gaffe_factor * (1.0 - skill)


def on_brand_probability(params: Params, skill: Any) -> Any:
    """Probability a post is on brand (guidelines and coordination in the offset, skill on top)."""
    return np.clip(params.on_brand_offset + params.on_brand_skill_weight * skill, 0, 1)


def awareness_after_exposure(awareness: Any, gain: float, count: Any = 1) -> Any:
    """Awareness after ``count`` exposures to the brand: each a step ``gain`` of the way toward 1."""
    return 1.0 - (1.0 - awareness) * (1.0 - gain) ** count


def engagement_probability(content: Any, quality: Any, promoting: Any, sentiment: Any) -> Any:
    """Probability a viewer engages with a post: quality x content type x the viewer's sentiment."""
    type_mult = np.where(promoting, content.promoting_multiplier, content.relating_multiplier)
    per_view = content.engagement_rate / max(content.organic_reach, 1e-9)
    return np.clip(per_view * quality * type_mult * (1.0 + 0.5 * sentiment), 0, 1)


def engagement_lift(content: Any, quality: Any, promoting: Any) -> Any:
    """Sentiment an engaged viewer gains (promoting content lifts half as much)."""
    return content.sentiment_lift * quality * np.where(promoting, 0.5, 1.0)


def reshare_probability(content: Any, quality: float, promoting: bool) -> float:
    """Per-tie probability that an engaged viewer's share of a post activates a neighbour."""
    mult = content.promoting_multiplier if promoting else content.relating_multiplier
    return min(1.0, content.reshare_prob * quality * mult / content.relating_multiplier)


def share_lift(content: Any, quality: Any) -> Any:
    """Sentiment gained by a customer a re-share reaches."""
    return 0.5 * content.sentiment_lift * quality


def needs_rate(cust: Any, activity: Any, dt: float, mix: np.ndarray) -> Any:
    """Expected public inquiries in a step from customers of total ``activity``."""
    return activity * cust.inquiry_rate_per_day / HOURS_PER_DAY * dt * mix.sum()


def inquiry_mix(cust: Any, tech_factor: float) -> np.ndarray:
    """Relative rate of each inquiry type (technical problems cut by implemented ideas)."""
    mix = np.array([cust.inquiry_mix[k] for k in INQUIRY_TYPES])
    mix[TECHNICAL] *= tech_factor
    return mix


def draw_patience(cust: Any, kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Patience (hours) of each inquiry: exponential, shorter for complaints; inf if unlimited."""
    mean_patience = np.where(kind == COMPLAINT, cust.complaint_patience_hours, cust.patience_hours)
    if np.isinf(cust.patience_scale):
        rng.exponential(mean_patience)  # drawn and dropped: the stream stays aligned with finite-patience runs
        return np.full(len(kind), np.inf)
    return rng.exponential(mean_patience * cust.patience_scale)


def draw_handling_hours(support: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    """Handling time (hours) of ``n`` inquiries: exponential or lognormal with the given CV."""
    handling_h = support.handling_minutes / 60.0
    if support.handling_distribution == "exponential":
        return rng.exponential(handling_h, n)
    sigma2 = np.log1p(support.handling_cv**2)
    return rng.lognormal(np.log(handling_h) - sigma2 / 2, np.sqrt(sigma2), n)


def resolution_probability(support: Any, skill: Any) -> Any:
    """Probability an answer resolves the inquiry, given the owning department's mean skill."""
    return support.resolution_prob * (0.5 + 0.5 * skill)


def answer_lift(support: Any, wait: Any) -> Any:
    """Sentiment lift of a resolving answer after ``wait`` hours (decays with the wait)."""
    return support.answer_lift * np.exp(-wait / support.lift_decay_hours)


def sentiment_pull(cust: Any, dt: float) -> float:
    """Share of the gap to the neighbours' mean sentiment closed in a step."""
    return 1.0 - decay(cust.sentiment_drift_per_day, dt)


def churn_probability(cust: Any, sentiment: Any, dt: float) -> Any:
    """Probability an active customer leaves in a step; rises as sentiment falls."""
    base = -np.log1p(-cust.churn_per_year) / (365.0 * HOURS_PER_DAY)
    return base * dt * np.exp(-cust.churn_sentiment_slope * sentiment)


def is_advocate(cust: Any, sentiment: Any, awareness: Any) -> Any:
    """Sentiment above the advocate threshold and aware of the brand: the condition to become one."""
    return (sentiment > cust.advocate_threshold) & (awareness > 0.3)


def advocate_after(cust: Any, advocate: Any, sentiment: Any, awareness: Any, active: Any) -> Any:
    """Advocacy is sticky: become one above the threshold, stay one until well below it."""
    stays = advocate & (sentiment >= cust.advocate_threshold - cust.advocate_hysteresis)
    return (stays | is_advocate(cust, sentiment, awareness)) & active


def drift_weight(cust: Any, advocate: Any) -> Any:
    """Share of the neighbours' pull a customer feels (advocates are stubborn)."""
    return 1.0 - cust.advocate_stubbornness * advocate


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
    return np.clip(motivation + change * day * np.maximum(social_staff, 0.2), 0, 1)


# --------------------------------------------------------------------------------------------
# 1. Content


@dataclass
class Posts:
    """The posts of one step."""

    poster: np.ndarray
    promoting: np.ndarray
    quality: np.ndarray
    gaffe: np.ndarray

    def __len__(self) -> int:
        return len(self.poster)


def produce_content(
    state: State,
    params: Params,
    config: Config,
    rng: np.random.Generator,
    t: float,
    dt: float,
    staffed: np.ndarray,
    flows: Flows,
) -> Posts:
    """Posters post on their staffed hours; quality, type, gaffes and brand consistency per post."""
    lam = expected_posts(params.post_rate, state.motivation, staffed, dt, config.people)
    counts = rng.poisson(lam)
    poster = np.repeat(np.arange(len(counts)), counts)
    k = len(poster)
    skill = state.skill[poster]
    quality = post_quality(params, config.content, skill, state.post_load[poster])
    promoting = rng.random(k) < params.promo_share
    gaffe = rng.random(k) < gaffe_probability(params, skill)
    on_brand = rng.random(k) < on_brand_probability(params, skill)
    state.post_load += counts
    state.last_post_h[counts > 0] = t
    flows["posts"] += k
    flows["posts_promoting"] += int(promoting.sum())
    flows["gaffes"] += int(gaffe.sum())
    flows["posts_on_brand"] += int(on_brand.sum())
    flows["quality_sum"] += float(quality.sum())
    flows["staff_hours"] += k * config.people.hours_per_post
    return Posts(poster, promoting, quality, gaffe)


# --------------------------------------------------------------------------------------------
# 2. Exposure and diffusion


def _neighbours(state: State, node: int) -> np.ndarray:
    a = state.adjacency
    return a.indices[a.indptr[node] : a.indptr[node + 1]]


def post_audience(
    state: State, params: Params, content: Any, rng: np.random.Generator, followers: np.ndarray, poster: int
) -> np.ndarray:
    """Customers who see one post (churned ones excluded).

    A random draw of followers (organic reach, with replacement), plus a share of the
    poster's own ties if the poster also posts from an own account.
    """
    n_view = rng.binomial(len(followers), content.organic_reach) if len(followers) else 0
    seen = followers[rng.integers(0, len(followers), n_view)] if n_view else np.empty(0, dtype=np.int64)
    if params.own_account[poster] > 0:
        ties = _neighbours(state, int(state.account_node[poster]))
        seen = np.concatenate([seen, ties[rng.random(len(ties)) < content.ambassador_reach]])
    return seen[~state.churned[seen]]


def gaffe_seeds(seen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Viewers of a gaffe who start a negative cascade (about 5%, at most 50; one for a small audience)."""
    return seen[rng.random(len(seen)) < 0.05][:50] if len(seen) > 20 else seen[:1]


def diffuse(
    state: State,
    params: Params,
    config: Config,
    rng: np.random.Generator,
    posts: Posts,
    followers: np.ndarray,
    flows: Flows,
    negative_seeds: list[np.ndarray],
    reached: np.ndarray,
) -> None:
    """Followers (and posters' own ties) see posts, some engage, engaged viewers' shares cascade."""
    if len(posts) == 0:
        return
    content, cust = config.content, config.customers
    viewers, post_of = [], []
    for i in range(len(posts)):
        seen = post_audience(state, params, content, rng, followers, posts.poster[i])
        viewers.append(seen)
        post_of.append(np.full(len(seen), i))
    viewer = np.concatenate(viewers).astype(np.int64)
    post = np.concatenate(post_of)
    flows["impressions"] += len(viewer)
    reached[viewer] = True
    quality = posts.quality[post]
    promoting = posts.promoting[post]
    seen, times = np.unique(viewer, return_counts=True)  # a customer may see several posts a step
    state.awareness[seen] = awareness_after_exposure(state.awareness[seen], cust.awareness_gain, times)

    # promotion overload: sentiment falls, some followers leave
    promo_viewer = viewer[promoting]
    if len(promo_viewer):
        np.add.at(state.promo_load, promo_viewer, 1.0)
        over = promo_viewer[state.promo_load[promo_viewer] > cust.promo_tolerance_per_day]
        np.subtract.at(state.sentiment, over, cust.overload_penalty)
        leave = over[rng.random(len(over)) < cust.unfollow_prob]
        flows["unfollows"] += int(state.follows[leave].sum())
        state.follows[leave] = False

    p_engage = engagement_probability(content, quality, promoting, state.sentiment[viewer])
    engaged = rng.random(len(viewer)) < p_engage
    eng = viewer[engaged]
    np.add.at(state.sentiment, eng, engagement_lift(content, quality[engaged], promoting[engaged]))
    flows["engagements"] += len(eng)
    flows["mentions_positive"] += len(eng)
    newcomers = viewer[~state.follows[viewer]]
    follow = newcomers[rng.random(len(newcomers)) < cust.follow_prob * posts.quality.mean()]
    flows["new_followers"] += len(np.unique(follow))
    state.follows[follow] = True

    for is_promo in (False, True):
        mask = engaged & (promoting == is_promo)
        if not mask.any():
            continue
        share_quality = float(quality[mask].mean())
        shared = reshare_cascade(state, content, rng, viewer[mask], share_quality, is_promo, flows, reached)
        state.awareness[shared] = awareness_after_exposure(state.awareness[shared], cust.awareness_gain)
        state.sentiment[shared] += share_lift(content, share_quality)
    for i in np.flatnonzero(posts.gaffe):
        if len(viewers[i]):
            negative_seeds.append(gaffe_seeds(viewers[i], rng))


def reshare_cascade(
    state: State,
    content: Any,
    rng: np.random.Generator,
    seeds: np.ndarray,
    quality: float,
    promoting: bool,
    flows: Flows,
    reached: np.ndarray,
) -> np.ndarray:
    """Engaged viewers (``seeds``) share a post: the active customers the cascade reaches beyond them.

    Counts the re-shares (each a positive mention and an impression) and marks the customers
    reached; the caller applies what a re-share does to each of them.
    """
    p = reshare_probability(content, quality, promoting)
    active = independent_cascade(state.adjacency, seeds, p, rng, susceptible=~state.churned)
    active[seeds] = False
    shared = np.flatnonzero(active)
    flows["reshares"] += len(shared)
    flows["mentions_positive"] += len(shared)
    flows["impressions"] += len(shared)
    reached[shared] = True
    return shared


def negative_spread(
    state: State,
    config: Config,
    rng: np.random.Generator,
    seeds: np.ndarray,
    flows: Flows,
    transmissibility: float | None = None,
) -> int:
    """A negative cascade (gaffe, complaint, crisis): mentions and sentiment loss; returns its size."""
    if len(seeds) == 0:
        return 0
    hit = negative_cascade(state, config, rng, seeds, transmissibility)
    state.sentiment[hit] -= config.content.negative_hit
    state.awareness[hit] = awareness_after_exposure(state.awareness[hit], config.customers.awareness_gain)
    flows["mentions_negative"] += len(hit)
    return len(hit)


def negative_cascade(
    state: State, config: Config, rng: np.random.Generator, seeds: np.ndarray, transmissibility: float | None = None
) -> np.ndarray:
    """Customers a negative cascade from ``seeds`` reaches (seeds included), over active customers."""
    p = config.content.negative_transmissibility if transmissibility is None else transmissibility
    return np.flatnonzero(independent_cascade(state.adjacency, seeds, p, rng, susceptible=~state.churned))


# --------------------------------------------------------------------------------------------
# 3. Customer needs, 4. listening and routing


def raise_needs(
    state: State,
    params: Params,
    config: Config,
    rng: np.random.Generator,
    t: float,
    dt: float,
    tech_factor: float,
    flows: Flows,
) -> dict[str, np.ndarray]:
    """Active customers raise public inquiries (Poisson, continuous times); returns new rows."""
    cust = config.customers
    mix = inquiry_mix(cust, tech_factor)
    weight = np.where(state.churned, 0.0, state.activity)
    cumulative = np.cumsum(weight)
    total = needs_rate(cust, cumulative[-1], dt, mix)
    n = rng.poisson(total) if total > 0 else 0
    customer = np.minimum(np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right"), len(weight) - 1)
    kind = rng.choice(len(INQUIRY_TYPES), size=n, p=mix / mix.sum()).astype(np.int8)
    t_raise = t + np.sort(rng.random(n)) * dt
    patience = draw_patience(cust, kind, rng)
    service = draw_handling_hours(config.support, rng, n)
    count_needs(kind, flows)
    return {
        "customer": customer,
        "kind": kind,
        "t_raise": t_raise,
        "patience": patience,
        "service_h": service,
        "u_resolve": rng.random(n),
    }


def count_needs(kind: np.ndarray, flows: Flows) -> None:
    """Count a step's new inquiries: all, ideas, and the public mentions they make."""
    flows["inquiries"] += len(kind)
    flows["ideas_raised"] += int((kind == IDEA).sum())
    negative = (kind == COMPLAINT) | (kind == TECHNICAL)
    flows["mentions_negative"] += int(negative.sum())
    flows["mentions_neutral"] += int((~negative).sum())


def route(
    rows: dict[str, np.ndarray], params: Params, config: Config, rng: np.random.Generator, flows: Flows
) -> dict[str, np.ndarray]:
    """Detection by the listening units, then hand-off to the owner (delay grows with graph distance)."""
    kind = rows["kind"]
    n = len(kind)
    owner = params.owner[kind].astype(np.int16)
    cov = params.listen_coverage
    n_dept = len(cov)
    miss_all = np.prod(1.0 - cov) * (1.0 - params.tool_coverage)
    detector = np.full(n, -1, dtype=np.int16)
    handoff_h = np.zeros(n)
    hops = np.zeros(n, dtype=np.int16)
    lost = np.zeros(n, dtype=bool)
    latency = rng.exponential(params.listen_latency_h, n) if params.listen_latency_h > 0 else np.zeros(n)
    if not config.support.handoffs:
        detected = rng.random(n) < 1.0 - miss_all
        detector[detected] = owner[detected]
    else:
        by_owner = rng.random(n) < cov[owner]
        by_tool = ~by_owner & (rng.random(n) < params.tool_coverage)
        others = np.ones((n_dept, n_dept)) * cov[None, :]
        np.fill_diagonal(others, 0.0)
        p_other = 1.0 - np.prod(1.0 - others, axis=1)
        by_other = ~by_owner & ~by_tool & (rng.random(n) < p_other[owner])
        detector[by_owner] = owner[by_owner]
        detector[by_tool] = n_dept
        latency[by_tool] *= 0.25
        cumulative = np.cumsum(others, axis=1)
        pick = rng.random(n)
        for d in np.unique(owner[by_other]):
            rows_d = np.flatnonzero(by_other & (owner == d))
            detector[rows_d] = np.searchsorted(cumulative[d], pick[rows_d] * cumulative[d, -1], side="right")
        moved = (detector >= 0) & (detector != owner)
        src, dst = detector[moved], owner[moved]
        mean = params.handoff_delay_h[src, dst]
        hop = np.maximum(params.handoff_hops[src, dst], 1)
        finite = np.isfinite(mean)
        draw = np.full(len(mean), np.inf)
        draw[finite] = rng.gamma(hop[finite], mean[finite] / hop[finite])
        handoff_h[moved] = draw
        hops[moved] = params.handoff_hops[src, dst]
        lost[moved] = ~finite | (rng.random(len(mean)) < params.handoff_loss[src, dst])
        flows["handoffs"] += int(moved.sum())
        flows["handoffs_lost"] += int(lost.sum())
        flows["handoff_hours"] += float(draw[finite & ~lost[moved]].sum())
    detected = detector >= 0
    flows["detected"] += int(detected.sum())
    t_queue = np.where(detected & ~lost, rows["t_raise"] + latency + handoff_h, np.inf)
    return {
        **rows,
        "owner": owner,
        "detector": detector,
        "lost": lost,
        "handoff_h": handoff_h,
        "hops": hops,
        "t_queue": t_queue,
    }


# --------------------------------------------------------------------------------------------
# 5. Service


def serve(
    state: State,
    params: Params,
    rng: np.random.Generator,
    t: float,
    dt: float,
    staffed: np.ndarray,
    flows: Flows,
) -> np.ndarray:
    """Each owner serves its queue FCFS with its servers; returns waiting counts per department."""
    table = state.inquiries
    t1 = t + dt
    waiting = np.zeros(len(state.free_at), dtype=np.int64)
    if len(table) == 0:
        return waiting
    pending = np.isinf(table["t_start"]) & (table["t_queue"] < t1)
    if not pending.any():
        return waiting
    owner = table["owner"]
    for d in np.unique(owner[pending]):
        rows = np.flatnonzero(pending & (owner == d))
        rows = rows[np.argsort(table["t_queue"][rows], kind="stable")]
        pool = _resize_pool(state.free_at[d], int(round(params.servers[d])), t)
        if not staffed[d] or not pool:
            waiting[d] = len(rows)
            continue
        starts, pool[:] = fifo_queue_state(
            table["t_queue"][rows], table["service_h"][rows], np.asarray(pool), not_before=t, until=t1
        )
        started = np.isfinite(starts)
        served = rows[started]
        table["t_start"][served] = starts[started]
        table["t_end"][served] = starts[started] + table["service_h"][served]
        waiting[d] = int((~started).sum())
        flows["staff_hours"] += float(table["service_h"][served].sum())
    return waiting


def _resize_pool(pool: list[float], size: int, t: float) -> list[float]:
    """Grow a department's server pool (new servers free now) or shrink it (latest-free leave)."""
    if len(pool) < size:
        pool.extend([t] * (size - len(pool)))
    elif len(pool) > size:
        pool.sort()
        del pool[size:]
    return pool


# --------------------------------------------------------------------------------------------
# 6. Customer response, 7. innovation


def respond(
    state: State,
    params: Params,
    config: Config,
    rng: np.random.Generator,
    t: float,
    dt: float,
    dept_skill: np.ndarray,
    flows: Flows,
    negative_seeds: list[np.ndarray],
    answer_times: list[np.ndarray],
) -> None:
    """Irate customers when patience runs out; answers lift or lower sentiment; closed inquiries logged."""
    table, support = state.inquiries, config.support
    if len(table) == 0:
        return
    t1 = t + dt
    who = run_out_of_patience(table, t1, flows)
    np.subtract.at(state.sentiment, who, support.irate_drop)
    complain = who[rng.random(len(who)) < support.complaint_share]
    negative_seeds.append(complain)
    flows["complaints_public"] += len(complain)
    flows["mentions_negative"] += len(complain)

    rows, resolved, wait = deliver_answers(table, support, t1, dept_skill, flows, answer_times)
    if len(rows):
        who = table["customer"][rows]
        np.add.at(state.sentiment, who, np.where(resolved, answer_lift(support, wait), -support.unresolved_drop))
        fast = resolved & (wait <= 1.0) & (rng.random(len(rows)) < support.advocate_conversion)
        state.sentiment[who[fast]] = np.maximum(state.sentiment[who[fast]], config.customers.advocate_threshold + 0.05)
        state.follows[who[fast]] = True
        state.advocate[who[fast]] = True
    innovate(state, config, rng, t, dt, flows)


def run_out_of_patience(table: Any, t1: float, flows: Flows) -> np.ndarray:
    """Mark inquiries whose patience ran out unanswered before ``t1`` irate; returns their customers."""
    deadline = table["t_raise"] + table["patience"]
    irate = ~table["done_irate"] & (deadline < t1) & (table["t_start"] > deadline)
    table["irate"][irate] = True
    table["done_irate"][irate] = True
    flows["irate"] += int(irate.sum())
    return table["customer"][irate]


def deliver_answers(
    table: Any, support: Any, t1: float, dept_skill: np.ndarray, flows: Flows, answer_times: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answers finished before ``t1``: resolved or not, and the wait; returns (rows, resolved, wait)."""
    rows = np.flatnonzero(~table["done_answer"] & (table["t_end"] < t1))
    if not len(rows):
        return rows, np.zeros(0, dtype=bool), np.zeros(0)
    resolved = table["u_resolve"][rows] < resolution_probability(support, dept_skill[table["owner"][rows]])
    table["resolved"][rows] = resolved
    wait = table["t_start"][rows] - table["t_raise"][rows]
    table["done_answer"][rows] = True
    table["done_irate"][rows] = True
    flows["answered"] += len(rows)
    flows["resolved"] += int(resolved.sum())
    answer_times.append(wait)
    return rows, resolved, wait


def innovate(state: State, config: Config, rng: np.random.Generator, t: float, dt: float, flows: Flows) -> None:
    """Ideas reaching their owner this step are captured, some implemented later; closed inquiries logged."""
    table, inno = state.inquiries, config.innovation
    t1 = t + dt
    captured = (table["kind"] == IDEA) & (table["t_queue"] >= t) & (table["t_queue"] < t1)
    n_captured = int(captured.sum())
    if n_captured:
        flows["ideas_captured"] += n_captured
        chosen = rng.random(n_captured) < inno.implement_prob
        when = table["t_queue"][captured][chosen] + rng.exponential(inno.implement_days * HOURS_PER_DAY, chosen.sum())
        state.ideas_pending = np.concatenate([state.ideas_pending, when])
    done = state.ideas_pending < t1
    flows["ideas_implemented"] += int(done.sum())
    state.ideas_implemented += int(done.sum())
    state.ideas_pending = state.ideas_pending[~done]

    never = ~np.isfinite(table["t_queue"])
    closed = table["done_answer"] | (never & (table["done_irate"] | np.isinf(table["patience"])))
    if closed.any():
        state.log.append(table.take(~closed))


def customer_dynamics(state: State, config: Config, rng: np.random.Generator, dt: float, flows: Flows) -> None:
    """Sentiment drifts toward neighbours; promotion load and awareness decay; churn; advocates' voice."""
    cust = config.customers
    active = ~state.churned
    a = state.adjacency
    neighbour_mean = (a @ state.sentiment) / np.maximum(state.degree, 1.0)
    pull = sentiment_pull(cust, dt) * drift_weight(cust, state.advocate)
    has_ties = state.degree > 0
    state.sentiment += np.where(has_ties, pull * (neighbour_mean - state.sentiment), 0.0)
    np.clip(state.sentiment, -1.0, 1.0, out=state.sentiment)
    state.promo_load *= decay(1.0, dt)
    state.awareness *= decay(cust.awareness_decay_per_day, dt)
    leave = active & (rng.random(len(active)) < churn_probability(cust, state.sentiment, dt))
    state.churned |= leave
    state.follows &= ~leave
    flows["churned"] += int(leave.sum())
    state.advocate = advocate_after(cust, state.advocate, state.sentiment, state.awareness, ~state.churned)
    rate = cust.voice_rate_per_day / HOURS_PER_DAY * dt
    advocates = int(state.advocate.sum())
    detractors = int((active & (state.sentiment < cust.detractor_threshold)).sum())
    flows["mentions_positive"] += rng.poisson(advocates * rate)
    flows["mentions_negative"] += rng.poisson(detractors * rate)


def crisis_step(
    state: State, params: Params, config: Config, rng: np.random.Generator, t: float, dt: float, flows: Flows
) -> None:
    """An active crisis adds negative mentions and decays as the organisation responds."""
    if state.crisis_intensity <= 0:
        return
    hit = crisis_targets(state, rng, dt)
    np.subtract.at(state.sentiment, hit, config.content.negative_hit)
    flows["mentions_negative"] += len(hit)
    contain_crisis(state, params, config, t, dt, flows)


def crisis_targets(state: State, rng: np.random.Generator, dt: float) -> np.ndarray:
    """Active customers an ongoing crisis reaches this step (Poisson in its intensity, with replacement)."""
    n = rng.poisson(state.crisis_intensity * dt) if state.crisis_intensity > 0 else 0
    active = np.flatnonzero(~state.churned)
    if not (n and len(active)):
        return np.empty(0, dtype=np.int64)
    return active[rng.integers(0, len(active), n)]


def contain_crisis(state: State, params: Params, config: Config, t: float, dt: float, flows: Flows) -> None:
    """An active crisis decays as the organisation responds; a contained one records its duration."""
    if state.crisis_intensity <= 0:
        return
    capability = 0.5 + params.response_capability
    state.crisis_intensity *= np.exp(-config.content.crisis_decay_per_hour * capability * dt)
    flows["crisis_active"] = 1.0
    if state.crisis_intensity < 0.5:
        state.crisis_intensity = 0.0
        state.crisis_durations.append(t + dt - state.crisis_started_h)


def start_crisis(state: State, t: float, size: int, flows: Flows) -> None:
    """A negative cascade large enough becomes a crisis (or feeds one already running)."""
    if state.crisis_intensity <= 0:
        state.crisis_started_h = t
        state.crises += 1
        flows["crises_started"] += 1
    state.crisis_intensity += size / 10.0


# --------------------------------------------------------------------------------------------
# 8. People


def people_step(
    state: State, params: Params, config: Config, dt: float, overloaded: np.ndarray, dept: np.ndarray
) -> None:
    """Training raises skill; rewards raise motivation; quotas and overload lower it."""
    people = config.people
    day = dt / HOURS_PER_DAY
    state.skill[:] = skill_after_training(params, people, state.skill, params.social_staff, day)
    state.motivation = motivation_after(params, people, state.motivation, overloaded[dept], params.social_staff, day)
    state.post_load *= decay(1.0, dt)
