"""A submodel's slice of the compiled parameters, declared beside the rule that reads it.

Each submodel module declares the numbers its rules read as a :func:`params_slice`
dataclass, and compiles them in its ``compile_*`` function. A field marked
:func:`copied` is the scenario's value as it is (``section.key``) and needs no code:
:func:`copy_fields` reads every such field. :class:`~simulation.core.params.Params` is
all slices together, so a new parameter is its declaration in the scenario schema plus
a field here beside its rule.
"""

from __future__ import annotations

import dataclasses
from typing import Any

params_slice = dataclasses.dataclass(frozen=True, kw_only=True)
"""Decorator of a slice: a frozen dataclass whose fields are keyword-only (slices combine in any order)."""


def copied(section: str, key: str | None = None) -> Any:
    """A compiled field that is the scenario's ``section.key`` (default key: the field's own name) as it is."""
    return dataclasses.field(metadata={"copied_from": (section, key)})


def copy_fields(slice_type: type, config: Any) -> dict[str, Any]:
    """The values of every :func:`copied` field of ``slice_type``, read from ``config``."""
    values = {}
    for f in dataclasses.fields(slice_type):
        source = f.metadata.get("copied_from")
        if source is not None:
            section, key = source
            values[f.name] = getattr(getattr(config, section), key or f.name)
    return values


def copied_sources(slice_type: type) -> dict[str, str]:
    """Each :func:`copied` field of ``slice_type`` and the scenario key it is read from (``section.key``)."""
    return {
        f.name: f"{f.metadata['copied_from'][0]}.{f.metadata['copied_from'][1] or f.name}"
        for f in dataclasses.fields(slice_type)
        if "copied_from" in f.metadata
    }
