"""Outcome metrics: one table of KPIs, each with its meaning and its one formula.

Every KPI in ``SUMMARY`` is a reducer over a :class:`RunSoFar` (a run up to its last step: the
per-step flows and stocks, the inquiry log and the end stocks, in starsim's
``define_results`` / ``update_results`` spirit). :func:`summarize` evaluates the formulas at the
end of a run, from its time series and inquiry log; ``simulation.model.RunningSummary``
evaluates the same formulas while the run goes, on the same arrays, so both give the same floats.
``SUMMARY`` also says whether a KPI is an *appearance* number (mentions, likes) or a
*user-outcome* number (resolutions, retention): the articles warn about the gap.
``register_kpi`` adds a KPI computed from a finished run (the public extension point).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.config import INQUIRY_TYPES
from simulation.core import flows
from simulation.core.flows import own_mentions, quantile, voice_shares

if TYPE_CHECKING:
    from simulation.result import RunResult

FLOWS = flows.FLOWS  # the per-step counters, defined by the core
# What the KPIs read: per-step record columns (every flow, plus stocks averaged or weighted over steps)
# and inquiry-log columns; a running summary keeps exactly these.
STEP_COLUMNS = (*FLOWS, "followers", "participation", "silo_index")
INQUIRY_FIELDS = ("t_raise", "t_start", "t_end", "resolved", "detector", "owner", "kind")
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
    def resolution_sorted(self) -> np.ndarray:
        """Hours from raise to resolution of the resolved inquiries, sorted."""
        resolved = self._resolved
        return np.sort(self.inquiry_column("t_end")[resolved] - self.inquiry_column("t_raise")[resolved])


class _Totals(Mapping[str, float]):
    """Flow totals over the steps, each summed when first read (numpy's pairwise sum, pandas' ``sum``)."""

    def __init__(self, step_column: Callable[[str], np.ndarray]) -> None:
        self._column = step_column
        self._sums: dict[str, float] = {}

    def __getitem__(self, name: str) -> float:
        if name not in self._sums:
            self._sums[name] = np.add.reduce(self._column(name))
        return self._sums[name]

    def __iter__(self) -> Iterator[str]:
        return iter(FLOWS)

    def __len__(self) -> int:
        return len(FLOWS)


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


def _k(name: str, description: str, group: str, better: bool | None, kind: str, formula: Formula) -> KPI:
    return KPI(name, description, group, better, kind, formula)


SUMMARY: dict[str, KPI] = {
    k.name: k
    for k in (
        _k(
            "mentions_own",
            "own brand mentions (positive, neutral, negative)",
            "voice",
            True,
            "appearance",
            lambda r: own_mentions(r.totals),
        ),
        _k("mentions_positive", "positive own mentions", "voice", True, "appearance", _flow("mentions_positive")),
        _k("mentions_negative", "negative own mentions", "voice", False, "appearance", _flow("mentions_negative")),
        _k(
            "share_of_voice",
            "own non-negative mentions / all mentions (own and competitor's)",
            "voice",
            True,
            "appearance",
            lambda r: r.voice["share_of_voice"],
        ),
        _k(
            "positive_share_of_voice",
            "own positive mentions / all mentions",
            "voice",
            True,
            "appearance",
            lambda r: r.voice["positive_share_of_voice"],
        ),
        _k(
            "net_share_of_voice",
            "(own positive - own negative mentions) / all mentions",
            "voice",
            True,
            "appearance",
            lambda r: r.voice["net_share_of_voice"],
        ),
        _k("reshares", "re-shares of brand content", "advocacy", True, "appearance", _flow("reshares")),
        _k(
            "advocates",
            "customers with sentiment above the advocate threshold, at the end",
            "advocacy",
            True,
            "outcome",
            _stock("advocates"),
        ),
        _k(
            "advocate_share",
            "advocates / active customers, at the end",
            "advocacy",
            True,
            "outcome",
            _stock("advocate_share"),
        ),
        _k(
            "engagement_rate_pct",
            "followers' engagements per post, % of followers",
            "dialogue",
            True,
            "appearance",
            lambda r: 100 * _ratio(r.totals["engagements_by_followers"], r.follower_posts),
        ),
        _k(
            "interactions_per_post",
            "engagements and re-shares per post",
            "dialogue",
            True,
            "appearance",
            lambda r: _ratio(r.totals["engagements"] + r.totals["reshares"], r.totals["posts"]),
        ),
        _k(
            "thread_length_msgs",
            "messages per answered inquiry (2, +1 per hand-off, +2 if unresolved)",
            "dialogue",
            None,
            "outcome",
            lambda r: _ratio(r.thread_msgs, r.answered),
        ),
        _k(
            "detection_rate",
            "inquiries detected / raised",
            "support",
            True,
            "outcome",
            _flow_ratio("detected", "inquiries"),
        ),
        _k(
            "response_rate",
            "inquiries answered / raised",
            "support",
            True,
            "outcome",
            lambda r: _ratio(r.answered, r.raised),
        ),
        _k(
            "resolution_rate",
            "inquiries resolved / raised",
            "support",
            True,
            "outcome",
            lambda r: _ratio(r.resolved, r.raised),
        ),
        _k(
            "first_response_median_min",
            "median minutes from inquiry to first answer (answered ones)",
            "support",
            False,
            "outcome",
            lambda r: 60 * quantile(r.first_response_sorted, 0.5),
        ),
        _k(
            "first_response_p90_min",
            "90th percentile of first-response minutes",
            "support",
            False,
            "outcome",
            lambda r: 60 * quantile(r.first_response_sorted, 0.9),
        ),
        _k(
            "first_response_mean_h",
            "mean hours from inquiry to first answer (answered ones)",
            "support",
            False,
            "outcome",
            lambda r: r.first_response_mean_h,
        ),
        _k(
            "complaint_response_rate",
            "service complaints answered / raised",
            "support",
            True,
            "outcome",
            lambda r: _ratio(r.complaints_answered, r.complaints_raised),
        ),
        _k(
            "ignored_share",
            "inquiries whose author expected a reply and got none within the ignored mark",
            "support",
            False,
            "outcome",
            _flow_ratio("ignored", "inquiries"),
        ),
        _k(
            "promo_posts_per_reply",
            "promoting posts per inquiry answered",
            "support",
            None,
            "appearance",
            lambda r: _ratio(r.totals["posts_promoting"], r.answered),
        ),
        _k(
            "resolution_median_h",
            "median hours from inquiry to resolution (resolved ones)",
            "support",
            False,
            "outcome",
            lambda r: quantile(r.resolution_sorted, 0.5),
        ),
        _k(
            "resolution_p90_h",
            "90th percentile of resolution hours",
            "support",
            False,
            "outcome",
            lambda r: quantile(r.resolution_sorted, 0.9),
        ),
        _k(
            "answered_within_1h_share",
            "share of all inquiries answered within one hour",
            "support",
            True,
            "outcome",
            lambda r: _ratio(np.count_nonzero(r.first_response_h <= 1.0), r.raised),
        ),
        _k("handoffs", "hand-offs between departments", "support", False, "outcome", _flow("handoffs")),
        _k("handoffs_lost", "hand-offs lost on the way", "support", False, "outcome", _flow("handoffs_lost")),
        _k(
            "handoff_loss_rate",
            "hand-offs lost / hand-offs",
            "support",
            False,
            "outcome",
            _flow_ratio("handoffs_lost", "handoffs"),
        ),
        _k(
            "irate_share",
            "share of inquiries whose patience ran out",
            "support",
            False,
            "outcome",
            _flow_ratio("irate", "inquiries"),
        ),
        _k("ideas_raised", "ideas customers posted", "innovation", None, "outcome", _flow("ideas_raised")),
        _k("ideas_captured", "ideas that reached their owner", "innovation", True, "outcome", _flow("ideas_captured")),
        _k(
            "ideas_implemented", "captured ideas implemented", "innovation", True, "outcome", _flow("ideas_implemented")
        ),
        _k(
            "idea_capture_rate",
            "ideas captured / raised",
            "innovation",
            True,
            "outcome",
            _flow_ratio("ideas_captured", "ideas_raised"),
        ),
        _k("reach", "distinct customers who saw brand content", "customers", True, "appearance", _stock("reach")),
        _k("impressions", "views of brand content", "customers", True, "appearance", _flow("impressions")),
        _k("awareness_mean", "mean awareness at the end", "customers", True, "outcome", _stock("awareness_mean")),
        _k(
            "sentiment_mean",
            "mean sentiment of active customers at the end",
            "customers",
            True,
            "outcome",
            _stock("sentiment_mean"),
        ),
        _k("followers", "followers at the end", "customers", True, "appearance", _stock("followers")),
        _k("churn_rate", "customers churned / customers", "customers", False, "outcome", _stock("churn_rate")),
        _k("retention_rate", "1 - churn_rate", "customers", True, "outcome", lambda r: 1.0 - r.kpi("churn_rate")),
        _k(
            "churn_ignored_over_answered",
            "churn hazard of customers ignored / of customers answered and never ignored",
            "customers",
            None,
            "outcome",
            lambda r: _ratio(
                _flow_ratio("churned_ignored", "ignored_customer_hours")(r),
                _flow_ratio("churned_answered", "answered_customer_hours")(r),
            ),
        ),
        _k("posts", "posts published", "organisation", None, "appearance", _flow("posts")),
        _k(
            "promo_share_actual",
            "promoting posts / posts",
            "organisation",
            None,
            "outcome",
            _flow_ratio("posts_promoting", "posts"),
        ),
        _k("gaffes", "posts that were gaffes", "organisation", False, "outcome", _flow("gaffes")),
        _k("crises", "crises started", "organisation", False, "outcome", _flow("crises_started")),
        _k(
            "crisis_containment_h",
            "mean hours to contain a crisis",
            "organisation",
            False,
            "outcome",
            _stock("crisis_containment_h"),
        ),
        _k(
            "brand_consistency",
            "on-brand posts / posts",
            "organisation",
            True,
            "outcome",
            _flow_ratio("posts_on_brand", "posts"),
        ),
        _k(
            "post_quality_mean",
            "mean post quality in [0, 1]",
            "organisation",
            True,
            "outcome",
            _flow_ratio("quality_sum", "posts"),
        ),
        _k(
            "participation",
            "mean share of company employees who posted in the past week",
            "organisation",
            True,
            "outcome",
            _step_mean("participation"),
        ),
        _k(
            "motivation_mean",
            "mean motivation of social staff at the end",
            "organisation",
            True,
            "outcome",
            _stock("motivation_mean"),
        ),
        _k(
            "skill_mean", "mean skill of social staff at the end", "organisation", True, "outcome", _stock("skill_mean")
        ),
        _k("staff_hours", "staff hours on social work", "organisation", None, "outcome", _flow("staff_hours")),
        _k("cost_total", "staff, agency, tool and training cost", "organisation", False, "outcome", _flow("cost")),
        _k(
            "cost_per_resolution",
            "cost / inquiries resolved",
            "organisation",
            False,
            "outcome",
            lambda r: _ratio(r.kpi("cost_total"), r.resolved),
        ),
        _k(
            "utilisation",
            "busy hours (posting, answering, monitoring) / paid social hours",
            "organisation",
            None,
            "outcome",
            _flow_ratio("busy_hours", "staff_hours"),
        ),
        _k(
            "reply_value",
            "customers' willingness to pay after replies (decays with the wait)",
            "value",
            True,
            "outcome",
            _flow("value_replies"),
        ),
        _k(
            "value_total",
            "reply value plus revenue of active customers",
            "value",
            True,
            "outcome",
            lambda r: r.kpi("reply_value") + r.totals["value_customers"],
        ),
        _k(
            "net_value",
            "value_total - cost_total",
            "value",
            True,
            "outcome",
            lambda r: r.kpi("value_total") - r.kpi("cost_total"),
        ),
        _k(
            "silo_index",
            "Krackhardt E-I index of the internal graph, negated (1 = fully siloed)",
            "organisation",
            False,
            "outcome",
            _step_mean("silo_index"),
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
    """Add a summary KPI computed from a finished :class:`~simulation.result.RunResult`."""
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
