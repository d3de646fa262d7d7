"""A reference commit checked out beside this tree, for benchmarks that compare the two in one run."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def reference_tree(reference: str) -> Iterator[Path]:
    """``reference`` checked out in a temporary ``git worktree``, removed on exit.

    A commit that cannot be checked out ends the benchmark with one line and exit code 2.
    """
    with tempfile.TemporaryDirectory(prefix="silosim-ref-") as tmp:
        tree = Path(tmp) / "ref"
        added = subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), reference],
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            message = (added.stderr.strip().splitlines() or ["git worktree add failed"])[-1]
            print(f"--reference {reference}: cannot check it out ({message})", file=sys.stderr)
            sys.exit(2)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
