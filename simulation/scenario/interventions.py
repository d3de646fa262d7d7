"""Interventions: scheduled changes to a running model, and the registry of actions.

Built-in actions change config keys (``set`` and its named shortcuts), switch the org
model with an adoption lag, pilot social work in one department, inject a crisis, or run
the four-stage maturity roadmap of Steinberg. ``register_intervention`` adds new actions.
Engines expose two hooks the actions call: ``reconfigure(config, lag_steps)`` and
``inject_crisis(size)``.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol

from simulation.errors import ScenarioError
from simulation.scenario.presets import all_presets

if TYPE_CHECKING:
    from simulation.scenario.config import Config, Intervention


class Engine(Protocol):
    """What an action may call on a running model."""

    config: Config

    def reconfigure(self, config: Config, lag_steps: int = 0) -> None:
        """Adopt a new config, blending its compiled parameters over ``lag_steps``."""

    def inject_crisis(self, size: int) -> None:
        """Seed a negative cascade from ``size`` random customers."""


@dataclass(frozen=True)
class Action:
    """An intervention action: what it needs (validate) and what it does (apply)."""

    name: str
    description: str
    apply: Callable[[Engine, Intervention], None]
    validate: Callable[[Intervention, Config], None] | None = None


SWITCHES = {
    "training": "people.training",
    "guidelines": "content.guidelines",
    "rewards": "people.rewards",
    "quota": "content.quota",
    "shared_tool": "organization.shared_tool",
}


@functools.cache
def maturity_roadmap() -> tuple[tuple[str, dict[str, Any]], ...]:
    """Seed 004's roadmap as ``(stage name, {config key: value})`` pairs, from ``scenario/roadmap.toml``.

    ``"ALL"`` stands for every company department and ``"+name"`` adds one to the current list.
    """
    text = resources.files("simulation.scenario").joinpath("roadmap.toml").read_text(encoding="utf-8")
    return tuple((stage["name"], dict(stage["set"])) for stage in tomllib.loads(text)["stage"])


def _resolve(config: Config, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Expand ``ALL`` and ``+name`` in department lists against the current config."""
    out = {}
    for key, value in changes.items():
        if value == "ALL":
            value = list(config.organization.departments)
        elif isinstance(value, str) and value.startswith("+"):
            section, field = key.split(".")
            current = list(getattr(getattr(config, section), field))
            name = value[1:]
            value = current + ([name] if name in config.organization.departments and name not in current else [])
        out[key] = value
    return out


def _set(engine: Engine, iv: Intervention) -> None:
    engine.reconfigure(engine.config.with_values({iv.key: iv.value}), 0)


def _switch(engine: Engine, iv: Intervention) -> None:
    engine.reconfigure(engine.config.with_values({SWITCHES[iv.action]: iv.enabled}), 0)


def _change_model(engine: Engine, iv: Intervention) -> None:
    engine.reconfigure(engine.config.with_values({"organization.model": iv.model}), iv.adoption_lag_steps)


def _pilot(engine: Engine, iv: Intervention) -> None:
    changes = {
        "organization.posters": f"+{iv.department}",
        "organization.listeners": f"+{iv.department}",
        "organization.leads": True,
    }
    engine.reconfigure(engine.config.with_values(_resolve(engine.config, changes)), iv.adoption_lag_steps)


def _crisis(engine: Engine, iv: Intervention) -> None:
    engine.inject_crisis(iv.size)


def _roadmap_stage(engine: Engine, iv: Intervention) -> None:
    _, changes = maturity_roadmap()[int(iv.value)]
    engine.reconfigure(engine.config.with_values(_resolve(engine.config, changes)), iv.stage_steps // 2)


def _check_stage(iv: Intervention, config: Config) -> None:
    value = iv.value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(maturity_roadmap()):
        raise ValueError(f"value: the roadmap stage is a whole number 0..{len(maturity_roadmap()) - 1}, not {value!r}")


def _needs(*fields: str) -> Callable[[Intervention, Config], None]:
    def check(iv: Intervention, config: Config) -> None:
        for field in fields:
            if getattr(iv, field) is None:
                raise ValueError(f"{field}: required for action {iv.action!r}")

    return check


def _check_model(iv: Intervention, config: Config) -> None:
    _needs("model")(iv, config)
    if iv.model not in all_presets():
        raise ValueError(f"model: unknown org model {iv.model!r} (known: {', '.join(all_presets())})")


def _check_department(iv: Intervention, config: Config) -> None:
    _needs("department")(iv, config)
    if iv.department not in config.organization.departments:
        raise ValueError(f"department: {iv.department!r} is not a department")


# Keys fixed when a run starts (its length, seed, engine, customers, graph and company): a
# ``set`` on them would have no effect while the config echo recorded the new value.
FIXED_KEYS = (
    "name",
    "description",
    "interventions",
    "simulation",
    "customers.count",
    "network",
    "organization.departments",
    "organization.headcount",
    "organization.org_chart",
    "organization.agency_headcount",
    "organization.intra_tie_prob",
    "organization.cross_tie_prob",
)


def _check_set(iv: Intervention, config: Config) -> None:
    _needs("key", "value")(iv, config)
    key = iv.key.strip()
    fixed = next((f for f in FIXED_KEYS if key == f or key.startswith(f"{f}.")), None)
    if fixed is not None:
        raise ValueError(f"key: {key!r} is fixed when the run starts; set it in the scenario instead")
    try:  # the schedule is being validated: leave it out
        config.with_values({"interventions": [], iv.key: iv.value})
    except ScenarioError as err:
        raise ValueError(f"value: {err}") from None


_REGISTRY: dict[str, Action] = {}


def builtin_actions() -> dict[str, Action]:
    """The built-in actions, by name."""
    actions = [
        Action(
            "change_org_model", "adopt another org-model preset over adoption_lag_steps", _change_model, _check_model
        ),
        Action("pilot", "one department starts posting and listening, with a lead", _pilot, _check_department),
        Action("set", "set any config key to a value", _set, _check_set),
        Action("crisis", "seed a negative cascade from `size` customers", _crisis),
        Action("maturity_roadmap", "Steinberg's four stages, stage_steps apart", _roadmap_stage),
        Action("roadmap_stage", "one stage (value = 0..3) of the maturity roadmap", _roadmap_stage, _check_stage),
    ]
    actions += [Action(name, f"switch {key} on (enabled = true) or off", _switch) for name, key in SWITCHES.items()]
    return {a.name: a for a in actions}


def all_actions() -> dict[str, Action]:
    """Built-in and registered actions, by name."""
    return {**builtin_actions(), **_REGISTRY}


def register_intervention(
    name: str,
    apply: Callable[[Engine, Intervention], None],
    description: str = "",
    validate: Callable[[Intervention, Config], None] | None = None,
) -> Action:
    """Add an intervention action (the public extension point); returns it."""
    action = Action(name, description, apply, validate)
    _REGISTRY[name] = action
    return action


def validate_intervention(iv: Intervention, config: Config) -> None:
    """Raise ``ValueError("field: reason")`` if the intervention cannot run on this config."""
    actions = all_actions()
    if iv.action not in actions:
        raise ValueError(f"action: unknown action {iv.action!r} (known: {', '.join(actions)})")
    if iv.step >= config.simulation.steps:
        raise ValueError(f"step: {iv.step} is past the last step ({config.simulation.steps - 1})")
    check = actions[iv.action].validate
    if check is not None:
        check(iv, config)


def expand_schedule(interventions: list[Intervention]) -> list[Intervention]:
    """Expand composite actions (the maturity roadmap) and sort by step (stable)."""
    out = []
    for iv in interventions:
        if iv.action == "maturity_roadmap":
            for stage in range(len(maturity_roadmap())):
                out.append(
                    iv.model_copy(
                        update={
                            "action": "roadmap_stage",
                            "value": stage,
                            "step": iv.step + stage * iv.stage_steps,
                        }
                    )
                )
        else:
            out.append(iv)
    return sorted(out, key=lambda iv: iv.step)


def apply_intervention(engine: Engine, iv: Intervention) -> None:
    """Run one intervention on an engine."""
    all_actions()[iv.action].apply(engine, iv)


def schedule_for(config: Config) -> list[tuple[int, Callable[[Engine], None]]]:
    """The engine's schedule: ``(step, change)`` for each (expanded) intervention of a config."""
    return [
        (iv.step, functools.partial(apply_intervention, iv=iv)) for iv in expand_schedule(list(config.interventions))
    ]
