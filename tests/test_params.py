"""Compiled parameters: the step reads nothing but them, and ``blend`` moves every one of them."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from simulation import build_config
from simulation.core.effects import Step
from simulation.core.params import INTERPOLATED_EVEN_IF_EQUAL, Params, blend
from simulation.engines.build import build_engine


class NoConfig:
    """Stands in for an engine's config: any read of it fails the test."""

    def __getattr__(self, name: str):
        raise AssertionError(f"the step read config.{name}")


def _records_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) for k in a
    )


@pytest.mark.parametrize("engine_name", ["vectorized", "agents"])
def test_the_step_reads_no_config_even_while_an_org_model_is_adopted(engine_name):
    config = build_config(
        {
            "customers": {"count": 300},
            "simulation": {"steps": 60, "engine": engine_name},
            "content": {"posts_per_poster_per_day": 6.0},  # busy enough that every submodel runs
        }
    )
    new = config.with_values({"organization.model": "task_force"})  # training starts, owners move
    plain, blind = build_engine(config, 3), build_engine(config, 3)
    assert "config" not in {f.name for f in dataclasses.fields(Step)}
    for step in range(60):
        if step == 10:
            for engine in (plain, blind):
                engine.reconfigure(new, 12)
                engine.inject_crisis(15)
            blind.config = NoConfig()
        assert _records_equal(plain.step(), blind.step()), step


# --- blend --------------------------------------------------------------------------------------


def _other(value):
    """A value of the same kind that differs from ``value`` (every element of an array)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "b":
            return ~value
        if value.dtype.kind in "iu":
            return value + 1
        return np.where(np.isfinite(value), value + 0.5 * abs(value) + 0.25, 1.0)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5 * abs(value) + 0.25 if math.isfinite(value) else 1.0
    if isinstance(value, str):
        return value + "-other"
    if isinstance(value, tuple):
        return tuple(_other(v) for v in value)
    raise TypeError(f"no test value for a {type(value).__name__}: teach _other and the reference this kind")


def _reference(a, b, w: float, keep_equal: bool):
    """One value part-way, written plainly: floats interpolate (equal ones stay), the rest switch half-way."""
    if isinstance(a, np.ndarray):
        if a.dtype.kind != "f":
            return b if w >= 0.5 else a
        flat = [_reference(float(x), float(y), w, keep_equal) for x, y in zip(a.flat, b.flat, strict=True)]
        return np.array(flat).reshape(a.shape)
    if isinstance(a, float) and not isinstance(a, bool):
        if keep_equal and a == b:
            return a
        if math.isfinite(a) and math.isfinite(b):
            return (1 - w) * a + w * b
    return b if w >= 0.5 else a


def _same(x, y) -> bool:
    if isinstance(x, np.ndarray):
        return x.shape == np.shape(y) and bool(
            np.array_equal(np.asarray(x, float), np.asarray(y, float), equal_nan=True)
        )
    return type(x) is type(y) and x == y


@pytest.fixture(scope="module")
def params() -> Params:
    engine = build_engine(build_config({"customers": {"count": 200}, "organization": {"model": "task_force"}}), 1)
    return engine.params


@pytest.mark.parametrize("w", [0.2, 0.5, 0.7])
def test_blend_moves_every_field(params, w):
    other = dataclasses.replace(params, **{f.name: _other(getattr(params, f.name)) for f in dataclasses.fields(Params)})
    mixed = blend(params, other, w)
    for f in dataclasses.fields(Params):
        a, b, got = getattr(params, f.name), getattr(other, f.name), getattr(mixed, f.name)
        want = _reference(a, b, w, f.name not in INTERPOLATED_EVEN_IF_EQUAL)
        assert _same(got, want), f.name
        interpolated = isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f")
        if interpolated or w >= 0.5:  # (a discrete value switches half-way)
            assert not _same(got, a), f"{f.name} did not move at weight {w}"


def test_blend_keeps_a_value_both_share_exactly(params):
    twin = dataclasses.replace(params, **{f.name: _other(getattr(params, f.name)) for f in dataclasses.fields(Params)})
    twin = dataclasses.replace(twin, awareness_gain=params.awareness_gain, inquiry_mix=params.inquiry_mix.copy())
    mixed = blend(params, twin, 1 / 3)
    assert mixed.awareness_gain == params.awareness_gain
    assert np.array_equal(mixed.inquiry_mix, params.inquiry_mix)
    assert blend(params, twin, 0.0) is params and blend(params, twin, 1.0) is twin


# --- slices -------------------------------------------------------------------------------------


def _slices() -> list[type]:
    return [base for base in Params.__mro__[1:] if dataclasses.is_dataclass(base)]


def test_params_is_the_submodels_slices_and_no_two_slices_declare_one_field():
    declared = [f.name for base in _slices() for f in dataclasses.fields(base)]
    assert len(declared) == len(set(declared)), sorted(n for n in declared if declared.count(n) > 1)
    assert set(declared) == {f.name for f in dataclasses.fields(Params)}
    assert {base.__module__ for base in _slices()} >= {
        f"simulation.core.{name}"
        for name in (
            "content", "diffusion", "needs", "routing", "service", "response",
            "customers", "innovation", "people", "crisis", "costs",
        )
    }  # fmt: skip


def test_every_copied_field_is_a_declared_scenario_parameter_read_as_it_is():
    from simulation.core.slices import copied_sources
    from simulation.scenario.priors import spec_for_key

    config = build_config({"customers": {"count": 300}})
    params = build_engine(config, 1).params
    copied = {name: key for base in _slices() for name, key in copied_sources(base).items()}
    assert len(copied) > 60
    for name, key in copied.items():
        assert spec_for_key(key) is not None, key
        section, field = key.split(".")
        assert getattr(params, name) == getattr(getattr(config, section), field), name


@pytest.mark.parametrize(
    "organization",
    [
        {"model": "centralized"},
        {"model": "centralized", "listeners": ["marketing", "customer_service"], "leads": True},
        {"model": "center_of_excellence", "posters": ["marketing"]},  # leads and a hub who do not post
        {"model": "democratized"},
    ],
)
def test_social_staff_are_the_posters_leads_and_hubs(organization):
    """ODD 7.8/7.10: who does social work (and is paid for it) is every poster, lead and hub, nobody else."""
    from simulation.core.organization import HUB, LEAD

    engine = build_engine(build_config({"customers": {"count": 300}, "organization": organization}), 1)
    roles, posters = engine.structure.roles, engine.structure.posters
    expected = [1.0 if posters[e] or roles[e] in (LEAD, HUB) else 0.0 for e in range(len(roles))]
    assert engine.params.social_staff.tolist() == expected
