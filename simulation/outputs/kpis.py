"""Outcome metrics: one table of KPIs, each with its meaning and its one formula.

Every KPI in ``SUMMARY`` is a reducer over a :class:`RunSoFar` (a run up to its last step: the
per-step flows and stocks, the inquiry log and the end stocks, in starsim's
``define_results`` / ``update_results`` spirit). :func:`summarize` evaluates the formulas at the
end of a run, from its time series and inquiry log; ``simulation.engines.mesa_model.RunningSummary``
evaluates the same formulas while the run goes, on the same arrays, so both give the same floats.
``SUMMARY`` also says whether a KPI is an *appearance* number (mentions, likes) or a
*user-outcome* number (resolutions, retention): the articles warn about the gap.
``register_kpi`` adds a KPI computed from a finished run (the public extension point).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.core import flows
from simulation.core.flows import own_mentions, quantile, voice_shares
from simulation.scenario.config import INQUIRY_TYPES

if TYPE_CHECKING:
    from simulation.outputs.result import RunResult

FLOWS = flows.FLOWS  # the per-step counters, defined by the core
# What the KPIs read: per-step record columns (every flow, plus stocks averaged or weighted over steps)
# and inquiry-log columns; a running summary keeps exactly these.
STEP_COLUMNS = (*FLOWS, "followers", "participation", "silo_index")
INQUIRY_FIELDS = (
    "t_raise", "t_start", "t_end", "resolved", "detector", "owner", "kind", "t_queue", "handoff_hours", "off_duty_h",
)  # fmt: skip
_COMPLAINT = INQUIRY_TYPES.index("service_complaint")


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


class RunSoFar:
    """A run up to its last step, as the KPI formulas read it; each reduction is computed once, when first read.

    Args:
        step_column: name in ``STEP_COLUMNS`` -> that column of the per-step records, in step order.
        inquiry_column: name in ``INQUIRY_FIELDS`` -> that column of every inquiry so far, in one fixed order.
        end: the end stocks (``VectorEngine.end_stocks``) after the last step.
        log_order: the permutation that puts the inquiries in the log's order (by ``t_raise``, stable);
            None if they are in it already. Only the order-dependent float sums use it.
    """

    def __init__(
        self,
        step_column: Callable[[str], np.ndarray],
        inquiry_column: Callable[[str], np.ndarray],
        end: Mapping[str, float],
        log_order: Callable[[], np.ndarray] | None = None,
    ) -> None:
        self.step_column = step_column
        self.inquiry_column = functools.cache(inquiry_column)
        self.end = end
        self._log_order = log_order
        self.totals = _Totals(step_column)
        self._kpis: dict[str, float] = {}

    def kpi(self, name: str) -> float:
        """The value of the built-in KPI ``name`` (formulas may build on each other)."""
        if name not in self._kpis:
            self._kpis[name] = float(SUMMARY[name].formula(self))
        return self._kpis[name]

    def mean(self, name: str) -> float:
        """Mean over the steps of a per-step stock, NaN steps left out (pandas' ``Series.mean``, to the bit)."""
        values = self.step_column(name)
        missing = np.isnan(values)
        return _ratio(np.add.reduce(np.where(missing, 0.0, values)), len(values) - np.count_nonzero(missing))

    @functools.cached_property
    def voice(self) -> dict[str, float]:
        """Share of voice and its positive and net variants, of the flow totals."""
        return voice_shares(self.totals)

    @functools.cached_property
    def follower_posts(self) -> float:
        """Sum over steps of posts x followers (the engagement rate's denominator)."""
        return np.add.reduce(self.step_column("posts") * self.step_column("followers"))

    @functools.cached_property
    def raised(self) -> int:
        """Inquiries raised."""
        return len(self.inquiry_column("t_raise"))

    @functools.cached_property
    def _answered(self) -> np.ndarray:
        return np.isfinite(self.inquiry_column("t_end"))  # service has started

    @functools.cached_property
    def _resolved(self) -> np.ndarray:
        return self._answered & self.inquiry_column("resolved")

    @functools.cached_property
    def answered(self) -> int:
        """Inquiries whose service has started."""
        return int(np.count_nonzero(self._answered))

    @functools.cached_property
    def resolved(self) -> int:
        """Inquiries answered and resolved."""
        return int(np.count_nonzero(self._resolved))

    @functools.cached_property
    def complaints_raised(self) -> int:
        """Service complaints raised."""
        return int(np.count_nonzero(self.inquiry_column("kind") == _COMPLAINT))

    @functools.cached_property
    def complaints_answered(self) -> int:
        """Service complaints answered."""
        return int(np.count_nonzero(self._answered & (self.inquiry_column("kind") == _COMPLAINT)))

    @functools.cached_property
    def thread_msgs(self) -> int:
        """Messages over the answered inquiries: 2 each, +1 per hand-off, +2 if unresolved."""
        answered = self._answered
        handed = self.inquiry_column("detector")[answered] != self.inquiry_column("owner")[answered]
        return 2 * self.answered + int(np.count_nonzero(handed)) + 2 * (self.answered - self.resolved)

    @functools.cached_property
    def first_response_h(self) -> np.ndarray:
        """Hours from raise to first answer of the answered inquiries."""
        answered = self._answered
        return self.inquiry_column("t_start")[answered] - self.inquiry_column("t_raise")[answered]

    @functools.cached_property
    def first_response_sorted(self) -> np.ndarray:
        """``first_response_h`` sorted (for quantiles)."""
        return np.sort(self.first_response_h)

    @functools.cached_property
    def first_response_mean_h(self) -> float:
        """Mean of ``first_response_h``, summed in the log's order (as the summary always has)."""
        first = self.first_response_h
        if self._log_order is not None:
            order = self._log_order()
            in_log = order[self._answered[order]]  # the answered ones, in the log's order
            first = self.inquiry_column("t_start")[in_log] - self.inquiry_column("t_raise")[in_log]
        return float(first.mean()) if len(first) else float("nan")

    @functools.cached_property
    def wait_parts(self) -> dict[str, float]:
        """Mean hours of each part of the answered inquiries' first response (they add up to its mean).

        Detection (listening latency, the tool's slower), hand-offs to the owner, the owner's
        off-duty hours while the inquiry waited in its queue, and the rest of the queue (the
        wait for a free server).
        """
        answered = self._answered
        if self._log_order is not None:  # summed in the log's order, as the mean first response
            order = self._log_order()
            answered = order[answered[order]]
        names = ("t_raise", "t_queue", "t_start", "handoff_hours", "off_duty_h")
        t_raise, t_queue, t_start, handoff, off_duty = (self.inquiry_column(name)[answered] for name in names)
        parts = {
            "detection": t_queue - t_raise - handoff,
            "handoff": handoff,
            "off_duty": off_duty,
            "queue": t_start - t_queue - off_duty,
        }
        return {name: float(part.mean()) if len(part) else float("nan") for name, part in parts.items()}

    @functools.cached_property
    def resolution_sorted(self) -> np.ndarray:
        """Hours from raise to resolution of the resolved inquiries, sorted."""
        resolved = self._resolved
        return np.sort(self.inquiry_column("t_end")[resolved] - self.inquiry_column("t_raise")[resolved])


class _Totals(dict):
    """Flow totals over the steps, each summed when first read (numpy's pairwise sum, as pandas' ``sum``)."""

    def __init__(self, step_column: Callable[[str], np.ndarray]) -> None:
        super().__init__()
        self._column = step_column

    def __missing__(self, name: str) -> float:
        total = self[name] = float(np.add.reduce(self._column(name)))
        return total


Formula = Callable[[RunSoFar], float]


def _flow(name: str) -> Formula:
    return lambda r: r.totals[name]


def _flow_ratio(numerator: str, denominator: str) -> Formula:
    return lambda r: _ratio(r.totals[numerator], r.totals[denominator])


def _stock(name: str) -> Formula:
    return lambda r: r.end[name]


def _step_mean(name: str) -> Formula:
    return lambda r: r.mean(name)


@dataclass(frozen=True)
class KPI:
    """A summary metric: its meaning, its group, whether more is better, and its formula (built-in ones)."""

    name: str
    description: str
    group: str
    higher_is_better: bool | None = True
    kind: str = "outcome"  # "appearance" or "outcome"
    formula: Formula | None = None  # None for a registered KPI (computed from the finished RunResult)


WAIT_PARTS = {
    "detection": "detection (listening latency)",
    "handoff": "hand-offs to the owner",
    "off_duty": "waiting while the owner was off duty",
    "queue": "waiting for a free server (the queue)",
}
"""Where the time of a first response goes: its four parts, in order."""


def _churn_ratio(r: RunSoFar) -> float:
    """The hazard ratio, or NaN when a group has no churn event (a ratio of 0 or inf estimates nothing)."""
    if not (r.totals["churned_ignored"] > 0 and r.totals["churned_answered"] > 0):
        return float("nan")
    return _ratio(
        _flow_ratio("churned_ignored", "ignored_customer_hours")(r),
        _flow_ratio("churned_answered", "answered_customer_hours")(r),
    )


def _k(
    name: str, group: str, formula: Formula, description: str, better: bool | None = True, kind: str = "outcome"
) -> KPI:
    return KPI(name, description, group, better, kind, formula)


SUMMARY: dict[str, KPI] = {
    k.name: k
    for k in (
        _k(
            "mentions_own",
            "voice",
            lambda r: own_mentions(r.totals),
            "own brand mentions (positive, neutral, negative)",
            True,
            "appearance",
        ),
        _k("mentions_positive", "voice", _flow("mentions_positive"), "positive own mentions", True, "appearance"),
        _k("mentions_negative", "voice", _flow("mentions_negative"), "negative own mentions", False, "appearance"),
        _k(
            "share_of_voice",
            "voice",
            lambda r: r.voice["share_of_voice"],
            "own non-negative mentions / all mentions (own and competitor's)",
            True,
            "appearance",
        ),
        _k(
            "positive_share_of_voice",
            "voice",
            lambda r: r.voice["positive_share_of_voice"],
            "own positive mentions / all mentions",
            True,
            "appearance",
        ),
        _k(
            "net_share_of_voice",
            "voice",
            lambda r: r.voice["net_share_of_voice"],
            "(own positive - own negative mentions) / all mentions",
            True,
            "appearance",
        ),
        _k("reshares", "advocacy", _flow("reshares"), "re-shares of brand content", True, "appearance"),
        _k(
            "advocates",
            "advocacy",
            _stock("advocates"),
            "customers with sentiment above the advocate threshold, at the end",
        ),
        _k("advocate_share", "advocacy", _stock("advocate_share"), "advocates / active customers, at the end"),
        _k(
            "engagement_rate_pct",
            "dialogue",
            lambda r: 100 * _ratio(r.totals["engagements_by_followers"], r.follower_posts),
            "followers' engagements per post, % of followers",
            True,
            "appearance",
        ),
        _k(
            "interactions_per_post",
            "dialogue",
            lambda r: _ratio(r.totals["engagements"] + r.totals["reshares"], r.totals["posts"]),
            "engagements and re-shares per post",
            True,
            "appearance",
        ),
        _k(
            "thread_length_msgs",
            "dialogue",
            lambda r: _ratio(r.thread_msgs, r.answered),
            "messages per answered inquiry (2, +1 per hand-off, +2 if unresolved)",
            None,
        ),
        _k("detection_rate", "support", _flow_ratio("detected", "inquiries"), "inquiries detected / raised"),
        _k("response_rate", "support", lambda r: _ratio(r.answered, r.raised), "inquiries answered / raised"),
        _k("resolution_rate", "support", lambda r: _ratio(r.resolved, r.raised), "inquiries resolved / raised"),
        _k(
            "first_response_median_min",
            "support",
            lambda r: 60 * quantile(r.first_response_sorted, 0.5),
            "median minutes from inquiry to first answer (answered ones)",
            False,
        ),
        _k(
            "first_response_p90_min",
            "support",
            lambda r: 60 * quantile(r.first_response_sorted, 0.9),
            "90th percentile of first-response minutes",
            False,
        ),
        _k(
            "first_response_mean_h",
            "support",
            lambda r: r.first_response_mean_h,
            "mean hours from inquiry to first answer (answered ones)",
            False,
        ),
        *(
            _k(
                f"first_response_{part}_h",
                "support",
                functools.partial(lambda part, r: r.wait_parts[part], part),
                f"mean hours of the first response spent on {what} (answered ones; the four parts add up to the mean)",
                False,
            )
            for part, what in WAIT_PARTS.items()
        ),
        _k(
            "complaint_response_rate",
            "support",
            lambda r: _ratio(r.complaints_answered, r.complaints_raised),
            "service complaints answered / raised",
        ),
        _k(
            "ignored_share",
            "support",
            _flow_ratio("ignored", "inquiries"),
            "inquiries whose author expected a reply and got none within the ignored mark",
            False,
        ),
        _k(
            "promo_posts_per_reply",
            "support",
            lambda r: _ratio(r.totals["posts_promoting"], r.answered),
            "promoting posts per inquiry answered",
            None,
            "appearance",
        ),
        _k(
            "resolution_median_h",
            "support",
            lambda r: quantile(r.resolution_sorted, 0.5),
            "median hours from inquiry to resolution (resolved ones)",
            False,
        ),
        _k(
            "resolution_p90_h",
            "support",
            lambda r: quantile(r.resolution_sorted, 0.9),
            "90th percentile of resolution hours",
            False,
        ),
        _k(
            "answered_within_1h_share",
            "support",
            lambda r: _ratio(np.count_nonzero(r.first_response_h <= 1.0), r.raised),
            "share of all inquiries answered within one hour",
        ),
        _k("handoffs", "support", _flow("handoffs"), "hand-offs between departments", False),
        _k("handoffs_lost", "support", _flow("handoffs_lost"), "hand-offs lost on the way", False),
        _k(
            "handoff_loss_rate",
            "support",
            _flow_ratio("handoffs_lost", "handoffs"),
            "hand-offs lost / hand-offs",
            False,
        ),
        _k(
            "irate_share",
            "support",
            _flow_ratio("irate", "inquiries"),
            "share of inquiries whose patience ran out",
            False,
        ),
        _k("ideas_raised", "innovation", _flow("ideas_raised"), "ideas customers posted", None),
        _k("ideas_captured", "innovation", _flow("ideas_captured"), "ideas that reached their owner"),
        _k("ideas_implemented", "innovation", _flow("ideas_implemented"), "captured ideas implemented"),
        _k("idea_capture_rate", "innovation", _flow_ratio("ideas_captured", "ideas_raised"), "ideas captured / raised"),
        _k("reach", "customers", _stock("reach"), "distinct customers who saw brand content", True, "appearance"),
        _k("impressions", "customers", _flow("impressions"), "views of brand content", True, "appearance"),
        _k("awareness_mean", "customers", _stock("awareness_mean"), "mean awareness at the end"),
        _k("sentiment_mean", "customers", _stock("sentiment_mean"), "mean sentiment of active customers at the end"),
        _k("followers", "customers", _stock("followers"), "followers at the end", True, "appearance"),
        _k("churn_rate", "customers", _stock("churn_rate"), "customers churned / customers", False),
        _k("retention_rate", "customers", lambda r: 1.0 - r.kpi("churn_rate"), "1 - churn_rate"),
        _k(
            "churn_ignored_over_answered",
            "customers",
            _churn_ratio,
            "churn hazard of customers ignored / of customers answered and never ignored "
            "(undefined without a churn event in both groups)",
            None,
        ),
        _k("posts", "organisation", _flow("posts"), "posts published", None, "appearance"),
        _k(
            "promo_share_actual",
            "organisation",
            _flow_ratio("posts_promoting", "posts"),
            "promoting posts / posts",
            None,
        ),
        _k("gaffes", "organisation", _flow("gaffes"), "posts that were gaffes", False),
        _k("crises", "organisation", _flow("crises_started"), "crises started", False),
        _k(
            "crisis_containment_h",
            "organisation",
            _stock("crisis_containment_h"),
            "mean hours to contain a crisis",
            False,
        ),
        _k("brand_consistency", "organisation", _flow_ratio("posts_on_brand", "posts"), "on-brand posts / posts"),
        _k("post_quality_mean", "organisation", _flow_ratio("quality_sum", "posts"), "mean post quality in [0, 1]"),
        _k(
            "participation",
            "organisation",
            _step_mean("participation"),
            "mean share of company employees who posted in the past week",
        ),
        _k("motivation_mean", "organisation", _stock("motivation_mean"), "mean motivation of social staff at the end"),
        _k("skill_mean", "organisation", _stock("skill_mean"), "mean skill of social staff at the end"),
        _k("staff_hours", "organisation", _flow("staff_hours"), "staff hours on social work", None),
        _k("cost_total", "organisation", _flow("cost"), "staff, agency, tool and training cost", False),
        _k(
            "cost_per_resolution",
            "organisation",
            lambda r: _ratio(r.kpi("cost_total"), r.resolved),
            "cost / inquiries resolved",
            False,
        ),
        _k(
            "utilisation",
            "organisation",
            _flow_ratio("busy_hours", "staff_hours"),
            "busy hours (posting, answering, monitoring) / paid social hours",
            None,
        ),
        _k(
            "reply_value",
            "value",
            _flow("value_replies"),
            "customers' willingness to pay after replies (decays with the wait)",
        ),
        _k(
            "value_total",
            "value",
            lambda r: r.kpi("reply_value") + r.totals["value_customers"],
            "reply value plus revenue of active customers",
        ),
        _k("net_value", "value", lambda r: r.kpi("value_total") - r.kpi("cost_total"), "value_total - cost_total"),
        _k(
            "silo_index",
            "organisation",
            _step_mean("silo_index"),
            "Krackhardt E-I index of the internal graph, negated (1 = fully siloed)",
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


def summarize(ts: pd.DataFrame, inquiries: pd.DataFrame, end: Mapping[str, float]) -> dict[str, float]:
    """The per-run summary from the time series, the inquiry log and end-of-run stocks."""
    run = RunSoFar(lambda name: ts[name].to_numpy(), lambda name: inquiries[name].to_numpy(), end)
    return {name: run.kpi(name) for name in SUMMARY}


def format_value(value: float | None) -> str:
    """A KPI value for a table: compact, NaN shown as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


CURRENCY = "USD"
"""The currency of every money figure (the unit of the cost and value parameters)."""
MONEY = {
    "cost_total": "period",
    "reply_value": "period",
    "value_total": "period",
    "net_value": "period",
    "cost_per_resolution": "resolution",
}
"""The money KPIs, and what each is per: the run's period or one resolved inquiry."""


def period_text(hours: float) -> str:
    """A run's length in words: "13 weeks (a quarter)", "4 weeks", "30 days", "36 hours"."""
    if hours == 2184:
        return "13 weeks (a quarter)"
    if hours % 168 == 0:
        weeks = int(hours // 168)
        return "1 week" if weeks == 1 else f"{weeks} weeks"
    if hours % 24 == 0:
        days = int(hours // 24)
        return "1 day" if days == 1 else f"{days} days"
    return f"{hours:g} hours"


def money_unit(name: str, hours: float | None) -> str | None:
    """The unit of a money KPI over a run of ``hours`` ("USD per 4 weeks", "USD per resolution"); None if not money."""
    per = MONEY.get(name)
    if per is None:
        return None
    if per == "resolution":
        return f"{CURRENCY} per resolution"
    return f"{CURRENCY} per {period_text(hours)}" if hours else f"{CURRENCY} per run"


def kpi_label(name: str, hours: float | None = None) -> str:
    """A KPI's name with its money unit where it is money (``cost_total (USD per 4 weeks)``)."""
    unit = money_unit(name, hours)
    return f"{name} ({unit})" if unit else name


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
    "cost_total",
    "cost_per_resolution",
    "net_value",
    "silo_index",
)
