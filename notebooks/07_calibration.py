# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Calibration: fit the model to a company, then compare org models across plausible worlds
#
# **What this shows.** A strategist's question is about *their* company. We (1) take
# observed KPIs — here made by the model itself at known parameter values, so we can check
# the answer — (2) fit the uncertain parameters with ABC-SMC (`simulation.calibrate`, pyabc),
# (3) read the posterior against the prior, and (4) carry the posterior into a comparison of
# org models (`batch.compare(..., uncertainty=...)`): each parameter draw is a plausible world
# applied to every org model on the same seeds, and we ask in how many worlds one beats the other.
#
# **How long.** A few minutes at full size (40 particles, 3 generations, 1,000 customers over
# two weeks); under a minute at `SILOSIM_NOTEBOOK_SCALE=small`, where the posterior is rough.

# %%
# Parameters. SILOSIM_NOTEBOOK_SCALE=small (what the test suite uses) runs quickly;
# "full" (the default) gives the sizes the text discusses.
import os

SCALE = os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")
SIZES = {
    "small": {"customers": 200, "steps": 168, "particles": 8, "generations": 2, "draws": 3, "replicates": 2},
    "full": {"customers": 1000, "steps": 336, "particles": 40, "generations": 3, "draws": 20, "replicates": 3},
}[SCALE]
SEED = 20260101  # root seed: every number below is reproducible from it
WORKERS = 1 if SCALE == "small" else min(2, os.cpu_count() or 1)
print(SCALE, SIZES)

# %%
import pandas as pd

import simulation
from simulation.scenario.priors import priors_from_table, shipped_priors
from simulation.studies import batch
from simulation.studies.batch.plan import layers_json
from simulation.studies.calibration import Simulator

pd.set_option("display.float_format", "{:.4g}".format)
pd.set_option("display.width", 140)

SET = [
    f"customers.count={SIZES['customers']}",
    f"simulation.steps={SIZES['steps']}",
    "customers.inquiry_rate_per_day=0.05",
]
company = simulation.load_scenario("../scenarios/centralized.toml", SET)

# %% [markdown]
# ## Priors: what we assume before seeing data
#
# `simulation/scenario/priors.toml` gives every assumed parameter a range and its reason (docs/ODD.md
# §9.1 lists them). We fit two of them, with strong effects on cheap KPIs.

# %%
shipped = shipped_priors()
print(len(shipped), "shipped priors, e.g.:")
for key in ("organization.listening_coverage", "support.resolution_prob"):
    print(f"  {key}: {shipped[key].describe()} — {shipped[key].reason}")
priors = priors_from_table(
    {
        "organization.listening_coverage": {"uniform": [0.2, 1.0]},
        "support.resolution_prob": {"uniform": [0.3, 1.0]},
    }
)

# %% [markdown]
# ## Observations with a known answer
#
# The "company" answers with listening coverage 0.6 and resolves 70% of what it answers. We
# run the model once there (on a seed the fit never uses) and keep two KPIs, each with an sd.

# %%
truth = {"organization.listening_coverage": 0.6, "support.resolution_prob": 0.7}
kpis = ("detection_rate", "resolution_rate")
seen = Simulator(layers_json(company), 99, kpis).summary(truth)
observed = {k: {"value": seen[k], "sd": 0.03} for k in kpis}
observed

# %% [markdown]
# ## Calibrate
#
# Same seed, same posterior, whatever the number of workers. With `out=DIR` the SQLite history
# is kept there and a second call with more generations resumes it.

# %%
result = simulation.calibrate(
    company,
    observed,
    priors,
    particles=SIZES["particles"],
    generations=SIZES["generations"],
    seed=SEED,
    workers=WORKERS,
    out="../out/notebook_calibration",
    overwrite=True,
    predictive=SIZES["draws"],
)
result.generations

# %%
rows = []
for key, value in truth.items():
    low, high = result.credible_interval(key, 0.9)
    prior_low, prior_high = priors[key].bounds()
    rows.append(
        {
            "parameter": key,
            "truth": value,
            "median": result.quantile(key, 0.5),
            "90% low": low,
            "90% high": high,
            "width vs prior": (high - low) / (prior_high - prior_low),
        }
    )
pd.DataFrame(rows).set_index("parameter")

# %% [markdown]
# The report (`out/notebook_calibration/report.md`) has the same table, the convergence per
# generation and a posterior-predictive check; `calibrated.toml` is the scenario with the
# posterior medians.

# %%
print(open("../out/notebook_calibration/report.md").read()[:1500])

# %% [markdown]
# ## Compare org models across plausible worlds
#
# Each draw from the posterior is applied to both org models, on the same replicate seeds.
# `prob_better` is the share of draws in which the Center of Excellence does better.

# %%
pair = [
    simulation.load_scenario("../scenarios/centralized.toml", SET),
    simulation.load_scenario("../scenarios/center_of_excellence.toml", SET),
]
comparison = batch.compare(
    pair,
    SIZES["replicates"],
    seed=SEED,
    uncertainty="../out/notebook_calibration/posterior.csv",
    draws=SIZES["draws"],
    workers=WORKERS,
)
from simulation.studies.batch.uncertainty import prob_better, variance_shares

prob = prob_better(comparison.summary, "centralized", ["detection_rate", "resolution_rate", "churn_rate"])
prob

# %%
variance_shares(comparison.summary, ["detection_rate", "resolution_rate", "churn_rate"])

# %% [markdown]
# `share_params` is the share of a KPI's variance across runs that comes from the parameters
# (between draws) rather than the seeds (within a draw). On the command line the same is
# `silosim compare A.toml B.toml --uncertainty DIR/posterior.csv --out DIR2`, which writes
# `prob_better.csv`, `ci.csv` with these shares, and sentences in `report.md`.
