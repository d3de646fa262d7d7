"""Parameter uncertainty as data: priors over config keys, draws from them, draws applied to a config.

A prior file is TOML with one ``[prior]`` table, one entry per dotted config key::

    [prior]
    "organization.listening_coverage" = { uniform = [0.2, 1.0], reason = "..." }
    "support.handling_minutes" = { lognormal = [2.5, 0.4] }   # also normal, loguniform, choice

The shipped priors (``simulation/priors.toml``) give every assumed parameter a plausible range;
calibration (:mod:`simulation.calibration`) fits them, comparisons carry them through
(``silosim compare --uncertainty``). Every problem is a :class:`ScenarioError` naming the key.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from simulation.config import Config, read_toml_file
from simulation.errors import ScenarioError

KINDS = ("uniform", "loguniform", "normal", "lognormal", "choice")
SHIPPED_PRIORS = Path(__file__).resolve().parent / "priors.toml"
DEFAULT_DRAWS = 20
NOT_PARAMETERS = ("weight", "distance")  # columns of a posterior.csv that are not parameters


@dataclass(frozen=True)
class Prior:
    """A distribution over one config parameter.

    ``args``: uniform/loguniform ``(low, high)``; normal/lognormal ``(mu, sigma)`` (lognormal's
    on the log scale); choice: the values, equally likely.
    """

    key: str
    kind: str
    args: tuple
    reason: str = ""

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws from this prior."""
        if self.kind == "uniform":
            return rng.uniform(self.args[0], self.args[1], n)
        if self.kind == "loguniform":
            return np.exp(rng.uniform(math.log(self.args[0]), math.log(self.args[1]), n))
        if self.kind == "normal":
            return rng.normal(self.args[0], self.args[1], n)
        if self.kind == "lognormal":
            return rng.lognormal(self.args[0], self.args[1], n)
        values = np.array(self.args, dtype=object if any(isinstance(v, str) for v in self.args) else None)
        return values[rng.integers(0, len(values), n)]

    def bounds(self) -> tuple[float, float]:
        """The range holding (nearly) all of the prior's mass: the ends, or the 0.5%/99.5% quantiles."""
        if self.kind in ("uniform", "loguniform"):
            return float(self.args[0]), float(self.args[1])
        if self.kind == "choice":
            numbers = [v for v in self.args if _is_number(v)]
            return (float(min(numbers)), float(max(numbers))) if numbers else (math.nan, math.nan)
        z = 2.5758293035489004  # the 99.5% quantile of the standard normal
        mu, sigma = self.args
        low, high = mu - z * sigma, mu + z * sigma
        return (math.exp(low), math.exp(high)) if self.kind == "lognormal" else (low, high)

    def describe(self) -> str:
        """``uniform [0.2, 1]`` — the prior as one would write it."""
        return f"{self.kind} [{', '.join(_fmt(v) for v in self.args)}]"


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


@functools.cache
def parameter_fields() -> dict[str, Any]:
    """Every parameter of a section, as ``{"section.key": pydantic field}``."""
    fields = {}
    for section, field in Config.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, sub in annotation.model_fields.items():
                fields[f"{section}.{name}"] = sub
    return fields


def _is_integer_field(key: str) -> bool:
    field = parameter_fields().get(key)
    return field is not None and field.annotation is int


def check_key(key: str) -> None:
    """Raise unless ``key`` is a config parameter (``section.key``, or an entry of a table parameter)."""
    fields = parameter_fields()
    if key in fields:
        return
    head, _, sub = key.rpartition(".")
    field = fields.get(head)
    if field is not None and isinstance(field.default, Mapping) and sub:
        return
    raise ScenarioError(f"{key}: not a config parameter (expected section.key, e.g. organization.silo_strength)")


def parse_prior(key: str, spec: Any) -> Prior:
    """One prior from its TOML value ``{ kind = args, reason = "..." }``; errors name the key."""
    if not isinstance(key, str):
        raise ScenarioError(f"prior.{key!r}: a key is a dotted config name")
    check_key(key)
    where = f"prior.{key}"
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"{where}: expected a table such as {{ uniform = [low, high] }}, not {spec!r:.40}")
    reason = spec.get("reason", "")
    if not isinstance(reason, str):
        raise ScenarioError(f"{where}.reason: expected text")
    kinds = [k for k in spec if k != "reason"]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ScenarioError(f"{where}.{unknown[0]}: unknown distribution (expected one of {', '.join(KINDS)})")
    if len(kinds) != 1:
        raise ScenarioError(f"{where}: give exactly one distribution (one of {', '.join(KINDS)}), not {len(kinds)}")
    kind = kinds[0]
    args = spec[kind]
    if not isinstance(args, list) or not args:
        raise ScenarioError(f"{where}.{kind}: expected a non-empty list")
    if kind == "choice":
        if len(set(map(repr, args))) != len(args):
            raise ScenarioError(f"{where}.choice: values repeat")
        return Prior(key, kind, tuple(args), reason)
    if len(args) != 2 or not all(_is_number(a) and math.isfinite(a) for a in args):
        raise ScenarioError(f"{where}.{kind}: expected two finite numbers, not {args!r:.60}")
    first, second = (float(a) for a in args)
    if _is_integer_field(key):
        raise ScenarioError(f"{where}.{kind}: {key} is an integer: use choice = [values]")
    if kind in ("uniform", "loguniform"):
        if not first < second:
            raise ScenarioError(f"{where}.{kind}: empty range [{first:g}, {second:g}] (low must be below high)")
        if kind == "loguniform" and first <= 0:
            raise ScenarioError(f"{where}.loguniform: low must be > 0, not {first:g}")
    elif second <= 0:
        raise ScenarioError(f"{where}.{kind}: sigma must be > 0, not {second:g}")
    return Prior(key, kind, (first, second), reason)


def _check_in_range(prior: Prior, base: Config) -> None:
    """The prior's ends (or every choice) must be valid values of the parameter."""
    values = prior.args if prior.kind == "choice" else prior.bounds() if prior.kind in ("uniform", "loguniform") else ()
    for value in values:
        try:
            base.with_values({prior.key: value})
        except ScenarioError as err:
            raise ScenarioError(f"prior.{prior.key}: {value!r} is outside the parameter's range ({err})") from None


def load_prior(path: str | Path) -> dict[str, Prior]:
    """Read a prior TOML file (a ``[prior]`` table); every problem is a ScenarioError naming the key."""
    path = Path(path)
    raw = read_toml_file(path, "prior")
    extra = [k for k in raw if k != "prior"]
    if extra:
        raise ScenarioError(f"{extra[0]}: unknown key in a prior file (expected a [prior] table)")
    return priors_from_table(raw.get("prior"), where=str(path))


def priors_from_table(table: Any, where: str = "prior") -> dict[str, Prior]:
    """Priors from a ``{"section.key": {kind: args}}`` mapping, validated (see :func:`load_prior`)."""
    if not isinstance(table, Mapping):
        raise ScenarioError(f"prior: {where} has no [prior] table")
    if not table:
        raise ScenarioError(f"prior: {where} has an empty [prior] table")
    priors = {key: parse_prior(key, spec) for key, spec in table.items()}
    base = Config()
    for prior in priors.values():
        _check_in_range(prior, base)
    return priors


@functools.cache
def _shipped() -> dict[str, Prior]:
    return load_prior(SHIPPED_PRIORS)


def shipped_priors() -> dict[str, Prior]:
    """The priors shipped with silosim (``simulation/priors.toml``): every assumed parameter's range."""
    return dict(_shipped())


def sample_prior(priors: Mapping[str, Prior], n: int, seed: int) -> pd.DataFrame:
    """``n`` rows, one column per key, drawn from ``Generator(SeedSequence(seed))``: reproducible."""
    if n < 1:
        raise ScenarioError(f"draws: {n} must be at least 1")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return pd.DataFrame({key: prior.sample(rng, n) for key, prior in priors.items()})


def load_draws(path: str | Path, n: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Parameter draws from a prior TOML (``n`` sampled, default 20) or a calibration's posterior.csv.

    A posterior is resampled by its ``weight`` column (``n`` rows), or given whole when ``n`` is
    None. Only parameter columns are returned, one row per draw.
    """
    path = Path(path)
    if n is not None and n < 1:
        raise ScenarioError(f"draws: {n} must be at least 1")
    if path.suffix.lower() != ".csv":
        return sample_prior(load_prior(path), DEFAULT_DRAWS if n is None else n, seed)
    if not path.is_file():
        raise ScenarioError(f"{path}: posterior file not found")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: not a posterior CSV ({one_line(err)})") from None
    keys = [c for c in table.columns if c not in NOT_PARAMETERS]
    if not keys or table.empty:
        raise ScenarioError(f"{path}: no parameter columns or no rows")
    for key in keys:
        check_key(key)
    params = table[keys]
    if "weight" in table.columns:
        weights = pd.to_numeric(table["weight"], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ScenarioError(f"{path}: weight: must be finite, non-negative numbers with a positive sum")
    else:
        weights = np.ones(len(table))
    if n is None:
        return params.reset_index(drop=True)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    rows = rng.choice(len(table), size=n, replace=True, p=weights / weights.sum())
    return params.iloc[rows].reset_index(drop=True)


def one_line(err: object) -> str:
    """An exception's text on one line."""
    return " ".join(str(err).split())


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar the config expects (a whole float for an int stays a float)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def apply_draw(config: Config, draw: Mapping[str, Any]) -> Config:
    """``config`` with the draw's values set (``config.with_values``); errors name the key."""
    values = {}
    for key, value in draw.items():
        value = _plain(value)
        if isinstance(value, float) and value.is_integer() and _is_integer_field(key):
            value = int(value)  # a CSV column of whole numbers read back as floats
        values[key] = value
    for key in values:
        check_key(key)
    return config.with_values(values)
