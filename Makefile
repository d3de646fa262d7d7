# silosim — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export MPLBACKEND := Agg

.PHONY: demo test lint notebooks notebooks-sync bench app clean chromium app-assets

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/silosim compare scenarios/centralized.toml scenarios/democratized.toml \
		scenarios/center_of_excellence.toml --replicates 4 --workers 2 --out out/demo --overwrite

test: $(VENV)/.installed-dev chromium app-assets
	$(PY) -m pytest -q -n 2

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
	rm -rf $(VENV) out build *.egg-info
