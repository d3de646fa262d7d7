"""The Python API: load a scenario, run it, get a result."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from simulation.outputs.result import RunResult, result_of
from simulation.scenario.config import Config

if TYPE_CHECKING:
    from simulation.scenario.limits import Estimate


def check_runnable(config: Config, seed: int | None = None) -> Estimate:
    """Everything :func:`run` refuses before its first step, without stepping; returns the run's estimate.

    The run must fit this machine (:func:`simulation.scenario.limits.check_fits`), then the
    engine is built as :func:`run` builds it (input files read, the company and the social
    graph made: a mean degree the customers cannot have is refused here) and dropped.
    ``silosim validate`` calls this.

    Raises:
        ScenarioError: what ``run`` would refuse, in one line naming the key.
    """
    from simulation.engines.build import build_engine
    from simulation.scenario.limits import check_fits, check_seed

    if not isinstance(config, Config):
        raise TypeError(f"check_runnable: expected a Config, not {type(config).__name__}")
    cost = check_fits(config)
    engine = build_engine(config, check_seed(seed))
    population = getattr(engine, "population", None)  # the agents engine's Mesa agents
    if population is not None:
        population.remove_all_agents()
    return cost


def run(config: Config, seed: int | None = None, *, progress: bool = False) -> RunResult:
    """Run one scenario to the end and return its result.

    The engine is stepped directly, each department on duty by the plan its Mesa agent
    (:class:`simulation.engines.mesa_model.DepartmentAgent`) follows, decided before the step's scheduled
    changes as in :class:`simulation.SocialMediaOrgModel`: the same run, seed for seed,
    without the Mesa model's per-step bookkeeping. Use the Mesa model to watch or extend
    the agents.

    Args:
        config: a validated scenario (see :func:`simulation.load_scenario`).
        seed: root seed, a whole number in [0, 2^63 - 1]; defaults to ``config.simulation.seed``.
        progress: show a progress bar for runs longer than a couple of seconds.

    Raises:
        TypeError: ``config`` is not a :class:`~simulation.scenario.config.Config` (a dict, None).
        ScenarioError: ``seed`` is not a whole number in [0, 2^63 - 1] (as ``--seed`` is refused).
    """
    from tqdm.auto import tqdm

    from simulation.engines.build import build_engine
    from simulation.scenario.limits import check_fits, check_seed

    if not isinstance(config, Config):
        raise TypeError(
            f"run: expected a Config (from simulation.load_scenario or simulation.build_config), "
            f"not {type(config).__name__}"
        )
    seed = check_seed(seed)
    check_fits(config)  # refused before anything is allocated, as the command line refuses it
    engine = build_engine(config, seed)
    steps = config.simulation.steps
    start = time.perf_counter()
    try:
        with tqdm(
            total=steps, desc=config.name, unit="step", disable=not progress, delay=2.0, mininterval=0.5, leave=False
        ) as bar:
            for _ in range(steps):
                engine.step(engine.department_plan(engine.hours))
                bar.update()
        return result_of(engine, time.perf_counter() - start)
    finally:
        population = getattr(engine, "population", None)  # the agents engine's Mesa agents
        if population is not None:
            population.remove_all_agents()  # (Mesa's class-level registry would keep them)
