"""Outcome metrics: one table of definitions, the per-step record and the per-run summary.

Names are snake_case with units where they have one. ``SUMMARY`` says for each summary
KPI what it measures and whether it is an *appearance* number (mentions, likes) or a
*user-outcome* number (resolutions, retention): the articles warn about the gap.
``register_kpi`` adds a KPI computed from a finished run (the public extension point).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.core import flows
from simulation.core.flows import voice_shares

if TYPE_CHECKING:
    from simulation.outputs.result import RunResult

FLOWS = flows.FLOWS  # the per-step counters, defined by the core


@dataclass(frozen=True)
class KPI:
    """A summary metric: its meaning, its group, and whether more is better."""

    name: str
    description: str
    group: str
    higher_is_better: bool | None = True
    kind: str = "outcome"  # "appearance" or "outcome"


def _k(name: str, description: str, group: str, better: bool | None = True, kind: str = "outcome") -> KPI:
    return KPI(name, description, group, better, kind)


SUMMARY: dict[str, KPI] = {
    k.name: k
    for k in (
        _k("mentions_own", "own brand mentions (positive, neutral, negative)", "voice", True, "appearance"),
        _k("mentions_positive", "positive own mentions", "voice", True, "appearance"),
        _k("mentions_negative", "negative own mentions", "voice", False, "appearance"),
        _k(
            "share_of_voice",
            "own non-negative mentions / all mentions (own and competitor's)",
            "voice",
            True,
            "appearance",
        ),
        _k("positive_share_of_voice", "own positive mentions / all mentions", "voice", True, "appearance"),
        _k("net_share_of_voice", "(own positive - own negative mentions) / all mentions", "voice", True, "appearance"),
        _k("reshares", "re-shares of brand content", "advocacy", True, "appearance"),
        _k("advocates", "customers with sentiment above the advocate threshold, at the end", "advocacy"),
        _k("advocate_share", "advocates / active customers, at the end", "advocacy"),
        _k("engagement_rate_pct", "followers' engagements per post, % of followers", "dialogue", True, "appearance"),
        _k("interactions_per_post", "engagements and re-shares per post", "dialogue", True, "appearance"),
        _k(
            "thread_length_msgs",
            "messages per answered inquiry (2, +1 per hand-off, +2 if unresolved)",
            "dialogue",
            None,
        ),
        _k("detection_rate", "inquiries detected / raised", "support"),
        _k("response_rate", "inquiries answered / raised", "support"),
        _k("resolution_rate", "inquiries resolved / raised", "support"),
        _k(
            "first_response_median_min", "median minutes from inquiry to first answer (answered ones)", "support", False
        ),
        _k("first_response_p90_min", "90th percentile of first-response minutes", "support", False),
        _k("first_response_mean_h", "mean hours from inquiry to first answer (answered ones)", "support", False),
        _k("complaint_response_rate", "service complaints answered / raised", "support"),
        _k(
            "ignored_share",
            "inquiries whose author expected a reply and got none within the ignored mark",
            "support",
            False,
        ),
        _k("promo_posts_per_reply", "promoting posts per inquiry answered", "support", None, "appearance"),
        _k("resolution_median_h", "median hours from inquiry to resolution (resolved ones)", "support", False),
        _k("resolution_p90_h", "90th percentile of resolution hours", "support", False),
        _k("answered_within_1h_share", "share of all inquiries answered within one hour", "support"),
        _k("handoffs", "hand-offs between departments", "support", False),
        _k("handoffs_lost", "hand-offs lost on the way", "support", False),
        _k("handoff_loss_rate", "hand-offs lost / hand-offs", "support", False),
        _k("irate_share", "share of inquiries whose patience ran out", "support", False),
        _k("ideas_raised", "ideas customers posted", "innovation", None),
        _k("ideas_captured", "ideas that reached their owner", "innovation"),
        _k("ideas_implemented", "captured ideas implemented", "innovation"),
        _k("idea_capture_rate", "ideas captured / raised", "innovation"),
        _k("reach", "distinct customers who saw brand content", "customers", True, "appearance"),
        _k("impressions", "views of brand content", "customers", True, "appearance"),
        _k("awareness_mean", "mean awareness at the end", "customers"),
        _k("sentiment_mean", "mean sentiment of active customers at the end", "customers"),
        _k("followers", "followers at the end", "customers", True, "appearance"),
        _k("churn_rate", "customers churned / customers", "customers", False),
        _k("retention_rate", "1 - churn_rate", "customers"),
        _k(
            "churn_ignored_over_answered",
            "churn hazard of customers ignored / of customers answered and never ignored",
            "customers",
            None,
        ),
        _k("posts", "posts published", "organisation", None, "appearance"),
        _k("promo_share_actual", "promoting posts / posts", "organisation", None),
        _k("gaffes", "posts that were gaffes", "organisation", False),
        _k("crises", "crises started", "organisation", False),
        _k("crisis_containment_h", "mean hours to contain a crisis", "organisation", False),
        _k("brand_consistency", "on-brand posts / posts", "organisation"),
        _k("post_quality_mean", "mean post quality in [0, 1]", "organisation"),
        _k("participation", "mean share of company employees who posted in the past week", "organisation"),
        _k("motivation_mean", "mean motivation of social staff at the end", "organisation"),
        _k("skill_mean", "mean skill of social staff at the end", "organisation"),
        _k("staff_hours", "staff hours on social work", "organisation", None),
        _k("cost_total", "staff, agency, tool and training cost", "organisation", False),
        _k("cost_per_resolution", "cost / inquiries resolved", "organisation", False),
        _k("utilisation", "busy hours (posting, answering, monitoring) / paid social hours", "organisation", None),
        _k("reply_value", "customers' willingness to pay after replies (decays with the wait)", "value"),
        _k("value_total", "reply value plus revenue of active customers", "value"),
        _k("net_value", "value_total - cost_total", "value"),
        _k(
            "silo_index",
            "Krackhardt E-I index of the internal graph, negated (1 = fully siloed)",
            "organisation",
            False,
        ),
    )
}

_USER_KPIS: dict[str, tuple[KPI, Callable[[RunResult], float]]] = {}


def register_kpi(
    name: str,
    compute: Callable[[RunResult], float],
    description: str = "",
    group: str = "custom",
    higher_is_better: bool | None = True,
) -> KPI:
    """Add a summary KPI computed from a finished :class:`~simulation.outputs.result.RunResult`."""
    kpi = KPI(name, description, group, higher_is_better)
    _USER_KPIS[name] = (kpi, compute)
    return kpi


def all_kpis() -> dict[str, KPI]:
    """Built-in and registered summary KPIs."""
    return {**SUMMARY, **{name: kpi for name, (kpi, _) in _USER_KPIS.items()}}


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else float("nan")


def summarize(ts: pd.DataFrame, inquiries: pd.DataFrame, end: dict[str, float]) -> dict[str, float]:
    """The per-run summary from the time series, the inquiry log and end-of-run stocks."""
    tot = ts[list(FLOWS)].sum()
    own = tot.mentions_positive + tot.mentions_negative + tot.mentions_neutral
    raised = len(inquiries)
    answered = inquiries[np.isfinite(inquiries.t_end)] if raised else inquiries
    first = (answered.t_start - answered.t_raise).to_numpy() if raised else np.empty(0)
    resolved = answered[answered.resolved] if raised else answered
    resolution = (resolved.t_end - resolved.t_raise).to_numpy() if raised else np.empty(0)
    threads = 2 + (answered.detector != answered.owner).astype(int) + 2 * (~answered.resolved).astype(int)
    summary = {
        "mentions_own": own,
        "mentions_positive": tot.mentions_positive,
        "mentions_negative": tot.mentions_negative,
        **voice_shares(tot),
        "reshares": tot.reshares,
        "advocates": end["advocates"],
        "advocate_share": end["advocate_share"],
        "engagement_rate_pct": 100 * _ratio(tot.engagements_by_followers, (ts.posts * ts.followers).sum()),
        "interactions_per_post": _ratio(tot.engagements + tot.reshares, tot.posts),
        "thread_length_msgs": float(threads.mean()) if len(answered) else float("nan"),
        "detection_rate": _ratio(tot.detected, tot.inquiries),
        "response_rate": _ratio(len(answered), raised),
        "resolution_rate": _ratio(len(resolved), raised),
        "first_response_median_min": 60 * _quantile(first, 0.5),
        "first_response_p90_min": 60 * _quantile(first, 0.9),
        "first_response_mean_h": float(first.mean()) if len(first) else float("nan"),
        "complaint_response_rate": _ratio(
            int((answered.kind_name == "service_complaint").sum()),
            int((inquiries.kind_name == "service_complaint").sum()) if raised else 0,
        ),
        "ignored_share": _ratio(tot.ignored, tot.inquiries),
        "promo_posts_per_reply": _ratio(tot.posts_promoting, len(answered)),
        "resolution_median_h": _quantile(resolution, 0.5),
        "resolution_p90_h": _quantile(resolution, 0.9),
        "answered_within_1h_share": _ratio(int((first <= 1.0).sum()), raised),
        "handoffs": tot.handoffs,
        "handoffs_lost": tot.handoffs_lost,
        "handoff_loss_rate": _ratio(tot.handoffs_lost, tot.handoffs),
        "irate_share": _ratio(tot.irate, tot.inquiries),
        "ideas_raised": tot.ideas_raised,
        "ideas_captured": tot.ideas_captured,
        "ideas_implemented": tot.ideas_implemented,
        "idea_capture_rate": _ratio(tot.ideas_captured, tot.ideas_raised),
        "reach": end["reach"],
        "impressions": tot.impressions,
        "awareness_mean": end["awareness_mean"],
        "sentiment_mean": end["sentiment_mean"],
        "followers": end["followers"],
        "churn_rate": end["churn_rate"],
        "retention_rate": 1.0 - end["churn_rate"],
        "churn_ignored_over_answered": _ratio(
            _ratio(tot.churned_ignored, tot.ignored_customer_hours),
            _ratio(tot.churned_answered, tot.answered_customer_hours),
        ),
        "posts": tot.posts,
        "promo_share_actual": _ratio(tot.posts_promoting, tot.posts),
        "gaffes": tot.gaffes,
        "crises": tot.crises_started,
        "crisis_containment_h": end["crisis_containment_h"],
        "brand_consistency": _ratio(tot.posts_on_brand, tot.posts),
        "post_quality_mean": _ratio(tot.quality_sum, tot.posts),
        "participation": float(ts.participation.mean()),
        "motivation_mean": end["motivation_mean"],
        "skill_mean": end["skill_mean"],
        "staff_hours": tot.staff_hours,
        "cost_total": tot.cost,
        "cost_per_resolution": _ratio(tot.cost, len(resolved)),
        "utilisation": _ratio(tot.busy_hours, tot.staff_hours),
        "reply_value": tot.value_replies,
        "value_total": tot.value_replies + tot.value_customers,
        "net_value": tot.value_replies + tot.value_customers - tot.cost,
        "silo_index": float(ts.silo_index.mean()),
    }
    return {k: float(v) for k, v in summary.items()}


def format_value(value: float | None) -> str:
    """A KPI value for a table: compact, NaN shown as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def add_user_kpis(result: RunResult) -> None:
    """Compute registered KPIs into ``result.summary``."""
    for name, (_, compute) in _USER_KPIS.items():
        result.summary[name] = float(compute(result))


def kpi_table(summaries: dict[str, dict[str, Any]], names: list[str] | None = None) -> pd.DataFrame:
    """KPIs side by side: one column per scenario, one row per KPI."""
    frame = pd.DataFrame(summaries)
    if names is not None:
        frame = frame.loc[[n for n in names if n in frame.index]]
    return frame


HEADLINE = (
    "share_of_voice",
    "resolution_rate",
    "first_response_median_min",
    "answered_within_1h_share",
    "handoffs_lost",
    "ideas_captured",
    "reach",
    "advocate_share",
    "sentiment_mean",
    "churn_rate",
    "gaffes",
    "brand_consistency",
    "participation",
    "cost_per_resolution",
    "net_value",
    "silo_index",
)
