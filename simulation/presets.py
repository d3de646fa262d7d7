"""Org-model presets: named parameter sets (data in ``presets.toml``), plus user-registered ones."""

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
    """The presets shipped in ``simulation/presets.toml``, by name."""
    text = resources.files("simulation").joinpath("presets.toml").read_text(encoding="utf-8")
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
    from simulation.config import build_config, deep_merge

    if base is not None:
        overrides = deep_merge(get_preset(base).overrides, overrides)
    preset = Preset(name, description, source, overrides)
    previous = _USER_PRESETS.get(name)
    _USER_PRESETS[name] = preset
    try:
        build_config({"organization": {"model": name}})
    except Exception:
        if previous is None:
            del _USER_PRESETS[name]
        else:
            _USER_PRESETS[name] = previous
        raise
    return preset
