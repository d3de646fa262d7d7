"""Set-up streams: one ``SeedSequence`` per run, one named child stream per part of the set-up.

Streams are keyed by name (not by creation order), so adding a stream never shifts the
draws of another, and the company, the customers and the graph are the same under
every org model for a given seed (common random numbers). The step's draws are keyed
draws (:mod:`simulation.core.keyed`); of these streams the step uses only ``agents`` (the
agents engine's order of visits, which cannot change a result).
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = ("company", "social_graph", "customers", "agents")


def stream(seed: int | np.random.SeedSequence, name: str) -> np.random.Generator:
    """The generator of one named stream of a run."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    key = zlib.crc32(name.encode())
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, key))))


def streams(seed: int | np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """All named streams of a run."""
    return {name: stream(seed, name) for name in STREAMS}


def replicate_seeds(seed: int, count: int) -> list[int]:
    """Seeds of ``count`` replicates, spawned from one root: reproducible and independent."""
    children = np.random.SeedSequence(seed).spawn(count)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]
