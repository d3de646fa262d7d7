"""The Python API: load a scenario, run it, get a result."""

from __future__ import annotations

import time

from simulation.config import Config
from simulation.model import SocialMediaOrgModel
from simulation.result import RunResult, result_of


def run(config: Config, seed: int | None = None, *, progress: bool = False) -> RunResult:
    """Run one scenario to the end through the Mesa model and return its result.

    Args:
        config: a validated scenario (see :func:`simulation.load_scenario`).
        seed: root seed; defaults to ``config.simulation.seed``.
        progress: show a progress bar for runs longer than a couple of seconds.
    """
    from tqdm.auto import tqdm

    model = SocialMediaOrgModel(config, seed, agent_views=False, collect=False)
    steps = config.simulation.steps
    start = time.perf_counter()
    with tqdm(
        total=steps, desc=config.name, unit="step", disable=not progress, delay=2.0, mininterval=0.5, leave=False
    ) as bar:
        for _ in range(steps):
            model.step()
            bar.update()
    result = result_of(model.engine, time.perf_counter() - start)
    model.release()
    return result
