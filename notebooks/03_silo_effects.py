# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Why silos hurt: the sweep, then the mechanism
#
# **What this shows.** First a sweep of `organization.silo_strength` (0 = departments tied
# to each other, 1 = no cross-department ties and maximal hand-off friction) under two org
# models, with 95% intervals. Then the mechanism behind the curves, from one run's inquiry
# log and org structure: hand-offs made and lost and their delay by department pair
# (`analysis.handoff_table`), the ideas that never reached product and why
# (`analysis.lost_ideas`), and the internal collaboration graph with the routes the
# hand-offs travel (`plots_org.draw_internal_graph`).
#
# **How long.** About one to two minutes at full size; seconds at `SILOSIM_NOTEBOOK_SCALE=small`.

# %%
# Parameters. SILOSIM_NOTEBOOK_SCALE=small (what the test suite uses) runs in seconds;
# "full" (the default) gives the sizes the text below discusses.
import os

SCALE = os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")
SIZES = {
    "small": {"customers": 1000, "steps": 336, "replicates": 2},
    "full": {"customers": 5000, "steps": 2184, "replicates": 3},
}[SCALE]
SEED = 20260101  # root seed: every number below is reproducible from it
SILO_LEVELS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
MODELS = ["centralized", "center_of_excellence"]
WORKERS = 1 if SCALE == "small" else min(4, os.cpu_count() or 1)  # parallel runs; 1 = in this process
print(SCALE, SIZES)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import simulation
from simulation.outputs import analysis, plots, plots_org
from simulation.studies import batch

plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.titleweight": "bold"})
pd.set_option("display.float_format", "{:.4g}".format)
pd.set_option("display.width", 140)

# %% [markdown]
# ## The sweep
#
# `batch.sweep` runs every org model at every silo strength over the same replicate seeds
# (common random numbers), so the curves differ by the parameter and the org model, not by
# luck; `.ci()` gives the mean and 95% interval at each point.

# %%
base = simulation.load_scenario(
    "../scenarios/centralized.toml",
    [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
)
models = {model: base.with_values({"organization.model": model}) for model in MODELS}
result = batch.sweep(models, {"organization.silo_strength": SILO_LEVELS}, SIZES["replicates"], SEED, workers=WORKERS)
sweep_kpis = [
    "resolution_rate",
    "first_response_median_min",
    "idea_capture_rate",
    "handoff_loss_rate",
    "sentiment_mean",
    "silo_index",
]
sweep = result.ci(sweep_kpis)  # one row per (org model, silo strength, KPI)
sweep.pivot_table(index=["scenario", "organization.silo_strength"], columns="kpi", values="mean")[sweep_kpis]

# %%
plots.sweep_curves(
    sweep,
    "organization.silo_strength",
    sweep_kpis,
    f"Silo sweep: mean and 95% CI over {SIZES['replicates']} replicates",
)

# %% [markdown]
# ## The mechanism, in one run
#
# Two runs of the centralized org model on the same seed: a weak silo (0.2) and a strong one
# (0.8). Under a centralized model only marketing listens, so every inquiry owned by another
# department is a hand-off from marketing: its delay and loss grow with the number of hops
# and with silo friction on cross-department and hierarchy ties.

# %%
pair = {silo: base.with_values({"organization.silo_strength": silo}) for silo in (0.2, 0.8)}
one = {silo: simulation.run(config, seed=SEED) for silo, config in pair.items()}
for silo, result in one.items():
    print(f"silo {silo}:")
    display(analysis.handoff_table(result))

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 7))
for row, silo in enumerate(one):
    plots_org.handoff_heatmap(
        analysis.handoff_matrix(one[silo], "mean_delay_h"),
        ax=axes[row, 0],
        title=f"Mean hand-off delay, silo {silo}",
        unit="hours",
    )
    plots_org.handoff_heatmap(
        analysis.handoff_matrix(one[silo], "loss_rate"),
        ax=axes[row, 1],
        title=f"Share of hand-offs lost, silo {silo}",
        unit="share lost",
        fmt="{:.0%}",
    )
fig.tight_layout()

# %% [markdown]
# ## Ideas that never reached product
#
# An idea is *captured* when it reaches its owner's queue (product). It can fail to get
# there because nobody listening saw it, because it was dropped between departments, or
# because it was still on its way when the run ended.

# %%
outcomes = pd.DataFrame({f"silo {silo}": analysis.idea_outcomes(result) for silo, result in one.items()})
display(outcomes)
ax = outcomes.drop("raised").T.plot.bar(stacked=True, figsize=(7, 4), rot=0, color=["C2", "C7", "C3", "C1"])
ax.set(title="What happened to customers' ideas (centralized)", ylabel="ideas", xlabel="")
analysis.lost_ideas(one[0.8])[["t_raise", "detector_name", "owner_name", "hops", "handoff_hours", "reason"]].head()

# %% [markdown]
# ## The routes over the internal graph
#
# Each engine keeps its org structure: `engine.structure.graph` (networkx; every tie has a
# `kind`: intra, cross, hierarchy, team, hub, channel, tool, agency) and the hand-off routes
# `engine.structure.handoffs.paths[(from_unit, to_dept)]`. `analysis.handoff_routes` lists
# them; `plots_org.draw_internal_graph` draws them. Left: centralized with a strong silo,
# routes from marketing to product and to customer service. Right: the Center of Excellence,
# where the shared tool routes to product over two tool ties.

# %%
strong = simulation.SocialMediaOrgModel(pair[0.8], seed=SEED, agent_views=False).engine
coe = simulation.SocialMediaOrgModel(
    pair[0.8].with_values({"organization.model": "center_of_excellence"}), seed=SEED, agent_views=False
).engine
departments = strong.company.departments
marketing, service, product = (departments.index(d) for d in ("marketing", "customer_service", "product"))
tool = len(departments)  # the shared tool is the last routing unit
analysis.handoff_routes(strong.structure, departments).query("`from` == 'marketing'")

# %%
fig, axes = plt.subplots(1, 2, figsize=(18, 9))
plots_org.draw_internal_graph(
    strong.structure,
    departments,
    ax=axes[0],
    highlight_paths=[
        strong.structure.handoffs.paths[(marketing, product)],
        strong.structure.handoffs.paths[(marketing, service)],
    ],
    title="Centralized, silo 0.8: marketing -> product and -> customer service",
)
coe_routes = coe.structure.handoffs.paths
coe_paths = [coe_routes[(tool, product)]] if (tool, product) in coe_routes else []
silo = coe.config.organization.silo_strength
plots_org.draw_internal_graph(
    coe.structure,
    departments,
    ax=axes[1],
    highlight_paths=coe_paths,
    title=f"Center of Excellence (silo {silo}): tool -> product",
)
fig.tight_layout()

# %% [markdown]
# **Reading it.** A stronger silo removes cross-department ties, so routes climb the hierarchy
# through the executive, with more hops and more friction per hop: hand-offs take longer and
# more are lost, first responses slow down, fewer inquiries are resolved and fewer ideas reach
# product. Org models that add structural ties (a hub, a shared tool, a team) keep routes
# short whatever the silo, which is why the Center of Excellence curve is flatter.
