# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · The best org design under a budget
#
# **What this shows.** `simulation.optimize` answers "what should we do with this budget?":
# it searches org-design choices (org model, shared tool, staffed hours, silo strength) for
# the designs that resolve the most inquiries at the least cost while the cost stays under
# a budget. Each trial is the mean of a few replicates on common seeds; Optuna's seeded TPE
# sampler chooses the next designs; the Pareto front, a scenario file for every design on it
# and a report land in one directory. A robust check then re-runs the front under the
# shipped parameter priors and gives each design's probability of beating the starting
# design on both objectives within budget.
#
# **How long.** About ten minutes at full size on two cores (40 trials x 3 replicates of
# 3,000 customers over a month, plus 10 prior draws per design); under a minute at
# `SILOSIM_NOTEBOOK_SCALE=small`, where the front is too noisy to read.

# %%
# Parameters. SILOSIM_NOTEBOOK_SCALE=small (what the test suite uses) runs in seconds;
# "full" (the default) gives the sizes the text below discusses.
import os
import tempfile
from pathlib import Path

SCALE = os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")
SIZES = {
    "small": {"customers": 300, "steps": 168, "trials": 8, "replicates": 2, "draws": 2},
    "full": {"customers": 3000, "steps": 720, "trials": 40, "replicates": 3, "draws": 10},
}[SCALE]
SEED = 20260101  # root seed: sampler, replicates and prior draws are reproducible from it
WORKERS = 1 if SCALE == "small" else min(2, os.cpu_count() or 1)  # parallel runs; 1 = in this process
OUT = Path(tempfile.mkdtemp(prefix="silosim-optimize-"))  # a fresh study each time the notebook runs
print(SCALE, SIZES, OUT)

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import Image, Markdown

import simulation
from simulation.scenario.priors import SHIPPED_PRIORS
from simulation.studies.batch import RunOptions

pd.set_option("display.float_format", "{:.4g}".format)
pd.set_option("display.width", 140)

# %% [markdown]
# ## The question
#
# The space is data (`scenarios/spaces/org_design.toml`); the budget is set relative to the
# starting design's cost, so it means the same at every size: at most 35% more than today.

# %%
base = simulation.load_scenario(
    "../scenarios/centralized.toml",
    [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
)
start_cost = simulation.run(base, seed=SEED).summary["cost_total"]
budget = round(1.35 * start_cost, -2)
print((Path("../scenarios/spaces/org_design.toml")).read_text())
print(f"starting design costs {start_cost:,.0f}; budget {budget:,.0f}")

# %% [markdown]
# ## Search
#
# Trials are asked four at a time and run on the batch executors; the study lives in
# `OUT/study.db`, so running this cell again continues the study instead of starting over.

# %%
result = simulation.optimize(
    base,
    "../scenarios/spaces/org_design.toml",
    ["resolution_rate:max", "cost_total:min"],
    [f"cost_total<={budget}"],
    trials=SIZES["trials"],
    replicates=SIZES["replicates"],
    seed=SEED,
    out=OUT,
    options=RunOptions(workers=WORKERS),
    robust=SHIPPED_PRIORS,  # simulation/scenario/priors.toml
    draws=SIZES["draws"],
)
print(f"{len(result.trials)} trials, {result.runs} runs, {len(result.pareto)} designs on the front")
result.trials["state"].value_counts()

# %% [markdown]
# ## The Pareto front
#
# Grey crosses break the budget; the dashed line is the budget, the star the starting design.

# %%
Image(str(OUT / "pareto.png"))

# %%
cols = ["name", "organization.model", "support.staffed_hours", "organization.silo_strength"]
result.pareto[[*cols, "resolution_rate", "resolution_rate_lo", "resolution_rate_hi", "cost_total"]]

# %% [markdown]
# ## Robust under the priors?
#
# `p_beats_start`: share of prior draws (same seed per draw for every design) in which the
# design resolves more *and* costs less than the starting design while staying in budget.
# A design that wins only at the default parameter values is a fragile recommendation.

# %%
result.robust

# %% [markdown]
# ## The report
#
# `report.md` has the same table with what each design changes from the start;
# `best/<name>.toml` runs with `silosim run`.

# %%
Markdown((OUT / "report.md").read_text().split("![Pareto")[0])
