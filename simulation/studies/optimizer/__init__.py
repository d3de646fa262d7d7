"""The best org design under a budget: constrained multi-objective optimisation with replicates.

:func:`optimize` searches a space of config values (``[space]`` TOML or a dict) with Optuna's
seeded TPE sampler for designs that are best on one or more KPIs while meeting constraints on
others. Each trial is the mean of ``replicates`` runs on common random numbers (the same seeds
for every trial), evaluated ``batch`` trials at a time on the batch executors (local pool or
Dask). The study lives in Optuna's RDB storage (SQLite in ``out`` by default), so a killed
optimisation resumes without repeating finished trials. See :mod:`simulation.studies.optimizer.study`
for determinism and early stopping, :mod:`simulation.studies.optimizer.outputs` for the files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import ScenarioError
from simulation.scenario.config import Config
from simulation.studies.batch.runner import RunOptions
from simulation.studies.optimizer.problem import Problem, make_problem

__all__ = ["OptimizeResult", "optimize"]

MANIFEST = "optimize.json"
STUDY_DB = "study.db"
DEFAULT_BATCH = 4  # trials asked and evaluated together; fixed, so workers do not change the trials


@dataclass
class OptimizeResult:
    """What an optimisation found (also written to ``root``)."""

    trials: pd.DataFrame
    pareto: pd.DataFrame
    start: dict[str, float]
    root: Path
    study_name: str
    storage: str
    runs: int
    robust: pd.DataFrame | None = None
    warnings: tuple[str, ...] = ()


def fingerprint(base: Config, problem: Problem, replicates: int, seed: int, batch: int) -> str:
    """What a study computes; another question is another study."""
    from simulation.studies.batch.plan import config_hash

    text = json.dumps(
        {**problem.to_dict(), "replicates": replicates, "seed": seed, "batch": batch, "config": config_hash(base)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _check_out(root: Path, study_name: str, storage: str) -> None:
    """Refuse an ``out`` that holds another optimisation (nothing is written)."""
    path = root / MANIFEST
    if not path.is_file():
        if root.is_dir() and any(root.iterdir()) and not (root / STUDY_DB).exists():
            raise ScenarioError(f"--out {root}: not empty and not an optimisation; use another directory")
        return
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        raise ScenarioError(f"--out {root}: {MANIFEST} is unreadable; use another directory") from None
    if saved.get("study") != study_name:
        raise ScenarioError(
            f"--out {root}: holds another optimisation (study {saved.get('study')}; the scenario, space, "
            "objectives, constraints, replicates or seed differ); use another --out"
        )


def shown_url(url: str) -> str:
    """A storage URL as it may be printed or written down: its password hidden."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL at all: nothing to hide
        return url
    return url if parsed.password is None else parsed.render_as_string(hide_password=True)


def open_storage(url: str) -> Any:
    """Open a ``--storage`` URL (before anything is written to ``out``); a bad one is a one-line ScenarioError.

    An in-memory SQLite database is refused (the study would vanish with the process and could
    not be resumed), and so is an SQLite file whose directory does not exist or that is not a
    regular file (a FIFO, a device, a directory).
    """
    from optuna.storages import RDBStorage
    from sqlalchemy.engine import make_url

    shown = shown_url(url)
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - SQLAlchemy's ArgumentError, or a URL it cannot even split
        raise ScenarioError(f"--storage {shown}: not a database URL (e.g. sqlite:///study.db)") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:") or "mode=memory" in url:
            raise ScenarioError(
                f"--storage {shown}: an in-memory database cannot be resumed; give a file (sqlite:///study.db) "
                "or leave --storage out (study.db in --out)"
            )
        path = Path(database)
        if not path.parent.is_dir():
            raise ScenarioError(f"--storage {shown}: directory {path.parent} does not exist")
        if path.exists() and not path.is_file():
            raise ScenarioError(f"--storage {shown}: {path} is not a regular file")
    try:
        return RDBStorage(url)
    except Exception as err:  # noqa: BLE001 - SQLAlchemy/driver errors of a bad URL or an unreachable server
        reason = str(err).split(" (Background on this error")[0]
        raise ScenarioError(f"--storage {shown}: cannot open ({type(err).__name__}: {reason})") from None


def optimize(
    config: Config,
    space: Mapping[str, Any] | str | Path,
    objectives: Sequence[str],
    constraints: Sequence[str] = (),
    *,
    trials: int = 40,
    replicates: int = 3,
    seed: int | None = None,
    batch: int = DEFAULT_BATCH,
    out: str | Path = "out/optimize",
    storage: str | None = None,
    options: RunOptions | None = None,
    workers: int | None = None,
    robust: str | Path | None = None,
    draws: int = 20,
) -> OptimizeResult:
    """Search ``space`` for the best designs on ``objectives`` that meet ``constraints``.

    Args:
        config: the starting scenario (its values are the starting design).
        space: a ``[space]`` TOML file, or its table: key -> ``{choices=[...]}`` or ``{range=[lo, hi]}``.
        objectives: ``"kpi"``, ``"kpi:max"`` or ``"kpi:min"`` (default: the KPI's ``higher_is_better``).
        constraints: ``"kpi<=bound"`` or ``"kpi>=bound"`` on a trial's mean.
        trials: finished trials the study should hold (a resumed study runs only the rest).
        replicates: runs per trial, on the same seeds for every trial.
        seed: root seed of sampler and replicates (default: the scenario's ``simulation.seed``).
        batch: trials evaluated together (fixed, so the trials do not depend on ``workers``).
        out: directory of the outputs and the default SQLite study.
        storage: an Optuna RDB URL (e.g. ``postgresql://...``) instead of ``out/study.db``.
        options: executor, workers and progress bar (as for batches).
        workers: parallel runs, overriding ``options.workers``.
        robust: a prior TOML or posterior.csv: re-run the Pareto designs over ``draws`` parameter draws.
        draws: parameter draws of the robust check.

    Raises:
        ScenarioError: a bad space, objective, constraint, option or ``out`` (before any trial runs).
    """
    try:
        import optuna
        import tomli_w  # noqa: F401 - best/*.toml are written at the end; fail before any trial instead
    except ImportError as err:
        raise ScenarioError(f"optimize: needs {err.name} (pip install 'silosim[optimize]')") from None

    from simulation.rng import replicate_seeds
    from simulation.scenario.limits import check_batch, check_count, check_seed, check_study, estimate
    from simulation.studies.batch.executors import make_executor
    from simulation.studies.batch.store import check_writable, locked, probe_writable
    from simulation.studies.optimizer import outputs
    from simulation.studies.optimizer import study as loop

    options = options or RunOptions()
    if workers is not None:
        options = replace(options, workers=workers)
    if not isinstance(config, Config):
        raise TypeError(f"optimize: expected a Config (from simulation.load_scenario), not {type(config).__name__}")
    trials = check_count(trials, "--trials")
    replicates = check_count(replicates, "--replicates")
    batch = check_count(batch, "--batch")
    draws = check_count(draws, "--draws")
    seed = config.simulation.seed if seed is None else check_seed(seed)
    # The whole study, before anything is parsed, sampled or written: (trials + the start) x replicates,
    # plus with --robust at least the start and one design under every draw.
    sizes = {"--trials": trials, "--replicates": replicates, **({"--draws": draws} if robust is not None else {})}
    runs = (trials + 1) * replicates + (2 * draws if robust is not None else 0)
    check_study(
        estimate(config), runs, options.workers, max(sizes, key=sizes.get), check_memory=options.scheduler is None
    )
    problem = make_problem(config, space, objectives, constraints)
    loop.distributions(problem)  # Optuna's own checks of the space, before anything is written
    draw_frame = None
    if robust is not None:
        from simulation.studies.optimizer.robust import load_robust_draws

        draw_frame = load_robust_draws(config, robust, draws, seed)
    root = Path(out)
    name = f"{config.name}-{fingerprint(config, problem, replicates, seed, batch)}"
    storage_url = storage or f"sqlite:///{(root / STUDY_DB).resolve()}"
    check_writable(root)  # first: a path the file system refuses (a name too long) is named here
    _check_out(root, name, storage_url)
    check_batch([estimate(config)] * replicates, options.workers, check_memory=options.scheduler is None)
    opened = open_storage(storage) if storage is not None else None  # nothing in --out yet if it is bad
    executor = make_executor(options.executor, options.workers, options.scheduler, processes=options.processes)
    runs = 0

    def count_run() -> None:
        nonlocal runs
        runs += 1

    notes: list[str] = []
    try:
        probe_writable(root)
        with locked(root):
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                pruner = (
                    optuna.pruners.WilcoxonPruner(p_threshold=loop.WILCOXON_P)
                    if len(problem.objectives) == 1
                    else optuna.pruners.NopPruner()
                )
            try:
                study = optuna.create_study(
                    storage=opened if opened is not None else storage_url,
                    study_name=name,
                    directions=[o.direction for o in problem.objectives],
                    pruner=pruner,
                    load_if_exists=True,
                )
            except Exception as err:  # noqa: BLE001 - SQLAlchemy/driver errors of a bad URL
                reason = str(err).split(" (Background on this error")[0]
                raise ScenarioError(
                    f"--storage {shown_url(storage_url)}: cannot open ({type(err).__name__}: {reason})"
                ) from None
            _write_manifest(root, name, storage, problem, replicates, seed, batch, trials)
            runs_before = int(study.user_attrs.get("runs", 0))  # earlier sessions (recorded in the study)
            study.sampler = loop.make_sampler(problem, seed, len(study.trials))
            seeds = replicate_seeds(seed, replicates)
            evaluator = loop.Evaluator(config, problem, seeds, executor)
            start = study.user_attrs.get("start")
            if start is None:
                evaluation = evaluator.run({0: {}}, on_run=count_run)[0]
                if evaluation.error:
                    raise ScenarioError(f"starting design: {evaluation.error}")
                start = {k: evaluation.mean(k) for k in problem.tracked}
                study.set_user_attr("start", start)
            broken = [str(c) for c in problem.constraints if not c.met(start[c.kpi])]
            if broken:
                notes.append(f"the starting design breaks {', '.join(broken)}")
            table = front = None
            try:
                with _progress(study, problem, trials, options.progress) as progress:
                    loop.run_trials(study, problem, evaluator, trials, batch, progress, count_run)
            finally:
                with contextlib.suppress(OSError, ValueError):
                    table = outputs.trials_frame(study, problem)
                    front = outputs.pareto_frame(table, problem)
                    total = _count_runs(study, runs_before + runs)
                    _write_outputs(root, config, problem, table, front, start, replicates, seed, total, None)
            robust_frame = None
            if draw_frame is not None:
                from simulation.studies.optimizer.robust import robust_check

                robust_frame = robust_check(
                    config, problem, front, draw_frame, seed, evaluator, count_run, options.progress
                )
                total = _count_runs(study, runs_before + runs)
                _write_outputs(root, config, problem, table, front, start, replicates, seed, total, robust_frame)
    finally:
        executor.close()
    return OptimizeResult(table, front, start, root, name, storage_url, runs, robust_frame, tuple(notes))


def _count_runs(study: Any, total: int) -> int:
    """Record the runs of every session so far in the study (the report counts them)."""
    study.set_user_attr("runs", total)
    return total


def _write_manifest(
    root: Path, name: str, storage: str | None, problem: Problem, replicates: int, seed: int, batch: int, trials: int
) -> None:
    from simulation.studies.batch.store import dumps_strict, versions, write_text_atomic

    manifest = {
        "study": name,
        "storage": shown_url(storage) if storage else STUDY_DB,
        **problem.to_dict(),
        "replicates": replicates,
        "seed": seed,
        "batch": batch,
        "trials": trials,
        "versions": versions(),
    }
    write_text_atomic(root / MANIFEST, dumps_strict(manifest, indent=2))


def _write_outputs(
    root: Path,
    base: Config,
    problem: Problem,
    table: pd.DataFrame,
    front: pd.DataFrame,
    start: dict[str, float],
    replicates: int,
    seed: int,
    runs: int,
    robust: pd.DataFrame | None,
) -> None:
    from simulation.studies.batch.store import write_text_atomic
    from simulation.studies.optimizer import outputs

    write_text_atomic(root / "trials.csv", table.to_csv(index=False))
    write_text_atomic(root / "pareto.csv", front.to_csv(index=False))
    outputs.write_best(root, base, problem, front)
    outputs.figure(root / "pareto.png", problem, table, front, start)
    meta = {"replicates": replicates, "seed": seed, "runs": runs}
    if robust is not None:
        write_text_atomic(root / "robust.csv", robust.to_csv(index=False))
        meta["draws"] = int(robust["draws"].max()) if len(robust) else 0
    write_text_atomic(root / "report.md", outputs.report_text(base, problem, table, front, start, meta, robust))


@contextlib.contextmanager
def _progress(study: Any, problem: Problem, target: int, enabled: bool = True):  # noqa: ANN202
    """A progress bar over trials with the best-so-far (single objective) or the front's size."""
    from tqdm.auto import tqdm

    from simulation.studies.optimizer.study import finished

    with tqdm(
        total=target, initial=min(target, finished(study)), desc="optimize", unit="trial", disable=not enabled
    ) as bar:

        def update(current: Any) -> None:
            from simulation.studies.optimizer import outputs

            table = outputs.trials_frame(current, problem)
            front = outputs.pareto_frame(table, problem)
            if len(problem.objectives) == 1 and len(front):
                bar.set_postfix(
                    {f"best {problem.objectives[0].kpi}": f"{front.iloc[0][problem.objectives[0].kpi]:.4g}"}
                )
            else:
                bar.set_postfix(pareto=len(front), feasible=int(table["feasible"].sum()) if len(table) else 0)
            bar.n = min(target, finished(current))
            bar.refresh()

        yield update
