"""Every research notebook is a clean jupytext pair and runs without error.

Each notebook is ``notebooks/NAME.py`` (jupytext percent format: the reviewed, linted source)
paired with ``notebooks/NAME.ipynb`` (what Jupyter opens). The tests execute the ``.py``;
they check that the ``.ipynb`` has the same cells, so a save that updated only one of the
two is caught, and that the ``.ipynb`` as committed (git's index) carries no outputs, so
running and saving a notebook in Jupyter breaks nothing before it is committed.

Notebooks run with ``SILOSIM_NOTEBOOK_SCALE=small`` unless the variable is set (``make
notebooks`` sets ``full``), ``MPLBACKEND=Agg``, from ``notebooks/`` as working directory.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
SYNC_HINT = "run `make notebooks-sync` (jupytext --sync notebooks/*.ipynb, then nbstripout)"


def _committed_ipynb(name: str) -> nbformat.NotebookNode:
    """The ``.ipynb`` as git's index holds it (what the next commit carries); the file outside git."""
    relative = f"notebooks/{name}.ipynb"
    try:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f":{relative}"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):  # no git, not a checkout, or not yet added
        text = (ROOT / relative).read_text(encoding="utf-8")
    return nbformat.reads(text, as_version=4)


def test_the_notebooks_are_pairs():
    assert NAMES == [
        "01_quickstart",
        "02_org_models",
        "03_silo_effects",
        "04_extend",
        "05_sensitivity",
        "06_validation",
        "07_calibration",
        "08_optimize",
    ]
    ipynbs = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert ipynbs == NAMES, f"every notebook needs both NAME.py and NAME.ipynb; {SYNC_HINT}"


def test_jupyter_pairs_ipynb_with_percent_scripts():
    config = load_jupytext_configuration_file(find_jupytext_configuration_file(str(NOTEBOOKS)))
    for name in NAMES:
        assert config.default_formats(str(NOTEBOOKS / f"{name}.ipynb")) == "ipynb,py:percent", name


@pytest.mark.parametrize("name", NAMES)
def test_ipynb_is_in_sync_with_its_py(name):
    script = jupytext.read(NOTEBOOKS / f"{name}.py")
    notebook = jupytext.read(NOTEBOOKS / f"{name}.ipynb")
    cells = [(c.cell_type, c.source) for c in script.cells]
    saved = [(c.cell_type, c.source) for c in notebook.cells]
    if cells != saved:
        first = next(
            (i for i, (a, b) in enumerate(zip(cells, saved, strict=False)) if a != b), min(len(cells), len(saved))
        )
        pytest.fail(
            f"notebooks/{name}.ipynb ({len(saved)} cells) and notebooks/{name}.py ({len(cells)} cells) differ "
            f"from cell {first}: {SYNC_HINT}"
        )


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebooks_have_no_outputs(name):
    nb = _committed_ipynb(name)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, name
    assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code), (
        f"notebooks/{name}.ipynb is staged with outputs: {SYNC_HINT}, then git add it again"
    )


def test_every_notebook_states_what_and_how_long_and_has_a_scale_cell():
    for name in NAMES:
        nb = jupytext.read(NOTEBOOKS / f"{name}.py")
        first = nb.cells[0]
        assert first.cell_type == "markdown" and "What this shows" in first.source and "How long" in first.source
        assert any('os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")' in c.source for c in nb.cells), name


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name, monkeypatch):
    monkeypatch.setenv("SILOSIM_NOTEBOOK_SCALE", os.environ.get("SILOSIM_NOTEBOOK_SCALE", "small"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = jupytext.read(NOTEBOOKS / f"{name}.py")
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, with the failing cell and traceback, on any error
