"""Calibration: fit a prior's parameters to a company's observed KPIs with pyabc's ABC-SMC.

:func:`calibrate` runs ABC-SMC (adaptive distance, adaptive epsilon) over the model, on the
same executors as a batch (in-process, a local process pool, or Dask), with pyabc's SQLite
history in ``out`` so a calibration can be inspected (``pyabc.History``) and resumed. It
writes ``posterior.csv``, ``calibrated.toml`` and ``report.md`` (see
:mod:`simulation.studies.calibration_report`).

A particle is a model run that succeeded: a run that fails, or gives no value (NaN) for an
observed KPI, is never accepted (and does not widen the distance's scale). A sampling task
gives up after :data:`FAILED_IN_A_ROW` such runs in a row; a generation short of particles
ends the calibration, and one that accepted nothing at all is an error (nothing is written).

Reproducibility: pyabc's own samplers seed each worker from the clock. Here a
:class:`SeededMappingSampler` gives the i-th sampling task of a generation its own seed from
``SeedSequence([seed, generation, i])`` and collects results in task order, and every model run
is seeded from the calibration seed and the particle's parameter values; so the same seed
gives the same posterior with any number of workers.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import math
import random
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.errors import ScenarioError
from simulation.scenario.config import Config, read_table_file
from simulation.scenario.priors import CHOICE_NOT_CALIBRATED, Prior, apply_draw, one_line, priors_from_table

HISTORY = "history.db"
MANIFEST = "calibration.json"
DEFAULT_SD_SHARE = 0.1  # a bare observed number: its sd is 10% of the value
FAR = 1e9  # a failed run or an undefined KPI is put this far away, and never accepted
FAILED_IN_A_ROW = 50  # a sampling task gives up after this many failed runs in a row
MAX_SD_FACTOR = 1e6  # an observed sd above MAX_SD_FACTOR x (|value| + 1) says nothing: refused
PREDICTIVE_RUNS = 20  # posterior-predictive runs in the report


@dataclass(frozen=True)
class Observation:
    """One observed KPI: its value and its uncertainty (standard deviation)."""

    kpi: str
    value: float
    sd: float


def kpi_range(name: str) -> tuple[float, float]:
    """The values a KPI can take: shares and rates in [0, 1], signed shares in [-1, 1], others >= 0."""
    if name in ("net_share_of_voice", "sentiment_mean", "net_value"):
        return (-1.0, 1.0) if name != "net_value" else (-math.inf, math.inf)
    if name.endswith("_pct"):
        return 0.0, 100.0
    if name.endswith(("_rate", "_share")) or name in ("share_of_voice", "positive_share_of_voice", "utilisation"):
        return 0.0, 1.0
    return 0.0, math.inf


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def observations_from_table(table: Any, where: str = "observed") -> dict[str, Observation]:
    """Observations from ``{kpi: value | {value, sd}}``; unknown KPIs and impossible values are named."""
    from simulation.outputs.kpis import all_kpis

    if not isinstance(table, Mapping) or not table:
        raise ScenarioError(f"observed: {where} has no [observed] table (or it is empty)")
    known = all_kpis()
    out = {}
    for kpi, spec in table.items():
        key = f"observed.{kpi}"
        if kpi not in known:
            raise ScenarioError(f"{key}: unknown KPI (see simulation.outputs.kpis.SUMMARY)")
        if isinstance(spec, Mapping):
            extra = [k for k in spec if k not in ("value", "sd")]
            if extra:
                raise ScenarioError(f"{key}.{extra[0]}: unknown key (expected value and sd)")
            if "value" not in spec:
                raise ScenarioError(f"{key}.value: required key missing")
            value, sd = spec["value"], spec.get("sd")
        else:
            value, sd = spec, None
        if not _number(value):
            raise ScenarioError(f"{key}: {value!r:.40} is not a finite number")
        if sd is None:
            sd = abs(value) * DEFAULT_SD_SHARE
            if sd == 0:
                raise ScenarioError(f"{key}: the value is 0, so give its sd ({{ value = 0, sd = ... }})")
        if not _number(sd) or sd <= 0:
            raise ScenarioError(f"{key}.sd: {sd!r:.40} must be a positive number")
        if sd > MAX_SD_FACTOR * (abs(value) + 1):
            raise ScenarioError(
                f"{key}.sd: {sd:g} is absurdly large (at most {MAX_SD_FACTOR:g} x (|value| + 1) ="
                f" {MAX_SD_FACTOR * (abs(value) + 1):g})"
            )
        low, high = kpi_range(kpi)
        if not low <= value <= high:
            raise ScenarioError(f"{key}: {value:g} is outside the KPI's range [{low:g}, {high:g}]")
        out[kpi] = Observation(kpi, float(value), float(sd))
    return out


def load_observed(path: str | Path) -> dict[str, Observation]:
    """Read an observed-KPI TOML file (an ``[observed]`` table); every problem names the key."""
    path = Path(path)
    return observations_from_table(read_table_file(path, "observed"), str(path))


# --------------------------------------------------------------------------------------------
# The model as pyabc sees it


@functools.cache
def _exp_rv_class():  # noqa: ANN202 - built lazily so importing this module does not import pyabc
    from pyabc.random_variables import RVDecorator

    class ExpOf(RVDecorator):
        """``exp(X)`` of a random variable ``X`` (a truncated lognormal from a truncated normal)."""

        def rvs(self, *args: Any, **kwargs: Any) -> float:  # noqa: ARG002, D102
            return math.exp(self.component.rvs())

        def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:  # noqa: ARG002, D102
            return float(self.component.pdf(math.log(x)) / x) if x > 0 else 0.0

        pmf = pdf

        def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:  # noqa: ARG002, D102
            return float(self.component.cdf(math.log(x))) if x > 0 else 0.0

        def decorator_repr(self) -> str:  # noqa: D102
            return "exp"

    return ExpOf


def _pyabc_prior(priors: Mapping[str, Prior]):  # noqa: ANN202 - pyabc.Distribution
    """The priors as pyabc's; a normal or lognormal truncated to its parameter's range (see Prior.support)."""
    import pyabc

    rvs = {}
    for key, prior in priors.items():
        if prior.kind == "choice":
            raise ScenarioError(f"prior.{key}: {CHOICE_NOT_CALIBRATED}")
        a, b = prior.args
        if prior.kind == "uniform":
            rvs[key] = pyabc.RV("uniform", a, b - a)
        elif prior.kind == "loguniform":
            rvs[key] = pyabc.RV("loguniform", a, b)
        elif prior.truncated:
            frozen = prior.truncnorm()
            normal = pyabc.RV(frozen.dist.name, *frozen.args, **frozen.kwds)  # truncnorm (or uniform: flat)
            rvs[key] = normal if prior.kind == "normal" else _exp_rv_class()(normal)
        elif prior.kind == "normal":
            rvs[key] = pyabc.RV("norm", a, b)
        else:
            rvs[key] = pyabc.RV("lognorm", b, scale=math.exp(a))
    return pyabc.Distribution(**rvs)


def run_seed(seed: int, values: Mapping[str, float]) -> int:
    """The seed of a model run: from the calibration seed and the particle's values (same particle, same run)."""
    text = json.dumps({k: float(v) for k, v in sorted(values.items())}, sort_keys=True)
    words = np.frombuffer(hashlib.sha256(text.encode()).digest()[:16], dtype=np.uint32)
    state = np.random.SeedSequence([seed, *map(int, words)]).generate_state(1, dtype=np.uint64)[0]
    return int(state >> np.uint64(1))


@dataclass
class Simulator:
    """``parameters -> {kpi: value}`` for pyabc: one model run of the scenario with the parameters set.

    Pickled to workers as the scenario's layers; a run that fails (or an undefined KPI) is
    reported as :data:`FAR` for every KPI (see :func:`failed`), and never accepted.
    """

    layers: str
    seed: int
    kpis: tuple[str, ...]
    _config: Config | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"layers": self.layers, "seed": self.seed, "kpis": self.kpis, "_config": None}

    def config(self) -> Config:
        """The scenario (built once per process)."""
        if self._config is None:
            from simulation.scenario.config import build_config

            self._config = build_config(json.loads(self.layers))
        return self._config

    def summary(self, values: Mapping[str, float]) -> dict[str, float]:
        """Every KPI of one run at ``values`` (NaN for undefined ones)."""
        from simulation.api import run

        plain = {k: float(v) for k, v in values.items()}
        result = run(apply_draw(self.config(), plain), seed=run_seed(self.seed, plain))
        return {k: float(v) for k, v in result.summary.items()}

    def summary_or_nan(self, values: Mapping[str, float]) -> dict[str, float]:
        """:meth:`summary`, or no KPIs (read as NaN) when the run fails."""
        try:
            return self.summary(values)
        except Exception:  # noqa: BLE001 - a failed predictive run is a missing row's values
            return {}

    def __call__(self, values: Mapping[str, float]) -> dict[str, float]:
        """The observed KPIs of one run at ``values`` (:data:`FAR` for a failed run or an undefined KPI)."""
        try:
            summary = self.summary(values)
        except Exception:  # noqa: BLE001 - a particle whose run fails is simply never accepted
            summary = {}
        values = [summary.get(kpi, math.nan) for kpi in self.kpis]
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            return dict.fromkeys(self.kpis, FAR)
        return dict(zip(self.kpis, values, strict=True))


def failed(sum_stat: Mapping[str, Any]) -> bool:
    """Whether a simulation's KPIs are a failed run's (or an undefined KPI's): never a particle."""
    return any(value == FAR for value in sum_stat.values())


def _seeded_task(args: tuple[bytes, int]) -> tuple[Any, int, int]:
    """One sampling task: seed pyabc's global generators, then sample until one particle is accepted.

    Gives up after :data:`FAILED_IN_A_ROW` failed runs in a row (a particle nothing can give).
    Returns the sample, the runs made and how many of them failed.
    """
    import cloudpickle

    pickled, task_seed = args
    simulate_one, sample = cloudpickle.loads(pickled)
    np.random.seed(task_seed % 2**32)  # pyabc draws from the global generators; seeded per task here
    random.seed(task_seed)
    evaluations = failures = in_a_row = 0
    while in_a_row < FAILED_IN_A_ROW:
        particle = simulate_one()
        evaluations += 1
        bad = failed(particle.sum_stat)
        failures += bad
        in_a_row = in_a_row + 1 if bad else 0
        sample.append(particle)
        if particle.accepted:
            break
    return sample, evaluations, failures


class NothingAccepted(Exception):  # noqa: N818 - a state, caught by calibrate
    """Raised by the sampler when every run of the calibration sample failed, or a generation came up short."""

    def __init__(self, t: int, runs: int, failures: int, accepted: int, parameter: dict | None) -> None:
        super().__init__(t, runs, failures, accepted)
        self.t, self.runs, self.failures, self.accepted, self.parameter = t, runs, failures, accepted, parameter


def _acceptor():  # noqa: ANN202 - pyabc.UniformAcceptor, built lazily
    from pyabc.acceptor import AcceptorResult, UniformAcceptor

    class RejectFailed(UniformAcceptor):
        """pyabc's uniform acceptor, except that a failed run (or an undefined KPI) is never accepted."""

        def __call__(self, distance_function, eps, x, x_0, t, par):  # noqa: ANN001, ANN204, D102
            result = super().__call__(distance_function, eps, x, x_0, t, par)
            if failed(x):
                return AcceptorResult(distance=result.distance, accept=False)
            return result

    return RejectFailed()


def _sampler_class():  # noqa: ANN202 - built lazily so importing this module does not import pyabc
    from pyabc.sampler import Sampler

    class SeededMappingSampler(Sampler):
        """pyabc's mapping sampler, made deterministic: task ``i`` of generation ``t`` has its own seed.

        ``map_`` is an order-preserving map (the builtin, a process pool's, or Dask's gather of
        ``client.map``); the result does not depend on how many workers run the tasks.
        """

        def __init__(self, map_: Callable, seed: int, on_task: Callable[[int], None] | None = None) -> None:
            super().__init__()
            self.map_ = map_
            self.seed = seed
            self.on_task = on_task
            self.calls: dict[int, int] = {}

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):  # noqa: ANN001, ANN201, ARG002, D102
            import cloudpickle

            call = self.calls.get(t, 0)
            self.calls[t] = call + 1
            children = np.random.SeedSequence([self.seed, t + 2, call]).spawn(n)
            seeds = [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
            pickled = cloudpickle.dumps((simulate_one, self._create_empty_sample()))
            sample = self._create_empty_sample()
            total = failures = 0
            for result, evaluations, failed_runs in self.map_(_seeded_task, [(pickled, s) for s in seeds]):
                sample += result
                total += evaluations
                failures += failed_runs
                if self.on_task is not None:
                    self.on_task(evaluations)
            self.nr_evaluations_ = total
            bad = [p for p in sample.all_particles if failed(p.sum_stat)]
            first = dict(bad[0].parameter) if bad else None  # a failed run, to say why it failed
            if all_accepted and failures == total:  # the calibration sample: not one run gave the KPIs
                raise NothingAccepted(t, total, failures, 0, first)
            if sample.n_accepted < n:  # some task gave up
                raise NothingAccepted(t, total, failures, sample.n_accepted, first)
            return sample

    return SeededMappingSampler


@contextlib.contextmanager
def _mapper(workers: int, executor: str, scheduler: str | None) -> Iterable[Callable]:
    """An order-preserving map over the batch executors: in-process, a spawned process pool, or Dask."""
    if scheduler is not None or executor == "dask":
        from simulation.studies.batch.executors import DaskExecutor

        dask = DaskExecutor(workers, scheduler)
        try:
            yield lambda fn, items: dask.client.gather(dask.client.map(fn, list(items), pure=False))
        finally:
            dask.close()
    elif executor != "local":
        raise ScenarioError(f"--executor {executor}: expected local or dask")
    elif workers <= 1:
        yield map
    else:
        from simulation.studies.batch.executors import release_pool, start_pool

        pool, stamp, _ = start_pool(workers)  # the batches' pool: warm if a batch just ran
        finished = False
        try:
            yield lambda fn, items: pool.map(fn, list(items))
            finished = True
        finally:
            release_pool(workers, pool, stamp, finished=finished)


# --------------------------------------------------------------------------------------------
# The calibration


@dataclass
class CalibrationResult:
    """A finished calibration.

    Attributes:
        posterior: one row per particle of the last generation: parameter values, ``weight``, ``distance``.
        generations: per generation ``t``: ``epsilon``, ``particles``, ``evaluations``, ``acceptance_rate``, ``ess``.
        priors: the priors fitted; observed: the observations.
        config: the scenario; calibrated: the scenario with the posterior medians.
        runs: model runs in all (calibration sample and every generation, previous sessions included).
        predictive: posterior-predictive KPIs, one row per run (empty if not computed).
        root: the output directory, or None.
        stopped: why the calibration ended early (a generation came up short of particles), or None.
    """

    posterior: pd.DataFrame
    generations: pd.DataFrame
    priors: dict[str, Prior]
    observed: dict[str, Observation]
    config: Config
    calibrated: Config
    runs: int
    predictive: pd.DataFrame = field(default_factory=pd.DataFrame)
    root: Path | None = None
    seed: int = 0
    stopped: str | None = None  # why the last generations did not run (a generation came up short), or None

    @property
    def params(self) -> list[str]:
        """The calibrated parameters."""
        return list(self.priors)

    def quantile(self, key: str, q: float) -> float:
        """The weighted posterior quantile ``q`` of ``key``."""
        return weighted_quantile(self.posterior[key].to_numpy(float), self.posterior["weight"].to_numpy(float), q)

    def credible_interval(self, key: str, level: float = 0.9) -> tuple[float, float]:
        """The central credible interval of ``key`` at ``level``."""
        tail = (1 - level) / 2
        return self.quantile(key, tail), self.quantile(key, 1 - tail)

    def medians(self) -> dict[str, float]:
        """Posterior medians of every parameter."""
        return {key: self.quantile(key, 0.5) for key in self.params}


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The quantile ``q`` of ``values`` under ``weights`` (the inverse of the weighted CDF, interpolated)."""
    order = np.argsort(values)
    values, weights = values[order], weights[order] / weights.sum()
    cdf = np.cumsum(weights) - weights / 2
    return float(np.interp(q, cdf, values))


def _manifest(
    config: Config, observed: Mapping[str, Observation], priors: Mapping[str, Prior], seed: int, particles: int
) -> dict:
    from simulation.studies.batch.plan import config_hash

    return {
        "config_hash": config_hash(config),
        "observed": {k: [o.value, o.sd] for k, o in observed.items()},
        "priors": {k: [p.kind, list(p.args)] for k, p in priors.items()},
        "seed": seed,
        "particles": particles,
    }


def _check_out(out: Path, manifest: dict, overwrite: bool) -> bool:
    """True when ``out`` holds this calibration's history (resume); refuse another calibration's."""
    from simulation.studies.batch.store import check_writable

    check_writable(out)  # first: a path the file system refuses (a name too long) is named here
    path = out / MANIFEST
    if overwrite:
        for name in (HISTORY, MANIFEST, "posterior.csv", "calibrated.toml", "report.md", "generations.csv"):
            with contextlib.suppress(FileNotFoundError):
                (out / name).unlink()
    if path.is_file():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ScenarioError(f"--out {out}: {MANIFEST} is unreadable; use --overwrite or another --out") from None
        if previous != manifest:
            changed = next(k for k in manifest if previous.get(k) != manifest[k])
            raise ScenarioError(
                f"--out {out}: holds another calibration ({changed} differs); use --overwrite or another --out"
            )
        return (out / HISTORY).is_file()
    if out.exists() and any(out.iterdir()) and not overwrite and (out / HISTORY).exists():
        raise ScenarioError(f"--out {out}: holds a history without {MANIFEST}; use --overwrite or another --out")
    return False


def _check_priors(config: Config, priors: Mapping[str, Prior]) -> None:
    """Every prior must give valid values of this scenario: both ends and the middle, or every choice.

    Checked before anything is written, so a prior over a key that is not a number (or a range
    outside the key's) is refused up front instead of failing every particle (or the first run).
    """
    for prior in priors.values():
        if prior.kind == "choice":
            values = list(prior.args)
        elif prior.kind in ("uniform", "loguniform"):
            low, high = prior.bounds()
            values = [low, high, (low + high) / 2]
        else:
            values = [prior.args[0] if prior.kind == "normal" else math.exp(prior.args[0])]
        for value in values:
            try:
                apply_draw(config, {prior.key: value})
            except ScenarioError as err:
                reason = str(err).removeprefix(f"{prior.key}: ")
                raise ScenarioError(f"prior.{prior.key}: {value!r}: {reason}") from None


def calibrate(
    config: Config,
    observed: Mapping[str, Observation] | Mapping[str, Any],
    priors: Mapping[str, Prior],
    *,
    particles: int = 100,
    generations: int = 5,
    seed: int | None = None,
    workers: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = False,
    predictive: int = PREDICTIVE_RUNS,
    scenario_path: str | Path | None = None,
) -> CalibrationResult:
    """Fit ``priors``' parameters of ``config`` to ``observed`` KPIs by ABC-SMC (pyabc).

    Args:
        config: the company's scenario.
        observed: KPI -> :class:`Observation` (or the TOML form ``value`` / ``{value, sd}``).
        priors: the parameters to fit (see :func:`simulation.scenario.priors.load_prior`).
        particles: population size per generation.
        generations: generations in all; a calibration resumed from ``out`` runs only the missing ones.
        seed: root seed (default: the scenario's ``simulation.seed``).
        workers: parallel model runs.
        executor: "local" (process pool) or "dask" (a Dask LocalCluster).
        scheduler: address of a running Dask scheduler (implies Dask).
        out: directory for the SQLite history, ``posterior.csv``, ``calibrated.toml`` and ``report.md``.
        overwrite: start afresh in ``out``.
        progress: a progress bar per generation on stderr.
        predictive: posterior-predictive runs for the report (0: none).
        scenario_path: the scenario's file, which ``calibrated.toml`` then ``extends``.

    Raises:
        ScenarioError: bad observations, priors, options or ``out`` (nothing is written); or no
            particle accepted in the first generation (every run failed or gave no value for an
            observed KPI): then nothing is left in ``out`` either.
    """
    import pyabc

    if not all(isinstance(o, Observation) for o in observed.values()):
        observed = observations_from_table(dict(observed))
    else:  # built by hand: the same checks as a file's
        observations_from_table({k: {"value": o.value, "sd": o.sd} for k, o in observed.items()})
    observed = dict(observed)
    priors = _calibration_priors(priors)
    from simulation.scenario.limits import check_count, check_seed, check_study, estimate

    if not isinstance(config, Config):
        raise TypeError(f"calibrate: expected a Config (from simulation.load_scenario), not {type(config).__name__}")
    particles = check_count(particles, "--particles", 2)
    generations = check_count(generations, "--generations")
    predictive = check_count(predictive, "--predictive", 0)
    workers = check_count(workers, "--workers")
    seed = config.simulation.seed if seed is None else check_seed(seed)
    # The whole calibration, before anything is written: at least the particles of every generation
    # (and of the calibration sample pyabc runs first), plus the posterior-predictive runs.
    sizes = {"--particles": particles, "--generations": generations, "--predictive": predictive}
    check_study(
        estimate(config),
        particles * (generations + 1) + predictive,
        workers,
        max(sizes, key=sizes.get),
        check_memory=scheduler is None,
    )
    _check_priors(config, priors)
    abc_prior = _pyabc_prior(priors)
    kpis = tuple(observed)
    from simulation.studies.batch.plan import layers_json

    simulator = Simulator(layers_json(config), seed, kpis)
    manifest = _manifest(config, observed, priors, seed, particles)
    root = Path(out) if out is not None else None
    resume = created = False
    if root is not None:
        resume = _check_out(root, manifest, overwrite)
        created = not root.exists()
        root.mkdir(parents=True, exist_ok=True)
        # Written first, so a calibration cut off mid-generation resumes from its history.
        (root / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    np.random.seed(np.random.SeedSequence(seed).generate_state(1)[0])  # pyabc's own draws in this process
    random.seed(seed)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    x_0 = {o.kpi: o.value for o in observed.values()}
    sd = np.array([observed[k].sd for k in kpis])

    stopped = None
    with _mapper(workers, executor, scheduler) as map_, _progress(progress, particles) as bar:
        sampler = _sampler_class()(map_, seed, on_task=bar)
        distance = pyabc.AdaptivePNormDistance(p=2, scale_function=ScaleWithSd(sd))
        abc = pyabc.ABCSMC(
            simulator, abc_prior, distance, population_size=particles, sampler=sampler, acceptor=_acceptor()
        )
        db = f"sqlite:///{(root or Path('.')).resolve() / HISTORY}" if root is not None else "sqlite://"
        if resume:
            abc.load(db, 1)
            done = abc.history.max_t + 1
        else:
            abc.new(db, x_0)
            done = 0
        try:
            if done < generations:
                t = abc.initialize_components_before_run(
                    minimum_epsilon=0.0,
                    max_nr_populations=generations - done,
                    min_acceptance_rate=0.0,
                    max_total_nr_simulations=np.inf,
                    max_walltime=None,
                    min_eps_diff=0.0,
                )
                while t < generations:
                    bar.generation(t, generations)
                    ret = abc.run_generation(t=t)
                    if not ret["successful"]:
                        break
                    t += 1
        except NothingAccepted as short:
            bar.close()
            message = _nothing_accepted(short, simulator, particles)
            if abc.history.max_t < 0:  # not one generation: no posterior, and nothing left in out
                if root is not None and not resume:
                    _remove_outputs(root, created)
                raise ScenarioError(message) from None
            stopped = f"{message}; the posterior is generation {abc.history.max_t + 1}'s"
        history = abc.history
        result = _result(history, priors, observed, config, seed, root)
        result.stopped = stopped
        if predictive:
            result.predictive = posterior_predictive(result, predictive, map_)
    if root is not None:
        from simulation.studies.calibration_report import write_outputs

        write_outputs(result, Path(scenario_path) if scenario_path is not None else None)
    return result


def _calibration_priors(priors: Mapping[str, Any]) -> dict[str, Prior]:
    """The priors as a prior file's would be read (same checks, same messages); a choice prior is refused first."""
    table = {}
    for key, prior in dict(priors).items():
        if isinstance(prior, Prior):
            key, prior = prior.key, prior.to_spec()  # noqa: PLW2901 - checked as written in a file
        table[key] = prior
    if not table:
        raise ScenarioError("prior: no parameter to calibrate")
    return priors_from_table(table, where="the priors", choice=False)


def _nothing_accepted(short: NothingAccepted, simulator: Simulator, particles: int) -> str:
    """Why a generation has no (or too few) particles, in one line naming the KPI or the model's error."""
    where = "the calibration sample" if short.t < 0 else f"generation {short.t + 1}"
    counts = f"{short.failures} of {short.runs} runs in {where} failed or gave no value"
    head = "no particle accepted" if short.t < 0 else f"{short.accepted} of {particles} particles accepted"
    why = ""
    if short.parameter is not None:
        try:  # one failed run again, here: its error, or the KPI it left undefined
            summary = simulator.summary(short.parameter)
        except Exception as err:  # noqa: BLE001 - reported, one line
            why = f"; e.g. at {_values(short.parameter)}: {one_line(err)}"
        else:
            undefined = [k for k in simulator.kpis if not math.isfinite(summary.get(k, math.nan))]
            if undefined and short.t < 0:
                return (
                    f"observed.{undefined[0]}: {head}: {counts}; the model gives this KPI no value (NaN), "
                    f"e.g. at {_values(short.parameter)} (a crisis KPI where no crisis happens?)"
                )
            if undefined:
                why = f"; e.g. {undefined[0]} has no value (NaN) at {_values(short.parameter)}"
    return f"calibrate: {head}: {counts}{why}"


def _values(parameter: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {float(v):.4g}" for k, v in parameter.items())


def _remove_outputs(root: Path, created: bool) -> None:
    """Take back what a calibration that accepted nothing wrote in ``root`` (its manifest and history)."""
    for name in (MANIFEST, HISTORY, HISTORY + "-journal"):
        with contextlib.suppress(FileNotFoundError):
            (root / name).unlink()
    if created:
        with contextlib.suppress(OSError):
            root.rmdir()  # only if empty


class ScaleWithSd:
    """Each KPI's scale for the adaptive distance: the simulations' spread (MAD) and the observation's sd, combined."""

    __name__ = "mad_and_observed_sd"  # pyabc records the scale function by name

    def __init__(self, sd: np.ndarray) -> None:
        self.sd = np.asarray(sd, dtype=float)

    def __call__(self, *, samples: np.ndarray, **kwargs: Any) -> np.ndarray:
        """One scale per KPI from the simulated ``samples`` (rows: runs, columns: KPIs); failed runs left out."""
        from pyabc.distance.scale import mad

        samples = np.where(np.asarray(samples, dtype=float) == FAR, np.nan, samples)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a KPI no run gave: all NaN
            spread = mad(samples=samples, **kwargs)
        return np.hypot(np.nan_to_num(spread, nan=0.0, posinf=0.0), self.sd)


class _Bar:
    """A tqdm bar per generation, counting accepted particles (no-op when disabled)."""

    def __init__(self, enabled: bool, particles: int) -> None:
        self.enabled, self.particles, self.bar, self.runs = enabled, particles, None, 0

    def generation(self, t: int, total: int) -> None:
        from tqdm.auto import tqdm

        self.close()
        if self.enabled:
            self.runs = 0
            self.bar = tqdm(total=self.particles, desc=f"generation {t + 1}/{total}", unit="particle", leave=True)

    def __call__(self, evaluations: int) -> None:
        if self.bar is not None:
            self.bar.update()
            self.runs += evaluations
            self.bar.set_postfix(runs=self.runs, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextlib.contextmanager
def _progress(enabled: bool, particles: int) -> Iterable[_Bar]:
    bar = _Bar(enabled, particles)
    try:
        yield bar
    finally:
        bar.close()


def _result(
    history: Any, priors: dict, observed: dict, config: Config, seed: int, root: Path | None
) -> CalibrationResult:
    """Read the last generation and the convergence table from a pyabc history."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    distances = history.get_weighted_distances(t=history.max_t)
    posterior = frame[list(priors)].reset_index(drop=True)
    posterior["weight"] = np.asarray(weights, dtype=float)
    posterior["distance"] = distances["distance"].to_numpy(dtype=float)
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    rows = []
    for t, eps, samples in zip(populations["t"], populations["epsilon"], populations["samples"], strict=True):
        _, w = history.get_distribution(m=0, t=int(t))
        w = np.asarray(w, dtype=float)
        rows.append(
            {
                "t": int(t),
                "epsilon": float(eps),
                "particles": len(w),
                "evaluations": int(samples),
                "acceptance_rate": len(w) / int(samples) if samples else math.nan,
                "ess": float(w.sum() ** 2 / (w**2).sum()),
            }
        )
    result = CalibrationResult(
        posterior,
        pd.DataFrame(rows),
        priors,
        observed,
        config,
        config,
        int(history.total_nr_simulations),
        root=root,
        seed=seed,
    )
    medians = {}
    for key, value in result.medians().items():
        medians[key] = value
    result.calibrated = apply_draw(config, medians)
    return result


def posterior_predictive(result: CalibrationResult, runs: int, map_: Callable = map) -> pd.DataFrame:
    """KPIs of ``runs`` model runs at particles resampled from the posterior (one row per run)."""
    rng = np.random.default_rng(np.random.SeedSequence([result.seed, 7]))
    weights = result.posterior["weight"].to_numpy(float)
    rows = rng.choice(len(weights), size=runs, replace=True, p=weights / weights.sum())
    from simulation.studies.batch.plan import layers_json

    simulator = Simulator(layers_json(result.config), result.seed + 1, tuple(result.observed))
    draws = [result.posterior.iloc[i][result.params].to_dict() for i in rows]
    summaries = list(map_(simulator.summary_or_nan, draws))
    return pd.DataFrame([{k: s.get(k, math.nan) for k in result.observed} for s in summaries])
