"""What a batch runs: scenarios x parameter points x replicates, expanded into run specs.

Every spec carries its validated config as JSON, the scenario layers it was built from
(so that an intervention switching the org model re-applies the preset as in
:func:`simulation.run`), its seed and a stable run id (``<scenario>-p<point>-r<replicate>``),
so a batch can be split across processes or machines and resumed. Replicate ``i`` gets the
same seed under every scenario and every parameter point (common random numbers):
differences come from the organisation, not luck.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.errors import ScenarioError
from simulation.rng import replicate_seeds
from simulation.scenario.config import Config, build_config, parse_value
from simulation.scenario.limits import MAX_RUNS, Estimate, check_count, check_seed, estimate
from simulation.scenario.priors import integer_key

ID_COLUMNS = ("run_id", "scenario", "point", "replicate", "seed", "config_hash")
MAX_POINTS = 100_000  # parameter points in one batch; more is a typo (and would be planned in memory)


@dataclass(frozen=True)
class RunSpec:
    """One run of a batch: which scenario, at which parameter values, on which seed."""

    run_id: str
    scenario: str
    point: int
    values: dict[str, Any]
    replicate: int
    seed: int
    config_hash: str
    config_json: str = field(repr=False)
    layers_json: str = field(default="{}", repr=False)


@dataclass(frozen=True)
class Plan:
    """A whole batch: its specs in run-id order and how they were designed."""

    kind: str  # "compare", "sweep" or "sensitivity"
    specs: tuple[RunSpec, ...]
    params: tuple[str, ...] = ()
    seed: int = 0
    replicates: int = 1
    design: dict[str, Any] = field(default_factory=dict)  # sampler, ranges, n (for the manifest)
    base_configs: dict[str, str] = field(default_factory=dict)  # scenario -> config JSON before the points
    inputs: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # scenario -> key -> path, sha256
    estimates: tuple[Estimate, ...] = ()  # each spec's estimated memory and time (simulation.scenario.limits)


def config_json(config: Config) -> str:
    """A config as JSON that validates back to the same config (``inf`` kept as ``Infinity``).

    Pydantic's ``model_dump_json`` writes ``inf`` (e.g. ``patience_scale``) as ``null``,
    which does not validate; Python's ``json`` writes ``Infinity``, which does.
    """
    return json.dumps(config.model_dump(mode="json"), sort_keys=True, default=str)


def config_hash(config: Config, text: str | None = None) -> str:
    """A short, stable fingerprint of what a run computes: config, input files' contents, silosim version.

    ``text`` is the config's :func:`config_json` if already made. An edited edge list or org
    chart, or another silosim version, changes the fingerprint.
    """
    from simulation import __version__
    from simulation.scenario.inputs import input_digests

    text = text if text is not None else config_json(config)
    extra = json.dumps({"inputs": input_digests(config), "silosim": __version__}, sort_keys=True)
    return hashlib.sha256(f"{text}\n{extra}".encode()).hexdigest()[:16]


def scenario_inputs(config: Config) -> dict[str, dict[str, str]]:
    """The input files a scenario reads: key -> ``{"path", "sha256"}`` (recorded in the manifest)."""
    from simulation.scenario.inputs import file_digest, input_files

    return {key: {"path": str(path), "sha256": file_digest(path, key)} for key, path in input_files(config).items()}


def layers_json(config: Config) -> str:
    """The scenario layers a config was built from (file and overrides, no defaults or preset), as JSON."""
    return json.dumps(config.layers(), sort_keys=True, default=lambda v: v.item() if hasattr(v, "item") else str(v))


def rebuild_config(layers: str, expected_hash: str) -> Config:
    """A run's config rebuilt from its layers, checked against the planned config's hash.

    A config validated from its full JSON has no layers, so ``with_values`` (used by the
    ``change_org_model`` and ``pilot`` interventions) could not re-apply a preset under
    them; rebuilding keeps a batch run identical to :func:`simulation.run`.

    Raises:
        ScenarioError: the rebuilt config differs from the planned one (e.g. a preset
            registered differently in this process).
    """
    config = build_config(json.loads(layers))
    if config_hash(config) != expected_hash:
        raise ScenarioError(
            "config: differs from the planned config when rebuilt in this process (an input file "
            "changed since the batch started, or a preset registered only in the parent process? "
            "run with workers=1)"
        )
    return config


def name_configs(configs: Sequence[Config] | Mapping[str, Config]) -> dict[str, Config]:
    """Scenario name -> config; names must be unique and usable in file names."""
    if isinstance(configs, Mapping):
        named = dict(configs)
    else:
        named = {}
        for config in configs:
            if config.name in named:
                raise ScenarioError(f"name: two scenarios are called {config.name!r}; give each a unique name")
            named[config.name] = config
    if not named:
        raise ScenarioError("no scenario given")
    return named  # (each name fits a file name: the scenario schema checks it)


def expand(
    kind: str,
    configs: Sequence[Config] | Mapping[str, Config],
    replicates: int,
    seed: int,
    points: Sequence[Mapping[str, Any]] = ({},),
    design: Mapping[str, Any] | None = None,
) -> Plan:
    """Every scenario x point x replicate as a :class:`RunSpec`, validated up front.

    Args:
        kind: "compare", "sweep" or "sensitivity" (chooses the report's sections).
        configs: the scenarios (names must be unique).
        replicates: runs per scenario and point, on seeds spawned from ``seed``.
        seed: root seed of the replicate seeds.
        points: parameter values (dotted key -> value) applied over every scenario.
        design: how the points were made, recorded in the manifest.

    Raises:
        ScenarioError: a point makes an invalid config (the message names the key).
    """
    replicates = check_count(replicates, "--replicates")
    seed = check_seed(seed)
    named = name_configs(configs)
    runs = len(named) * len(points) * replicates
    if runs > MAX_RUNS:
        raise ScenarioError(f"--replicates: {runs:,} runs are over the limit of {MAX_RUNS:,} runs in one study")
    seeds = replicate_seeds(seed, replicates)
    params = tuple(dict.fromkeys(key for point in points for key in point))
    specs = []
    bases = {}
    inputs = {}
    costs: dict[str, Estimate] = {}
    for scenario, base in named.items():
        if base.name != scenario:
            base = base.with_values({"name": scenario})
        bases[scenario] = config_json(base)
        inputs[scenario] = scenario_inputs(base)
        for p, values in enumerate(points):
            config = base.with_values(values) if values else base
            text, layers = config_json(config), layers_json(config)
            digest = config_hash(config, text)
            cost = estimate(config)
            for r, s in enumerate(seeds):
                run_id = f"{scenario}-p{p:04d}-r{r:03d}"
                specs.append(RunSpec(run_id, scenario, p, dict(values), r, s, digest, text, layers))
                costs[run_id] = cost
    specs.sort(key=lambda s: s.run_id)
    design = {**(design or {}), "scenarios": list(named)}
    estimates = tuple(costs[spec.run_id] for spec in specs)
    return Plan(kind, tuple(specs), params, seed, replicates, design, bases, inputs, estimates)


# --------------------------------------------------------------------------------------------
# --param parsing


def _number(text: str, option: str) -> float:
    value = parse_value(text.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{option}: {text.strip()!r} is not a number")
    return value


def _split(text: str, option: str = "--param") -> tuple[str, str]:
    if "=" not in text:
        raise ScenarioError(f"{option} {text}: expected key=start:stop:num, key=a,b,c or key=low:high")
    key, spec = (part.strip() for part in text.split("=", 1))
    if not key or not all(key.split(".")):
        raise ScenarioError(f"{option} {text}: empty key")
    if not spec:
        raise ScenarioError(f"{option} {text}: no values")
    return key, spec


def parse_grid_param(text: str) -> tuple[str, list[Any]]:
    """``key=start:stop:num`` (evenly spaced, ends included) or ``key=a,b,c`` -> (key, values)."""
    key, spec = _split(text)
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise ScenarioError(f"--param {text}: a range is start:stop:num")
        start, stop = _number(parts[0], f"--param {key}"), _number(parts[1], f"--param {key}")
        num = parse_value(parts[2].strip())
        if not isinstance(num, int) or isinstance(num, bool) or num < 1:
            raise ScenarioError(f"--param {text}: num must be a whole number >= 1")
        if num > MAX_POINTS:
            raise ScenarioError(f"--param {text}: {num} values; at most {MAX_POINTS} points in a batch")
        values = [float(v) for v in np.linspace(start, stop, num)]
        if all(isinstance(x, int) for x in (start, stop)) and all(v.is_integer() for v in values):
            return key, [int(v) for v in values]
        return key, [round(v, 12) for v in values]
    values = [parse_value(part.strip()) for part in spec.split(",")]
    if any(part.strip() == "" for part in spec.split(",")):
        raise ScenarioError(f"--param {text}: empty value in list")
    return key, values


def parse_range_param(text: str) -> tuple[str, tuple[float, float]]:
    """``key=low:high`` -> (key, (low, high)) for LHS and Sobol sampling."""
    key, spec = _split(text)
    parts = spec.split(":")
    if len(parts) != 2:
        raise ScenarioError(f"--param {text}: expected key=low:high")
    low, high = (float(_number(part, f"--param {key}")) for part in parts)
    if not low < high:
        raise ScenarioError(f"--param {text}: low must be below high")
    return key, (low, high)


def grid_points(params: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The product of every parameter's values (first parameter varies slowest)."""
    keys = list(params)
    size = math.prod(len(params[k]) for k in keys)
    if size > MAX_POINTS:
        raise ScenarioError(f"--param: the grid has {size} points; at most {MAX_POINTS} in a batch")
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(params[k] for k in keys))]


def rows_to_points(keys: Sequence[str], rows: np.ndarray) -> list[dict[str, Any]]:
    """Sampled rows (one column per key) as points; integer keys rounded."""
    rounders = [integer_key(k) for k in keys]
    return [
        {k: int(round(float(v))) if is_int else float(v) for k, v, is_int in zip(keys, row, rounders, strict=True)}
        for row in rows
    ]


def draw_points(draws: Any) -> list[dict[str, Any]]:
    """Parameter draws (a DataFrame, one column per dotted key, one row per draw) as points.

    Each draw becomes one parameter point that :func:`expand` applies to every scenario, on
    the same replicate seeds: common random numbers over draws and replicates.
    """
    if draws is None or len(draws) == 0 or len(draws.columns) == 0:
        raise ScenarioError("--uncertainty: no parameter draws")
    keys = list(draws.columns)
    rounders = [integer_key(k) for k in keys]
    points = []
    for row in draws.itertuples(index=False):
        point = {}
        for key, value, is_int in zip(keys, row, rounders, strict=True):
            value = value.item() if isinstance(value, np.generic) else value
            if is_int and isinstance(value, float) and value.is_integer():
                value = int(value)
            point[key] = value
        points.append(point)
    if len(points) > MAX_POINTS:
        raise ScenarioError(f"--draws {len(points)}: at most {MAX_POINTS} points in a batch")
    return points
