"""Every research notebook is up to date with its builder and runs without error.

Notebooks run with ``SILOSIM_NOTEBOOK_SCALE=small`` unless the variable is set (``make
notebooks`` sets ``full``), ``MPLBACKEND=Agg``, from ``notebooks/`` as working directory.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _builder():
    spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOKS / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILDER = _builder()


def test_notebooks_match_their_builder():
    assert BUILDER.main(["--check"]) == 0, "run: python notebooks/build_notebooks.py"


def test_committed_notebooks_have_no_outputs():
    for name in BUILDER.NOTEBOOKS:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), name


def test_every_notebook_states_what_and_how_long_and_has_a_scale_cell():
    for name in BUILDER.NOTEBOOKS:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        first = nb.cells[0]
        assert first.cell_type == "markdown" and "What this shows" in first.source and "How long" in first.source
        assert any('os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")' in c.source for c in nb.cells), name


@pytest.mark.parametrize("name", list(BUILDER.NOTEBOOKS))
def test_notebook_runs(name, monkeypatch):
    monkeypatch.setenv("SILOSIM_NOTEBOOK_SCALE", os.environ.get("SILOSIM_NOTEBOOK_SCALE", "small"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, with the failing cell and traceback, on any error
