"""Mutation score of the step core (``simulation/core/``) with cosmic-ray: would the tests catch a wrong rule?

cosmic-ray changes one thing in the source at a time (an operator, a comparison, a constant,
a removed ``break``...), runs the core's tests, and counts the mutant as killed when they
fail. The score is the share of mutants killed; the survivors are the rules no test pins.

The run works in a temporary ``git worktree`` of HEAD (cosmic-ray edits files in place), so
the checkout is never touched. The core has thousands of mutants and each takes a test run,
so ``--sample N`` tests a random sample of N (seeded) and reports the score with a 95%
(Wilson) interval; without it every mutant runs (hours).

    python tests/mutation.py --sample 150            # an estimate, with its interval
    python tests/mutation.py --module simulation/core/response.py
    make mutation                                    # the default sample

Not part of ``make test`` (too long for CI).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/test_effects.py",
    "tests/test_effect_properties.py",
    "tests/test_kernels.py",
    "tests/test_keyed.py",
    "tests/test_common_random_numbers.py",
    "tests/test_params.py",
    "tests/test_state.py",
    "tests/test_wait_parts.py",
    "tests/test_support_theory.py",
    "tests/test_graphgen.py",
    "tests/test_graphs.py",
    "tests/test_theory.py",
    "tests/test_kpis.py",
]
CONFIG = """
[cosmic-ray]
module-path = {modules}
timeout = {timeout}
excluded-modules = []
test-command = "{python} -m pytest -x -q -p no:cacheprovider -p no:randomly {tests}"

[cosmic-ray.distributor]
name = "local"
"""


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k / n."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def sample_work(session: Path, keep: int, seed: int) -> int:
    """Keep a random ``keep`` of the session's pending mutants (delete the rest); returns how many there were."""
    with sqlite3.connect(session) as db:
        ids = [row[0] for row in db.execute("SELECT job_id FROM work_items")]
        if keep < len(ids):
            drop = set(ids) - set(random.Random(seed).sample(ids, keep))
            db.executemany("DELETE FROM mutation_specs WHERE job_id = ?", [(i,) for i in drop])
            db.executemany("DELETE FROM work_items WHERE job_id = ?", [(i,) for i in drop])
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=None, help="test a random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sample")
    parser.add_argument("--module", action="append", help="source file(s) to mutate (default: simulation/core)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a mutant's test run may take")
    parser.add_argument("--json", type=Path, help="write the score and the survivors here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="silosim-mutation-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), "HEAD"], check=True)
        try:
            modules = args.module or ["simulation/core"]
            config = tree / "cosmic-ray.toml"
            tests = " ".join(t for t in TESTS if (tree / t).exists())
            config.write_text(
                CONFIG.format(modules=json.dumps(modules), timeout=args.timeout, python=sys.executable, tests=tests)
            )
            session = tree / "session.sqlite"
            run = {"cwd": tree, "check": True, "env": {**os.environ, "PYTHONPATH": str(tree)}}
            cosmic = [sys.executable, "-m", "cosmic_ray.cli"]
            subprocess.run([*cosmic, "init", str(config), str(session)], **run)
            total = sample_work(session, args.sample, args.seed) if args.sample else None
            subprocess.run([*cosmic, "baseline", str(config)], **run)
            subprocess.run([*cosmic, "exec", str(config), str(session)], **run)
            report(session, total, args.json)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def report(session: Path, total: int | None, out: Path | None) -> None:
    """Print the score (with its interval when sampled) and the surviving mutants."""
    with sqlite3.connect(session) as db:
        rows = db.execute(
            "SELECT s.module_path, s.operator_name, s.occurrence, s.start_pos_row, r.test_outcome, r.worker_outcome "
            "FROM mutation_specs s JOIN work_results r ON s.job_id = r.job_id"
        ).fetchall()
    rows = [(*r[:4], str(r[4]).lower(), str(r[5]).lower()) for r in rows]  # (stored as NORMAL, SURVIVED, ...)
    tested = [r for r in rows if r[5] == "normal"]
    killed = [r for r in tested if r[4] in ("killed", "incompetent")]
    survivors = [r for r in tested if r[4] == "survived"]
    low, high = wilson(len(killed), len(tested))
    scope = f"a random {len(tested)} of {total} mutants" if total else f"all {len(tested)} mutants"
    print(f"mutation score: {len(killed)}/{len(tested)} = {len(killed) / max(len(tested), 1):.1%} ({scope}; 95% CI "
          f"{low:.1%}-{high:.1%})")  # fmt: skip
    for module, operator, occurrence, line, _, _ in sorted(survivors):
        print(f"survived: {module}:{line} {operator} #{occurrence}")
    if out:
        out.write_text(json.dumps({
            "killed": len(killed), "tested": len(tested), "total": total, "interval": [low, high],
            "survivors": [{"module": m, "line": line, "operator": o, "occurrence": c}
                          for m, o, c, line, _, _ in survivors],
        }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
