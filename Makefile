# silosim — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export MPLBACKEND := Agg

# A second venv on Python 3.12, where `-e .[dev]` resolves to the newest Mesa 3 (3.5.x): proof that
# silosim installs and runs next to a researcher's recent Mesa. The interpreter comes from pyenv, a
# pyenv install of any 3.12, or PATH (override with PYTHON312=...); without one `make test` fails.
PYTHON312 ?= $(or $(shell PYENV_VERSION=3.12.1 pyenv which python3.12 2>/dev/null),$(lastword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12)),$(shell command -v python3.12 2>/dev/null))
VENV312   := .venv312
PY312     := $(VENV312)/bin/python

.PHONY: demo test test-311 test-312 lint notebooks notebooks-sync bench app clean chromium app-assets mutation

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[dev]"
	touch $@

$(VENV312)/.installed-dev: pyproject.toml
	@test -n "$(PYTHON312)" && "$(PYTHON312)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null || \
		{ echo "make: no Python 3.12 found (got '$(PYTHON312)'); install it or set PYTHON312=/path/to/python3.12" >&2; exit 1; }
	"$(PYTHON312)" -m venv $(VENV312)
	$(PY312) -m pip install --quiet --upgrade pip
	$(PY312) -m pip install --quiet --upgrade -e ".[dev]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/silosim compare scenarios/centralized.toml scenarios/democratized.toml \
		scenarios/center_of_excellence.toml --replicates 4 --workers 2 --out out/demo --overwrite

# The whole suite on Python 3.11 / Mesa 3.3.1, then a subset on Python 3.12 / the newest Mesa 3.
test: test-311 test-312

test-311: $(VENV)/.installed-dev chromium app-assets
	$(PY) -m pytest -q -n 2

# The 3.12 subset proves the Mesa 3.4+ path: Mesa compatibility, batch_run and the DataCollector,
# both engines, the model and interventions, config, CLI, batches and the seeded baseline, and the
# compiled generators that make networkx's draws (CPython's random and set order, on 3.12 too). Left to
# the 3.11 run: the slow multi-seed statistical tests (-m slow), the browser test, the app, the
# notebooks, reports and theory checks, which do not touch Mesa's API. About 2 minutes on 2 cores.
TESTS_312 := tests/test_mesa_compat.py tests/test_model.py tests/test_engines.py tests/test_interventions.py \
	tests/test_config.py tests/test_cli.py tests/test_batch.py tests/test_baseline.py \
	tests/test_graphgen.py::test_like_networkx_holme_kim_is_networkx_draw_for_draw \
	tests/test_graphgen.py::test_like_networkx_barabasi_albert_is_networkx_draw_for_draw
test-312: $(VENV312)/.installed-dev
	@$(PY312) -c 'import sys; from simulation.engines.mesa_compat import mesa_version; \
		sys.exit(0 if mesa_version() >= (3, 4) else "make: $(VENV312) has Mesa %d.%d, not the newest Mesa 3" % mesa_version())'
	$(PY312) -m pytest -q -n 2 -m "not slow and not browser" $(TESTS_312)

# The browser test drives Debian's chromium (Playwright cannot download its own browser here).
chromium:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

# Solara's page assets, fetched from the npm registry into Solara's CDN cache (no CDN needed).
app-assets: $(VENV)/.installed-dev
	$(PY) -m simulation.app.assets

LINTED := simulation tests benchmarks notebooks

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

notebooks: $(VENV)/.installed-dev
	SILOSIM_NOTEBOOK_SCALE=full $(PY) -m pytest -q tests/test_notebooks.py

# After editing notebooks/NAME.py or NAME.ipynb outside a jupytext-enabled Jupyter: pair the
# newer into the older, then strip outputs from the .ipynb (the .py never holds any).
notebooks-sync: $(VENV)/.installed-dev
	$(VENV)/bin/jupytext --sync notebooks/[0-9]*.ipynb
	$(VENV)/bin/nbstripout notebooks/[0-9]*.ipynb

# The step core's mutation score on a seeded random sample of its mutants (cosmic-ray; about a
# minute a mutant on 2 cores; not in CI). MUTANTS=0 runs every mutant (many hours).
MUTANTS ?= 150
mutation: $(VENV)/.installed-dev
	$(PIP) install --quiet -e ".[dev,mutation]"
	$(PY) tests/mutation.py $(if $(filter 0,$(MUTANTS)),,--sample $(MUTANTS)) --json mutation.json

bench: $(VENV)/.installed
	$(PIP) install --quiet -e ".[bench]"
	$(PY) benchmarks/core_vs_agents.py
	$(PY) benchmarks/cascade_vs_ndlib.py
	$(PY) benchmarks/scale.py

app: $(VENV)/.installed
	$(PIP) install --quiet -e ".[app]"
	$(PY) -m simulation.app.assets || true
	$(VENV)/bin/silosim app

clean:
	rm -rf $(VENV) $(VENV312) out build *.egg-info
