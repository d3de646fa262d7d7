"""The per-step flow counters every process adds to (the schema of a step's record)."""

from __future__ import annotations

FLOWS = (
    "posts",
    "posts_promoting",
    "posts_on_brand",
    "gaffes",
    "quality_sum",
    "impressions",
    "engagements",
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
    "complaints_public",
    "ideas_raised",
    "ideas_captured",
    "ideas_implemented",
    "churned",
    "staff_hours",
    "cost",
    "crises_started",
    "crisis_active",
)

Flows = dict[str, float]


def new_flows() -> Flows:
    """Zeroed counters for one step."""
    return dict.fromkeys(FLOWS, 0.0)
