"""Importing silosim loads only what is used: the core needs no Mesa, plots or app."""

import subprocess
import sys

import pytest

HEAVY = ("mesa", "matplotlib", "solara")


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize(
    "module", ["simulation.core", "simulation.core.engine", "simulation.scenario.config", "simulation.core.kernels"]
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


def _import_graph():
    """Edges ``module -> module it imports`` inside the package, function-local imports included,
    ``if TYPE_CHECKING:`` imports left out (they never run)."""
    import ast
    from pathlib import Path

    import networkx as nx

    root = Path(__file__).resolve().parents[1] / "simulation"

    def name(path):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name(p): p for p in root.rglob("*.py")}
    graph = nx.DiGraph()
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_only = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    head = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*head, base] if base else head)
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
                targets = subs if len(subs) == len(node.names) else [base, *subs]  # submodules, not the package
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph.add_edges_from((module, t) for t in targets if t in modules and t not in (module, "simulation"))
    return graph


def test_no_import_cycles_but_type_only_ones():
    import networkx as nx

    graph = _import_graph()
    assert graph.number_of_edges() > 50  # the walk found the package's imports
    cycles = [" -> ".join(c) for c in nx.simple_cycles(graph)]
    assert not cycles, cycles
