"""A batch directory, written as runs finish so that a stopped batch resumes where it stopped.

Layout of ``DIR``:

- ``summary.csv``: one row per finished run (ids, parameter values, status, error, every
  KPI), appended as runs finish and rewritten in run-id order at the end. No wall times,
  so the same batch gives the same file on any executor.
- ``timeseries/<run_id>.parquet``: each successful run's time series, written atomically.
- ``manifest.json``: the command, versions, root seed, scenarios' configs and every run's
  seed and config hash.
- ``runs.jsonl``: when each run finished and how long it took.

A run counts as finished when its summary row is complete and, for a successful run, its
Parquet file reads back with one row per step; anything else is run again.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import ScenarioError
from simulation.studies.batch.plan import ID_COLUMNS, Plan, RunSpec

SUMMARY = "summary.csv"
MANIFEST = "manifest.json"
RUNS_LOG = "runs.jsonl"
TIMESERIES = "timeseries"
STATUS_COLUMNS = ("status", "error")
# Everything a batch writes; --overwrite removes these and nothing else.
OUTPUTS = (
    SUMMARY,
    MANIFEST,
    RUNS_LOG,
    TIMESERIES,
    "report.md",
    "figures",
    "sobol.csv",
    "ci.csv",
    "paired.csv",
    "prob_better.csv",
)
PACKAGES = ("silosim", "mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow", "SALib", "dask", "distributed")


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape a batch's numbers."""
    from simulation.versions import package_versions

    return {"python": sys.version.split()[0], **package_versions(PACKAGES)}


def format_cell(value: Any) -> str:
    """A CSV cell: floats in shortest round-trip form, NaN and None empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_text_atomic(path: Path, text: str | bytes) -> None:
    """Write via a temporary sibling and an atomic rename (never a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = "wb" if isinstance(text, bytes) else "w"
    try:
        with open(tmp, mode, **({} if isinstance(text, bytes) else {"encoding": "utf-8", "newline": ""})) as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def strict(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (strict JSON writes ``null``)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return strict(value.item())
    return value


def dumps_strict(value: Any, **kwargs: Any) -> str:
    """JSON any parser accepts: ``null`` for NaN and infinities (``JSON.parse`` rejects ``NaN``)."""
    return json.dumps(strict(value), allow_nan=False, default=str, **kwargs)


def write_files_atomic(files: dict[Path, str | bytes]) -> None:
    """Write several files all or nothing: every one to a temporary sibling, then all renamed.

    A failure while writing (a full disk) removes the temporaries and leaves every
    existing file as it was.
    """
    tmps: dict[Path, Path] = {}
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmps[path] = tmp
            if isinstance(text, bytes):
                tmp.write_bytes(text)
            else:
                with open(tmp, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
        for path, tmp in tmps.items():
            os.replace(tmp, path)
    finally:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)


def check_writable(root: Path, option: str = "--out") -> None:
    """Refuse an output directory that cannot be created or written (before anything runs)."""
    root = Path(root)
    if str(root) == "":
        raise ScenarioError(f"{option}: empty path")
    try:
        _check_writable(root, option)
    except OSError as err:  # a name too long for the file system, a path through a file, ...
        raise ScenarioError(f"{option} {root}: cannot be created ({err.strerror or err})") from None


def _check_writable(root: Path, option: str) -> None:
    if root.exists():
        if not root.is_dir():
            raise ScenarioError(f"{option} {root}: exists and is not a directory")
        if not os.access(root, os.W_OK | os.X_OK):
            raise ScenarioError(f"{option} {root}: directory is not writable")
        return
    ancestor = root.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ScenarioError(f"{option} {root}: cannot be created, {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ScenarioError(f"{option} {root}: cannot be created, {ancestor} is not writable")


def probe_writable(root: Path, option: str = "--out") -> None:
    """Create ``root`` and write (then remove) a small file in it: full or read-only disks fail here."""
    probe = Path(root) / f".probe.{os.getpid()}.tmp"
    try:
        Path(root).mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"0" * 4096)
    except OSError as err:
        raise ScenarioError(f"{option} {root}: cannot write ({err.strerror or err})") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)


LOCK = ".lock"


@contextlib.contextmanager
def locked(root: Path, option: str = "--out") -> Iterator[None]:
    """Hold ``DIR/.lock`` while a batch writes there; a second batch into ``DIR`` is refused."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(Path(root) / LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ScenarioError(
            f"{option} {root}: another silosim batch is writing there; wait for it to finish or choose another --out"
        ) from None
    except OSError as err:
        raise ScenarioError(f"{option} {root}: cannot lock ({err.strerror or err})") from None
    try:
        yield
    finally:
        lock.release()


class Store:
    """Where a batch's results go: a directory, or memory when ``root`` is None."""

    def __init__(self, root: Path | None, plan: Plan, kpis: Iterable[str]) -> None:
        self.root = Path(root) if root is not None else None
        self.plan = plan
        self.kpis = list(kpis)
        self.columns = [*ID_COLUMNS[:3], *plan.params, *ID_COLUMNS[3:], *STATUS_COLUMNS, *self.kpis]
        self.rows: dict[str, list[str]] = {}  # run_id -> cells; the in-memory mirror of summary.csv
        self.steps = {spec.run_id: json.loads(spec.config_json)["simulation"]["steps"] for spec in plan.specs}

    # ---------------------------------------------------------------------------------------
    # Start and resume

    def check(self, overwrite: bool = False) -> None:
        """Refuse a directory that holds another batch (before anything is written)."""
        if self.root is None or overwrite or not self.root.exists():
            return
        if not self.root.is_dir():
            raise ScenarioError(f"--out {self.root}: exists and is not a directory")
        manifest = self.root / MANIFEST
        if not manifest.is_file():
            if any(p.name != LOCK and not p.name.endswith(".tmp") for p in self.root.iterdir()):
                raise ScenarioError(
                    f"--out {self.root}: not empty and not a silosim batch; choose another --out or pass --overwrite"
                )
            return
        try:
            saved = json.loads(manifest.read_text(encoding="utf-8"))
            runs = saved["runs"]
        except (ValueError, KeyError, TypeError, OSError):
            raise ScenarioError(f"--out {self.root}: unreadable {MANIFEST}; pass --overwrite to start afresh") from None
        self._check_same_inputs(saved)
        planned = {s.run_id: s for s in self.plan.specs}
        for run_id, run in runs.items():
            spec = planned.get(run_id)
            if spec is None or spec.config_hash != run.get("config_hash") or spec.seed != run.get("seed"):
                raise ScenarioError(
                    f"--out {self.root}: holds another batch (run {run_id} differs); "
                    "choose another --out or pass --overwrite"
                )

    def _check_same_inputs(self, saved: dict[str, Any]) -> None:
        """Refuse to resume when an input file changed or another silosim version made the batch."""
        for scenario, files in self.plan.inputs.items():
            before = (saved.get("inputs") or {}).get(scenario, {})
            for key, now in files.items():
                if key in before and before[key].get("sha256") != now["sha256"]:
                    raise ScenarioError(
                        f"--out {self.root}: {key} {now['path']} changed since this batch started "
                        f"(scenario {scenario}); restore it, or pass --overwrite to start afresh"
                    )
        from simulation import __version__

        made_by = (saved.get("versions") or {}).get("silosim")
        if made_by not in (None, __version__):
            raise ScenarioError(
                f"--out {self.root}: made by silosim {made_by}, this is {__version__}; "
                "choose another --out or pass --overwrite"
            )

    def start(self, command: list[str], overwrite: bool = False, retry_failed: bool = False) -> set[str]:
        """Prepare the directory, keep the finished runs and return their ids (to skip)."""
        if self.root is None:
            return set()
        if overwrite:
            for name in OUTPUTS:
                path = self.root / name
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        (self.root / TIMESERIES).mkdir(parents=True, exist_ok=True)
        for tmp in [*self.root.glob(".*.tmp"), *(self.root / TIMESERIES).glob(".*.tmp")]:
            tmp.unlink(missing_ok=True)
        planned = {s.run_id: s for s in self.plan.specs}
        for row in read_rows(self.root / SUMMARY):
            spec = planned.get(row.get("run_id", ""))
            if spec is None or row.get("config_hash") != spec.config_hash or row.get("seed") != str(spec.seed):
                continue
            status = row.get("status")
            if (status == "ok" and self.timeseries_ok(spec.run_id)) or (status == "failed" and not retry_failed):
                self.rows[spec.run_id] = [row.get(c, "") for c in self.columns]
        self.write_summary()
        self.write_manifest(command)
        return set(self.rows)

    def timeseries_ok(self, run_id: str) -> bool:
        """True when the run's Parquet file reads back with one row per step."""
        import pyarrow.parquet as pq

        try:
            return pq.read_metadata(self.root / TIMESERIES / f"{run_id}.parquet").num_rows == self.steps[run_id]
        except Exception:  # noqa: BLE001 - missing, truncated or not Parquet at all
            return False

    # ---------------------------------------------------------------------------------------
    # As runs finish

    def record(self, spec: RunSpec, result: dict[str, Any]) -> None:
        """Save one finished run: time series first, then its summary row, then its timing."""
        ok = result["status"] == "ok"
        values = {
            "run_id": spec.run_id,
            "scenario": spec.scenario,
            "point": spec.point,
            "replicate": spec.replicate,
            "seed": spec.seed,
            "config_hash": spec.config_hash,
            "status": result["status"],
            "error": result["error"],
            **spec.values,
            **(result["summary"] if ok else {}),
        }
        cells = [format_cell(values.get(c)) for c in self.columns]
        self.rows[spec.run_id] = cells
        if self.root is None:
            return
        if ok and result.get("timeseries") is not None:
            write_text_atomic(self.root / TIMESERIES / f"{spec.run_id}.parquet", result["timeseries"])
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow(cells)
        with open(self.root / SUMMARY, "a", encoding="utf-8", newline="") as handle:
            handle.write(line.getvalue())
            handle.flush()
        log = {
            "run_id": spec.run_id,
            "status": result["status"],
            "wall_seconds": result.get("wall_seconds"),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        with open(self.root / RUNS_LOG, "a", encoding="utf-8") as handle:
            handle.write(dumps_strict(log) + "\n")

    # ---------------------------------------------------------------------------------------
    # Whole files

    def summary_text(self) -> str:
        """summary.csv's text: header, then the rows in run-id order."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for run_id in sorted(self.rows):
            writer.writerow(self.rows[run_id])
        return out.getvalue()

    def write_summary(self) -> None:
        """Rewrite summary.csv in run-id order (atomically)."""
        if self.root is not None:
            write_text_atomic(self.root / SUMMARY, self.summary_text())

    def frame(self) -> pd.DataFrame:
        """The summary as a DataFrame (parsed exactly as summary.csv would be)."""
        return parse_summary(self.summary_text())

    def write_manifest(self, command: list[str], finished: bool = False) -> None:
        """What ran and how: command, versions, seeds, config hashes, and the scenarios' configs."""
        if self.root is None:
            return
        statuses = [cells[self.columns.index("status")] for cells in self.rows.values()]
        plan = self.plan
        manifest = {
            "kind": plan.kind,
            "command": command,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "finished": finished,
            "versions": versions(),
            "seed": plan.seed,
            "replicates": plan.replicates,
            "params": list(plan.params),
            "design": plan.design,
            "kpis": self.kpis,
            "counts": {"planned": len(plan.specs), "ok": statuses.count("ok"), "failed": statuses.count("failed")},
            "scenarios": {name: json.loads(text) for name, text in plan.base_configs.items()},
            "inputs": plan.inputs,
            "runs": {
                s.run_id: {
                    "scenario": s.scenario,
                    "point": s.point,
                    "values": s.values,
                    "replicate": s.replicate,
                    "seed": s.seed,
                    "config_hash": s.config_hash,
                }
                for s in plan.specs
            },
        }
        write_text_atomic(self.root / MANIFEST, dumps_strict(manifest, indent=1))


def read_rows(path: Path) -> list[dict[str, str]]:
    """The complete rows of a summary.csv; a truncated last line or a malformed row is dropped."""
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]  # the last line was cut off mid-write
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:] if len(row) == len(header)]


# pandas 3 reads floats back exactly by default (and deprecates the option); pandas 2 needs it
ROUND_TRIP = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def parse_summary(text: str) -> pd.DataFrame:
    """summary.csv text -> DataFrame: the floats as written, empty error cells as ""."""
    # the error column as text even when every cell is empty (a float column cannot take "")
    frame = pd.read_csv(io.StringIO(text), keep_default_na=True, dtype={"error": object}, **ROUND_TRIP)
    if "error" in frame:
        frame["error"] = frame["error"].fillna("").astype(str)
    return frame


def load_summary(root: Path) -> pd.DataFrame:
    """A batch directory's summary (complete rows only)."""
    rows = read_rows(Path(root) / SUMMARY)
    if not rows:
        raise ScenarioError(f"{root}: no {SUMMARY} with finished runs")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    frame = parse_summary(out.getvalue())
    columns = list(frame.columns)
    missing = [c for c in (*ID_COLUMNS, *STATUS_COLUMNS) if c not in columns]
    if missing:
        raise ScenarioError(f"{Path(root) / SUMMARY}: no {missing[0]} column (not a silosim batch summary)")
    kpis = columns[columns.index("error") + 1 :] if "error" in columns else []
    for kpi in kpis:
        if not pd.api.types.is_numeric_dtype(frame[kpi]):
            bad = pd.to_numeric(frame[kpi], errors="coerce").isna() & frame[kpi].notna()
            line = int(bad.to_numpy().argmax()) + 2
            raise ScenarioError(
                f"{Path(root) / SUMMARY}: KPI column {kpi}: {frame[kpi][bad].iloc[0]!r} on line {line} is not a number"
            )
    return frame


def load_manifest(root: Path) -> dict[str, Any]:
    """A batch directory's manifest."""
    path = Path(root) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ScenarioError(f"{root}: no readable {MANIFEST} (not a silosim batch directory?)") from None
    if not isinstance(manifest, dict):
        raise ScenarioError(f"{path}: expected a JSON object, not {type(manifest).__name__} (not a silosim batch?)")
    return manifest
