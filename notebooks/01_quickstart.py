# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Quickstart: one run, its time series and KPIs, one change, the Mesa model
#
# **What this shows.** How to load a shipped scenario, run it, read what comes back
# (`RunResult.timeseries`, `.summary`, `.inquiries`), change one parameter and run again,
# and how the same run looks as a Mesa model (agents, agent sets, `DataCollector`).
#
# **How long.** About a minute at full size (10,000 customers, one quarter of hourly steps);
# seconds at `SILOSIM_NOTEBOOK_SCALE=small`.
#
# Next: `02_org_models` compares every org model over replicates, `03_silo_effects` opens the
# hand-off mechanism, `04_extend` adds your own org model, intervention and KPI,
# `05_sensitivity` ranks the parameters, `06_validation` checks the submodels against theory.

# %%
# Parameters. SILOSIM_NOTEBOOK_SCALE=small (what the test suite uses) runs in seconds;
# "full" (the default) gives the sizes the text below discusses.
import os

SCALE = os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")
SIZES = {
    "small": {"customers": 1500, "steps": 336, "mesa_steps": 48},  # two weeks
    "full": {"customers": 10_000, "steps": 2184, "mesa_steps": 168},  # one quarter; a week of Mesa steps
}[SCALE]
SEED = 20260101  # root seed: every number below is reproducible from it
print(SCALE, SIZES)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import simulation
from simulation.outputs import analysis

plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.titleweight": "bold"})
pd.set_option("display.float_format", "{:.4g}".format)
pd.set_option("display.width", 140)

# %% [markdown]
# ## Load a scenario
#
# A scenario is a TOML file layered over the built-in defaults and an org-model preset.
# Overrides are `section.key=value` strings, exactly as `silosim run --set` takes them.
# The config is validated and frozen: a wrong key or value fails here, naming the key.

# %%
config = simulation.load_scenario(
    "../scenarios/centralized.toml",
    [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
)
print(config.name, "-", config.description)
print("org model:", config.organization.model, "| silo strength:", config.organization.silo_strength)
print("who posts:", config.organization.posters, "| who listens:", config.organization.listeners)
print("who owns each inquiry type:", config.support.owners)

# %% [markdown]
# ## Run it

# %%
result = simulation.run(config, seed=SEED)
result

# %% [markdown]
# `result.timeseries` has one row per step (one hour): the step's flows (posts, inquiries,
# answers, hand-offs...) and stocks (sentiment, followers, churn...). `analysis.daily` rolls
# it up to days: flows summed, stocks averaged.

# %%
result.timeseries[
    ["step", "hours", "posts", "inquiries", "answered", "resolved", "handoffs", "sentiment_mean", "followers"]
].head()

# %%
day = analysis.daily(result.timeseries)
fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True)
day[["posts", "gaffes"]].plot(ax=axes[0, 0], title="Content", ylabel="posts per day")
day[["inquiries", "answered", "resolved"]].plot(ax=axes[0, 1], title="Support", ylabel="inquiries per day")
day["sentiment_mean"].plot(ax=axes[1, 0], title="Mean customer sentiment", ylabel="sentiment in [-1, 1]")
(100 * day["share_of_voice"]).plot(ax=axes[1, 1], title="Share of voice", ylabel="% of brand + competitor mentions")
for ax in axes[1]:
    ax.set_xlabel("day")
fig.suptitle(f"{config.name}: {len(day)} days, {SIZES['customers']:,} customers, seed {SEED}")
fig.tight_layout()

# %% [markdown]
# ## KPIs
#
# `result.summary` holds every KPI. Each KPI says what it measures, whether higher is
# better, and whether it is an *appearance* number (mentions, reach) or a *user-outcome*
# number (resolutions, retention) — Social Media Upgrade 2013 warns that brands report the first and
# customers feel the second.

# %%
kpis = simulation.kpis.all_kpis()
headline = pd.DataFrame(
    {
        "value": {k: result.summary[k] for k in simulation.kpis.HEADLINE},
        "kind": {k: kpis[k].kind for k in simulation.kpis.HEADLINE},
        "meaning": {k: kpis[k].description for k in simulation.kpis.HEADLINE},
    }
)
headline

# %% [markdown]
# `result.inquiries` is the inquiry log: one row per customer inquiry, who detected it,
# who owns it, the hand-off delay and hops, whether it was lost, and when it was queued,
# answered and resolved (hours since the start; `inf` = never).

# %%
result.inquiries[
    [
        "kind_name",
        "detector_name",
        "owner_name",
        "handoff_hours",
        "hops",
        "lost",
        "t_raise",
        "t_queue",
        "t_start",
        "t_end",
        "resolved",
    ]
].head(8)

# %%
analysis.inquiry_funnel(result)

# %% [markdown]
# ## Change a parameter and run again
#
# `config.with_values` returns a new validated config. Here: the same company with weaker
# silos, and the same company organised as a Center of Excellence. Same seed, so the same
# customers and social graph (common random numbers): the differences come from the change.

# %%
variants = {
    "centralized": config,
    "centralized, silo 0.2": config.with_values({"organization.silo_strength": 0.2}),
    "center of excellence": config.with_values({"organization.model": "center_of_excellence"}),
}
results = {name: simulation.run(c, seed=SEED) for name, c in variants.items()}
simulation.kpis.kpi_table({name: r.summary for name, r in results.items()}, list(simulation.kpis.HEADLINE))

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for name, r in results.items():
    ts = r.timeseries
    axes[0].plot(ts.hours / 24, ts.resolved.cumsum(), label=name)
    axes[1].plot(ts.hours / 24, ts.sentiment_mean, label=name)
axes[0].set(title="Inquiries resolved", xlabel="day", ylabel="resolved (cumulative count)")
axes[1].set(title="Mean customer sentiment", xlabel="day", ylabel="sentiment in [-1, 1]")
axes[0].legend()
fig.tight_layout()

# %% [markdown]
# ## The Mesa side
#
# `simulation.run` drives a `SocialMediaOrgModel` (a `mesa.Model`) to the end. Build one
# yourself to step it, look at its agents and use Mesa's `DataCollector`. Departments are
# `DepartmentAgent`s (they decide each hour whether they are on duty); for runs up to
# 20,000 customers, customers and employees are agents too, as views on the engine's arrays.

# %%
model = simulation.SocialMediaOrgModel(config, seed=SEED)
for _ in range(SIZES["mesa_steps"]):
    model.step()
print(len(model.agents), "agents")
{agent_type.__name__: len(agents) for agent_type, agents in model.agents_by_type.items()}

# %%
departments = model.agents_by_type[simulation.DepartmentAgent]
pd.DataFrame(
    [
        {
            "department": d.name,
            "headcount": d.headcount,
            "servers": d.servers,
            "posters": d.posters,
            "listens": d.can_listen,
            "owns": ", ".join(d.owns),
            "skill": d.skill,
            "motivation": d.motivation,
            "queue_length": d.queue_length,
            "on_duty": d.on_duty,
        }
        for d in departments
    ]
).set_index("department")

# %%
service = next(d for d in departments if d.name == "customer_service")
print(service.name, "owns", service.owns, "with", service.servers, "servers; queue now:", service.queue_length)
customer = next(iter(model.agents_by_type[simulation.engines.mesa_model.CustomerAgent]))
print(
    "a customer:",
    {
        "sentiment": round(customer.sentiment, 3),
        "follows": customer.follows,
        "advocate": customer.advocate,
        "neighbours": len(customer.cell.neighborhood),
    },
)

# %%
model_vars = model.datacollector.get_model_vars_dataframe()
model_vars[["posts", "inquiries", "answered", "handoffs", "sentiment_mean"]].tail()

# %%
dept_vars = model.datacollector.get_agenttype_vars_dataframe(simulation.DepartmentAgent)
queues = dept_vars.reset_index().pivot(index="Step", columns="department", values="queue_length")
ax = queues.plot(figsize=(10, 4), title="Open inquiries waiting in each department's queue")
ax.set(xlabel="step (hour)", ylabel="inquiries waiting")
dept_vars.tail(7)

# %%
mesa_result = model.finish()  # the same RunResult simulation.run returns
mesa_result
