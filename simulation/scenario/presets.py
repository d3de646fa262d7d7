"""Org-model presets: named parameter sets (data in ``presets.toml``), plus user-registered ones.

A registry of data that knows nothing of the schema; :func:`simulation.scenario.config.register_preset`
adds a preset after checking that it builds a valid config.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Preset:
    """A named org model: a partial scenario merged under the scenario's own keys."""

    name: str
    description: str
    source: str
    overrides: dict[str, Any] = field(default_factory=dict)


_USER_PRESETS: dict[str, Preset] = {}


@cache
def builtin_presets() -> dict[str, Preset]:
    """The presets shipped in ``simulation/scenario/presets.toml``, by name."""
    text = resources.files("simulation.scenario").joinpath("presets.toml").read_text(encoding="utf-8")
    out = {}
    for name, table in tomllib.loads(text).items():
        table = dict(table)
        description = table.pop("description")
        source = table.pop("source")
        out[name] = Preset(name, description, source, table)
    return out


def all_presets() -> dict[str, Preset]:
    """Built-in and registered presets, by name (registered ones win)."""
    return {**builtin_presets(), **_USER_PRESETS}


def get_preset(name: str) -> Preset:
    """Look a preset up by name; ``KeyError`` with the known names when it does not exist."""
    presets = all_presets()
    if name not in presets:
        raise KeyError(f"unknown org model {name!r} (known: {', '.join(presets)})")
    return presets[name]


def put_user_preset(preset: Preset) -> Preset | None:
    """Register ``preset`` under its name; returns the one it replaced (see ``config.register_preset``)."""
    previous = _USER_PRESETS.get(preset.name)
    _USER_PRESETS[preset.name] = preset
    return previous


def drop_user_preset(name: str, previous: Preset | None) -> None:
    """Undo :func:`put_user_preset`: restore ``previous``, or remove the name."""
    if previous is None:
        _USER_PRESETS.pop(name, None)
    else:
        _USER_PRESETS[name] = previous
