# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Extend the model from a notebook: your org model, intervention and KPI
#
# **What this shows.** The three public extension points, used without editing the package:
#
# 1. `simulation.register_preset` — a new org model (a named parameter set),
# 2. `simulation.register_intervention` — a new scheduled action, with its own validation,
# 3. `simulation.register_kpi` — a new summary metric computed from a finished run,
#
# then a comparison of the new org model, with and without the new intervention, against
# built-in org models over replicates, on built-in and new KPIs.
#
# **How long.** About one to two minutes at full size; seconds at `SILOSIM_NOTEBOOK_SCALE=small`.
#
# Registrations live in this Python session: they are visible to `simulation.run`, to
# `config.with_values` and to scenario validation here, but not to other processes (the CLI,
# or a batch run with worker processes) — put them in a module those processes import.

# %%
# Parameters. SILOSIM_NOTEBOOK_SCALE=small (what the test suite uses) runs in seconds;
# "full" (the default) gives the sizes the text below discusses.
import os

SCALE = os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")
SIZES = {
    "small": {"customers": 1500, "steps": 336, "replicates": 2},
    "full": {"customers": 10_000, "steps": 2184, "replicates": 6},
}[SCALE]
SEED = 20260101  # root seed: every number below is reproducible from it
print(SCALE, SIZES)

# %%
# %matplotlib inline
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import simulation
from simulation.outputs import analysis, plots
from simulation.studies import batch

plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.titleweight": "bold"})
pd.set_option("display.float_format", "{:.4g}".format)
pd.set_option("display.width", 140)

# %%
base = simulation.load_scenario(
    "../scenarios/centralized.toml",
    [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
)

# %% [markdown]
# ## 1. A new org model: `service_first`
#
# A preset is a partial scenario. `base=` starts from an existing preset. Ours starts from
# the task force, but the team is customer service, IT and product (the departments that
# *own* inquiries), product questions go to customer service instead of sales, and a shared
# listening tool routes what the team does not see itself. Registration validates the preset
# by building a config from it.

# %%
simulation.register_preset(
    "service_first",
    "A task force of the departments that own inquiries, with a shared listening tool.",
    "notebook 04 example (variation on Dream Team 2013's task force)",
    {
        "organization": {
            "task_force": ["customer_service", "it", "product"],
            "listeners": ["customer_service", "it", "product"],
            "shared_tool": True,
        },
        "support": {"owners": {"product_question": "customer_service"}},
    },
    base="task_force",
)
print(simulation.all_presets()["service_first"].description)
print(base.with_values({"organization.model": "service_first"}).organization.listeners)


# %% [markdown]
# ## 2. A new intervention: `staff_up`
#
# An action is `apply(engine, intervention)`. The engine exposes `engine.config` (the config
# in force), `engine.reconfigure(config, lag_steps)` (adopt a new config, blending numeric
# parameters over `lag_steps`) and `engine.inject_crisis(size)`. An optional
# `validate(intervention, config)` raises `ValueError("field: reason")`, checked when the
# scenario is loaded. `staff_up` multiplies one department's share of time given to social
# work (its answering servers) by `value`, phased in over `adoption_lag_steps`.
# A second action, `product_recall`, shows the crisis hook: a negative cascade plus a surge of
# inquiries.


# %%
def staff_up(engine, intervention):
    shares = dict(engine.config.organization.social_share)
    department = intervention.department
    shares[department] = min(1.0, shares.get(department, 0.05) * float(intervention.value))
    new = engine.config.with_values({"organization.social_share": shares})
    engine.reconfigure(new, intervention.adoption_lag_steps)


def check_staff_up(intervention, config):
    if intervention.department not in config.organization.departments:
        raise ValueError(f"department: {intervention.department!r} is not a department")
    if not isinstance(intervention.value, int | float) or intervention.value <= 0:
        raise ValueError("value: a positive multiplier is required")


def product_recall(engine, intervention):
    engine.inject_crisis(intervention.size)
    rate = engine.config.customers.inquiry_rate_per_day
    engine.reconfigure(engine.config.with_values({"customers.inquiry_rate_per_day": 2 * rate}), 0)


simulation.register_intervention("staff_up", staff_up, "multiply a department's social time share", check_staff_up)
simulation.register_intervention(
    "product_recall", product_recall, "a crisis of `size` customers and twice the inquiries from then on"
)

# %% [markdown]
# Validation runs when the scenario is built, and names the field:

# %%
try:
    base.with_values({"interventions": [{"step": 10, "action": "staff_up", "department": "legal", "value": 2}]})
except simulation.ScenarioError as err:
    print("rejected:", err)


# %% [markdown]
# ## 3. New KPIs
#
# A KPI is `compute(result) -> float` over a finished `RunResult`. Two user-outcome numbers
# the built-ins do not have: the share of *complaints* answered within an hour (Steinberg's
# customers expect it; Lithium 2013: 72% of complainers want a reply within the hour) and
# the share of ideas that never reached product (from `analysis.idea_outcomes`).


# %%
def complaints_within_1h(result):
    inq = result.inquiries
    complaints = inq[inq.kind_name == "service_complaint"]
    return float(((complaints.t_start - complaints.t_raise) <= 1.0).mean()) if len(complaints) else np.nan


def ideas_lost_share(result):
    ideas = analysis.idea_outcomes(result)
    return (ideas["raised"] - ideas["captured"]) / ideas["raised"] if ideas["raised"] else np.nan


simulation.register_kpi(
    "complaints_within_1h", complaints_within_1h, "share of service complaints answered within one hour"
)
simulation.register_kpi(
    "ideas_lost_share", ideas_lost_share, "share of ideas that never reached their owner", higher_is_better=False
)
simulation.kpis.all_kpis()["complaints_within_1h"]

# %% [markdown]
# ## 4. Compare with the built-ins
#
# Five variants on the same company and the same customers (common random numbers per
# replicate): three built-in org models, the new one, and the new one with extra service
# staff from week two. `batch.compare(..., workers=1)` runs them in this process, where the
# registrations live (worker processes would not know `service_first`, `staff_up` or the new
# KPIs); the new KPIs are summary columns like the built-ins, and `.ci()` gives means and 95%
# confidence intervals. The time series go to a temporary directory for the day-by-day view.

# %%
week = 168
staff_up_at = min(2 * week, SIZES["steps"] // 3)
variants = {
    "centralized": base,
    "task_force": base.with_values({"organization.model": "task_force"}),
    "center_of_excellence": base.with_values({"organization.model": "center_of_excellence"}),
    "service_first": base.with_values({"organization.model": "service_first"}),
    "service_first + staff_up": base.with_values(
        {
            "organization.model": "service_first",
            "interventions": [
                {
                    "step": staff_up_at,
                    "action": "staff_up",
                    "department": "customer_service",
                    "value": 2.0,
                    "adoption_lag_steps": 48,
                }
            ],
        }
    ),
}
result = batch.compare(variants, SIZES["replicates"], SEED, workers=1, out=tempfile.mkdtemp(prefix="silosim-04-"))
compared = [
    "resolution_rate",
    "first_response_median_min",
    "complaints_within_1h",
    "ideas_lost_share",
    "sentiment_mean",
    "cost_per_resolution",
]
ci = result.ci(compared)
ci.pivot(index="scenario", columns="kpi", values="mean").loc[result.scenarios, compared]

# %%
fig = plots.kpi_bars(
    ci, compared, f"New org model and intervention vs built-ins: mean and 95% CI over {SIZES['replicates']} replicates"
)
for ax, kpi in zip(fig.axes, compared, strict=False):
    if kpi in ("complaints_within_1h", "ideas_lost_share"):
        ax.set_title(f"{kpi} (new KPI)", fontsize=10)
fig

# %% [markdown]
# **Reading it.** `service_first` routes complaints inside a team with a shared tool, so it
# should answer complaints faster than the centralized model, close to the task force;
# doubling service staff helps only if the service queue, not routing, was the bottleneck.
# The intervention's effect alone, paired by replicate seed against `service_first`:

# %%
staffed = result.paired("service_first", compared).query("scenario == 'service_first + staff_up'")
staffed[["kpi", "n", "baseline_mean", "difference", "low", "high"]]

# %% [markdown]
# The intervention's effect over time, day by day over the replicates:

# %%
band_columns = ["resolved", "first_response_median_min"]
bands = result.daily_bands(band_columns)
staffing = bands[bands.scenario.str.startswith("service_first")].assign(label=lambda b: b.scenario)
fig = plots.timeseries_bands(staffing, band_columns, "service_first with and without staff_up: daily mean and 95% band")
for ax in fig.axes[: len(band_columns)]:
    ax.axvline(staff_up_at / 24, color="black", ls="--", lw=1)
fig

# %% [markdown]
# A crisis through the new `product_recall` action, under two org models (one run each, on
# the first replicate's seed):

# %%
seed = int(result.summary.seed.iloc[0])
recall = {"interventions": [{"step": SIZES["steps"] // 3, "action": "product_recall", "size": 30}]}
fig, ax = plt.subplots(figsize=(10, 4))
for name in ("centralized", "center_of_excellence"):
    config = variants[name].with_values(recall)
    day = analysis.daily(simulation.run(config, seed=seed).timeseries)
    day.sentiment_mean.plot(ax=ax, label=name)
ax.axvline(SIZES["steps"] // 3 / 24, color="black", ls="--", lw=1, label="product_recall")
ax.set(title="Mean sentiment through a product recall", xlabel="day", ylabel="sentiment in [-1, 1]")
ax.legend()
