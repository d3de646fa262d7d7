# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Validation: the submodels against theory, and the two engines against each other
#
# **What this shows.** Three checks, as tables and plots:
#
# 1. **Service queue vs Erlang C.** The FCFS multi-server kernel (`simulation.core.fifo_queue`)
#    on Poisson arrivals and exponential service, and then the *whole model* configured as an
#    M/M/c queue (`analysis.mmc_config`: no hand-offs, full coverage, infinite patience,
#    round-the-clock staff), against the Erlang C probability of waiting and mean wait
#    over a range of loads (`simulation.studies.theory.erlang_c_*`).
# 2. **Cascades vs bond percolation.** One-seed independent cascades
#    (`simulation.core.independent_cascade`) on Erdős–Rényi graphs against the final-size
#    equation S = 1 − exp(−k T S) over a range of transmissibilities T.
# 3. **Vectorized vs agents engine.** The same scenarios under `simulation.engine =
#    "vectorized"` and `"agents"` (one Mesa agent per customer and employee), KPI by KPI.
#
# **How long.** About two minutes at full size; under 30 s at `SILOSIM_NOTEBOOK_SCALE=small`
# (with wider intervals).

# %%
# Parameters. SILOSIM_NOTEBOOK_SCALE=small (what the test suite uses) runs in seconds;
# "full" (the default) gives the sizes the text below discusses.
import os

SCALE = os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")
SIZES = {
    "small": {
        "arrivals": 4_000,
        "model_steps": 800,
        "model_seeds": 2,
        "graph_n": 2000,
        "cascades": 120,
        "engine_customers": 500,
        "engine_steps": 120,
        "engine_seeds": 2,
    },
    "full": {
        "arrivals": 40_000,
        "model_steps": 2000,
        "model_seeds": 4,
        "graph_n": 10_000,
        "cascades": 300,
        "engine_customers": 1000,
        "engine_steps": 240,
        "engine_seeds": 4,
    },
}[SCALE]
SEED = 20260101  # root seed: every number below is reproducible from it
LOADS = [0.2, 0.4, 0.6, 0.75, 0.85, 0.9]  # rho = lambda / (c mu)
SERVERS = [1, 3, 8]
SERVICE_RATE = 4.0  # per hour: 15-minute mean handling
MEAN_DEGREE = 5.0
TRANSMISSIBILITIES = [round(0.04 * i, 2) for i in range(1, 16)]  # per-tie spread probability
print(SCALE, SIZES)

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import simulation
from simulation.core import fifo_queue
from simulation.outputs import analysis
from simulation.rng import replicate_seeds
from simulation.studies import theory
from simulation.studies.batch.stats import mean_ci

plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.titleweight": "bold"})
pd.set_option("display.float_format", "{:.4g}".format)
pd.set_option("display.width", 140)

# %% [markdown]
# ## 1a. The queue kernel vs Erlang C
#
# Poisson arrivals at rate λ = ρ c μ, exponential service at rate μ, c servers, FCFS. The
# first 10% of arrivals are dropped as warm-up. The 95% interval of the simulated mean
# wait uses batch means (20 batches), since successive waits are correlated.

# %%
rng = np.random.default_rng(SEED)


def batch_mean_ci(x, batches=20):
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    return mean_ci(means)


rows = []
for c in SERVERS:
    for rho in LOADS:
        lam = rho * c * SERVICE_RATE
        arrivals = np.cumsum(rng.exponential(1 / lam, SIZES["arrivals"]))
        service = rng.exponential(1 / SERVICE_RATE, SIZES["arrivals"])
        waits = (fifo_queue(arrivals, service, c) - arrivals)[SIZES["arrivals"] // 10 :]
        mean, low, high = batch_mean_ci(waits)
        rows.append(
            {
                "servers": c,
                "load": rho,
                "P(wait) sim": (waits > 0).mean(),
                "P(wait) Erlang C": theory.erlang_c_wait_probability(c, lam, SERVICE_RATE),
                "mean wait sim (min)": 60 * mean,
                "CI low": 60 * low,
                "CI high": 60 * high,
                "mean wait Erlang C (min)": 60 * theory.erlang_c_mean_wait(c, lam, SERVICE_RATE),
            }
        )
kernel = pd.DataFrame(rows)
kernel["theory inside CI"] = kernel["mean wait Erlang C (min)"].between(kernel["CI low"], kernel["CI high"])
kernel

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
grid = np.linspace(0.05, 0.95, 60)
for i, c in enumerate(SERVERS):
    colour = f"C{i}"
    sim = kernel[kernel.servers == c]
    axes[0].plot(
        grid,
        [theory.erlang_c_wait_probability(c, r * c * SERVICE_RATE, SERVICE_RATE) for r in grid],
        color=colour,
        label=f"Erlang C, c = {c}",
    )
    axes[0].plot(sim.load, sim["P(wait) sim"], "o", color=colour, label=f"kernel, c = {c}")
    axes[1].plot(
        grid, [60 * theory.erlang_c_mean_wait(c, r * c * SERVICE_RATE, SERVICE_RATE) for r in grid], color=colour
    )
    mean = sim["mean wait sim (min)"]
    axes[1].errorbar(
        sim.load, mean, yerr=[mean - sim["CI low"], sim["CI high"] - mean], fmt="o", color=colour, capsize=3
    )
axes[0].set(title="Probability of waiting", xlabel="load ρ = λ / (c μ)", ylabel="P(wait > 0)")
axes[1].set(title="Mean wait (95% CI, batch means)", xlabel="load ρ = λ / (c μ)", ylabel="minutes", yscale="log")
axes[0].legend(fontsize=8)
fig.suptitle("FCFS queue kernel vs M/M/c theory (lines), μ = 4 per hour")
fig.tight_layout()

# %% [markdown]
# ## 1b. The whole model as an M/M/c queue
#
# `analysis.mmc_config(servers, service_rate, load)` turns every process that is not the
# queue off or neutral: one owner (customer service) with `servers` answering staff round
# the clock, every inquiry detected at once by that owner, no hand-offs, infinite patience.
# Inquiries arrive as a Poisson process from the customers. Waits are `t_start − t_queue`
# from the inquiry log; the interval is over independent seeds.

# %%
rows, example = [], None
c = 3
for rho in LOADS:
    config = analysis.mmc_config(c, SERVICE_RATE, rho, steps=SIZES["model_steps"])
    lam = rho * c * SERVICE_RATE
    per_seed = []
    for seed in replicate_seeds(SEED, SIZES["model_seeds"]):
        result = simulation.run(config, seed=seed)
        inq = result.inquiries
        assert (inq.detector == inq.owner).all() and not inq.lost.any()  # no hand-offs
        waits = analysis.queue_waits(result)
        waits = waits[len(waits) // 10 :]  # warm-up
        per_seed.append({"p_wait": (waits > 0).mean(), "mean": waits.mean()})
        if example is None and rho == 0.75:
            example = waits
    per_seed = pd.DataFrame(per_seed)
    mean, low, high = mean_ci(60 * per_seed["mean"])
    rows.append(
        {
            "load": rho,
            "P(wait) model": per_seed.p_wait.mean(),
            "P(wait) Erlang C": theory.erlang_c_wait_probability(c, lam, SERVICE_RATE),
            "mean wait model (min)": mean,
            "CI low": low,
            "CI high": high,
            "mean wait Erlang C (min)": 60 * theory.erlang_c_mean_wait(c, lam, SERVICE_RATE),
        }
    )
whole = pd.DataFrame(rows)
whole

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
axes[0].plot(
    grid,
    [60 * theory.erlang_c_mean_wait(c, r * c * SERVICE_RATE, SERVICE_RATE) for r in grid],
    color="black",
    label="Erlang C",
)
mean = whole["mean wait model (min)"]
axes[0].errorbar(
    whole.load,
    mean,
    yerr=[mean - whole["CI low"], whole["CI high"] - mean],
    fmt="o",
    color="C3",
    capsize=3,
    label=f"whole model, {SIZES['model_seeds']} seeds",
)
axes[0].set(title=f"Mean wait, M/M/{c} (95% CI over seeds)", xlabel="load ρ", ylabel="minutes", yscale="log")
axes[0].legend()
t = np.linspace(0, np.quantile(example, 0.99), 200)
lam = 0.75 * c * SERVICE_RATE
axes[1].plot(60 * t, theory.erlang_c_wait_cdf(t, c, lam, SERVICE_RATE), color="black", label="Erlang C")
axes[1].plot(
    60 * np.sort(example),
    np.arange(1, len(example) + 1) / len(example),
    color="C3",
    ls="--",
    label="whole model (empirical)",
)
axes[1].set(title=f"Waiting-time distribution at ρ = 0.75, M/M/{c}", xlabel="wait (minutes)", ylabel="P(wait ≤ t)")
axes[1].legend()
fig.tight_layout()

# %% [markdown]
# ## 2. Cascades vs bond percolation
#
# On an Erdős–Rényi graph with mean degree k, an independent cascade with per-tie
# probability T is bond percolation: above the threshold k T = 1, a single seed starts a large
# outbreak with probability S, and a large outbreak reaches a fraction S of the nodes, where
# S = 1 − exp(−k T S) (`theory.percolation_giant_fraction`). Below it, outbreaks stay small
# with mean size 1 / (1 − k T) (`theory.percolation_small_outbreak_size`).
# An outbreak counts as large when it reaches more than 5% of the nodes.

# %%
rng = np.random.default_rng(SEED)
rows = []
for T in TRANSMISSIBILITIES:
    sizes = analysis.cascade_sizes(SIZES["graph_n"], MEAN_DEGREE, T, SIZES["cascades"], rng)
    large = sizes > 0.05
    p, p_low, p_high = mean_ci(large.astype(float))
    rows.append(
        {
            "T": T,
            "kT": MEAN_DEGREE * T,
            "S theory": theory.percolation_giant_fraction(MEAN_DEGREE, T),
            "P(large) sim": large.mean(),
            "P low": p_low,
            "P high": p_high,
            "large size sim": sizes[large].mean() if large.any() else 0.0,
            "small size sim (nodes)": sizes[~large].mean() * SIZES["graph_n"] if (~large).any() else np.nan,
            "small size theory (nodes)": theory.percolation_small_outbreak_size(MEAN_DEGREE, T),
        }
    )
cascades = pd.DataFrame(rows)
cascades

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
fine = np.linspace(TRANSMISSIBILITIES[0], TRANSMISSIBILITIES[-1], 200)
axes[0].plot(
    fine,
    [theory.percolation_giant_fraction(MEAN_DEGREE, T) for T in fine],
    color="black",
    label="S from S = 1 − exp(−kTS)",
)
p = cascades["P(large) sim"]
axes[0].errorbar(
    cascades["T"],
    p,
    yerr=[p - cascades["P low"], cascades["P high"] - p],
    fmt="o",
    color="C0",
    capsize=3,
    label="P(one seed starts a large outbreak)",
)
big = cascades[cascades["large size sim"] > 0]
axes[0].plot(big["T"], big["large size sim"], "s", color="C1", label="size of large outbreaks / n")
axes[0].axvline(1 / MEAN_DEGREE, color="grey", ls=":", label="threshold T = 1/k")
axes[0].set(
    title=f"Large outbreaks on G(n={SIZES['graph_n']:,}, k={MEAN_DEGREE:g})",
    xlabel="transmissibility T",
    ylabel="fraction",
)
axes[0].legend(fontsize=8)
below = cascades[cascades["kT"] < 0.95]
sub = np.linspace(TRANSMISSIBILITIES[0], 0.95 / MEAN_DEGREE, 100)
axes[1].plot(
    sub, [theory.percolation_small_outbreak_size(MEAN_DEGREE, T) for T in sub], color="black", label="1 / (1 − kT)"
)
axes[1].plot(below["T"], below["small size sim (nodes)"], "o", color="C0", label="simulated")
axes[1].set(title="Mean outbreak size below the threshold", xlabel="transmissibility T", ylabel="nodes reached")
axes[1].legend()
fig.tight_layout()

# %% [markdown]
# ## 3. The two engines against each other
#
# `simulation.engine = "agents"` runs one Mesa agent per customer and employee — slow, but
# written to be read. It must give the same model: the same KPIs in distribution (not draw
# for draw). Each scenario runs under both engines over the same seeds; the table gives each
# engine's mean and the difference with its 95% interval (paired by seed).

# %%
engine_kpis = [
    "resolution_rate",
    "first_response_median_min",
    "handoffs",
    "handoffs_lost",
    "posts",
    "engagement_rate_pct",
    "sentiment_mean",
    "ideas_captured",
    "advocate_share",
]
rows = []
for scenario in ("centralized", "center_of_excellence"):
    config = simulation.load_scenario(
        f"../scenarios/{scenario}.toml",
        [f"customers.count={SIZES['engine_customers']}", f"simulation.steps={SIZES['engine_steps']}"],
    )
    for seed in replicate_seeds(SEED, SIZES["engine_seeds"]):
        for engine in ("vectorized", "agents"):
            result = simulation.run(config.with_values({"simulation.engine": engine}), seed=seed)
            rows.append(
                {
                    "scenario": scenario,
                    "engine": engine,
                    "seed": seed,
                    "wall_s": result.meta["wall_seconds"],
                    **{k: result.summary[k] for k in engine_kpis},
                }
            )
engines = pd.DataFrame(rows)
engines.groupby(["scenario", "engine"])["wall_s"].mean().rename("seconds per run").to_frame()

# %%
wide = engines.pivot_table(index=["scenario", "seed"], columns="engine", values=engine_kpis)
rows = []
for scenario in wide.index.unique("scenario"):
    part = wide.loc[scenario]
    for k in engine_kpis:
        diff, low, high = mean_ci(part[(k, "agents")] - part[(k, "vectorized")])
        rows.append(
            {
                "scenario": scenario,
                "kpi": k,
                "vectorized": part[(k, "vectorized")].mean(),
                "agents": part[(k, "agents")].mean(),
                "difference": diff,
                "diff CI low": low,
                "diff CI high": high,
            }
        )
engine_table = pd.DataFrame(rows)
engine_table["0 inside CI"] = (engine_table["diff CI low"] <= 0) & (engine_table["diff CI high"] >= 0)
engine_table

# %%
engine_units = {
    "resolution_rate": "resolved / raised",
    "first_response_median_min": "minutes",
    "handoffs": "hand-offs",
    "handoffs_lost": "hand-offs lost",
    "posts": "posts",
    "engagement_rate_pct": "% of followers per post",
    "sentiment_mean": "sentiment in [-1, 1]",
    "ideas_captured": "ideas",
    "advocate_share": "share of active customers",
}
fig, grid_axes = plt.subplots(3, 3, figsize=(12, 10))
axes = list(grid_axes.flat)
for ax, k in zip(axes, engine_kpis, strict=True):
    for x, scenario in enumerate(engines.scenario.unique()):
        for dx, engine, colour in ((-0.15, "vectorized", "C0"), (0.15, "agents", "C1")):
            values = engines[(engines.scenario == scenario) & (engines.engine == engine)][k]
            ax.plot(
                np.full(len(values), x + dx),
                values,
                "o",
                color=colour,
                alpha=0.7,
                label=engine if (x == 0 and k == engine_kpis[0]) else None,
            )
    ax.set_xticks(range(engines.scenario.nunique()), ["central.", "CoE"])
    ax.set_title(k, fontsize=10)
    ax.set_ylabel(engine_units[k])
axes[0].legend(fontsize=8)
fig.suptitle("KPIs per seed under each engine (same seeds)")
fig.tight_layout()

# %% [markdown]
# **Reading it.** Theory lines should pass through the simulated points within their
# intervals (the queue is exact in distribution; the percolation equation holds for large
# n, so points just above the threshold sit slightly off at small n). For the engines, a
# difference whose interval excludes 0 on more than the odd KPI means the two
# implementations disagree — a bug in one of them.
