"""What an optimisation asks: a search space over config keys, objectives and constraints.

Everything is parsed and checked here, before any trial runs: every choice and both ends
of every range must make a valid config, every KPI must exist, and a constraint that no
design can meet by the KPI's very definition (a rate above 1, a cost below 0) is refused.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.errors import ScenarioError
from simulation.scenario.config import Config, read_toml_file
from simulation.scenario.priors import spec_for_key

# KPIs whose definition bounds them: rates and shares are fractions, counts and costs are
# not negative. Used only to refuse a constraint no design can meet, before any trial runs.
UNIT_KPIS = frozenset(
    {
        "share_of_voice",
        "positive_share_of_voice",
        "advocate_share",
        "detection_rate",
        "response_rate",
        "resolution_rate",
        "complaint_response_rate",
        "ignored_share",
        "answered_within_1h_share",
        "handoff_loss_rate",
        "irate_share",
        "idea_capture_rate",
        "churn_rate",
        "retention_rate",
        "promo_share_actual",
        "brand_consistency",
        "post_quality_mean",
        "participation",
    }
)
SIGNED_KPIS = frozenset({"net_share_of_voice", "sentiment_mean", "net_value", "silo_index"})
OPERATORS = ("<=", ">=", "<", ">")
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_]\w*)\s*(<=|>=|<|>)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Dimension:
    """One searched config key: categorical ``choices``, or a numeric ``low``..``high`` range."""

    key: str
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    integer: bool = False

    @property
    def labels(self) -> list[Any]:
        """Optuna's categorical choices: scalars as they are, lists and tables as JSON text."""
        return [choice_label(c) for c in self.choices]

    def value(self, sampled: Any) -> Any:
        """The config value of a sampled Optuna parameter."""
        if self.choices:
            return self.choices[self.labels.index(sampled)]
        return int(sampled) if self.integer else float(sampled)

    def to_dict(self) -> dict[str, Any]:
        """The dimension as plain data (fingerprint, manifest)."""
        if self.choices:
            return {"choices": list(self.choices)}
        out: dict[str, Any] = {"range": [self.low, self.high]}
        if self.log:
            out["log"] = True
        if self.step is not None:
            out["step"] = self.step
        return out


@dataclass(frozen=True)
class Objective:
    """A KPI to optimise and its direction."""

    kpi: str
    maximize: bool

    @property
    def direction(self) -> str:
        """Optuna's direction name."""
        return "maximize" if self.maximize else "minimize"

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b``."""
        return a > b if self.maximize else a < b

    def __str__(self) -> str:
        return f"{self.kpi}:{'max' if self.maximize else 'min'}"


@dataclass(frozen=True)
class Constraint:
    """``kpi <= bound`` or ``kpi >= bound`` on a trial's mean (strict forms are read as the same)."""

    kpi: str
    op: str
    bound: float

    def violation(self, value: float) -> float:
        """Optuna's constraint value: <= 0 when met, else by how much it is broken (NaN counts as broken)."""
        if not math.isfinite(value):
            return math.inf
        return value - self.bound if self.op in ("<=", "<") else self.bound - value

    def met(self, value: float) -> bool:
        """True when ``value`` meets the constraint."""
        return self.violation(value) <= 0

    def __str__(self) -> str:
        return f"{self.kpi}{self.op}{self.bound:g}"


@dataclass(frozen=True)
class Problem:
    """The whole question: space, objectives, constraints."""

    space: tuple[Dimension, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    tracked: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        kpis = [o.kpi for o in self.objectives] + [c.kpi for c in self.constraints]
        object.__setattr__(self, "tracked", tuple(dict.fromkeys(kpis)))

    def to_dict(self) -> dict[str, Any]:
        """The problem as plain data (fingerprint, manifest)."""
        return {
            "space": {d.key: d.to_dict() for d in self.space},
            "objectives": [str(o) for o in self.objectives],
            "constraints": [str(c) for c in self.constraints],
        }


def choice_label(value: Any) -> Any:
    """A choice as Optuna stores it: None/bool/int/float/str unchanged, anything else as JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True)


def config_value(config: Config, key: str) -> Any:
    """The value of a dotted key in a config (tuples as lists, as TOML writes them)."""
    node: Any = config
    for part in key.split("."):
        node = node[part] if isinstance(node, Mapping) else getattr(node, part)
    return _plain(node)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{where}: {value!r} is not a finite number")
    return value


def _check_value(base: Config, key: str, value: Any) -> None:
    """A space value must make a valid config; the error names the key."""
    try:
        base.with_values({key: value})
    except ScenarioError as err:
        reason = str(err).removeprefix(f"{key}: ")
        raise ScenarioError(f"--space {key}: {value!r}: {reason}") from None


def parse_dimension(base: Config, key: Any, spec: Any) -> Dimension:
    """One ``[space]`` entry: ``{ choices = [...] }`` or ``{ range = [low, high], log = false, step = ... }``."""
    from simulation.scenario.priors import integer_key, numeric_key

    if not isinstance(key, str) or not key or not all(key.split(".")):
        raise ScenarioError(f"--space {key!r}: a key is a dotted config name such as organization.silo_strength")
    declared = spec_for_key(key)
    if declared is not None and declared.role != "lever":
        raise ScenarioError(
            f"--space {key}: not a design lever (its role is {declared.role}): an optimisation searches what a "
            "company decides; vary facts about the world with --robust"
        )
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"--space {key}: expected {{ choices = [...] }} or {{ range = [low, high] }}")
    unknown = set(spec) - {"choices", "range", "log", "step"}
    if unknown:
        raise ScenarioError(f"--space {key}: unknown field {sorted(unknown)[0]!r} (choices, range, log, step)")
    if ("choices" in spec) == ("range" in spec):
        raise ScenarioError(f"--space {key}: give exactly one of choices or range")
    if "choices" in spec:
        choices = spec["choices"]
        if set(spec) != {"choices"}:
            raise ScenarioError(f"--space {key}: log and step apply to a range, not to choices")
        if not isinstance(choices, list) or not choices:
            raise ScenarioError(f"--space {key}: choices must be a non-empty list")
        if len(choices) < 2:
            raise ScenarioError(
                f"--space {key}: one choice ({choices[0]!r}) is nothing to search; set it in the scenario "
                "or with --set, or give two or more choices"
            )
        labels = [choice_label(c) for c in choices]
        if len(set(map(json.dumps, labels))) != len(labels):
            raise ScenarioError(f"--space {key}: choices repeat a value")
        for choice in choices:
            _check_value(base, key, choice)
        return Dimension(key, tuple(choices))
    if not numeric_key(key):
        raise ScenarioError(
            f"--space {key}: a range needs a numeric key (this one is not a number); give choices = [...] instead"
        )
    bounds = spec["range"]
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise ScenarioError(f"--space {key}: range must be [low, high]")
    low, high = (_number(b, f"--space {key}") for b in bounds)
    if not low < high:
        raise ScenarioError(f"--space {key}: range [{low}, {high}] is upside down or empty (low must be below high)")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ScenarioError(f"--space {key}: log must be true or false")
    if log and low <= 0:
        raise ScenarioError(f"--space {key}: a log range needs low > 0")
    step = spec.get("step")
    if step is not None:
        step = _number(step, f"--space {key}: step")
        if step <= 0 or step > high - low:
            raise ScenarioError(f"--space {key}: step must be above 0 and at most high - low")
        if log:
            raise ScenarioError(f"--space {key}: step and log cannot be combined")
    integer = integer_key(key)
    if integer and not (float(low).is_integer() and float(high).is_integer()):
        raise ScenarioError(f"--space {key}: a whole-number key needs whole-number range ends")
    if integer and step is not None and not float(step).is_integer():
        raise ScenarioError(f"--space {key}: step {step:g}: a whole-number key needs a whole-number step")
    for value in (low, high):
        _check_value(base, key, int(value) if integer else float(value))
    return Dimension(key, (), float(low), float(high), log, step, integer)


def parse_space(base: Config, space: Mapping[str, Any] | str | Path) -> tuple[Dimension, ...]:
    """A search space from a TOML file with a ``[space]`` table, or from the table itself."""
    if isinstance(space, str | Path):
        path = Path(space)
        if path.exists() and not path.is_file():  # a FIFO would block, /dev/zero would fill the memory
            raise ScenarioError(f"--space {path}: not a regular file")
        try:  # the scenario loader's reader: a missing file, bad TOML or nesting too deep is one line
            raw = read_toml_file(path, "space")
        except ScenarioError as err:
            raise ScenarioError(f"--space {err}") from None
        if set(raw) - {"space"}:
            raise ScenarioError(f"--space {path}: unknown table {sorted(set(raw) - {'space'})[0]!r} (only [space])")
        table = raw.get("space")
        if not isinstance(table, Mapping):
            raise ScenarioError(f"--space {path}: no [space] table")
        space = table
    if not space:
        raise ScenarioError("--space: empty; give at least one key")
    return tuple(parse_dimension(base, key, spec) for key, spec in space.items())


def parse_objective(text: str) -> Objective:
    """``kpi``, ``kpi:max`` or ``kpi:min``; without a direction, the KPI's ``higher_is_better``."""
    from simulation.outputs.kpis import all_kpis

    name, colon, direction = text.strip().partition(":")
    kpi = all_kpis().get(name.strip())
    if kpi is None:
        raise ScenarioError(f"--objective {text}: unknown KPI {name.strip()!r} (see simulation.outputs.kpis.SUMMARY)")
    if direction.strip() in ("max", "min"):
        return Objective(kpi.name, direction.strip() == "max")
    if colon:
        raise ScenarioError(f"--objective {text}: direction must be max or min (or leave out the colon)")
    if kpi.higher_is_better is None:
        raise ScenarioError(f"--objective {text}: {kpi.name} has no better direction; write {kpi.name}:max or :min")
    return Objective(kpi.name, bool(kpi.higher_is_better))


def parse_constraint(text: str) -> Constraint:
    """``kpi<=bound`` or ``kpi>=bound`` (``<``/``>`` read the same), refused when no design can meet it."""
    from simulation.outputs.kpis import all_kpis

    match = _CONSTRAINT.match(text)
    if not match:
        raise ScenarioError(f"--constraint {text}: expected KPI<=VALUE or KPI>=VALUE, e.g. cost_total<=250000")
    name, op, number = match.groups()
    if name not in all_kpis():
        raise ScenarioError(f"--constraint {text}: unknown KPI {name!r} (see simulation.outputs.kpis.SUMMARY)")
    try:
        bound = float(number)
    except ValueError:
        raise ScenarioError(f"--constraint {text}: {number!r} is not a number") from None
    if not math.isfinite(bound):
        raise ScenarioError(f"--constraint {text}: the bound must be finite")
    constraint = Constraint(name, op, bound)
    low, high = kpi_bounds(name)
    if (op in ("<=", "<") and bound < low) or (op in (">=", ">") and bound > high):
        raise ScenarioError(f"--constraint {text}: no design can meet it ({name} lies in [{low:g}, {high:g}])")
    return constraint


def kpi_bounds(name: str) -> tuple[float, float]:
    """The range a built-in KPI lies in by definition (unbounded for user KPIs and signed ones)."""
    from simulation.outputs.kpis import SUMMARY

    if name in UNIT_KPIS:
        return (0.0, 1.0)
    if name in SUMMARY and name not in SIGNED_KPIS:
        return (0.0, math.inf)
    return (-math.inf, math.inf)


def make_problem(
    base: Config,
    space: Mapping[str, Any] | str | Path,
    objectives: Sequence[str],
    constraints: Sequence[str] = (),
) -> Problem:
    """Parse and check the whole question (one-line :class:`ScenarioError` naming the culprit)."""
    dims = parse_space(base, space)
    if not objectives:
        raise ScenarioError("--objective: give at least one, e.g. --objective resolution_rate:max")
    parsed = tuple(parse_objective(o) for o in objectives)
    seen = [o.kpi for o in parsed]
    for kpi in seen:
        if seen.count(kpi) > 1:
            raise ScenarioError(f"--objective {kpi}: given twice")
    return Problem(dims, parsed, tuple(parse_constraint(c) for c in constraints))
