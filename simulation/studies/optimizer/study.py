"""The search loop: ask a batch of trials, run their replicates on the executors, tell the results.

Determinism: the sampler is seeded from the root seed and the number of trials already in
the study, trials are asked ``batch`` at a time in trial-number order, and each batch is
evaluated in synchronous rounds (round ``r`` runs replicate ``r`` of every live trial), so
the same seed and trial count give the same trials whatever the number of workers.

Early stopping, after each round from the second on:

- a trial whose every replicate so far breaks a constraint is stopped and told as
  complete with its partial means and its (broken) constraint values, so the sampler
  learns the region is infeasible (single- and multi-objective);
- single-objective only: Optuna's ``WilcoxonPruner`` compares the trial's replicates with
  the best trial's replicates on the same seeds (common random numbers) and prunes a
  clearly worse one. Optuna does not prune multi-objective studies; there only the
  constraint rule applies.
"""

from __future__ import annotations

import math
import os
import socket
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulation.errors import ScenarioError
from simulation.scenario.config import Config
from simulation.studies.batch.executors import Executor, run_payload
from simulation.studies.batch.plan import config_hash, config_json, layers_json
from simulation.studies.optimizer.problem import Problem

MIN_STOP_REPLICATES = 2  # replicates before a trial may be stopped early
WILCOXON_P = 0.1  # p-value under which WilcoxonPruner stops a worse single-objective trial


@dataclass
class Evaluation:
    """A design's replicate values of the tracked KPIs (or why it failed)."""

    values: dict[str, list[float]]
    error: str = ""
    stopped: str = ""  # "", "infeasible" or "pruned"

    def mean(self, kpi: str) -> float:
        """Mean over the replicates run (NaN-safe)."""
        x = np.asarray(self.values.get(kpi, []), dtype=float)
        x = x[np.isfinite(x)]
        return float(x.mean()) if len(x) else math.nan


def owner() -> str:
    """The running process, as recorded on the trials it runs (a killed run's trials are recognised by it)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(who: str) -> bool:
    host, _, pid = who.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine's trial: leave it to that machine
    import psutil

    return pid.isdigit() and psutil.pid_exists(int(pid))


def distributions(problem: Problem) -> dict[str, Any]:
    """Optuna distributions of the space."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for d in problem.space:
        try:
            if d.choices:
                out[d.key] = CategoricalDistribution(d.labels)
            elif d.integer:
                step = int(d.step) if d.step else 1
                out[d.key] = IntDistribution(int(d.low), int(d.high), log=d.log, step=step)
            else:
                out[d.key] = FloatDistribution(d.low, d.high, log=d.log, step=d.step)
        except ValueError as err:  # Optuna's own checks; make_problem's should have caught it first
            raise ScenarioError(f"--space {d.key}: {err}") from None
    return out


def design_of(problem: Problem, params: dict[str, Any]) -> dict[str, Any]:
    """A trial's config values from its Optuna parameters."""
    return {d.key: d.value(params[d.key]) for d in problem.space}


def make_sampler(problem: Problem, seed: int, trials_so_far: int) -> Any:
    """A seeded TPE sampler; its seed also depends on the trials so far (a resumed study goes on from there).

    Constraints reach it through each trial's ``set_constraint`` values (Optuna 5's constraint API).
    """
    import optuna

    sampler_seed = int(np.random.SeedSequence([seed, trials_so_far]).generate_state(1)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(
            seed=sampler_seed,
            n_startup_trials=min(10, max(4, len(problem.space) * 2)),
            multivariate=True,
        )


class Evaluator:
    """Runs designs' replicates on an executor in synchronous rounds (see the module docstring)."""

    def __init__(self, base: Config, problem: Problem, seeds: list[int], executor: Executor) -> None:
        self.base, self.problem, self.seeds, self.executor = base, problem, seeds, executor

    def payloads(self, design: dict[str, Any]) -> tuple[str, str]:
        """The layers and hash of a design's config (a bad combination raises ScenarioError)."""
        config = self.base.with_values(design) if design else self.base
        text = config_json(config)
        return layers_json(config), config_hash(config, text)

    def run(
        self,
        designs: dict[int, dict[str, Any]],
        stop: Callable[[int, int, Evaluation], str] | None = None,
        on_run: Callable[[], None] | None = None,
    ) -> dict[int, Evaluation]:
        """Evaluate ``designs`` (id -> values); ``stop(id, round, evaluation)`` may end one early."""
        evals = {i: Evaluation({k: [] for k in self.problem.tracked}) for i in designs}
        prepared: dict[int, tuple[str, str]] = {}
        for i, design in designs.items():
            try:
                prepared[i] = self.payloads(design)
            except ScenarioError as err:
                evals[i].error = str(err)
        for r, seed in enumerate(self.seeds):
            live = [i for i in designs if i in prepared and not evals[i].error and not evals[i].stopped]
            if not live:
                break
            batch = [
                {
                    "run_id": f"{i}:{r}",
                    "layers": prepared[i][0],
                    "config_hash": prepared[i][1],
                    "seed": seed,
                    "keep_timeseries": False,
                }
                for i in live
            ]
            results = {}
            for result in self.executor.imap_unordered(run_payload, batch):
                results[int(result["run_id"].split(":")[0])] = result
                if on_run is not None:
                    on_run()
            for i in live:  # in design order, whatever order the runs finished in
                result = results[i]
                if result["status"] != "ok":
                    evals[i].error = result["error"]
                    continue
                for kpi in self.problem.tracked:
                    evals[i].values[kpi].append(float(result["summary"].get(kpi, math.nan)))
                if stop is not None and r + 1 >= MIN_STOP_REPLICATES and r + 1 < len(self.seeds):
                    evals[i].stopped = stop(i, r, evals[i])
        return evals


def clearly_infeasible(problem: Problem, evaluation: Evaluation) -> bool:
    """True when every replicate so far breaks one of the constraints."""
    for c in problem.constraints:
        values = evaluation.values[c.kpi]
        if values and all(not c.met(v) for v in values):
            return True
    return False


def fail_abandoned(study: Any, problem: Problem) -> list[dict[str, Any]]:
    """Mark trials left running by a killed process on this machine as failed; return their designs."""
    from optuna.trial import TrialState

    again = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if _alive(str(trial.user_attrs.get("owner", ":"))):
            continue
        study.tell(trial.number, state=TrialState.FAIL)
        if set(trial.params) == {d.key for d in problem.space}:
            again.append(dict(trial.params))
    return again


def finished(study: Any) -> int:
    """Trials that count towards ``--trials``: complete, pruned or failed (not those a killed run abandoned)."""
    from optuna.trial import TrialState

    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    return sum(
        t.state != TrialState.FAIL or "stopped" in t.user_attrs for t in study.get_trials(deepcopy=False, states=states)
    )


def run_trials(
    study: Any,
    problem: Problem,
    evaluator: Evaluator,
    target: int,
    batch: int,
    progress: Callable[[Any], None] | None = None,
    on_run: Callable[[], None] | None = None,
) -> None:
    """Ask, evaluate and tell trials until the study has ``target`` finished ones."""
    from optuna.trial import TrialState

    single = len(problem.objectives) == 1
    dists = distributions(problem)
    for params in fail_abandoned(study, problem):
        study.enqueue_trial(params)
    while (done := finished(study)) < target:
        count = min(batch, target - done)
        trials = {}
        for _ in range(count):
            trial = study.ask(fixed_distributions=dists)
            trial.set_user_attr("owner", owner())
            trials[trial.number] = trial
        designs = {n: design_of(problem, t.params) for n, t in trials.items()}

        def stop(number: int, round_: int, evaluation: Evaluation, trials: dict = trials) -> str:
            if clearly_infeasible(problem, evaluation):
                return "infeasible"
            if single:
                objective = problem.objectives[0]
                trials[number].report(evaluation.values[objective.kpi][-1], step=round_)
                if trials[number].should_prune():
                    return "pruned"
            return ""

        evals = evaluator.run(designs, stop, on_run)
        for number, trial in trials.items():
            tell(study, problem, trial, evals[number], TrialState)
            if progress is not None:
                progress(study)


def tell(study: Any, problem: Problem, trial: Any, evaluation: Evaluation, states: Any) -> None:
    """Record a trial's replicates and constraint values, then tell Optuna its state."""
    trial.set_user_attr("replicates", evaluation.values)
    trial.set_user_attr("stopped", evaluation.stopped)
    if evaluation.error:
        trial.set_user_attr("error", evaluation.error[:500])
        trial.set_user_attr("constraints", [math.inf] * max(1, len(problem.constraints)))
        study.tell(trial, state=states.FAIL)
        return
    violations = [c.violation(evaluation.mean(c.kpi)) for c in problem.constraints]
    trial.set_user_attr("constraints", violations)
    for c, violation in zip(problem.constraints, violations, strict=True):
        trial.set_constraint(str(c), violation)
    if evaluation.stopped == "pruned":
        study.tell(trial, state=states.PRUNED)
        return
    values = [evaluation.mean(o.kpi) for o in problem.objectives]
    if not all(math.isfinite(v) for v in values):
        trial.set_user_attr("error", "an objective is NaN in every replicate")
        study.tell(trial, state=states.FAIL)
        return
    study.tell(trial, values=values)
