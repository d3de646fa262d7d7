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

import csv
import io
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.batch.plan import ID_COLUMNS, Plan, RunSpec
from simulation.errors import ScenarioError

SUMMARY = "summary.csv"
MANIFEST = "manifest.json"
RUNS_LOG = "runs.jsonl"
TIMESERIES = "timeseries"
STATUS_COLUMNS = ("status", "error")
# Everything a batch writes; --overwrite removes these and nothing else.
OUTPUTS = (SUMMARY, MANIFEST, RUNS_LOG, TIMESERIES, "report.md", "figures", "sobol.csv", "ci.csv", "paired.csv")
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
            if any(self.root.iterdir()):
                raise ScenarioError(
                    f"--out {self.root}: not empty and not a silosim batch; choose another --out or pass --overwrite"
                )
            return
        try:
            runs = json.loads(manifest.read_text(encoding="utf-8"))["runs"]
        except (ValueError, KeyError, OSError):
            raise ScenarioError(f"--out {self.root}: unreadable {MANIFEST}; pass --overwrite to start afresh") from None
        planned = {s.run_id: s for s in self.plan.specs}
        for run_id, run in runs.items():
            spec = planned.get(run_id)
            if spec is None or spec.config_hash != run.get("config_hash") or spec.seed != run.get("seed"):
                raise ScenarioError(
                    f"--out {self.root}: holds another batch (run {run_id} differs); "
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
            handle.write(json.dumps(log) + "\n")

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
        write_text_atomic(self.root / MANIFEST, json.dumps(manifest, indent=1, default=str))


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


def parse_summary(text: str) -> pd.DataFrame:
    """summary.csv text -> DataFrame (empty error cells as "")."""
    frame = pd.read_csv(io.StringIO(text), float_precision="round_trip", keep_default_na=True)
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
    return parse_summary(out.getvalue())


def load_manifest(root: Path) -> dict[str, Any]:
    """A batch directory's manifest."""
    path = Path(root) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ScenarioError(f"{root}: no readable {MANIFEST} (not a silosim batch directory?)") from None
