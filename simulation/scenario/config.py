"""Scenario configuration: typed, validated, frozen; the one source of truth for every parameter.

A scenario is built in layers, each overriding the one before:
built-in defaults < org-model preset < scenario file (and the files it ``extends``) < ``--set``.
Every field is declared once with :func:`~simulation.scenario.schema.param`: default, bounds,
description, unit, role, source and prior (read back with ``spec_of``). ``docs/ODD.md``'s
parameter tables and ``priors.toml`` are generated from these declarations by
``simulation.outputs.docs``. Loading (layers, presets, interventions) is here too:
:func:`build_config`, :func:`load_scenario`, :func:`register_preset`.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from simulation.errors import ScenarioError
from simulation.scenario.interventions import validate_intervention
from simulation.scenario.presets import Preset, drop_user_preset, get_preset, put_user_preset
from simulation.scenario.schema import (
    HALF_TO_ONE_AND_A_HALF,
    HALF_UP_TO_ONE,
    PLUS_MINUS_0_2,
    WITHIN_TWO,
    ParamSpec,
    param,
    scaled,
    stated,
    whole_numbers,
)

INQUIRY_TYPES = ("product_question", "technical_problem", "service_complaint", "idea")
TIE_KINDS = ("intra", "cross", "hierarchy", "team", "hub", "channel", "tool", "agency")
AGENCY = "agency"

MAX_MAGNITUDE = 1e12  # a finite float beyond this is a typo or an attack, not a parameter
MAX_INT = 2**63 - 1  # integers must fit numpy's int64


def _check_numbers(value: Any, where: str, allow_inf: bool, probability: bool, depth: int = 0) -> None:
    """Raise ``ValueError("where: reason")`` for a NaN, an unwanted infinity, an absurd or out-of-[0, 1] number."""
    kind = type(value)
    if kind is float or (isinstance(value, float) and kind is not bool):
        _check_float(value, where, allow_inf, probability)
    elif kind is int or (isinstance(value, int) and kind is not bool):
        if abs(value) > MAX_INT:
            raise ValueError(f"{where}: {value} is too large (at most {MAX_INT})")
        if probability and not 0 <= value <= 1:
            raise ValueError(f"{where}: {value} must be in [0, 1]")
    elif kind is bool or kind is str or value is None or depth > 8 or isinstance(value, BaseModel):
        return
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_numbers(item, f"{where}.{key}", allow_inf, probability, depth + 1)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_numbers(item, f"{where}[{i}]", allow_inf, probability, depth + 1)


def _check_float(value: float, where: str, allow_inf: bool, probability: bool) -> None:
    if value != value:  # NaN
        raise ValueError(f"{where}: nan is not a number")
    if value in (math.inf, -math.inf):
        if not allow_inf:
            raise ValueError(f"{where}: must be finite")
    elif abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"{where}: {value:g} is absurdly large (at most {MAX_MAGNITUDE:g})")
    if probability and not 0 <= value <= 1:
        raise ValueError(f"{where}: {value:g} must be in [0, 1]")


class FrozenDict(dict):
    """A dict that refuses changes: a config's tables are as frozen as its scalars."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("config values are frozen: use Config.with_values to change one")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))


class FrozenList(list):
    """A list that refuses changes (compares equal to a list with the same items)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("config values are frozen: use Config.with_values to change one")

    __setitem__ = __delitem__ = append = extend = insert = pop = remove = clear = sort = reverse = _refuse  # type: ignore[assignment]
    __iadd__ = __imul__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        return (FrozenList, (list(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


def _freeze(value: Any) -> Any:
    if isinstance(value, dict) and not isinstance(value, FrozenDict):
        return FrozenDict({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list) and not isinstance(value, FrozenList):
        return FrozenList(_freeze(v) for v in value)
    return value


@functools.cache
def _number_rules(section: type[BaseModel]) -> tuple[tuple[str, bool, bool], ...]:
    """Each field of a section with its ``allow_inf`` and ``probability`` metadata (read once per class)."""
    rules = []
    for name, field in section.model_fields.items():
        spec = field.json_schema_extra
        if isinstance(spec, ParamSpec):  # (a Config's sections are sections, not parameters)
            rules.append((name, spec.allow_inf, spec.probability))
    return tuple(rules)


@functools.cache
def _text_forms(section: type[BaseModel]) -> tuple[tuple[str, type], ...]:
    """Fields whose TOML/JSON form is another type: a path is written as text, a tuple as a list."""
    forms = []
    for name, field in section.model_fields.items():
        members = typing.get_args(field.annotation) or (field.annotation,)
        if any(m is Path for m in members):
            forms.append((name, Path))
        elif typing.get_origin(field.annotation) is tuple:
            forms.append((name, tuple))
    return tuple(forms)


class Section(BaseModel):
    """Base of every config section: unknown keys rejected, values (tables and lists too) frozen.

    Types are strict: a quoted ``"0.5"`` is not a number and ``true`` is not an integer (an
    integer is a number, though: ``silo_strength = 1`` is 1.0). Only the forms TOML and JSON
    have no type for are converted: text to a path, a list to a tuple.

    One validator checks every number of every field from the field's ``param``
    metadata, so a new parameter is covered without code of its own.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _a_table(cls, data: Any) -> Any:
        """A section given as a scalar (``network = 5``) is named, not a traceback; paths and tuples from text."""
        if not isinstance(data, Mapping | BaseModel):
            raise ValueError(f"expected a table ([section] or {{...}}), not {type(data).__name__} {data!r:.40}")
        if isinstance(data, Mapping):
            converted = {}
            for name, kind in _text_forms(cls):
                value = data.get(name)
                if kind is Path and isinstance(value, str):
                    converted[name] = Path(value)
                elif kind is tuple and isinstance(value, list):
                    converted[name] = tuple(value)
            if converted:
                data = {**data, **converted}
        return data

    @model_validator(mode="after")
    def _numbers(self) -> Section:
        for name, allow_inf, probability in _number_rules(type(self)):
            _check_numbers(getattr(self, name), name, allow_inf, probability)
        return self

    @model_validator(mode="after")
    def _deep_freeze(self) -> Section:
        for name in type(self).model_fields:
            value = getattr(self, name)
            frozen = _freeze(value)
            if frozen is not value:
                object.__setattr__(self, name, frozen)
        return self


# Untrained posters without guidelines, and cascades that spread: where the gaffe and crisis levers act.
FILE_NAME_FORBIDDEN = '/\\:*?"<>|'
"""Characters a scenario's name may not hold (it names files on every platform)."""
SILOED: dict[str, Any] = {"organization": {"model": "centralized"}}
"""A context where hand-offs cross departments on long routes (what a new tie shortens is then in force)."""
SOME_INQUIRIES_IGNORED: dict[str, Any] = {"organization": {"model": "centralized"}}
"""A context where a good share of inquiries go unanswered (what being ignored does is then in force)."""
GAFFES_SPREAD: dict[str, Any] = {
    "content": {"guidelines": False, "gaffe_prob": 0.3, "negative_transmissibility": 0.1},
    "people": {"training": False},
}


class SimulationSection(Section):
    """Run length, seed and engine."""

    steps: int = param(
        2184,
        "number of steps (default: one quarter = 13 weeks of hours)",
        "13 x 168 h",
        ge=1,
        unit="step",
        role="structural",
    )
    seed: int = param(12345, "root seed of the run's SeedSequence", ge=0, unit="1", role="structural")
    engine: Literal["vectorized", "agents"] = param(
        "vectorized",
        "vectorized array core, or one Mesa agent per customer/employee (reference)",
        unit="1",
        role="structural",
    )
    step_hours: float = param(
        1.0, "hours per step; all rates are per hour and scale with it", gt=0, le=24, unit="h", role="structural"
    )
    start_hour: int = param(
        0, "hour of day of the first step (0 = midnight)", ge=0, le=23, unit="hour of day", role="structural"
    )


class CustomersSection(Section):
    """Customers and other stakeholders on the social graph."""

    count: int = param(
        10_000,
        "number of nodes in the social graph (ignored for an edge list)",
        ge=10,
        unit="customers",
        role="structural",
    )
    follower_share: float = param(
        0.15, "share of customers following the brand at start", ge=0, le=1, unit="share", prior=HALF_TO_ONE_AND_A_HALF
    )
    influencer_share: float = param(
        0.01,
        "share of highest-degree nodes that are influencers",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"content": {"engagement_rate": 0.02}},
    )
    media_share: float = param(
        0.002, "share of nodes that are media (amplify crises)", ge=0, le=1, unit="share", prior=HALF_TO_ONE_AND_A_HALF
    )
    sentiment_mean: float = param(
        0.1, "initial mean sentiment in [-1, 1]", ge=-1, le=1, unit="sentiment", prior=PLUS_MINUS_0_2
    )
    sentiment_sd: float = param(
        0.3, "initial sentiment spread (normal, clipped)", ge=0, unit="sentiment", prior=WITHIN_TWO
    )
    activity_sigma: float = param(
        1.0, "lognormal sigma of per-customer activity (mean 1)", ge=0, unit="1", prior=WITHIN_TWO
    )
    inquiry_rate_per_day: float = param(
        0.005, "public inquiries per active customer per day", ge=0, unit="1/customer/day", prior=WITHIN_TWO
    )
    inquiry_mix: dict[str, float] = param(
        {"product_question": 0.35, "technical_problem": 0.25, "service_complaint": 0.25, "idea": 0.15},
        "share of each inquiry type",
        unit="share",
        role="structural",
    )
    patience_hours: float = param(
        1.325,
        "mean patience of an inquiry (exponential): 53% want a reply within 1 h",
        "Lithium Technologies 2013 survey: 53% expect a reply within 1 h -> mean = 1/-ln(0.47)",
        gt=0,
        unit="h",
    )
    complaint_patience_hours: float = param(
        0.785,
        "mean patience of a complaint (exponential): 72% want a reply within 1 h",
        "Lithium Technologies 2013 survey: 72% of complainers -> mean = 1/-ln(0.28)",
        gt=0,
        unit="h",
    )
    patience_scale: float = param(
        3.0,
        "patience before turning irate, as a multiple of the reply-time expectation above (inf = infinitely patient)",
        "MODEL.md: Lithium's figures are an expectation, not everyone's breaking point; the multiple is an "
        "assumption (plausible 1.5-6)",
        gt=0,
        allow_inf=True,
        unit="1",
        prior=stated("loguniform", 1.5, 6.0),
    )
    discovery_per_day: float = param(
        1e-4,
        "daily probability an active non-follower starts following on their own (word of mouth, search)",
        reason="balances followers' churn at the default follower share: 0.15 x 0.2/yr / 0.85 / 365 ~ 1e-4",
        ge=0,
        le=1,
        unit="probability/day",
        prior=scaled(
            "loguniform",
            0.3,
            3.0,
            "no published figure: within a factor of three of the default, which balances followers' churn",
        ),
    )
    churn_per_year: float = param(
        0.2,
        "yearly churn probability at neutral sentiment",
        ge=0,
        lt=1,
        unit="probability/year",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    churn_sentiment_slope: float = param(
        2.0, "churn hazard x exp(-slope x sentiment)", ge=0, unit="1/sentiment", prior=WITHIN_TWO
    )
    sentiment_drift_per_day: float = param(
        0.05, "daily pull of sentiment toward neighbours' mean", ge=0, le=1, unit="1/day", prior=HALF_TO_ONE_AND_A_HALF
    )
    advocate_threshold: float = param(
        0.6,
        "sentiment above which an aware customer is an advocate",
        ge=-1,
        le=1,
        unit="sentiment",
        prior=PLUS_MINUS_0_2,
    )
    advocate_hysteresis: float = param(
        0.4,
        "an advocate stays one until sentiment falls this far below the advocate threshold",
        ge=0,
        le=2,
        unit="sentiment",
        prior=WITHIN_TWO,
    )
    advocate_stubbornness: float = param(
        0.75,
        "share of the neighbours' pull on sentiment an advocate resists",
        "stubborn agents in opinion dynamics (e.g. Mobilia 2003; Friedkin & Johnsen 1990)",
        ge=0,
        le=1,
        unit="share",
    )
    detractor_threshold: float = param(
        -0.5, "sentiment below which a customer is a detractor", ge=-1, le=1, unit="sentiment", prior=PLUS_MINUS_0_2
    )
    voice_rate_per_day: float = param(
        0.05,
        "daily rate at which advocates/detractors mention the brand",
        ge=0,
        unit="1/customer/day",
        prior=WITHIN_TWO,
    )
    awareness_gain: float = param(
        0.2, "awareness gained per exposure, toward 1", ge=0, le=1, unit="share", prior=HALF_TO_ONE_AND_A_HALF
    )
    awareness_decay_per_day: float = param(
        0.01, "daily awareness decay", ge=0, le=1, unit="1/day", prior=HALF_TO_ONE_AND_A_HALF
    )
    follow_prob: float = param(
        0.02,
        "probability an exposed non-follower follows (x post quality)",
        ge=0,
        le=1,
        unit="probability",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"content": {"ambassador_reach": 0.9}},  # many non-followers see employees' posts
    )
    promo_tolerance_per_day: float = param(
        2.0,
        "promotional exposures per day a customer tolerates before overload",
        ge=0,
        unit="exposures/day",
        prior=WITHIN_TWO,
    )
    overload_penalty: float = param(
        0.02,
        "sentiment lost per promotional exposure over tolerance",
        ge=0,
        unit="sentiment/exposure",
        prior=WITHIN_TWO,
    )
    unfollow_prob: float = param(
        0.01,
        "probability an overloaded follower unfollows per exposure",
        ge=0,
        le=1,
        unit="probability/exposure",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"customers": {"promo_tolerance_per_day": 0.1}, "content": {"promo_share": 0.9}},
    )
    sentiment_anchor_per_day: float = param(
        0.05,
        "daily pull of sentiment back toward each customer's own baseline (their initial sentiment)",
        "Friedkin & Johnsen 1990 (anchored opinion dynamics); the rate is an assumption (plausible 0.01-0.2)",
        ge=0,
        le=1,
        unit="1/day",
        prior=stated("loguniform", 0.01, 0.2),
    )
    expects_reply_share: float = param(
        0.6,
        "share of public inquiries whose author expects the brand to reply",
        "Lithium 2013 asks those who expect a reply; the share who do is an assumption (plausible 0.4-0.8)",
        ge=0,
        le=1,
        unit="share",
        prior=stated("uniform", 0.4, 0.8),
    )
    ignored_after_hours: float = param(
        72.0,
        "an inquiry not answered within this many hours counts as ignored",
        "Sprout Social 2015: 7 in 8 messages to brands go unanswered within 72 hours",
        gt=0,
        unit="h",
        context=SOME_INQUIRIES_IGNORED,
    )
    replace_churned: bool = param(
        True,
        "a customer who churns is replaced by a newcomer with the same disposition (a stationary market)",
        reason="under a steady organisation the customer base, followers and churn settle to a level",
        unit="1",
        role="structural",
    )
    influencer_reach: float = param(
        0.2,
        "share of an influencer's ties who see what it passes on: a post it engages with, a negative cascade",
        ge=0,
        le=1,
        reason="influencers amplify reach: a share of their audience sees what they engage with",
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"content": {"engagement_rate": 0.02}},
    )
    media_amplification: float = param(
        50.0,
        "a media outlet a negative cascade reaches counts as this many customers toward a crisis",
        ge=0,
        reason="media amplify crises: coverage reaches far beyond the outlet's own ties",
        unit="customers/outlet",
        prior=WITHIN_TWO,
        context={"customers": {"media_share": 0.1}},
    )
    promo_load_decay_per_day: float = param(
        1.0,
        "daily decay rate of a customer's count of recent promotional exposures",
        ge=0,
        reason="a day's memory of promotion (e-folding time one day), matching the per-day tolerance",
        unit="1/day",
        prior=WITHIN_TWO,
    )
    advocate_awareness_min: float = param(
        0.3,
        "awareness above which a customer with high sentiment counts as an advocate",
        ge=0,
        le=1,
        reason="an advocate must know the brand; between non-followers' (<= 0.1) and followers' (0.5) start",
        unit="awareness",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    follower_awareness: float = param(
        0.5, "initial awareness of a follower", ge=0, le=1, unit="awareness", prior=HALF_TO_ONE_AND_A_HALF
    )
    non_follower_awareness_max: float = param(
        0.1,
        "initial awareness of a non-follower is uniform on [0, this]",
        ge=0,
        le=1,
        unit="awareness",
        prior=HALF_TO_ONE_AND_A_HALF,
    )

    @field_validator("inquiry_mix")
    @classmethod
    def _known_types(cls, mix: dict[str, float]) -> dict[str, float]:
        for key, value in mix.items():
            if key not in INQUIRY_TYPES:
                raise ValueError(f"unknown inquiry type {key!r} (known: {', '.join(INQUIRY_TYPES)})")
            if value < 0:
                raise ValueError(f"share of {key!r} must be >= 0")
        if sum(mix.values()) <= 0:
            raise ValueError("shares must not all be zero")
        return {k: float(mix.get(k, 0.0)) for k in INQUIRY_TYPES}


class NetworkSection(Section):
    """The customers' social graph."""

    kind: Literal["holme_kim", "barabasi_albert", "watts_strogatz", "erdos_renyi", "edgelist"] = param(
        "holme_kim",
        "graph generator, or a user's edge list (CSV source,target or GraphML)",
        "Holme & Kim 2002: heavy-tailed degree with clustering, as observed in online social networks",
        unit="1",
        role="structural",
    )
    mean_degree: float = param(8.0, "mean number of ties per customer", gt=0, unit="ties/customer", prior=WITHIN_TWO)
    triangle_prob: float = param(
        0.3,
        "holme_kim: probability of closing a triangle",
        ge=0,
        le=1,
        unit="probability",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"network": {"kind": "holme_kim"}},
    )
    rewire_prob: float = param(
        0.1,
        "watts_strogatz: rewiring probability",
        ge=0,
        le=1,
        unit="probability",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"network": {"kind": "watts_strogatz"}},
    )
    path: Path | None = param(
        None, "edge list file for kind = 'edgelist' (.csv or .graphml)", unit="1", role="structural"
    )

    @model_validator(mode="after")
    def _edgelist_needs_path(self) -> NetworkSection:
        if self.kind == "edgelist" and self.path is None:
            raise ValueError("path: required when kind = 'edgelist'")
        if self.path is not None and not Path(self.path).is_file():
            raise ValueError(f"path: file not found: {self.path}")
        return self


class OrganizationSection(Section):
    """Departments, who posts/listens/answers, and the structure of hand-offs."""

    model: str = param(
        "centralized", "org-model preset applied under this scenario (see `silosim presets`)", unit="1", role="lever"
    )
    silo_strength: float = param(
        0.7,
        "0 = departments fully tied, 1 = no cross-department ties and maximal hand-off friction",
        ge=0,
        le=1,
        unit="1",
        role="lever",
        prior=HALF_UP_TO_ONE,
    )
    departments: list[str] = param(
        ["marketing", "customer_service", "it", "product", "sales", "pr"],
        "company departments",
        "MODEL.md entity list; Steinberg lists the functions social media extends to",
        unit="1",
        role="structural",
    )
    headcount: dict[str, int] = param(
        {"marketing": 12, "customer_service": 20, "it": 10, "product": 8, "sales": 10, "pr": 4},
        "employees per department",
        unit="employees",
        role="lever",
    )
    org_chart: Path | None = param(
        None,
        "CSV with columns employee,department,manager; replaces departments and headcount",
        unit="1",
        role="structural",
    )
    intra_tie_prob: float = param(
        0.4,
        "tie probability between two members of one department",
        ge=0,
        le=1,
        unit="probability",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    cross_tie_prob: float = param(
        0.05,
        "tie probability across departments at silo_strength 0",
        ge=0,
        le=1,
        unit="probability",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    posters: list[str] = param(
        ["marketing"], "departments whose employees may post ('agency' allowed)", unit="1", role="lever"
    )
    poster_share: float = param(
        0.25,
        "share of employees in posting departments who post",
        ge=0,
        le=1,
        unit="share",
        role="lever",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    listeners: list[str] = param(["marketing"], "units that monitor public mentions", unit="1", role="lever")
    listening_coverage: float = param(
        0.6,
        "share of public inquiries a listening unit detects",
        ge=0,
        le=1,
        unit="probability",
        role="lever",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    listening_latency_hours: float = param(
        1.0, "mean delay from mention to detection", ge=0, unit="h", prior=WITHIN_TWO
    )
    social_share: dict[str, float] = param(
        {"marketing": 0.3, "customer_service": 0.15, "it": 0.05, "product": 0.05, "sales": 0.05, "pr": 0.1},
        "share of working time a department gives to social work (answer servers = headcount x share)",
        probability=True,
        unit="share",
        role="lever",
    )
    leads: bool = param(False, "each posting/listening department has a social lead", unit="1", role="lever")
    hub: bool = param(
        False, "a Center-of-Excellence hub tied to every department lead", "Steinberg", unit="1", role="lever"
    )
    task_force: list[str] = param(
        [],
        "departments whose social members form one team",
        "Dream Team 2013",
        unit="1",
        role="lever",
        context=SILOED,
    )
    task_force_size: int = param(
        3,
        "members each task-force department sends",
        ge=1,
        unit="employees/department",
        role="lever",
        prior=whole_numbers(2, 3, 4, 5),
        context={"organization": {"model": "task_force"}},
    )
    internal_channel: bool = param(
        False,
        "internal social channel tying all posters and leads",
        "Waits 2012",
        unit="1",
        role="lever",
        context=SILOED,
    )
    shared_tool: bool = param(
        False, "shared listening/routing tool tying every department", "Steinberg", unit="1", role="lever"
    )
    tool_coverage: float = param(
        0.85, "share of public inquiries the shared tool detects", ge=0, le=1, unit="probability", prior=HALF_UP_TO_ONE
    )
    employee_accounts: bool = param(
        False,
        "posters also post from their own accounts (employee ambassadors)",
        "Waits 2012, Steinberg",
        unit="1",
        role="lever",
        context={"customers": {"follower_share": 0.02}},  # few followers: employees' own ties are the reach
    )
    coordination: float = param(
        0.2,
        "cross-unit coordination of content in [0, 1]",
        ge=0,
        le=1,
        unit="1",
        role="lever",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    agency: bool = param(
        False,
        "an outside agency posts and/or listens for the company",
        "Social Media Upgrade 2013",
        unit="1",
        role="lever",
    )
    agency_headcount: int = param(
        6,
        "agency staff working on the account",
        ge=0,
        unit="employees",
        role="lever",
        prior=whole_numbers(3, 4, 6, 8, 10),
        context={"organization": {"agency": True, "posters": ["agency"]}},
    )
    reference_customers: int = param(
        10_000,
        "customers of the company the headcounts describe; social staffing scales with customers / this",
        reason="a company with ten times the customers staffs its social work ten times larger, so rates are "
        "free of scale (each employee row stands for customers / reference_customers people)",
        ge=1,
        unit="customers",
        role="structural",
    )
    hubs: int = param(
        1,
        "number of hubs (several: one per group of departments, tied to each other)",
        ge=1,
        unit="hubs",
        role="lever",
        prior=whole_numbers(1, 2, 3),
        context={"organization": {"model": "hub_and_spoke_multi"}},
    )
    hub_coordination: float = param(
        0.15,
        "coordination a CoE hub adds (guidelines, editorial calendar, steering)",
        "Steinberg: the CoE sets guidelines and coordinates; the size is an assumption (plausible 0-0.3)",
        ge=0,
        le=1,
        unit="1",
        prior=stated("uniform", 0.0, 0.3),
    )
    hub_triage: float = param(
        0.6,
        "share of the shared tool's misrouted inquiries a hub catches and routes right",
        "Steinberg: the hub triages and routes; the share is an assumption (plausible 0.3-0.9)",
        ge=0,
        le=1,
        unit="share",
        prior=stated("uniform", 0.3, 0.9),
    )
    tool_misrouting: float = param(
        0.15,
        "share of the shared tool's detections first sent to the wrong department",
        ge=0,
        le=1,
        reason="rule-based routing of social messages misclassifies some (plausible 0.05-0.3)",
        unit="share",
        prior=stated("uniform", 0.05, 0.3),
    )
    agency_social_share: float = param(
        0.5,
        "share of agency staff answering when `social_share` does not list the agency",
        ge=0,
        le=1,
        reason="an agency's account team splits its time between content and community management",
        unit="share",
        role="lever",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={
            "organization": {"agency": True, "listeners": ["agency"]},
            "support": {"owners": {"product_question": "agency"}},
        },
    )
    social_share_default: float = param(
        0.05,
        "social share of a department missing from `social_share` (e.g. from an org chart)",
        ge=0,
        le=1,
        reason="the smallest share the default table gives a department (it, product, sales)",
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={
            "organization": {
                "departments": ["marketing", "customer_service", "it", "product", "sales", "pr", "legal"],
                "headcount": {
                    "marketing": 12,
                    "customer_service": 20,
                    "it": 10,
                    "product": 8,
                    "sales": 10,
                    "pr": 4,
                    "legal": 3,
                },
                "listeners": ["legal"],
            },
            "support": {"owners": {"product_question": "legal"}},
        },
    )
    hub_department: str = param(
        "marketing",
        "department the CoE hub sits in (the first department if the company has none of that name)",
        "Steinberg: the CoE grows out of the social team, usually in marketing",
        unit="1",
        role="lever",
        context={"organization": {"model": "center_of_excellence", "shared_tool": False}},  # routes via the hub
    )
    agency_contact: str = param(
        "marketing",
        "department whose manager the agency reports to (no agency tie if the company has none)",
        "Social Media Upgrade 2013: the agency is briefed by marketing",
        unit="1",
        role="lever",
        context={
            "organization": {"model": "centralized", "agency": True, "listeners": ["agency"]},
            "support": {"owners": {"product_question": "pr", "service_complaint": "pr"}},
        },
    )
    tool_latency_factor: float = param(
        0.25,
        "detection latency of the shared tool relative to a listening unit's",
        ge=0,
        reason="a tool's alerts arrive as they happen instead of at the next manual check",
        unit="1",
        prior=WITHIN_TWO,
    )

    @field_validator("departments")
    @classmethod
    def _departments_unique(cls, departments: list[str]) -> list[str]:
        if not departments:
            raise ValueError("at least one department is needed")
        if len(set(departments)) != len(departments):
            raise ValueError("department names must be unique")
        if AGENCY in departments:
            raise ValueError(f"{AGENCY!r} is reserved for the outside agency")
        return departments

    @model_validator(mode="after")
    def _known_departments(self) -> OrganizationSection:
        known = set(self.departments) | {AGENCY}
        if self.org_chart is not None:
            if not Path(self.org_chart).is_file():
                raise ValueError(f"org_chart: file not found: {self.org_chart}")
            return self  # departments come from the chart; checked when it is read
        for name in self.departments:
            if self.headcount.get(name, 0) < 1:
                raise ValueError(f"headcount.{name}: every department needs at least one employee")
        for field in ("headcount", "social_share"):
            for key in getattr(self, field):
                if key not in known:
                    raise ValueError(f"{field}.{key}: not a department ({', '.join(self.departments)})")
        for field in ("posters", "listeners", "task_force"):
            for key in getattr(self, field):
                if key not in known:
                    raise ValueError(f"{field}: {key!r} is not a department ({', '.join(sorted(known))})")
        for key, share in self.social_share.items():
            if not 0 <= share <= 1:
                raise ValueError(f"social_share.{key}: must be in [0, 1]")
        return self


class ContentSection(Section):
    """Posting, content quality, engagement and diffusion."""

    posts_per_poster_per_day: float = param(
        2.0, "posts per active poster per staffed day", ge=0, unit="posts/poster/day", role="lever", prior=WITHIN_TWO
    )
    promo_share: float = param(
        0.6,
        "share of posts that are promoting rather than relating",
        "Sprout Social Index: ~23 promotional messages per reply",
        ge=0,
        le=1,
        unit="share",
        role="lever",
    )
    guidelines: bool = param(
        True, "communication and branding guidelines in force", "Waits 2012, Steinberg", unit="1", role="lever"
    )
    quota: bool = param(
        False, "posting quota (volume pressure) in force", "Waits 2012 warns against quotas", unit="1", role="lever"
    )
    quota_multiplier: float = param(
        2.5, "posting volume under a quota", ge=1, unit="1", prior=WITHIN_TWO, context={"content": {"quota": True}}
    )
    quality_base: float = param(
        0.3,
        "post quality before skill, guidelines and coordination",
        ge=0,
        le=1,
        unit="quality",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    quality_skill_weight: float = param(
        0.4, "quality gained from poster skill", ge=0, unit="quality/skill", prior=WITHIN_TWO
    )
    quality_guidelines_weight: float = param(
        0.15, "quality gained from guidelines", ge=0, unit="quality", prior=WITHIN_TWO
    )
    quality_coordination_weight: float = param(
        0.15, "quality gained from coordination", ge=0, unit="quality/coordination", prior=WITHIN_TWO
    )
    quota_quality_penalty: float = param(
        0.25,
        "quality lost under a posting quota",
        ge=0,
        unit="quality",
        prior=WITHIN_TWO,
        context={"content": {"quota": True}},
    )
    fatigue_penalty: float = param(
        0.05, "quality lost per post/day a poster makes beyond 2", ge=0, unit="quality/(post/day)", prior=WITHIN_TWO
    )
    engagement_rate: float = param(
        0.00085,
        "share of followers engaging with a post of quality 1 (type and sentiment adjust it)",
        "Rival IQ 2023: median Facebook engagement ~0.06% of followers per post (quality and type bring 0.00085 to it)",
        ge=0,
        le=1,
        unit="engagements/follower/post",
    )
    relating_multiplier: float = param(
        1.6,
        "engagement of relating content relative to the base",
        "Lee, Hosanagar & Nair 2018 (Management Science): brand-personality content raises engagement",
        ge=0,
        unit="1",
    )
    promoting_multiplier: float = param(
        0.7,
        "engagement of promoting content relative to the base",
        "Lee, Hosanagar & Nair 2018: purely informative/promotional content lowers engagement",
        ge=0,
        unit="1",
    )
    organic_reach: float = param(
        0.06, "share of followers who see a brand post", ge=0, le=1, unit="share", prior=HALF_TO_ONE_AND_A_HALF
    )
    reshare_prob: float = param(
        0.04,
        "probability an engaged viewer's share activates a neighbour (x quality)",
        ge=0,
        le=1,
        unit="probability",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    ambassador_reach: float = param(
        0.3,
        "share of an employee's own ties who see the employee's post",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    sentiment_lift: float = param(
        0.02, "sentiment gained by a viewer engaging with a good post", ge=0, unit="sentiment", prior=WITHIN_TWO
    )
    gaffe_prob: float = param(
        0.01,
        "gaffe probability of a post by an untrained (skill 0) poster",
        ge=0,
        le=1,
        unit="probability/post",
        prior=HALF_TO_ONE_AND_A_HALF,
        context=GAFFES_SPREAD,
    )
    guidelines_gaffe_reduction: float = param(
        0.7,
        "share of gaffe risk removed by guidelines",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_UP_TO_ONE,
        context={**GAFFES_SPREAD, "content": {**GAFFES_SPREAD["content"], "guidelines": True}},
    )
    consistency_base: float = param(
        0.5,
        "on-brand probability before guidelines/coordination/skill",
        ge=0,
        le=1,
        unit="probability",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    on_brand_guidelines_weight: float = param(
        0.4,
        "share of the gap to full consistency closed by guidelines",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    on_brand_coordination_weight: float = param(
        0.4,
        "share of the gap to full consistency closed by full coordination",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    on_brand_skill_weight: float = param(
        0.2,
        "share of the gap to full consistency closed by skill 1",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    fatigue_free_posts_per_day: float = param(
        2.0,
        "posts a day a poster makes before fatigue lowers quality",
        ge=0,
        reason="the posting rate of a centralized poster (posts_per_poster_per_day), so fatigue bites above it",
        unit="posts/day",
        prior=WITHIN_TWO,
    )
    engagement_sentiment_weight: float = param(
        0.5,
        "engagement x (1 + weight x viewer sentiment)",
        ge=0,
        le=1,
        reason="fans engage more, detractors less; at most 1 keeps the factor non-negative",
        unit="1/sentiment",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"content": {"engagement_rate": 0.02}},
    )
    promoting_lift_share: float = param(
        0.5,
        "sentiment lift of engaging with promoting content, as a share of relating content's",
        "Lee, Hosanagar & Nair 2018 (sign); the magnitude is an assumption",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    share_lift_share: float = param(
        0.5,
        "sentiment lift of a re-share reaching a customer, as a share of an engagement's",
        ge=0,
        le=1,
        reason="a friend's share is weaker than one's own engagement",
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    gaffe_seed_share: float = param(
        0.05,
        "share of a gaffe's viewers who start its negative cascade",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
        context=GAFFES_SPREAD,
    )
    gaffe_seed_min_audience: int = param(
        20,
        "a gaffe seen by at most this many viewers seeds its cascade from one of them",
        ge=0,
        unit="viewers",
        prior=whole_numbers(10, 20, 40),
        context=GAFFES_SPREAD,
    )
    negative_transmissibility: float = param(
        0.025,
        "per-tie spread probability of a gaffe or complaint cascade (sub-critical by default)",
        "below the default graph's bond-percolation threshold <k>/(<k^2>-<k>) ~ 0.035 (10k nodes)",
        ge=0,
        le=1,
        unit="probability/tie",
    )
    crisis_transmissibility: float = param(
        0.06,
        "per-tie spread probability of an injected crisis (super-critical)",
        ge=0,
        le=1,
        unit="probability/tie",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    negative_hit: float = param(
        0.05, "sentiment lost by a customer a negative cascade reaches", ge=0, unit="sentiment", prior=WITHIN_TWO
    )
    crisis_threshold_share: float = param(
        0.005,
        "a negative cascade reaching this share of active customers starts a crisis",
        gt=0,
        le=1,
        reason="50 customers at the default 10,000 (the former fixed threshold), now free of scale",
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
        context=GAFFES_SPREAD,
    )
    promo_share_by_department: dict[str, float] = param(
        {},
        "promoting share of posts by department (others: promo_share)",
        "Social Media Upgrade 2013: a pilot can be relating-focused while marketing promotes",
        unit="share",
        role="lever",
    )
    posts_per_day_by_department: dict[str, float] = param(
        {},
        "posts per active poster per staffed day by department (others: posts_per_poster_per_day)",
        unit="posts/poster/day",
        role="lever",
    )
    crisis_decay_per_hour: float = param(
        0.05,
        "crisis intensity decay per hour with no response capability",
        ge=0,
        le=1,
        unit="1/h",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    crisis_complaint_share: float = param(
        0.05,
        "share of the customers an ongoing crisis reaches who raise a service complaint to the brand on social",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
        reason="a crisis brings complaints to the brand's door, not only mentions; the size of that share is assumed",
        context={"interventions": [{"step": 60, "action": "crisis", "size": 60}]},
    )
    crisis_intensity_per_node: float = param(
        0.1,
        "negative mentions per hour a crisis adds per customer its starting cascade reached",
        ge=0,
        reason="a tenth of those reached keep talking about it in the first hour",
        unit="mentions/h/customer",
        prior=WITHIN_TWO,
    )
    crisis_contained_per_customer: float = param(
        5e-5,
        "a crisis is contained when its intensity falls below this many mentions per hour per active customer",
        gt=0,
        reason="0.5 per hour at the default 10,000 customers (the former fixed level), now free of scale",
        unit="mentions/h/customer",
        prior=WITHIN_TWO,
    )
    crisis_base_capability: float = param(
        0.5,
        "crisis-decay multiplier of an organisation with no coordination and no detection",
        ge=0,
        unit="1",
        prior=WITHIN_TWO,
    )
    crisis_tool_weight: float = param(
        0.5, "weight of the shared tool's coverage in the crisis-response capability", ge=0, unit="1", prior=WITHIN_TWO
    )


class SupportSection(Section):
    """Detection, routing (hand-offs) and service queues."""

    owners: dict[str, str] = param(
        {
            "product_question": "sales",
            "technical_problem": "it",
            "service_complaint": "customer_service",
            "idea": "product",
        },
        "department owning each inquiry type",
        "Dream Team 2013: marketing, service and IT hold different skills",
        unit="1",
        role="lever",
    )
    handoffs: bool = param(
        True, "False: owners detect their own inquiries, no hand-off delay or loss", unit="1", role="structural"
    )
    handling_minutes: float = param(15.0, "mean handling time of an inquiry", gt=0, unit="min", prior=WITHIN_TWO)
    handling_distribution: Literal["exponential", "lognormal"] = param(
        "exponential",
        "distribution of handling times",
        "M/M/c assumption for Erlang C validation",
        unit="1",
        role="structural",
    )
    handling_cv: float = param(
        1.0,
        "coefficient of variation for lognormal handling",
        gt=0,
        unit="1",
        prior=WITHIN_TWO,
        context={"support": {"handling_distribution": "lognormal"}},
    )
    staffed_hours: tuple[int, int] = param(
        (8, 20), "hours of day [start, end) when staff work social", unit="hour of day", role="lever"
    )
    hop_hours: dict[str, float] = param(
        {
            "intra": 0.25,
            "cross": 1.0,
            "hierarchy": 2.0,
            "team": 0.05,
            "hub": 0.25,
            "channel": 0.1,
            "tool": 0.05,
            "agency": 12.0,
        },
        "mean hand-off delay of one hop over a tie of each kind",
        unit="h",
        prior=WITHIN_TWO,
    )
    hop_loss: dict[str, float] = param(
        {
            "intra": 0.01,
            "cross": 0.04,
            "hierarchy": 0.08,
            "team": 0.0,
            "hub": 0.01,
            "channel": 0.01,
            "tool": 0.0,
            "agency": 0.06,
        },
        "probability a hand-off is lost on one hop over a tie of each kind",
        probability=True,
        unit="probability/hop",
        prior=WITHIN_TWO,
    )
    silo_friction: float = param(
        1.5,
        "cross/hierarchy hop delay x (1 + friction x silo_strength)",
        ge=0,
        unit="1",
        prior=WITHIN_TWO,
        context={"organization": {"model": "centralized"}},
    )
    silo_receiving_hours: float = param(
        3.0,
        "extra mean hours a hand-off into another department waits there at silo_strength 1",
        "Steinberg: silos slow work that crosses departments; the size is an assumption (plausible 1-8 h)",
        ge=0,
        unit="h",
        prior=stated("uniform", 1.0, 8.0),
    )
    silo_receiving_loss: float = param(
        0.08,
        "extra probability a hand-off into another department is dropped there at silo_strength 1",
        ge=0,
        le=1,
        reason="a silo's inbox loses some of what others send (plausible 0.02-0.2)",
        unit="probability",
        prior=stated("loguniform", 0.02, 0.2),
    )
    structural_relief: dict[str, float] = param(
        {"team": 0.75, "hub": 0.5, "channel": 0.35, "tool": 0.3},
        "share of the receiving-side silo friction removed when a route uses a tie of this kind (largest applies)",
        "Dream Team 2013 (task force), 004 (hub, tool), 002 (channel); the shares are assumptions (plausible 0.1-0.9)",
        unit="share",
        prior=stated("uniform", 0.1, 0.9),
    )
    ignored_drop: float = param(
        0.15,
        "sentiment lost by a customer whose inquiry is ignored (never answered)",
        "Sprout 2016: about 1 in 3 users would switch to a competitor after being ignored",
        ge=0,
        unit="sentiment",
        context=SOME_INQUIRIES_IGNORED,
    )
    silo_loss_friction: float = param(
        1.0,
        "cross/hierarchy hop loss x (1 + friction x silo_strength)",
        ge=0,
        unit="1",
        prior=WITHIN_TWO,
        context={"organization": {"model": "centralized"}},
    )
    min_owner_servers: float = param(
        1.0,
        "servers an owner of an inquiry type has at least, whatever its social share",
        ge=0,
        reason="an owner always has someone answering its queue",
        unit="servers",
        prior=WITHIN_TWO,
    )
    resolution_prob: float = param(
        0.9,
        "probability an owner with skill 1 resolves an inquiry",
        ge=0,
        le=1,
        unit="probability",
        prior=HALF_UP_TO_ONE,
    )
    resolution_skill_weight: float = param(
        0.5,
        "resolution probability x ((1 - weight) + weight x owner's mean skill)",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    answer_lift: float = param(0.4, "sentiment lift of an instant answer", ge=0, unit="sentiment", prior=WITHIN_TWO)
    lift_decay_hours: float = param(
        0.42,
        "time scale of the lift's decay with response time",
        "Twitter/airline study 2016: ~$20 at 6 min vs ~$2.33 at 1 h -> exp(-0.9/tau) = 0.1165",
        gt=0,
        unit="h",
    )
    irate_drop: float = param(0.3, "sentiment lost when patience runs out", ge=0, unit="sentiment", prior=WITHIN_TWO)
    complaint_share: float = param(
        0.5, "share of irate customers who complain publicly", ge=0, le=1, unit="share", prior=HALF_TO_ONE_AND_A_HALF
    )
    advocate_conversion: float = param(
        0.2,
        "probability a fast resolution makes an advocate",
        ge=0,
        le=1,
        unit="probability",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    fast_answer_hours: float = param(
        1.0,
        "a resolution within this many hours may make an advocate",
        "Lithium 2013: 53% of those expecting a reply want it within an hour",
        ge=0,
        unit="h",
    )
    advocate_margin: float = param(
        0.05,
        "a converted advocate's sentiment is at least the advocate threshold plus this",
        ge=0,
        le=1,
        unit="sentiment",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    unresolved_drop: float = param(
        0.1, "sentiment lost when an answer does not resolve", ge=0, unit="sentiment", prior=WITHIN_TWO
    )

    @field_validator("owners", "hop_hours", "hop_loss", mode="before")
    @classmethod
    def _merge_defaults(cls, value: Any, info: Any) -> Any:
        """A partial table only changes the keys it names."""
        if isinstance(value, Mapping):
            return {**cls.model_fields[info.field_name].default, **value}
        return value

    @field_validator("owners")
    @classmethod
    def _owner_types(cls, owners: dict[str, str]) -> dict[str, str]:
        for key in owners:
            if key not in INQUIRY_TYPES:
                raise ValueError(f"unknown inquiry type {key!r} (known: {', '.join(INQUIRY_TYPES)})")
        missing = [t for t in INQUIRY_TYPES if t not in owners]
        if missing:
            raise ValueError(f"no owner for {', '.join(missing)}")
        return owners

    @field_validator("hop_hours", "hop_loss")
    @classmethod
    def _tie_kinds(cls, table: dict[str, float]) -> dict[str, float]:
        for key, value in table.items():
            if key not in TIE_KINDS:
                raise ValueError(f"unknown tie kind {key!r} (known: {', '.join(TIE_KINDS)})")
            if value < 0:
                raise ValueError(f"{key}: must be >= 0")
        return table

    @field_validator("staffed_hours")
    @classmethod
    def _hours(cls, hours: tuple[int, int]) -> tuple[int, int]:
        start, end = hours
        if not 0 <= start < end <= 24:
            raise ValueError("must be [start, end) with 0 <= start < end <= 24")
        return hours


class InnovationSection(Section):
    """Ideas captured by product and their effect on technical problems."""

    implement_prob: float = param(
        0.3, "share of captured ideas product implements", ge=0, le=1, unit="probability", prior=HALF_TO_ONE_AND_A_HALF
    )
    implement_days: float = param(30.0, "mean days from capture to implementation", gt=0, unit="day", prior=WITHIN_TWO)
    problem_reduction: float = param(
        0.002,
        "technical-problem rate removed per implemented idea, per reference_customers customers",
        ge=0,
        le=1,
        reason="free of scale: a company twice the size needs twice the ideas for the same cut",
        unit="share/idea",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"innovation": {"implement_prob": 1.0, "implement_days": 1.0}},
    )
    max_reduction: float = param(
        0.5,
        "cap on the technical-problem reduction",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"innovation": {"problem_reduction": 0.5, "implement_days": 1.0}},
    )


class PeopleSection(Section):
    """Skill, motivation, training and rewards."""

    training: bool = param(False, "training programme running", "Waits 2012, Steinberg", unit="1", role="lever")
    rewards: bool = param(
        False, "rewards and recognition programme running", "Dream Team 2013, Waits 2012", unit="1", role="lever"
    )
    skill_mean: float = param(
        0.4, "initial mean social-media skill in [0, 1]", ge=0, le=1, unit="skill", prior=HALF_TO_ONE_AND_A_HALF
    )
    skill_sd: float = param(0.15, "initial skill spread", ge=0, unit="skill", prior=WITHIN_TWO)
    training_gain_per_day: float = param(
        0.03, "daily skill gain toward 1 while training runs", ge=0, le=1, unit="1/day", prior=HALF_TO_ONE_AND_A_HALF
    )
    motivation_mean: float = param(
        0.6, "initial and resting motivation in [0, 1]", ge=0, le=1, unit="motivation", prior=HALF_TO_ONE_AND_A_HALF
    )
    rewards_gain_per_day: float = param(
        0.02,
        "daily motivation gain under rewards",
        ge=0,
        unit="motivation/day",
        prior=WITHIN_TWO,
        context={"people": {"rewards": True}},
    )
    quota_drain_per_day: float = param(
        0.02,
        "daily motivation loss under a quota",
        ge=0,
        unit="motivation/day",
        prior=WITHIN_TWO,
        context={"content": {"quota": True}},
    )
    overload_drain_per_day: float = param(
        0.03, "daily motivation loss when a queue is overloaded", ge=0, unit="motivation/day", prior=WITHIN_TWO
    )
    recovery_per_day: float = param(
        0.05,
        "daily pull of motivation back to its resting value",
        ge=0,
        le=1,
        unit="1/day",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    hours_per_post: float = param(0.5, "staff hours to write one post", ge=0, unit="h/post", prior=WITHIN_TWO)
    listening_hours_per_unit: float = param(
        0.5, "staff hours per staffed hour a listening unit spends", ge=0, unit="h/h", prior=WITHIN_TWO
    )
    lead_hours: float = param(
        0.25, "staff hours per staffed hour a lead or hub spends coordinating", ge=0, unit="h/h", prior=WITHIN_TWO
    )
    skill_by_department: dict[str, float] = param(
        {"marketing": 0.7, "pr": 0.6, "agency": 0.75},
        "initial mean skill of departments whose job is communication (others: skill_mean)",
        probability=True,
        unit="skill",
        role="structural",
    )
    reference_motivation: float = param(
        0.6,
        "motivation at which an employee participates at the posting rate",
        gt=0,
        le=1,
        reason="the default resting motivation: participation = motivation / this",
        unit="motivation",
        prior=HALF_TO_ONE_AND_A_HALF,
    )
    rewards_cooperation: float = param(
        0.3,
        "share of silo friction a rewards programme removes (cooperation across departments)",
        "Dream Team 2013: with rewards 'sworn enemies will become team players'; the share is an assumption",
        ge=0,
        le=1,
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={"people": {"rewards": True}},
    )
    training_days: float = param(
        60.0,
        "days a training programme runs once started (its cost ends with it)",
        gt=0,
        reason="a two-month programme (plausible 20-120 days)",
        unit="day",
        role="lever",
        prior=stated("uniform", 20.0, 120.0),
    )
    adoption_dip: float = param(
        0.3,
        "peak loss of answering and posting capacity half-way through adopting a new org model",
        "Social Media Upgrade 2013: an upgrade brings a learning curve; the size is an assumption (plausible 0-0.5)",
        ge=0,
        le=1,
        unit="share",
        prior=stated("uniform", 0.0, 0.5),
        context={
            "interventions": [
                {"step": 40, "action": "change_org_model", "model": "task_force", "adoption_lag_steps": 200}
            ]
        },
    )
    change_resistance_per_day: float = param(
        0.02,
        "daily motivation loss of social staff while a new org model is being adopted",
        "Social Media Upgrade 2013: resistance to change during the transition; the size is an assumption",
        ge=0,
        unit="motivation/day",
        prior=WITHIN_TWO,
        context={
            "interventions": [
                {"step": 40, "action": "change_org_model", "model": "task_force", "adoption_lag_steps": 200}
            ]
        },
    )
    overload_queue_per_server: float = param(
        2.0,
        "a department is overloaded when more than this many inquiries per server wait",
        ge=0,
        unit="inquiries/server",
        prior=WITHIN_TWO,
    )
    non_social_motivation_weight: float = param(
        0.2,
        "share of the motivation change felt by employees who do no social work",
        ge=0,
        le=1,
        reason="programmes and overload reach the whole department, weaker for those not doing social work",
        unit="share",
        prior=HALF_TO_ONE_AND_A_HALF,
        context={
            "people": {"rewards": True},
            "interventions": [
                {"step": 200, "action": "change_org_model", "model": "democratized", "adoption_lag_steps": 0}
            ],
        },
    )
    post_load_decay_per_day: float = param(
        1.0, "daily decay rate of a poster's count of recent posts (for fatigue)", ge=0, unit="1/day", prior=WITHIN_TWO
    )
    participation_window_hours: float = param(
        168.0, "an employee participates if they posted within this many hours", gt=0, unit="h", prior=WITHIN_TWO
    )


class CompetitorSection(Section):
    """Exogenous competitor mentions, for share of voice: they grow with the market."""

    mentions_per_customer_per_day: float = param(
        0.0096,
        "competitor mentions per active customer per day (Poisson)",
        ge=0,
        reason="4 an hour at the default 10,000 customers: a competitor of similar size",
        unit="mentions/customer/day",
        prior=WITHIN_TWO,
    )


class ValueSection(Section):
    """What the company gets back in money: willingness to pay after fast replies, and retained customers."""

    reply_value: float = param(
        25.3,
        "willingness to pay of a customer answered instantly (decays with the wait like the answer lift)",
        "Twitter/airline study 2016: ~$20 after ~6 min, ~$2.33 after 1 h -> 20 / exp(-0.1/0.42)",
        ge=0,
        unit="USD/reply",
    )
    customer_value_per_year: float = param(
        120.0,
        "revenue of an active customer per year",
        ge=0,
        reason="a mid-size consumer brand (plausible 20-1000); scales value, not behaviour",
        unit="USD/customer/year",
        prior=stated("loguniform", 20.0, 1000.0),
    )


class CostSection(Section):
    """Money."""

    staff_cost_per_hour: float = param(45.0, "loaded cost of one staff hour", ge=0, unit="USD/h", prior=WITHIN_TWO)
    agency_fee_per_hour: float = param(
        60.0,
        "agency retainer per hour while engaged",
        ge=0,
        unit="USD/h",
        prior=WITHIN_TWO,
        context={"organization": {"agency": True}},
    )
    tool_cost_per_hour: float = param(5.0, "shared listening tool cost per hour", ge=0, unit="USD/h", prior=WITHIN_TWO)
    training_cost_per_employee_day: float = param(
        20.0, "training cost per employee per day", ge=0, unit="USD/employee/day", prior=WITHIN_TWO
    )


class Intervention(Section):
    """One scheduled change; which fields apply depends on ``action``."""

    step: int = param(..., "step at which it fires", ge=0, unit="step", role="structural")
    action: str = param(..., "what happens (see docs/ODD.md, 'Interventions')", unit="1", role="structural")
    model: str | None = param(None, "change_org_model: the preset adopted", unit="1", role="structural")
    adoption_lag_steps: int = param(
        168, "change_org_model: steps over which the change is adopted", ge=0, unit="step", role="structural"
    )
    department: str | None = param(None, "pilot: the department that pilots", unit="1", role="structural")
    key: str | None = param(None, "set: dotted config key", unit="1", role="structural")
    value: Any = param(None, "set: new value", allow_inf=True, unit="1", role="structural")
    enabled: bool = param(
        True, "training/guidelines/rewards/quota/shared_tool: switch on or off", unit="1", role="structural"
    )
    size: int = param(
        20, "crisis: number of nodes seeding the negative cascade", ge=1, unit="customers", role="structural"
    )
    stage_steps: int = param(
        504, "maturity_roadmap: steps per stage (default 3 weeks)", ge=1, unit="step", role="structural"
    )


class Config(Section):
    """A whole, validated scenario."""

    name: str = param("scenario", "scenario name used in tables and plots", unit="1", role="structural")
    description: str = param("", "what the scenario shows", unit="1", role="structural")
    simulation: SimulationSection = SimulationSection()
    customers: CustomersSection = CustomersSection()
    network: NetworkSection = NetworkSection()
    organization: OrganizationSection = OrganizationSection()
    content: ContentSection = ContentSection()
    support: SupportSection = SupportSection()
    innovation: InnovationSection = InnovationSection()
    people: PeopleSection = PeopleSection()
    competitor: CompetitorSection = CompetitorSection()
    cost: CostSection = CostSection()
    value: ValueSection = ValueSection()
    interventions: list[Intervention] = param([], "scheduled interventions", unit="1", role="structural")
    _layers: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_fits_a_file_name(cls, name: str) -> str:
        """A scenario's name names its results' files (batches, reports): it must be usable as a file name."""
        if not name or any(ch in name for ch in FILE_NAME_FORBIDDEN) or name.startswith(".") or len(name) > 120:
            raise ValueError(
                f"{name!r} cannot be used in a file name (empty, a leading dot, one of {FILE_NAME_FORBIDDEN} "
                "or over 120 characters)"
            )
        return name

    @model_validator(mode="before")
    @classmethod
    def _merge_preset(cls, data: Any) -> Any:
        """Merge the org-model preset under the given keys (the scenario's keys win)."""
        if not isinstance(data, Mapping):
            return data
        org = data.get("organization", {})
        if not isinstance(org, Mapping):
            return data  # field validation reports the wrong type
        model = org.get("model", OrganizationSection.model_fields["model"].default)
        if not isinstance(model, str):
            raise ValueError("organization.model: expected a preset name")
        try:
            preset = get_preset(model)
        except KeyError as err:
            raise ValueError(f"organization.model: {err.args[0]}") from None
        return deep_merge(preset.overrides, data)

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        departments = set(self.organization.departments) | {AGENCY}
        if self.organization.org_chart is None:
            for kind, owner in self.support.owners.items():
                if owner not in departments:
                    raise ValueError(f"support.owners.{kind}: {owner!r} is not a department")
        for i, intervention in enumerate(self.interventions):
            try:
                validate_intervention(intervention, self)
            except ValueError as err:
                raise ValueError(f"interventions[{i}].{err}") from None
        return self

    def with_values(self, values: Mapping[str, Any]) -> Config:
        """Return a new config with ``{"section.key": value}`` set over this one's layers."""
        return self.with_overrides(list(values.items()))

    def with_overrides(self, overrides: Iterable[str | tuple[str, Any]]) -> Config:
        """Return a new config with ``key=value`` overrides over this one's scenario layers.

        The org-model preset is re-applied under the layers, so overriding
        ``organization.model`` brings the new preset's values with it.
        """
        return build_config(apply_overrides(self.layers(), overrides))

    def layers(self) -> dict[str, Any]:
        """The user's scenario layers (file and overrides) without defaults or preset."""
        return deep_merge({}, self._layers) if self._layers else self.model_dump(exclude_unset=True)


# --------------------------------------------------------------------------------------------
# Loading


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``top`` over ``base``, recursing into tables; lists and scalars are replaced."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value as a TOML value; bare words fall back to strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise ScenarioError(f"--set {text[:40]}...: nested too deeply") from None


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str | tuple[str, Any]]) -> dict[str, Any]:
    """Apply ``section.key=value`` strings (or ``(key, value)`` pairs) to a raw scenario dict."""
    out = deep_merge({}, raw)
    for item in overrides:
        if isinstance(item, tuple):
            dotted, value = item
            if not isinstance(dotted, str):
                raise ScenarioError(f"{dotted!r}: a key is a dotted name such as section.key")
        elif "=" not in item:
            raise ScenarioError(f"--set {item}: expected key=value")
        else:
            dotted, text = item.split("=", 1)
            value = parse_value(text.strip())
        keys = dotted.strip().split(".")
        if not all(key.strip() for key in keys):
            raise ScenarioError(f"--set {dotted}: empty key")
        keys = [key.strip() for key in keys]
        node = out
        for depth, key in enumerate(keys[:-1]):
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            elif not isinstance(child, dict):
                raise ScenarioError(f"{'.'.join(keys[: depth + 1])}: {key!r} is not a table")
            else:
                child = node[key] = dict(child)
            node = child
        node[keys[-1]] = value
    return out


MAX_EXTENDS = 16  # a longer chain of ``extends`` is a mistake, not a baseline


def read_toml_file(path: Path, kind: str = "scenario") -> dict[str, Any]:
    """Read one TOML file (a scenario, prior or observed file): every problem is a one-line ScenarioError."""
    if not path.is_file():
        raise ScenarioError(f"{path}: {kind} file not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML ({err})") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file") from None
    except RecursionError:
        raise ScenarioError(f"{path}: not valid TOML (nested too deeply)") from None
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read ({err.strerror or err})") from None


def read_table_file(path: Path, table: str) -> Any:
    """The one ``[table]`` of a TOML file (a prior or observed file); any other key is a one-line ScenarioError."""
    raw = read_toml_file(path, table)
    extra = [k for k in raw if k != table]
    if extra:
        a = "an" if table[0] in "aeiou" else "a"
        raise ScenarioError(f"{extra[0]}: unknown key in {a} {table} file (expected {a} [{table}] table)")
    return raw.get(table)


def read_toml(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file, resolving ``extends = "other.toml"`` (relative to the file)."""
    path = Path(path)
    if len(_seen) >= MAX_EXTENDS:
        raise ScenarioError(f"{path}: extends: a chain of more than {MAX_EXTENDS} files")
    raw = read_toml_file(path)
    resolved = path.resolve()
    if resolved in _seen:
        raise ScenarioError(f"{path}: extends itself in a cycle")
    parent = raw.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(f"{path}: extends: expected a file name")
        base = read_toml(path.parent / parent, (*_seen, resolved))
        raw = deep_merge(base, raw)
    for section, key in (("network", "path"), ("organization", "org_chart")):
        table = raw.get(section)
        value = table.get(key) if isinstance(table, dict) else None
        if isinstance(value, str) and value and not Path(value).is_absolute():
            raw[section] = {**table, key: str((path.parent / value).resolve())}
    return raw


_SUBKEY = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.+)$", re.DOTALL)


def _format_error(err: ValidationError) -> str:
    """One line naming the key and the reason; validators write ``sub.key: reason``."""
    first = err.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    loc = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", loc)
    msg = first["msg"].removeprefix("Value error, ")
    given = first.get("input")
    if isinstance(given, float) and math.isnan(given):
        msg = "nan is not a number"
    elif first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "missing":
        msg = "required key missing"
    match = _SUBKEY.match(msg)
    if match:
        sub, msg = match.groups()
        loc = f"{loc}.{sub}" if loc and not sub.startswith(loc) else sub
    more = len(err.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return " ".join(f"{loc or 'scenario'}: {msg}{suffix}".split())[:500]


def build_config(raw: Mapping[str, Any]) -> Config:
    """Validate a raw scenario dict into a :class:`Config` (its preset merged under it)."""
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"scenario: expected a table of sections, not {type(raw).__name__}")
    try:
        config = Config.model_validate(raw)
    except ValidationError as err:
        raise ScenarioError(_format_error(err)) from None
    except RecursionError:
        raise ScenarioError("scenario: nested too deeply") from None
    config._layers = deep_merge({}, raw)
    return config


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Config:
    """Load, merge and validate a scenario file; ``overrides`` are ``key=value`` strings."""
    raw = read_toml(Path(path))
    raw.setdefault("name", Path(path).stem)
    return build_config(apply_overrides(raw, overrides))


def register_preset(
    name: str, description: str, source: str, overrides: dict[str, Any], *, base: str | None = None
) -> Preset:
    """Add an org model usable as ``organization.model = name`` (the public extension point).

    Args:
        name: preset name.
        description: one line shown by ``silosim presets``.
        source: where the design comes from.
        overrides: partial scenario (``{"organization": {...}, "content": {...}}``).
        base: an existing preset whose values the new one starts from.

    Returns:
        The registered preset; its values are validated by building a config from it.
    """
    if base is not None:
        overrides = deep_merge(get_preset(base).overrides, overrides)
    preset = Preset(name, description, source, overrides)
    previous = put_user_preset(preset)
    try:
        build_config({"organization": {"model": name}})
    except Exception:
        drop_user_preset(name, previous)
        raise
    return preset
