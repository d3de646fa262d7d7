"""What common random numbers buy a paired comparison: this tree against a reference commit, side by side.

Part 1 ("pairing"). A comparison runs two arms, A and B, on the same seeds: seed s of A and seed s
of B share the root seed, so whatever the two arms draw alike cancels in the paired difference
d_s = B_s - A_s. For each KPI the script reports

* ``var(d)``: the variance of the paired differences over the seeds (ddof=1);
* ``var(A) + var(B)``: what the difference's variance would be with independent seeds (unpaired);
* ``ratio = (var(A) + var(B)) / var(d)``: how many times fewer seeds a paired comparison needs for
  the same standard error (higher is better; 1 means pairing buys nothing, < 1 that it costs);
* ``corr``: the correlation of A_s and B_s over the seeds (the ratio is 1 / (1 - corr) when the two
  arms have the same spread).

Seeds whose A or B value is NaN (e.g. no inquiry answered, so no median first response) are left
out, and the table says how many pairs were used. The comparisons: the headline org-model question
(``scenarios/centralized.toml`` vs ``scenarios/center_of_excellence.toml``) and three single-lever
changes, each a scenario against itself with one ``--set`` override: silo strength 0.45 vs 0.55
under the centre of excellence, listening coverage + 0.1 (capped at 1; the base value is read from
each tree's loaded config) and without vs with the shared listening tool under centralized. Every run is
``simulation.run(config, seed=s).summary`` at ``--customers`` customers and ``--steps`` hourly steps.

It checks out ``--reference`` (default 59ea0c2, the state before the current work) in a temporary
``git worktree`` and keeps one worker process per tree (``PYTHONPATH=<tree>``, single-threaded
BLAS), as ``throughput.py`` does; the trees take turns job by job (results do not depend on the
order: a run is a function of its config and seed). The table's last column is this tree's ratio
over the reference's: > 1 means this tree's comparisons are more tightly paired.

Part 2 ("ensembles"): runs per CPU-second (``time.process_time`` in the worker) of 16 single runs of
centralized at ``--customers`` and ``--steps``, for each tree, and, where a tree has an ensemble API
(``simulation.studies.ensemble.run_ensemble`` / ``.ensemble``, or ``simulation.run_ensemble``), of one
16-replicate ensemble, called as ``fn(config, replicates=16, seed=1)``. No tree has one yet: then it
says "ensembles: not available in this tree". The worker's CPU time does not count processes an
ensemble might start, so its wall seconds are printed too.

    python benchmarks/precision.py                                   # both parts, 12 seeds, 3,000 customers, 4 weeks
    python benchmarks/precision.py --seeds 3 --customers 300 --steps 96 --no-throughput     # a quick look
    python benchmarks/precision.py --no-reference --kpi share_of_voice --kpi net_value     # this tree, other KPIs
    python benchmarks/precision.py --reference main~5 --json precision.json                # all figures as JSON
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shlex
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reference import reference_tree

ROOT = Path(__file__).resolve().parents[1]
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Median first response, resolution rate, churn rate, advocate share (simulation/outputs/kpis.py: SUMMARY).
KPIS = ["first_response_median_min", "resolution_rate", "churn_rate", "advocate_share"]
ENSEMBLE_RUNS = 16
TREES = ("reference", "this tree")

# A worker: one JSON job per line on stdin, one JSON answer per line on stdout.
#   {"kind": "kpis"}                                      -> the names of the built-in KPIs
#   {"kind": "value", "scenario", "overrides", "key"}     -> the loaded config's value at a dotted key
#   {"kind": "run", "scenario", "overrides", "seed", "kpis"} -> those KPIs of the run's summary, CPU and wall s
#   {"kind": "ensemble", "scenario", "overrides", "replicates", "seed"} -> CPU and wall s, or not available
WORKER = """
import importlib, json, math, sys, time
import simulation
from simulation import load_scenario, run

def ensemble_function():
    try:
        module = importlib.import_module("simulation.studies.ensemble")
    except ImportError:
        module = None
    for owner, name, where in (
        (module, "run_ensemble", "simulation.studies.ensemble.run_ensemble"),
        (module, "ensemble", "simulation.studies.ensemble.ensemble"),
        (simulation, "run_ensemble", "simulation.run_ensemble"),
    ):
        fn = getattr(owner, name, None) if owner is not None else None
        if callable(fn):
            return fn, where
    return None, None

def answer(job):
    if job["kind"] == "kpis":
        try:
            kpis = importlib.import_module("simulation.outputs.kpis")
        except ImportError:  # older trees: a flat package
            kpis = importlib.import_module("simulation.kpis")
        return {"kpis": sorted(kpis.SUMMARY)}
    config = load_scenario(job["scenario"], job["overrides"])
    if job["kind"] == "value":
        node = config
        for part in job["key"].split("."):
            node = getattr(node, part)
        return {"value": node}
    if job["kind"] == "run":
        cpu, wall = time.process_time(), time.perf_counter()
        summary = run(config, seed=job["seed"]).summary
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        values = {name: float(summary[name]) if name in summary else math.nan for name in job["kpis"]}
        return {"summary": values, "missing": [n for n in job["kpis"] if n not in summary], "cpu": cpu, "wall": wall}
    if job["kind"] == "ensemble":
        fn, where = ensemble_function()
        if fn is None:
            return {"available": False}
        cpu, wall = time.process_time(), time.perf_counter()
        fn(config, replicates=job["replicates"], seed=job["seed"])
        return {"available": True, "where": where, "cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
    raise ValueError(f"unknown job {job['kind']!r}")

for line in sys.stdin:
    try:
        out = answer(json.loads(line))
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out), flush=True)
"""


class Worker:
    """A Python process with one tree on its path, answering jobs on request."""

    def __init__(self, tree: Path) -> None:
        self.tree = tree
        env = {**os.environ, **SINGLE_THREADED, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER], cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, job: dict[str, Any]) -> dict[str, Any]:
        """The worker's answer to one job; a job that failed in the worker raises here."""
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker for {self.tree} died (exit code {self.process.wait()})")
        out = json.loads(line)
        if "error" in out:
            raise RuntimeError(f"{self.tree}: {job}: {out['error']}")
        return out

    def close(self) -> None:
        """Let the worker finish."""
        self.process.stdin.close()
        self.process.wait(timeout=60)


@dataclass(frozen=True)
class Lever:
    """Arm B is arm A with ``key`` set to ``change(A's value)``, the value read from each tree's config."""

    key: str
    change: Callable[[float], float]


@dataclass(frozen=True)
class Comparison:
    """Two arms, each a scenario in ``scenarios/`` and its own ``key=value`` overrides."""

    id: str
    label: str
    a: str
    b: str
    a_set: tuple[str, ...] = ()
    b_set: tuple[str, ...] = ()
    lever: Lever | None = None


COMPARISONS = [
    Comparison("org_model", "centralized vs center_of_excellence", "centralized", "center_of_excellence"),
    Comparison(
        "silo_strength",
        "center_of_excellence, organization.silo_strength 0.45 vs 0.55",
        "center_of_excellence",
        "center_of_excellence",
        ("organization.silo_strength=0.45",),
        ("organization.silo_strength=0.55",),
    ),
    Comparison(
        "listening_coverage",
        "centralized, organization.listening_coverage + 0.1 (capped at 1)",
        "centralized",
        "centralized",
        lever=Lever("organization.listening_coverage", lambda v: min(v + 0.1, 1.0)),
    ),
    Comparison(
        "shared_tool",
        "centralized, organization.shared_tool false vs true (a listening tool)",
        "centralized",
        "centralized",
        ("organization.shared_tool=false",),
        ("organization.shared_tool=true",),
    ),
]


def scenario_path(name: str) -> str:
    """The scenario file of ``name``, relative to a tree's root (each worker runs in its own tree)."""
    return f"scenarios/{name}.toml"


def arms(comparison: Comparison, size: list[str], worker: Worker) -> tuple[list[str], list[str]]:
    """The overrides of arms A and B in ``worker``'s tree (a lever's base value is read from that tree)."""
    a = [*size, *comparison.a_set]
    b = [*size, *comparison.b_set]
    if comparison.lever is not None:
        lever = comparison.lever
        job = {"kind": "value", "scenario": scenario_path(comparison.a), "overrides": a, "key": lever.key}
        base = float(worker.ask(job)["value"])
        b.append(f"{lever.key}={round(lever.change(base), 12)!r}")
    return a, b


def pair_stats(a: list[float], b: list[float]) -> dict[str, Any]:
    """Paired and unpaired variance of B - A over the seeds whose two values are both finite."""
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if math.isfinite(x) and math.isfinite(y)]
    out: dict[str, Any] = {"seeds": len(a), "pairs_used": len(pairs)}
    nan = math.nan
    if len(pairs) < 2:
        return {**out, "mean_diff": nan, "var_paired": nan, "var_unpaired": nan, "ratio": nan, "corr": nan}
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    diffs = [y - x for x, y in pairs]
    var_a, var_b, var_d = statistics.variance(xs), statistics.variance(ys), statistics.variance(diffs)
    unpaired = var_a + var_b
    if var_d > 0:
        ratio = unpaired / var_d
    else:  # the arms agree seed by seed: pairing removes all the noise (or there is none)
        ratio = math.inf if unpaired > 0 else nan
    corr = statistics.correlation(xs, ys) if var_a > 0 and var_b > 0 else nan
    return {
        **out,
        "mean_a": statistics.fmean(xs),
        "mean_b": statistics.fmean(ys),
        "mean_diff": statistics.fmean(diffs),
        "var_a": var_a,
        "var_b": var_b,
        "var_paired": var_d,
        "var_unpaired": unpaired,
        "ratio": ratio,
        "corr": corr,
        "se_paired": math.sqrt(var_d / len(pairs)),
        "se_unpaired": math.sqrt(unpaired / len(pairs)),
    }


def fmt(value: float, digits: int = 2) -> str:
    """A figure for the table: ``inf``, ``—`` for NaN, else fixed-point."""
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}f}"


def fmt_g(value: float, digits: int = 3) -> str:
    """A figure in ``digits`` significant digits, ``—`` for NaN."""
    return "—" if math.isnan(value) else f"{value:.{digits}g}"


def pairing(
    workers: dict[str, Worker], comparisons: list[Comparison], kpis: list[str], seeds: int, size: list[str]
) -> dict[str, Any]:
    """Part 1: per comparison and KPI, the paired vs unpaired variance of the difference, per tree."""
    names = list(workers)
    known = {name: set(worker.ask({"kind": "kpis"})["kpis"]) for name, worker in workers.items()}
    unknown = [k for k in kpis if all(k not in known[name] for name in names)]
    if unknown:
        print(f"--kpi {unknown[0]}: not a KPI in any tree (see simulation/outputs/kpis.py: SUMMARY)", file=sys.stderr)
        sys.exit(2)
    results: dict[str, Any] = {}
    turn = 0
    for number, comparison in enumerate(comparisons, 1):
        print(f"pairing {number}/{len(comparisons)}: {comparison.label} ...", file=sys.stderr, flush=True)
        sets = {name: arms(comparison, size, worker) for name, worker in workers.items()}
        values = {name: {arm: {k: [] for k in kpis} for arm in "ab"} for name in names}
        cpu = dict.fromkeys(names, 0.0)
        for seed in range(1, seeds + 1):
            for arm, scenario in (("a", comparison.a), ("b", comparison.b)):
                for name in names if turn % 2 == 0 else names[::-1]:  # the trees take turns going first
                    overrides = sets[name][0 if arm == "a" else 1]
                    job = {"kind": "run", "scenario": scenario_path(scenario), "overrides": overrides}
                    out = workers[name].ask({**job, "seed": seed, "kpis": kpis})
                    cpu[name] += out["cpu"]
                    for k in kpis:
                        values[name][arm][k].append(out["summary"][k])
                turn += 1
        stats = {k: {name: pair_stats(values[name]["a"][k], values[name]["b"][k]) for name in names} for k in kpis}
        results[comparison.id] = {
            "label": comparison.label,
            "a": {"scenario": scenario_path(comparison.a), **{name: sets[name][0] for name in names}},
            "b": {"scenario": scenario_path(comparison.b), **{name: sets[name][1] for name in names}},
            "values": values,
            "stats": stats,
            "cpu_seconds": cpu,
            "missing": {name: [k for k in kpis if k not in known[name]] for name in names},
        }
    return results


def command_line(scenario: str, overrides: list[str]) -> str:
    """The arm as a ``silosim run`` command."""
    return "silosim run " + " ".join([scenario, *(f"--set {shlex.quote(o)}" for o in overrides)])


def print_pairing(results: dict[str, Any], names: list[str], kpis: list[str]) -> None:
    """One markdown table per comparison, and the figures it exists for as the last lines."""
    both = len(names) == 2
    for result in results.values():
        print(f"\n### {result['label']}\n")
        for arm in "ab":
            lines = {name: command_line(result[arm]["scenario"], result[arm][name]) for name in names}
            if len(set(lines.values())) == 1:
                print(f"- {arm.upper()}: `{lines[names[0]]}`")
            else:
                for name in names:
                    print(f"- {arm.upper()} ({name}): `{lines[name]}`")
        for name in names:
            if result["missing"][name]:
                print(f"- not KPIs in the {name}: {', '.join(result['missing'][name])} (—)")
        print()
        if both:
            print("| KPI | pairs used | ref ratio | this tree's ratio | ref corr | this tree's corr | this/ref |")
            print("|---|---:|---:|---:|---:|---:|---:|")
        else:
            print("| KPI | pairs used | ratio | corr | mean B − A | paired SE | unpaired SE |")
            print("|---|---:|---:|---:|---:|---:|---:|")
        for k in kpis:
            stats = result["stats"][k]
            used = sorted({f"{stats[name]['pairs_used']}" for name in names})
            seeds = stats[names[0]]["seeds"]
            pairs = "/".join(f"{stats[name]['pairs_used']}" for name in names) if len(used) > 1 else used[0]
            if both:
                ref, new = stats["reference"], stats["this tree"]
                row = [fmt(ref["ratio"]), fmt(new["ratio"]), fmt(ref["corr"], 3), fmt(new["corr"], 3)]
                row.append(fmt(factor(new["ratio"], ref["ratio"])))
            else:
                s = stats[names[0]]
                row = [fmt(s["ratio"]), fmt(s["corr"], 3)]
                row += [fmt_g(s["mean_diff"], 4), fmt_g(s.get("se_paired", math.nan))]
                row += [fmt_g(s.get("se_unpaired", math.nan))]
            print(f"| `{k}` | {pairs} of {seeds} | " + " | ".join(row) + " |")
    print()
    for cid, result in results.items():  # the figures the part exists for: medians over the KPIs
        name = "this tree"
        ratios = [result["stats"][k][name]["ratio"] for k in kpis]
        print(f"pairing_ratio_{cid}={fmt(median_known(ratios))}", end="")
        if both:
            refs = [result["stats"][k]["reference"]["ratio"] for k in kpis]
            factors = [factor(n, r) for n, r in zip(ratios, refs, strict=True)]
            print(f"  reference={fmt(median_known(refs))}  factor={fmt(median_known(factors))}", end="")
        print("  (medians over the KPIs; inf: the arms agree on every seed)")


def factor(new: float, ref: float) -> float:
    """This tree's ratio over the reference's; NaN unless both are finite and the reference's positive."""
    return new / ref if math.isfinite(new) and math.isfinite(ref) and ref > 0 else math.nan


def median_known(values: list[float]) -> float:
    """The median of the values that are not NaN (inf counts as the largest), NaN if there are none."""
    known = [v for v in values if not math.isnan(v)]
    return statistics.median(known) if known else math.nan


def ensembles(workers: dict[str, Worker], size: list[str]) -> dict[str, Any]:
    """Part 2 (a placeholder until an ensemble API exists): runs per CPU-second, 16 single runs vs one ensemble.

    Each tree runs ``ENSEMBLE_RUNS`` single runs of centralized (seeds 1..16, the trees taking turns,
    after one untimed warm-up run each), then, if it has an ensemble API, one ensemble of as many
    replicates. CPU seconds are the worker's ``time.process_time``.
    """
    names = list(workers)
    scenario = scenario_path("centralized")
    job = {"kind": "run", "scenario": scenario, "overrides": size, "kpis": []}
    for worker in workers.values():  # untimed: numba's kernels loaded, first-call costs paid
        worker.ask({**job, "seed": 0})
    cpu, wall = dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)
    for seed in range(1, ENSEMBLE_RUNS + 1):
        for name in names if seed % 2 else names[::-1]:
            out = workers[name].ask({**job, "seed": seed})
            cpu[name] += out["cpu"]
            wall[name] += out["wall"]
    ensemble = {}
    for name, worker in workers.items():
        ask = {"kind": "ensemble", "scenario": scenario, "overrides": size, "replicates": ENSEMBLE_RUNS, "seed": 1}
        ensemble[name] = worker.ask(ask)
    return {
        "scenario": scenario,
        "overrides": size,
        "runs": ENSEMBLE_RUNS,
        "single": {
            name: {"cpu": cpu[name], "wall": wall[name], "runs_per_cpu_s": ENSEMBLE_RUNS / cpu[name]} for name in names
        },
        "ensemble": ensemble,
    }


def print_ensembles(result: dict[str, Any]) -> None:
    """Part 2's table: single runs per CPU-second, and the ensemble's where there is one."""
    n = result["runs"]
    print(f"\n### ensembles: {n} single runs vs one {n}-replicate ensemble\n")
    print(
        f"- `{command_line(result['scenario'], result['overrides'])}`, seeds 1..{n} (CPU s: the worker's process_time)"
    )
    print()
    print(f"| tree | {n} single runs, CPU s | runs/CPU-s | ensemble CPU s | ensemble wall s | ensemble runs/CPU-s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, single in result["single"].items():
        ens = result["ensemble"][name]
        if ens["available"]:
            cells = [f"{ens['cpu']:.2f}", f"{ens['wall']:.2f}", f"{n / ens['cpu']:.2f}"]
        else:
            cells = ["—", "—", "—"]
        print(f"| {name} | {single['cpu']:.2f} | {single['runs_per_cpu_s']:.2f} | " + " | ".join(cells) + " |")
    print()
    for name, ens in result["ensemble"].items():
        if ens["available"]:
            speedup = (n / ens["cpu"]) / result["single"][name]["runs_per_cpu_s"]
            print(f"ensembles ({name}, {ens['where']}): ensemble_speedup={speedup:.2f}")
        else:
            where = "this tree" if name == "this tree" else f"the {name} tree"
            print(f"ensembles: not available in {where}")
    for name, single in result["single"].items():
        print(f"runs_per_cpu_s ({name})={single['runs_per_cpu_s']:.2f}")


def short_commit(rev: str) -> str:
    """``rev``'s short commit hash (``rev`` itself if git does not know it)."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", f"{rev}^{{commit}}"], capture_output=True, text=True
    )
    return out.stdout.strip() or rev


def finite_or_none(value: Any) -> Any:
    """``value`` with every NaN and infinity replaced by None (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return value


def measure(args: argparse.Namespace, old_tree: Path | None) -> dict[str, Any]:
    """Both parts, one worker per tree; the trees' figures side by side."""
    trees = {"reference": old_tree, "this tree": ROOT} if old_tree is not None else {"this tree": ROOT}
    size = [f"customers.count={args.customers}", f"simulation.steps={args.steps}"]
    workers: dict[str, Worker] = {}
    try:
        for name, tree in trees.items():
            workers[name] = Worker(tree)
        out: dict[str, Any] = {}
        out["pairing"] = pairing(workers, COMPARISONS, args.kpi, args.seeds, size)
        if not args.no_throughput:
            out["ensembles"] = ensembles(workers, size)
        return out
    finally:
        for worker in workers.values():
            worker.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=12, help="paired seeds per comparison (1..S)")
    parser.add_argument("--customers", type=int, default=3000, help="customers.count of every run")
    parser.add_argument("--steps", type=int, default=672, help="simulation.steps of every run (672 = 4 weeks)")
    parser.add_argument("--kpi", action="append", help=f"a KPI to report, repeatable (default: {', '.join(KPIS)})")
    parser.add_argument("--reference", default="59ea0c2", help="commit to compare against")
    parser.add_argument("--no-reference", action="store_true", help="measure this tree only")
    parser.add_argument("--no-throughput", action="store_true", help="skip part 2 (ensembles)")
    parser.add_argument("--json", type=Path, help="write all figures to this file (NaN and inf as null)")
    args = parser.parse_args()
    args.kpi = args.kpi or KPIS
    if args.seeds < 2:
        parser.error("--seeds: at least 2 (a variance needs two pairs)")
    this = short_commit("HEAD")
    reference = None if args.no_reference else short_commit(args.reference)
    with reference_tree(args.reference) if reference is not None else contextlib.nullcontext() as old_tree:
        figures = measure(args, old_tree)
    names = list(TREES) if reference is not None else ["this tree"]
    command = "python benchmarks/precision.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    rev = args.reference if reference == args.reference else f"{args.reference} ({reference})"
    against = f"reference {rev} vs this tree ({this})" if reference else f"this tree ({this})"
    print(f"`{command.strip()}`: {against}; {args.seeds} paired seeds (1..{args.seeds}) per comparison, ", end="")
    print(f"{args.customers:,} customers, {args.steps} hourly steps; ratio = (var(A) + var(B)) / var(B − A)")
    print_pairing(figures["pairing"], names, args.kpi)
    if "ensembles" in figures:
        print_ensembles(figures["ensembles"])
    if args.json is not None:
        settings = {k: v for k, v in vars(args).items() if k != "json"}
        document = {"command": command.strip(), "settings": settings, "trees": {"this tree": this}, **figures}
        if reference is not None:
            document["trees"]["reference"] = reference
        args.json.write_text(json.dumps(finite_or_none(document), indent=1) + "\n")


if __name__ == "__main__":
    main()
