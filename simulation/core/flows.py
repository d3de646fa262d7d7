"""The per-step flow counters every process adds to (the schema of a step's record), and their reductions.

Besides the counters: share of voice, and the order statistics the per-step record and the
KPIs (``simulation.outputs.kpis``) use, so each is written once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

FLOWS = (
    "posts",
    "posts_promoting",
    "posts_on_brand",
    "gaffes",
    "quality_sum",
    "impressions",
    "engagements",
    "engagements_by_followers",
    "reshares",
    "new_followers",
    "unfollows",
    "mentions_positive",
    "mentions_negative",
    "mentions_neutral",
    "mentions_competitor",
    "inquiries",
    "detected",
    "handoffs",
    "handoffs_lost",
    "handoff_hours",
    "answered",
    "resolved",
    "irate",
    "ignored",
    "complaints_public",
    "ideas_raised",
    "ideas_captured",
    "ideas_implemented",
    "churned",
    "churned_ignored",
    "churned_answered",
    "ignored_customer_hours",
    "answered_customer_hours",
    "staff_hours",
    "busy_hours",
    "cost",
    "value_replies",
    "value_customers",
    "crises_started",
    "crisis_active",
)

Flows = dict[str, float]


def new_flows() -> Flows:
    """Zeroed counters for one step."""
    return dict.fromkeys(FLOWS, 0.0)


def own_mentions(flows: Mapping[str, float]) -> float:
    """The brand's own mentions: positive, negative and neutral."""
    return flows["mentions_positive"] + flows["mentions_negative"] + flows["mentions_neutral"]


def voice_shares(flows: Mapping[str, float]) -> dict[str, float]:
    """Share of voice: the brand's non-negative mentions against all mentions (own and competitor).

    Complaints, crisis and gaffe mentions are negative: they enlarge the conversation without
    adding to the brand's voice, so a crisis lowers share of voice. Also the positive and the
    net (positive minus negative) shares.
    """
    own = own_mentions(flows)
    total = own + flows["mentions_competitor"]
    if not total:
        return {"share_of_voice": np.nan, "positive_share_of_voice": np.nan, "net_share_of_voice": np.nan}
    return {
        "share_of_voice": (own - flows["mentions_negative"]) / total,
        "positive_share_of_voice": flows["mentions_positive"] / total,
        "net_share_of_voice": (flows["mentions_positive"] - flows["mentions_negative"]) / total,
    }


def quantile(ordered: np.ndarray, q: float) -> float:
    """``np.quantile(values, q)`` of the sorted ``values`` to the bit (numpy's linear method), NaN if empty.

    On sorted values it costs two look-ups instead of np.quantile's partition and Python-level overhead.
    """
    if not len(ordered):
        return float("nan")
    h = (len(ordered) - 1) * q
    lo = int(h)
    gamma = h - lo
    a, b = ordered[lo], ordered[min(lo + 1, len(ordered) - 1)]
    diff = b - a
    return float(b - diff * (1 - gamma)) if gamma >= 0.5 else float(a + diff * gamma)


def median(values: np.ndarray) -> float:
    """``np.median(values)`` (unsorted, no NaNs): the middle value or the midpoint (a + b) / 2 of two; NaN if empty.

    Not ``quantile(sorted, 0.5)``: numpy's linear method computes b - (b - a) / 2, which differs from
    the midpoint in the last bit for about 2% of pairs; the per-step record has always been np.median's.
    """
    if not len(values):
        return float("nan")
    ordered = np.sort(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2.0)
