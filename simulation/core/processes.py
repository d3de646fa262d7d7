"""The processes of one step, in MODEL.md's order, over structure-of-arrays state.

Each function reads the compiled :class:`~simulation.core.params.Params`, the config
sections it needs (as data), one named random stream, and updates the state and the
step's ``flows`` counters in place. No Mesa, no I/O, no loop over customers or edges:
loops run over the few posts or queue events of a step.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    state: State, params: Params, config: Config, rng: np.random.Generator, t: float, dt: float,
    staffed: np.ndarray, flows: Flows,
) -> Posts:
    """Posters post on their staffed hours; quality, type, gaffes and brand consistency per post."""
    content = config.content
    participation = state.motivation / max(config.people.motivation_mean, 1e-9)
    lam = params.post_rate * participation * staffed * dt
    counts = rng.poisson(lam)
    poster = np.repeat(np.arange(len(counts)), counts)
    k = len(poster)
    skill = state.skill[poster]
    fatigue = np.maximum(0.0, state.post_load[poster] - 2.0)
    quality = np.clip(
        params.quality_offset + params.quality_skill_weight * skill - content.fatigue_penalty * fatigue, 0.05, 1.0
    )
    promoting = rng.random(k) < params.promo_share
    gaffe = rng.random(k) < params.gaffe_factor * (1.0 - skill)
    on_brand = rng.random(k) < np.clip(params.on_brand_offset + params.on_brand_skill_weight * skill, 0, 1)
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


def diffuse(
    state: State, params: Params, config: Config, rng: np.random.Generator, posts: Posts,
    followers: np.ndarray, flows: Flows, negative_seeds: list[np.ndarray], reached: np.ndarray,
) -> None:
    """Followers (and posters' own ties) see posts, some engage, engaged viewers' shares cascade."""
    if len(posts) == 0:
        return
    content, cust = config.content, config.customers
    viewers, post_of = [], []
    for i in range(len(posts)):
        n_view = rng.binomial(len(followers), content.organic_reach) if len(followers) else 0
        seen = followers[rng.integers(0, len(followers), n_view)] if n_view else np.empty(0, dtype=np.int64)
        if params.own_account[posts.poster[i]] > 0:
            ties = _neighbours(state, int(state.account_node[posts.poster[i]]))
            seen = np.concatenate([seen, ties[rng.random(len(ties)) < content.ambassador_reach]])
        seen = seen[~state.churned[seen]]
        viewers.append(seen)
        post_of.append(np.full(len(seen), i))
    viewer = np.concatenate(viewers).astype(np.int64)
    post = np.concatenate(post_of)
    flows["impressions"] += len(viewer)
    reached[viewer] = True
    quality = posts.quality[post]
    promoting = posts.promoting[post]
    state.awareness[viewer] += cust.awareness_gain * (1.0 - state.awareness[viewer])

    # promotion overload: sentiment falls, some followers leave
    promo_viewer = viewer[promoting]
    if len(promo_viewer):
        np.add.at(state.promo_load, promo_viewer, 1.0)
        over = promo_viewer[state.promo_load[promo_viewer] > cust.promo_tolerance_per_day]
        state.sentiment[over] -= cust.overload_penalty
        leave = over[rng.random(len(over)) < cust.unfollow_prob]
        flows["unfollows"] += int(state.follows[leave].sum())
        state.follows[leave] = False

    type_mult = np.where(promoting, content.promoting_multiplier, content.relating_multiplier)
    per_view = content.engagement_rate / max(content.organic_reach, 1e-9)
    p_engage = np.clip(per_view * quality * type_mult * (1.0 + 0.5 * state.sentiment[viewer]), 0, 1)
    engaged = rng.random(len(viewer)) < p_engage
    eng = viewer[engaged]
    state.sentiment[eng] += content.sentiment_lift * quality[engaged] * np.where(promoting[engaged], 0.5, 1.0)
    flows["engagements"] += len(eng)
    flows["mentions_positive"] += len(eng)
    newcomers = viewer[~state.follows[viewer]]
    follow = newcomers[rng.random(len(newcomers)) < cust.follow_prob * posts.quality.mean()]
    flows["new_followers"] += len(np.unique(follow))
    state.follows[follow] = True

    susceptible = ~state.churned
    for is_promo in (False, True):
        mask = engaged & (promoting == is_promo)
        if not mask.any():
            continue
        mult = content.promoting_multiplier if is_promo else content.relating_multiplier
        p = min(1.0, content.reshare_prob * float(quality[mask].mean()) * mult / content.relating_multiplier)
        seeds = viewer[mask]
        active = independent_cascade(state.adjacency, seeds, p, rng, susceptible=susceptible)
        active[seeds] = False
        shared = np.flatnonzero(active)
        flows["reshares"] += len(shared)
        flows["mentions_positive"] += len(shared)
        flows["impressions"] += len(shared)
        reached[shared] = True
        state.awareness[shared] += cust.awareness_gain * (1.0 - state.awareness[shared])
        state.sentiment[shared] += 0.5 * content.sentiment_lift * float(quality[mask].mean())
    for i in np.flatnonzero(posts.gaffe):
        seen = viewers[i]
        if len(seen):
            negative_seeds.append(seen[rng.random(len(seen)) < 0.05][:50] if len(seen) > 20 else seen[:1])


def negative_spread(
    state: State, config: Config, rng: np.random.Generator, seeds: np.ndarray, flows: Flows,
    transmissibility: float | None = None,
) -> int:
    """A negative cascade (gaffe, complaint, crisis): mentions and sentiment loss; returns its size."""
    if len(seeds) == 0:
        return 0
    p = config.content.negative_transmissibility if transmissibility is None else transmissibility
    active = independent_cascade(state.adjacency, seeds, p, rng, susceptible=~state.churned)
    hit = np.flatnonzero(active)
    state.sentiment[hit] -= config.content.negative_hit
    state.awareness[hit] += config.customers.awareness_gain * (1.0 - state.awareness[hit])
    flows["mentions_negative"] += len(hit)
    return len(hit)


# --------------------------------------------------------------------------------------------
# 3. Customer needs, 4. listening and routing


def raise_needs(
    state: State, params: Params, config: Config, rng: np.random.Generator, t: float, dt: float,
    tech_factor: float, flows: Flows,
) -> dict[str, np.ndarray]:
    """Active customers raise public inquiries (Poisson, continuous times); returns new rows."""
    cust = config.customers
    mix = np.array([cust.inquiry_mix[k] for k in INQUIRY_TYPES])
    mix[TECHNICAL] *= tech_factor
    weight = np.where(state.churned, 0.0, state.activity)
    cumulative = np.cumsum(weight)
    total = cumulative[-1] * cust.inquiry_rate_per_day / HOURS_PER_DAY * dt * mix.sum()
    n = rng.poisson(total) if total > 0 else 0
    customer = np.minimum(np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right"), len(weight) - 1)
    kind = rng.choice(len(INQUIRY_TYPES), size=n, p=mix / mix.sum()).astype(np.int8)
    t_raise = t + np.sort(rng.random(n)) * dt
    mean_patience = np.where(kind == COMPLAINT, cust.complaint_patience_hours, cust.patience_hours)
    patience = rng.exponential(mean_patience * (1.0 if np.isinf(cust.patience_scale) else cust.patience_scale))
    if np.isinf(cust.patience_scale):
        patience = np.full(n, np.inf)
    handling_h = config.support.handling_minutes / 60.0
    if config.support.handling_distribution == "exponential":
        service = rng.exponential(handling_h, n)
    else:
        sigma2 = np.log1p(config.support.handling_cv**2)
        service = rng.lognormal(np.log(handling_h) - sigma2 / 2, np.sqrt(sigma2), n)
    flows["inquiries"] += n
    flows["ideas_raised"] += int((kind == IDEA).sum())
    negative = (kind == COMPLAINT) | (kind == TECHNICAL)
    flows["mentions_negative"] += int(negative.sum())
    flows["mentions_neutral"] += int((~negative).sum())
    return {"customer": customer, "kind": kind, "t_raise": t_raise, "patience": patience,
            "service_h": service, "u_resolve": rng.random(n)}


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
    return {**rows, "owner": owner, "detector": detector, "lost": lost, "handoff_h": handoff_h,
            "hops": hops, "t_queue": t_queue}


# --------------------------------------------------------------------------------------------
# 5. Service


def serve(
    state: State, params: Params, rng: np.random.Generator, t: float, dt: float, staffed: np.ndarray,
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
    state: State, params: Params, config: Config, rng: np.random.Generator, t: float, dt: float,
    dept_skill: np.ndarray, flows: Flows, negative_seeds: list[np.ndarray], answer_times: list[np.ndarray],
) -> None:
    """Irate customers when patience runs out; answers lift or lower sentiment; closed inquiries logged."""
    table, support, inno = state.inquiries, config.support, config.innovation
    if len(table) == 0:
        return
    t1 = t + dt
    deadline = table["t_raise"] + table["patience"]
    irate = ~table["done_irate"] & (deadline < t1) & (table["t_start"] > deadline)
    who = table["customer"][irate]
    state.sentiment[who] -= support.irate_drop
    table["irate"][irate] = True
    table["done_irate"][irate] = True
    complain = who[rng.random(len(who)) < support.complaint_share]
    negative_seeds.append(complain)
    flows["irate"] += len(who)
    flows["complaints_public"] += len(complain)
    flows["mentions_negative"] += len(complain)

    finished = ~table["done_answer"] & (table["t_end"] < t1)
    rows = np.flatnonzero(finished)
    if len(rows):
        owner = table["owner"][rows]
        p_resolve = support.resolution_prob * (0.5 + 0.5 * dept_skill[owner])
        resolved = table["u_resolve"][rows] < p_resolve
        table["resolved"][rows] = resolved
        wait = table["t_start"][rows] - table["t_raise"][rows]
        who = table["customer"][rows]
        lift = support.answer_lift * np.exp(-wait / support.lift_decay_hours)
        state.sentiment[who] += np.where(resolved, lift, -support.unresolved_drop)
        fast = resolved & (wait <= 1.0) & (rng.random(len(rows)) < support.advocate_conversion)
        state.sentiment[who[fast]] = np.maximum(state.sentiment[who[fast]], config.customers.advocate_threshold + 0.05)
        state.follows[who[fast]] = True
        table["done_answer"][rows] = True
        table["done_irate"][rows] = True
        flows["answered"] += len(rows)
        flows["resolved"] += int(resolved.sum())
        answer_times.append(wait)

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


def customer_dynamics(
    state: State, config: Config, rng: np.random.Generator, dt: float, flows: Flows
) -> None:
    """Sentiment drifts toward neighbours; promotion load and awareness decay; churn; advocates' voice."""
    cust = config.customers
    active = ~state.churned
    a = state.adjacency
    neighbour_mean = (a @ state.sentiment) / np.maximum(state.degree, 1.0)
    pull = 1.0 - decay(cust.sentiment_drift_per_day, dt)
    has_ties = state.degree > 0
    state.sentiment += np.where(has_ties, pull * (neighbour_mean - state.sentiment), 0.0)
    np.clip(state.sentiment, -1.0, 1.0, out=state.sentiment)
    state.promo_load *= decay(1.0, dt)
    state.awareness *= decay(cust.awareness_decay_per_day, dt)
    base = -np.log1p(-cust.churn_per_year) / (365.0 * HOURS_PER_DAY)
    p_churn = base * dt * np.exp(-cust.churn_sentiment_slope * state.sentiment)
    leave = active & (rng.random(len(active)) < p_churn)
    state.churned |= leave
    state.follows &= ~leave
    flows["churned"] += int(leave.sum())
    rate = cust.voice_rate_per_day / HOURS_PER_DAY * dt
    advocates = int((active & (state.sentiment > cust.advocate_threshold) & (state.awareness > 0.3)).sum())
    detractors = int((active & (state.sentiment < cust.detractor_threshold)).sum())
    flows["mentions_positive"] += rng.poisson(advocates * rate)
    flows["mentions_negative"] += rng.poisson(detractors * rate)


def crisis_step(
    state: State, params: Params, config: Config, rng: np.random.Generator, t: float, dt: float, flows: Flows
) -> None:
    """An active crisis adds negative mentions and decays as the organisation responds."""
    if state.crisis_intensity <= 0:
        return
    n = rng.poisson(state.crisis_intensity * dt)
    active = np.flatnonzero(~state.churned)
    if n and len(active):
        hit = active[rng.integers(0, len(active), n)]
        state.sentiment[hit] -= config.content.negative_hit
        flows["mentions_negative"] += n
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
    state.skill += params.training * people.training_gain_per_day * day * (1 - state.skill) * params.social_staff
    change = (
        params.rewards * people.rewards_gain_per_day
        - params.quota * people.quota_drain_per_day
        - overloaded[dept] * people.overload_drain_per_day
        + people.recovery_per_day * (people.motivation_mean - state.motivation)
    )
    state.motivation = np.clip(state.motivation + change * day * np.maximum(params.social_staff, 0.2), 0, 1)
    state.post_load *= decay(1.0, dt)
