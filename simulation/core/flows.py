"""The per-step flow counters every process adds to (the schema of a step's record)."""

from __future__ import annotations

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


def voice_shares(flows: Flows) -> dict[str, float]:
    """Share of voice: the brand's non-negative mentions against all mentions (own and competitor).

    Complaints, crisis and gaffe mentions are negative: they enlarge the conversation without
    adding to the brand's voice, so a crisis lowers share of voice. Also the positive and the
    net (positive minus negative) shares.
    """
    own = flows["mentions_positive"] + flows["mentions_negative"] + flows["mentions_neutral"]
    total = own + flows["mentions_competitor"]
    if not total:
        return {"share_of_voice": np.nan, "positive_share_of_voice": np.nan, "net_share_of_voice": np.nan}
    return {
        "share_of_voice": (own - flows["mentions_negative"]) / total,
        "positive_share_of_voice": flows["mentions_positive"] / total,
        "net_share_of_voice": (flows["mentions_positive"] - flows["mentions_negative"]) / total,
    }
