# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Org models compared: what a strategist would put on a slide
#
# **What this shows.** Every org model (`simulation.all_presets()`: the three core ones —
# centralized, democratized, Center of Excellence — and the others from the articles and
# Altimeter's survey) run on the same company and the same customers over replicate seeds,
# with 95% confidence intervals; paired differences against the centralized start; and the
# appearance-vs-outcome gap Social Media Upgrade 2013 warns about.
#
# **How long.** About two minutes at full size (9 org models x 4 replicates, 5,000
# customers, one quarter); seconds at `SILOSIM_NOTEBOOK_SCALE=small`.

# %%
# Parameters. SILOSIM_NOTEBOOK_SCALE=small (what the test suite uses) runs in seconds;
# "full" (the default) gives the sizes the text below discusses.
import os

SCALE = os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")
SIZES = {
    "small": {"customers": 1000, "steps": 336, "replicates": 2},
    "full": {"customers": 5000, "steps": 2184, "replicates": 4},
}[SCALE]
SEED = 20260101  # root seed: every number below is reproducible from it
CORE = ["centralized", "democratized", "center_of_excellence"]
WORKERS = 1 if SCALE == "small" else min(4, os.cpu_count() or 1)  # parallel runs; 1 = in this process
print(SCALE, SIZES)

# %%
# %matplotlib inline
import tempfile

import matplotlib.pyplot as plt
import pandas as pd

import simulation
from simulation.outputs import plots
from simulation.outputs.kpis import all_kpis
from simulation.studies import batch

plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.titleweight": "bold"})
pd.set_option("display.float_format", "{:.4g}".format)
pd.set_option("display.width", 140)

# %%
base = simulation.load_scenario(
    "../scenarios/centralized.toml",
    [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
)
presets = simulation.all_presets()
pd.DataFrame({name: {"description": p.description, "source": p.source} for name, p in presets.items()}).T

# %% [markdown]
# ## Run every org model over replicates
#
# `batch.compare` runs each config on the same replicate seeds, so each replicate is one
# company and one customer base seen under every org model (common random numbers).
# `workers=1` runs in this process; more run in parallel processes, with the same results.
# `out=` keeps every run's hourly time series on disk (here a temporary directory) for the
# daily bands of Figure 5. The `BatchResult` has one row per run in `.summary`; `.ci()` gives
# each org model's mean and 95% t-interval per KPI, `.paired()` the paired differences.

# %%
configs = {name: base.with_values({"organization.model": name}) for name in presets}
result = batch.compare(
    configs,
    SIZES["replicates"],
    SEED,
    workers=WORKERS,
    baseline="centralized",
    out=tempfile.mkdtemp(prefix="silosim-02-"),
)
kpis = [
    "resolution_rate",
    "first_response_median_min",
    "answered_within_1h_share",
    "idea_capture_rate",
    "sentiment_mean",
    "advocate_share",
    "reach",
    "share_of_voice",
    "brand_consistency",
    "gaffes",
    "participation",
    "cost_per_resolution",
]
ci = result.ci(kpis)  # one row per (org model, KPI): n, mean, low, high, half_width
table = ci.pivot(index="scenario", columns="kpi", values=["mean", "low", "high"]).swaplevel(axis=1)
ci.pivot(index="kpi", columns="scenario", values="mean").loc[kpis, result.scenarios]

# %% [markdown]
# ## Figure 1 · Speed and completeness of support
#
# Each org model is one point: share of inquiries resolved (completeness) against the median
# minutes to a first answer (speed), with 95% intervals. Up and to the left is better.

# %%
colours = {name: ("C3" if name in CORE else "C7") for name in presets}
fig, ax = plt.subplots(figsize=(9, 6))
speed, done = table["first_response_median_min"], table["resolution_rate"]
x, y = speed["mean"], done["mean"]
ax.errorbar(
    x,
    y,
    xerr=[x - speed["low"], speed["high"] - x],
    yerr=[y - done["low"], done["high"] - y],
    fmt="none",
    ecolor="grey",
    capsize=3,
    zorder=1,
)
for rank, name in enumerate(y.sort_values().index):  # alternate label sides so neighbours stay legible
    ax.scatter(x[name], y[name], s=80, color=colours[name], zorder=2)
    ax.annotate(
        name,
        (x[name], y[name]),
        textcoords="offset points",
        xytext=(8, 6 if rank % 2 else -12),
        fontsize=9,
        weight="bold" if name in CORE else "normal",
    )
ax.set(
    title="Support: faster and more complete with integrated org models",
    xlabel="median first response (minutes, log scale)",
    ylabel="inquiries resolved / raised",
    xscale="log",
)
fig.tight_layout()

# %% [markdown]
# ## Figure 2 · The headline KPIs, org model by org model
#
# Bars are means over replicates, whiskers 95% intervals (`plots.kpi_bars`, the figure the
# batch report uses: hatching tells the org models apart in grayscale too).

# %%
shown = [
    "resolution_rate",
    "answered_within_1h_share",
    "idea_capture_rate",
    "sentiment_mean",
    "reach",
    "brand_consistency",
    "participation",
    "cost_per_resolution",
]
fig = plots.kpi_bars(
    ci, shown, f"Org models on the same company: mean and 95% CI over {SIZES['replicates']} replicates"
)
better = {True: "higher is better", False: "lower is better", None: ""}
for ax, kpi in zip(fig.axes, shown, strict=False):
    ax.set_title(f"{kpi}\n({better[all_kpis()[kpi].higher_is_better]})", fontsize=10)
fig

# %% [markdown]
# ## Figure 3 · What changes if you leave a centralized organisation
#
# Differences against `centralized`, paired by replicate seed (`BatchResult.paired`): the
# same company and customers under both models, so the intervals show the effect of the org
# model alone.

# %%
diff_kpis = ["resolution_rate", "answered_within_1h_share", "idea_capture_rate", "sentiment_mean"]
diffs = result.paired(kpis=diff_kpis)  # vs the batch's baseline, centralized
order = list(table[("resolution_rate", "mean")].sort_values().index)
fig, axes = plt.subplots(1, len(diff_kpis), figsize=(16, 4.5), sharey=True)
others = [n for n in order if n != "centralized"]
for ax, kpi in zip(axes, diff_kpis, strict=True):
    d = diffs[diffs.kpi == kpi].set_index("scenario").loc[others]
    ax.barh(
        others,
        d.difference,
        xerr=[d.difference - d.low, d.high - d.difference],
        color=[colours[n] for n in others],
        capsize=2,
    )
    ax.axvline(0, color="black", lw=0.8)
    ax.set(title=kpi, xlabel="difference vs centralized")
fig.suptitle("Paired differences vs the centralized org model (95% CI)")
fig.tight_layout()
diffs.pivot(index="scenario", columns="kpi", values="difference")

# %% [markdown]
# ## Figure 4 · Appearance vs outcome
#
# Seed 003: brands report appearance numbers (reach, share of voice) while customers feel
# outcomes (answers, sentiment). An org model can look good on one axis and not the other.

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 5))
pairs = [("reach", "resolution_rate"), ("share_of_voice", "sentiment_mean")]
for ax, (appearance, outcome) in zip(axes, pairs, strict=True):
    for name in table.index:
        ax.scatter(table.loc[name, (appearance, "mean")], table.loc[name, (outcome, "mean")], s=70, color=colours[name])
        ax.annotate(
            name,
            (table.loc[name, (appearance, "mean")], table.loc[name, (outcome, "mean")]),
            textcoords="offset points",
            xytext=(5, 3),
            fontsize=8,
        )
    ax.set(
        xlabel=f"{appearance} (appearance: {all_kpis()[appearance].description})",
        ylabel=f"{outcome} (outcome)",
        title=f"{appearance} vs {outcome}",
    )
fig.suptitle("Appearance numbers vs user-outcome numbers, mean over replicates")
fig.tight_layout()

# %% [markdown]
# ## Figure 5 · The quarter, day by day
#
# The three core org models' daily means over the replicates, with 95% bands
# (`BatchResult.daily_bands` streams the saved time series one run at a time).

# %%
band_columns = ["first_response_median_min", "share_of_voice", "sentiment_mean", "churn_rate"]
bands = result.daily_bands(band_columns)
plots.timeseries_bands(
    bands[bands.scenario.isin(CORE)].assign(label=lambda b: b.scenario),
    band_columns,
    f"Core org models day by day: mean and 95% band over {SIZES['replicates']} replicates",
)

# %% [markdown]
# **Reading it.** With the default parameters, org models that let the departments owning
# inquiries listen themselves (or route through a shared tool or hub) answer faster and
# more completely, and capture more ideas, than the centralized model whose hand-offs climb
# the hierarchy; the price shows in cost per resolution and, for models where everyone
# posts, in brand consistency. Reach and share of voice separate the org models much less
# than support outcomes do — the appearance-vs-outcome gap. Intervals at
# `SILOSIM_NOTEBOOK_SCALE=small` are wide; read the full-size run.
