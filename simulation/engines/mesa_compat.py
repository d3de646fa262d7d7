"""The one place where silosim meets the differences between Mesa 3 releases.

silosim runs on Mesa 3.3.1 (the newest for Python 3.11) and on Mesa 3.4+ (Python 3.12+;
``make test`` runs both). What differs, and how silosim handles it:

- ``Model(seed=...)`` is deprecated from Mesa 3.4 (a ``FutureWarning``) in favour of
  ``Model(rng=...)``. Mesa 3.3.1 already takes ``rng`` and, for an integer, seeds
  ``model.random`` and ``model.rng`` exactly as ``seed`` did, so :func:`model_rng` is the
  same call on every version and the streams (hence every result) are unchanged.
- ``mesa.batch_run``: Mesa 3.4+ takes ``rng=[...]`` (one replicate per value, passed to the
  model's ``seed`` argument, overriding a ``"seed"`` parameter) and deprecates
  ``iterations``; Mesa 3.3.1 has no ``rng`` and replicates come from a ``"seed"``
  parameter. :func:`batch_run` gives one replicate per seed on both. Mesa 3.4+ also adds
  agent-type reporters to the rows (silosim's departments: one row per department per run,
  each carrying the run's model columns); Mesa 3.3.1 gives one row per run.
- ``discrete_space.Network`` computes a spring layout of its graph by default in Mesa 3.5
  (seconds for 600 nodes, far longer for 20,000, and drawn from an unseeded generator);
  silosim never uses node positions, so :func:`network` asks for none where Mesa has the
  ``layout`` argument.
- ``model.time`` is Mesa 3.4+'s clock; silosim's own clock is ``model.engine.hours``
  (simulated hours) and ``model.steps`` counts steps on every version.

Everything else silosim uses (``Agent``, ``AgentSet``, ``DataCollector``,
``discrete_space.CellAgent``, ``FixedAgent``) behaves the same in both. One
deprecation to avoid in new code: indexing an ``AgentSet`` (``agents[0]``) warns from Mesa
3.5; iterate it instead (``next(iter(agents))``, ``list(agents)``).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Iterable, Mapping
from random import Random
from typing import Any

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network


def mesa_version(text: str | None = None) -> tuple[int, int]:
    """(major, minor) of the installed Mesa (or of the version string ``text``)."""
    match = re.match(r"(\d+)\.(\d+)", mesa.__version__ if text is None else text)
    if match is None:
        raise ValueError(f"mesa version: cannot read {text or mesa.__version__!r}")
    return int(match.group(1)), int(match.group(2))


def batch_run_takes_rng(version: tuple[int, int] | None = None) -> bool:
    """Whether ``mesa.batch_run`` seeds replicates through its ``rng`` argument (Mesa 3.4+)."""
    return (version or mesa_version()) >= (3, 4)


def model_rng(seed: int | np.random.Generator | None) -> dict[str, Any]:
    """Keyword arguments seeding ``mesa.Model.__init__`` from ``seed``, without a warning on any Mesa 3."""
    return {"rng": seed}


@functools.cache
def _network_takes_layout() -> bool:
    return "layout" in inspect.signature(Network.__init__).parameters


def network(graph: nx.Graph, random: Random) -> Network:
    """A ``mesa.discrete_space.Network`` over ``graph`` whose cells have no positions (no layout is computed)."""
    if _network_takes_layout():
        return Network(graph, random=random, layout=None)
    return Network(graph, random=random)


def batch_run(
    model_cls: type[mesa.Model],
    parameters: Mapping[str, Any],
    seeds: Iterable[int],
    **options: Any,
) -> list[dict[str, Any]]:
    """``mesa.batch_run`` with one replicate per seed in ``seeds``, on any Mesa 3.

    ``options`` are passed on (``max_steps``, ``number_processes``, ``display_progress``,
    ``data_collection_period``). Each row has a ``seed`` column. ``iterations`` is refused:
    without seeds, Mesa's replicates of a seeded model are identical. A single ``Config``
    value is wrapped in a list (Mesa would iterate over its fields, a pydantic model being
    iterable); with ``mesa.batch_run`` itself write ``{"config": [config]}``.
    """
    from simulation.scenario.config import Config

    parameters = {k: [v] if isinstance(v, Config) else v for k, v in parameters.items()}
    if "iterations" in options or "rng" in options or "seed" in parameters:
        raise ValueError("batch_run: give replicate seeds as `seeds`, not `iterations`, `rng` or a 'seed' parameter")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("batch_run: seeds: give at least one seed")
    if batch_run_takes_rng():
        return mesa.batch_run(model_cls, parameters, rng=seeds, **options)
    return mesa.batch_run(model_cls, {**parameters, "seed": seeds}, **options)
