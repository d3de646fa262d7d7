"""How a parameter is declared: once, with its default, bounds, unit, role, source and prior.

Every config field is made by :func:`param` (starsim's ``define_pars``; EMA workbench's split
of *uncertainties*, *levers* and *outcomes*). Everything else is generated from or checked
against that one declaration: the shipped priors (``simulation.scenario.priors.shipped_priors`` and
``priors.toml``), the parameters without a prior, ``docs/ODD.md``'s tables, the optimiser's
search space check and the lever test's contexts. :func:`spec_of` reads a field's declaration
back as a :class:`ParamSpec`.

Roles:

- ``uncertainty``: a fact about the world (customers, the market, how fast people work) that
  calibration fits and robustness analysis varies. One whose value is an assumption must
  carry a prior; a sourced one may carry none (then it is held at its published value).
- ``lever``: a design choice a company makes (who posts, listens and owns what, headcount,
  tools, programmes), moved by optimisation and the ladder. A lever may carry a prior too: the
  company's *current* setting, where it is not known, for calibration to fit.
- ``structural``: neither (run length, seed, sample size, input files, model switches).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field
from pydantic.fields import FieldInfo

Role = Literal["uncertainty", "lever", "structural"]
ROLES: tuple[str, ...] = ("uncertainty", "lever", "structural")
ASSUMPTION = "assumption (no published figure; see docs/ODD.md rationale)"


# --------------------------------------------------------------------------------------------
# Prior rules: a prior written relative to the default, resolved when the default is known


@dataclass(frozen=True)
class PriorRule:
    """A prior over a parameter, possibly relative to its default.

    ``kind`` is the distribution (uniform, loguniform, normal, lognormal, choice). A scaled
    rule's range is ``[low x default, high x default]`` (``high = None``: up to 1), a shifted
    rule's ``default -/+ shift``; ``args`` are absolute (a stated range, or the choices).
    ``reason`` says where the range comes from (``{default}`` is filled in).
    """

    kind: str
    reason: str
    scale: tuple[float, float | None] | None = None
    shift: float | None = None
    args: tuple[Any, ...] | None = None

    def resolve(self, default: Any) -> tuple[str, tuple[Any, ...], str] | None:
        """``(kind, args, reason)`` of this rule for a parameter whose default is ``default``.

        None where a relative rule has nothing to scale (a default of 0).
        """
        reason = self.reason.format(default=default)
        if self.args is not None:
            return self.kind, self.args, reason
        if self.shift is not None:
            return self.kind, (_tidy(default - self.shift), _tidy(default + self.shift)), reason
        low, high = self.scale  # type: ignore[misc]
        if default == 0:
            return None
        return self.kind, (_tidy(default * low), 1.0 if high is None else _tidy(default * high)), reason


def _tidy(value: float) -> float:
    """A computed range end as one would write it (0.15 x 1.5 = 0.225, not 0.22499999999999998)."""
    return float(f"{value:.12g}")


def scaled(kind: str, low: float, high: float | None, reason: str) -> PriorRule:
    """A prior from ``low`` to ``high`` times the default (``high = None``: up to 1)."""
    return PriorRule(kind, reason, scale=(low, high))


def stated(kind: str, low: float, high: float) -> PriorRule:
    """The plausible range the parameter's source states (or its reason argues)."""
    return PriorRule(kind, "the plausible range stated in its source", args=(low, high))


def whole_numbers(*values: int) -> PriorRule:
    """Equally likely whole numbers around an integer default."""
    return PriorRule("choice", "no published figure: whole numbers around the default {default}", args=values)


HALF_TO_ONE_AND_A_HALF = scaled("uniform", 0.5, 1.5, "no published figure: half to one and a half times the default")
WITHIN_TWO = scaled("loguniform", 0.5, 2.0, "no published figure: within a factor of two of the default")
HALF_UP_TO_ONE = scaled("uniform", 0.5, None, "no published figure: from half the default up to 1")
PLUS_MINUS_0_2 = PriorRule("uniform", "no published figure: the default plus or minus 0.2", shift=0.2)


# --------------------------------------------------------------------------------------------
# The declaration


@dataclass(frozen=True)
class ParamSpec:
    """A parameter's declaration, as :func:`param` recorded it (the field's ``json_schema_extra``).

    Attributes:
        unit: what one of it is ("h", "1/day", "share", "USD/h", "1" for a pure number).
        role: uncertainty, lever or structural (see the module docstring).
        source: where the value comes from (with the reason for an assumed one).
        prior: the prior rule, or None.
        context: a partial scenario in which the parameter's mechanism is in force (an agency
            for the agency's fee, a quota for the quota's penalty); the default scenario if empty.
        allow_inf: infinity is a valid value.
        probability: every number in it lies in [0, 1].
    """

    unit: str
    role: str
    source: str
    prior: PriorRule | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    allow_inf: bool = False
    probability: bool = False

    @property
    def assumed(self) -> bool:
        """Whether the value is an assumption (no published figure)."""
        return self.source.startswith("assumption")

    def __call__(self, schema: dict[str, Any]) -> None:
        """Pydantic's JSON-schema hook: a config's JSON schema shows unit, role and source."""
        schema.update(unit=self.unit, role=self.role, source=self.source)


def param(
    default: Any,
    description: str,
    source: str = ASSUMPTION,
    *,
    unit: str,
    role: Role = "uncertainty",
    prior: PriorRule | None = None,
    context: Mapping[str, Any] | None = None,
    reason: str = "",
    allow_inf: bool = False,
    probability: bool = False,
    **constraints: Any,
) -> Any:
    """Declare a parameter: default, one-line description, unit, role, source and prior.

    ``reason`` explains an assumed value (no published figure): it is shown with the source.
    ``constraints`` are pydantic's bounds (``ge``, ``le``, ``gt``, ``lt``). Every number in a
    parameter (a table's values and a list's items included) is checked by the config's
    sections: finite unless ``allow_inf`` (never NaN), and in [0, 1] when ``probability``.
    """
    if role not in ROLES:
        raise ValueError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if reason:
        source = f"assumption: {reason}" if source == ASSUMPTION else f"{source}; {reason}"
    spec = ParamSpec(unit, role, source, prior, dict(context or {}), allow_inf, probability)
    return Field(default, description=description, json_schema_extra=spec, **constraints)


def spec_of(info: FieldInfo) -> ParamSpec:
    """The declaration of a config field (made by :func:`param`)."""
    spec = info.json_schema_extra
    if not isinstance(spec, ParamSpec):
        raise TypeError(f"{info!r} was not declared with param()")
    return spec


def bounds_of(info: FieldInfo) -> tuple[float, float]:
    """The field's numeric bounds ``(low, high)`` from its ``ge``/``gt``/``le``/``lt`` (inf where open)."""
    low, high = -math.inf, math.inf
    for m in info.metadata:
        for name in ("ge", "gt"):
            if getattr(m, name, None) is not None:
                low = float(getattr(m, name))
        for name in ("le", "lt"):
            if getattr(m, name, None) is not None:
                high = float(getattr(m, name))
    return low, high
