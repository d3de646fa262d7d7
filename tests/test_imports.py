"""Importing silosim loads only what is used: the core needs no Mesa, plots or app."""

import subprocess
import sys

import pytest

HEAVY = ("mesa", "matplotlib", "solara")


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize(
    "module", ["simulation.core", "simulation.core.engine", "simulation.config", "simulation.core.kernels"]
)
def test_core_and_config_import_no_mesa_plots_or_app(module):
    loaded = run_python(f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    assert loaded == ""


def test_import_simulation_leaves_the_start_method_unset():
    code = "import multiprocessing as mp, simulation; print(mp.get_start_method(allow_none=True))"
    assert run_python(code) == "None"
    assert run_python("import simulation, sys; simulation.load_scenario; print('mesa' in sys.modules)") == "False"


def test_public_names_resolve_lazily():
    code = "import simulation; print(simulation.SocialMediaOrgModel.__name__, simulation.run.__module__)"
    assert run_python(code) == "SocialMediaOrgModel simulation.api"
