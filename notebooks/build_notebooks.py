"""Build the research notebooks from code, so they are reviewable as code and regenerated alike.

Run from anywhere: ``python notebooks/build_notebooks.py`` writes ``notebooks/0*.ipynb``
without outputs; ``--check`` exits 1 when a committed notebook differs from what this
script builds. ``tests/test_notebooks.py`` runs the check and executes every notebook.

Every notebook opens with what it shows and how long it takes, then one parameter cell
whose sizes follow ``SILOSIM_NOTEBOOK_SCALE`` (``small`` in tests, ``full`` by default).
"""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import nbformat

HERE = Path(__file__).resolve().parent
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell from an indented block."""
    return nbformat.v4.new_markdown_cell(dedent(text).strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    """A code cell from an indented block."""
    return nbformat.v4.new_code_cell(dedent(text).strip("\n"))


def scale_cell(sizes: str, extra: str = "") -> nbformat.NotebookNode:
    """The documented parameter cell: ``SCALE`` picks one row of ``SIZES``; ``extra`` adds constants."""
    header = dedent("""
        # Parameters. SILOSIM_NOTEBOOK_SCALE=small (what the test suite uses) runs in seconds;
        # "full" (the default) gives the sizes the text below discusses.
        import os

        SCALE = os.environ.get("SILOSIM_NOTEBOOK_SCALE", "full")
        SIZES = {
    """).strip("\n")
    rows = "\n".join("    " + line for line in dedent(sizes).strip("\n").splitlines())
    footer = "}[SCALE]\nSEED = 20260101  # root seed: every number below is reproducible from it"
    parts = [header, rows, footer, dedent(extra).strip("\n"), "print(SCALE, SIZES)"]
    return nbformat.v4.new_code_cell("\n".join(p for p in parts if p))


def setup_cell(extra_imports: str = "", modules: str = "analysis", stdlib: str = "") -> nbformat.NotebookNode:
    """Imports and figure defaults shared by the notebooks.

    Args:
        extra_imports: more import lines, after the shared ones.
        modules: what the cell imports ``from simulation``.
        stdlib: standard-library import lines, before the third-party ones.
    """
    imports = dedent(f"""
        import matplotlib.pyplot as plt
        import numpy as np
        import pandas as pd

        import simulation
        from simulation import {modules}
    """).strip("\n")
    if stdlib:
        imports = f"{dedent(stdlib).strip()}\n\n{imports}"
    # The batch figures (simulation.plots) are built without pyplot; the magic makes a notebook
    # show a returned Figure even before pyplot has drawn anything.
    imports = f"%matplotlib inline\n{imports}"
    defaults = dedent("""
        plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.titleweight": "bold"})
        pd.set_option("display.float_format", "{:.4g}".format)
        pd.set_option("display.width", 140)
    """).strip("\n")
    parts = [imports, dedent(extra_imports).strip("\n"), "", defaults]
    return nbformat.v4.new_code_cell("\n".join(p for p in parts if p is not None))


# --------------------------------------------------------------------------------------------
# 01 quickstart


def quickstart() -> list:
    """01: first run, time series, KPIs, one change, and the Mesa side."""
    return [
        md("""
        # 01 · Quickstart: one run, its time series and KPIs, one change, the Mesa model

        **What this shows.** How to load a shipped scenario, run it, read what comes back
        (`RunResult.timeseries`, `.summary`, `.inquiries`), change one parameter and run again,
        and how the same run looks as a Mesa model (agents, agent sets, `DataCollector`).

        **How long.** About a minute at full size (10,000 customers, one quarter of hourly steps);
        seconds at `SILOSIM_NOTEBOOK_SCALE=small`.

        Next: `02_org_models` compares every org model over replicates, `03_silo_effects` opens the
        hand-off mechanism, `04_extend` adds your own org model, intervention and KPI,
        `05_sensitivity` ranks the parameters, `06_validation` checks the submodels against theory.
        """),
        scale_cell("""
            "small": {"customers": 1500, "steps": 336, "mesa_steps": 48},   # two weeks
            "full": {"customers": 10_000, "steps": 2184, "mesa_steps": 168},  # one quarter; a week of Mesa steps
        """),
        setup_cell(),
        md("""
        ## Load a scenario

        A scenario is a TOML file layered over the built-in defaults and an org-model preset.
        Overrides are `section.key=value` strings, exactly as `silosim run --set` takes them.
        The config is validated and frozen: a wrong key or value fails here, naming the key.
        """),
        code("""
        config = simulation.load_scenario(
            "../scenarios/centralized.toml",
            [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
        )
        print(config.name, "-", config.description)
        print("org model:", config.organization.model, "| silo strength:", config.organization.silo_strength)
        print("who posts:", config.organization.posters, "| who listens:", config.organization.listeners)
        print("who owns each inquiry type:", config.support.owners)
        """),
        md("## Run it"),
        code("""
        result = simulation.run(config, seed=SEED)
        result
        """),
        md("""
        `result.timeseries` has one row per step (one hour): the step's flows (posts, inquiries,
        answers, hand-offs...) and stocks (sentiment, followers, churn...). `analysis.daily` rolls
        it up to days: flows summed, stocks averaged.
        """),
        code("""
        result.timeseries[["step", "hours", "posts", "inquiries", "answered", "resolved", "handoffs",
                           "sentiment_mean", "followers"]].head()
        """),
        code("""
        day = analysis.daily(result.timeseries)
        fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True)
        day[["posts", "gaffes"]].plot(ax=axes[0, 0], title="Content", ylabel="posts per day")
        day[["inquiries", "answered", "resolved"]].plot(ax=axes[0, 1], title="Support", ylabel="inquiries per day")
        day["sentiment_mean"].plot(ax=axes[1, 0], title="Mean customer sentiment", ylabel="sentiment in [-1, 1]")
        (100 * day["share_of_voice"]).plot(ax=axes[1, 1], title="Share of voice",
                                           ylabel="% of brand + competitor mentions")
        for ax in axes[1]:
            ax.set_xlabel("day")
        fig.suptitle(f"{config.name}: {len(day)} days, {SIZES['customers']:,} customers, seed {SEED}")
        fig.tight_layout()
        """),
        md("""
        ## KPIs

        `result.summary` holds every KPI. Each KPI says what it measures, whether higher is
        better, and whether it is an *appearance* number (mentions, reach) or a *user-outcome*
        number (resolutions, retention) — seed 003 warns that brands report the first and
        customers feel the second.
        """),
        code("""
        kpis = simulation.kpis.all_kpis()
        headline = pd.DataFrame({
            "value": {k: result.summary[k] for k in simulation.kpis.HEADLINE},
            "kind": {k: kpis[k].kind for k in simulation.kpis.HEADLINE},
            "meaning": {k: kpis[k].description for k in simulation.kpis.HEADLINE},
        })
        headline
        """),
        md("""
        `result.inquiries` is the inquiry log: one row per customer inquiry, who detected it,
        who owns it, the hand-off delay and hops, whether it was lost, and when it was queued,
        answered and resolved (hours since the start; `inf` = never).
        """),
        code("""
        result.inquiries[["kind_name", "detector_name", "owner_name", "handoff_hours", "hops", "lost",
                          "t_raise", "t_queue", "t_start", "t_end", "resolved"]].head(8)
        """),
        code("analysis.inquiry_funnel(result)"),
        md("""
        ## Change a parameter and run again

        `config.with_values` returns a new validated config. Here: the same company with weaker
        silos, and the same company organised as a Center of Excellence. Same seed, so the same
        customers and social graph (common random numbers): the differences come from the change.
        """),
        code("""
        variants = {
            "centralized": config,
            "centralized, silo 0.2": config.with_values({"organization.silo_strength": 0.2}),
            "center of excellence": config.with_values({"organization.model": "center_of_excellence"}),
        }
        results = {name: simulation.run(c, seed=SEED) for name, c in variants.items()}
        simulation.kpis.kpi_table({name: r.summary for name, r in results.items()}, list(simulation.kpis.HEADLINE))
        """),
        code("""
        fig, axes = plt.subplots(1, 2, figsize=(12, 4))
        for name, r in results.items():
            ts = r.timeseries
            axes[0].plot(ts.hours / 24, ts.resolved.cumsum(), label=name)
            axes[1].plot(ts.hours / 24, ts.sentiment_mean, label=name)
        axes[0].set(title="Inquiries resolved", xlabel="day", ylabel="resolved (cumulative count)")
        axes[1].set(title="Mean customer sentiment", xlabel="day", ylabel="sentiment in [-1, 1]")
        axes[0].legend()
        fig.tight_layout()
        """),
        md("""
        ## The Mesa side

        `simulation.run` drives a `SocialMediaOrgModel` (a `mesa.Model`) to the end. Build one
        yourself to step it, look at its agents and use Mesa's `DataCollector`. Departments are
        `DepartmentAgent`s (they decide each hour whether they are on duty); for runs up to
        20,000 customers, customers and employees are agents too, as views on the engine's arrays.
        """),
        code("""
        model = simulation.SocialMediaOrgModel(config, seed=SEED)
        for _ in range(SIZES["mesa_steps"]):
            model.step()
        print(len(model.agents), "agents")
        {agent_type.__name__: len(agents) for agent_type, agents in model.agents_by_type.items()}
        """),
        code("""
        departments = model.agents_by_type[simulation.DepartmentAgent]
        pd.DataFrame([
            {"department": d.name, "headcount": d.headcount, "servers": d.servers, "posters": d.posters,
             "listens": d.can_listen, "owns": ", ".join(d.owns), "skill": d.skill, "motivation": d.motivation,
             "queue_length": d.queue_length, "on_duty": d.on_duty}
            for d in departments
        ]).set_index("department")
        """),
        code("""
        service = next(d for d in departments if d.name == "customer_service")
        print(service.name, "owns", service.owns, "with", service.servers, "servers; queue now:", service.queue_length)
        customer = next(iter(model.agents_by_type[simulation.model.CustomerAgent]))
        print("a customer:", {"sentiment": round(customer.sentiment, 3), "follows": customer.follows,
                              "advocate": customer.advocate, "neighbours": len(customer.cell.neighborhood)})
        """),
        code("""
        model_vars = model.datacollector.get_model_vars_dataframe()
        model_vars[["posts", "inquiries", "answered", "handoffs", "sentiment_mean"]].tail()
        """),
        code("""
        dept_vars = model.datacollector.get_agenttype_vars_dataframe(simulation.DepartmentAgent)
        queues = dept_vars.reset_index().pivot(index="Step", columns="department", values="queue_length")
        ax = queues.plot(figsize=(10, 4), title="Open inquiries waiting in each department's queue")
        ax.set(xlabel="step (hour)", ylabel="inquiries waiting")
        dept_vars.tail(7)
        """),
        code("""
        mesa_result = model.finish()  # the same RunResult simulation.run returns
        mesa_result
        """),
    ]


# --------------------------------------------------------------------------------------------
# 02 org models


def org_models() -> list:
    """02: every org model over replicates, with confidence intervals and slide figures."""
    return [
        md("""
        # 02 · Org models compared: what a strategist would put on a slide

        **What this shows.** Every org model (`simulation.all_presets()`: the three core ones —
        centralized, democratized, Center of Excellence — and the others from the articles and
        Altimeter's survey) run on the same company and the same customers over replicate seeds,
        with 95% confidence intervals; paired differences against the centralized start; and the
        appearance-vs-outcome gap seed 003 warns about.

        **How long.** About two minutes at full size (9 org models x 4 replicates, 5,000
        customers, one quarter); seconds at `SILOSIM_NOTEBOOK_SCALE=small`.
        """),
        scale_cell(
            """
            "small": {"customers": 1000, "steps": 336, "replicates": 2},
            "full": {"customers": 5000, "steps": 2184, "replicates": 4},
        """,
            extra="""
            CORE = ["centralized", "democratized", "center_of_excellence"]
            WORKERS = 1 if SCALE == "small" else min(4, os.cpu_count() or 1)  # parallel runs; 1 = in this process
        """,
        ),
        setup_cell("from simulation.kpis import all_kpis", modules="batch, plots", stdlib="import tempfile"),
        code("""
        base = simulation.load_scenario(
            "../scenarios/centralized.toml",
            [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
        )
        presets = simulation.all_presets()
        pd.DataFrame({name: {"description": p.description, "source": p.source} for name, p in presets.items()}).T
        """),
        md("""
        ## Run every org model over replicates

        `batch.compare` runs each config on the same replicate seeds, so each replicate is one
        company and one customer base seen under every org model (common random numbers).
        `workers=1` runs in this process; more run in parallel processes, with the same results.
        `out=` keeps every run's hourly time series on disk (here a temporary directory) for the
        daily bands of Figure 5. The `BatchResult` has one row per run in `.summary`; `.ci()` gives
        each org model's mean and 95% t-interval per KPI, `.paired()` the paired differences.
        """),
        code("""
        configs = {name: base.with_values({"organization.model": name}) for name in presets}
        result = batch.compare(configs, SIZES["replicates"], SEED, workers=WORKERS, baseline="centralized",
                               out=tempfile.mkdtemp(prefix="silosim-02-"))
        kpis = ["resolution_rate", "first_response_median_min", "answered_within_1h_share", "idea_capture_rate",
                "sentiment_mean", "advocate_share", "reach", "share_of_voice", "brand_consistency", "gaffes",
                "participation", "cost_per_resolution"]
        ci = result.ci(kpis)  # one row per (org model, KPI): n, mean, low, high, half_width
        table = ci.pivot(index="scenario", columns="kpi", values=["mean", "low", "high"]).swaplevel(axis=1)
        ci.pivot(index="kpi", columns="scenario", values="mean").loc[kpis, result.scenarios]
        """),
        md("""
        ## Figure 1 · Speed and completeness of support

        Each org model is one point: share of inquiries resolved (completeness) against the median
        minutes to a first answer (speed), with 95% intervals. Up and to the left is better.
        """),
        code("""
        colours = {name: ("C3" if name in CORE else "C7") for name in presets}
        fig, ax = plt.subplots(figsize=(9, 6))
        speed, done = table["first_response_median_min"], table["resolution_rate"]
        x, y = speed["mean"], done["mean"]
        ax.errorbar(x, y, xerr=[x - speed["low"], speed["high"] - x], yerr=[y - done["low"], done["high"] - y],
                    fmt="none", ecolor="grey", capsize=3, zorder=1)
        for rank, name in enumerate(y.sort_values().index):  # alternate label sides so neighbours stay legible
            ax.scatter(x[name], y[name], s=80, color=colours[name], zorder=2)
            ax.annotate(name, (x[name], y[name]), textcoords="offset points", xytext=(8, 6 if rank % 2 else -12),
                        fontsize=9, weight="bold" if name in CORE else "normal")
        ax.set(title="Support: faster and more complete with integrated org models",
               xlabel="median first response (minutes, log scale)", ylabel="inquiries resolved / raised",
               xscale="log")
        fig.tight_layout()
        """),
        md("""
        ## Figure 2 · The headline KPIs, org model by org model

        Bars are means over replicates, whiskers 95% intervals (`plots.kpi_bars`, the figure the
        batch report uses: hatching tells the org models apart in grayscale too).
        """),
        code("""
        shown = ["resolution_rate", "answered_within_1h_share", "idea_capture_rate", "sentiment_mean", "reach",
                 "brand_consistency", "participation", "cost_per_resolution"]
        fig = plots.kpi_bars(ci, shown, f"Org models on the same company: mean and 95% CI over "
                                        f"{SIZES['replicates']} replicates")
        better = {True: "higher is better", False: "lower is better", None: ""}
        for ax, kpi in zip(fig.axes, shown):
            ax.set_title(f"{kpi}\\n({better[all_kpis()[kpi].higher_is_better]})", fontsize=10)
        fig
        """),
        md("""
        ## Figure 3 · What changes if you leave a centralized organisation

        Differences against `centralized`, paired by replicate seed (`BatchResult.paired`): the
        same company and customers under both models, so the intervals show the effect of the org
        model alone.
        """),
        code("""
        diff_kpis = ["resolution_rate", "answered_within_1h_share", "idea_capture_rate", "sentiment_mean"]
        diffs = result.paired(kpis=diff_kpis)  # vs the batch's baseline, centralized
        order = list(table[("resolution_rate", "mean")].sort_values().index)
        fig, axes = plt.subplots(1, len(diff_kpis), figsize=(16, 4.5), sharey=True)
        others = [n for n in order if n != "centralized"]
        for ax, kpi in zip(axes, diff_kpis):
            d = diffs[diffs.kpi == kpi].set_index("scenario").loc[others]
            ax.barh(others, d.difference, xerr=[d.difference - d.low, d.high - d.difference],
                    color=[colours[n] for n in others], capsize=2)
            ax.axvline(0, color="black", lw=0.8)
            ax.set(title=kpi, xlabel="difference vs centralized")
        fig.suptitle("Paired differences vs the centralized org model (95% CI)")
        fig.tight_layout()
        diffs.pivot(index="scenario", columns="kpi", values="difference")
        """),
        md("""
        ## Figure 4 · Appearance vs outcome

        Seed 003: brands report appearance numbers (reach, share of voice) while customers feel
        outcomes (answers, sentiment). An org model can look good on one axis and not the other.
        """),
        code("""
        fig, axes = plt.subplots(1, 2, figsize=(13, 5))
        pairs = [("reach", "resolution_rate"), ("share_of_voice", "sentiment_mean")]
        for ax, (appearance, outcome) in zip(axes, pairs):
            for name in table.index:
                ax.scatter(table.loc[name, (appearance, "mean")], table.loc[name, (outcome, "mean")], s=70,
                           color=colours[name])
                ax.annotate(name, (table.loc[name, (appearance, "mean")], table.loc[name, (outcome, "mean")]),
                            textcoords="offset points", xytext=(5, 3), fontsize=8)
            ax.set(xlabel=f"{appearance} (appearance: {all_kpis()[appearance].description})",
                   ylabel=f"{outcome} (outcome)", title=f"{appearance} vs {outcome}")
        fig.suptitle("Appearance numbers vs user-outcome numbers, mean over replicates")
        fig.tight_layout()
        """),
        md("""
        ## Figure 5 · The quarter, day by day

        The three core org models' daily means over the replicates, with 95% bands
        (`BatchResult.daily_bands` streams the saved time series one run at a time).
        """),
        code("""
        band_columns = ["first_response_median_min", "share_of_voice", "sentiment_mean", "churn_rate"]
        bands = result.daily_bands(band_columns)
        plots.timeseries_bands(bands[bands.scenario.isin(CORE)].assign(label=lambda b: b.scenario), band_columns,
                               f"Core org models day by day: mean and 95% band over {SIZES['replicates']} replicates")
        """),
        md("""
        **Reading it.** With the default parameters, org models that let the departments owning
        inquiries listen themselves (or route through a shared tool or hub) answer faster and
        more completely, and capture more ideas, than the centralized model whose hand-offs climb
        the hierarchy; the price shows in cost per resolution and, for models where everyone
        posts, in brand consistency. Reach and share of voice separate the org models much less
        than support outcomes do — the appearance-vs-outcome gap. Intervals at
        `SILOSIM_NOTEBOOK_SCALE=small` are wide; read the full-size run.
        """),
    ]


# --------------------------------------------------------------------------------------------
# 03 silo effects


def silo_effects() -> list:
    """03: a silo-strength sweep, then the mechanism: hand-offs, delays, lost ideas, routes."""
    return [
        md("""
        # 03 · Why silos hurt: the sweep, then the mechanism

        **What this shows.** First a sweep of `organization.silo_strength` (0 = departments tied
        to each other, 1 = no cross-department ties and maximal hand-off friction) under two org
        models, with 95% intervals. Then the mechanism behind the curves, from one run's inquiry
        log and org structure: hand-offs made and lost and their delay by department pair
        (`analysis.handoff_table`), the ideas that never reached product and why
        (`analysis.lost_ideas`), and the internal collaboration graph with the routes the
        hand-offs travel (`plots_org.draw_internal_graph`).

        **How long.** About one to two minutes at full size; seconds at `SILOSIM_NOTEBOOK_SCALE=small`.
        """),
        scale_cell(
            """
            "small": {"customers": 1000, "steps": 336, "replicates": 2},
            "full": {"customers": 5000, "steps": 2184, "replicates": 3},
        """,
            extra="""
            SILO_LEVELS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
            MODELS = ["centralized", "center_of_excellence"]
            WORKERS = 1 if SCALE == "small" else min(4, os.cpu_count() or 1)  # parallel runs; 1 = in this process
        """,
        ),
        setup_cell(modules="analysis, batch, plots, plots_org"),
        md("""
        ## The sweep

        `batch.sweep` runs every org model at every silo strength over the same replicate seeds
        (common random numbers), so the curves differ by the parameter and the org model, not by
        luck; `.ci()` gives the mean and 95% interval at each point.
        """),
        code("""
        base = simulation.load_scenario(
            "../scenarios/centralized.toml",
            [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
        )
        models = {model: base.with_values({"organization.model": model}) for model in MODELS}
        result = batch.sweep(models, {"organization.silo_strength": SILO_LEVELS}, SIZES["replicates"], SEED,
                             workers=WORKERS)
        sweep_kpis = ["resolution_rate", "first_response_median_min", "idea_capture_rate", "handoff_loss_rate",
                      "sentiment_mean", "silo_index"]
        sweep = result.ci(sweep_kpis)  # one row per (org model, silo strength, KPI)
        sweep.pivot_table(index=["scenario", "organization.silo_strength"], columns="kpi", values="mean")[sweep_kpis]
        """),
        code("""
        plots.sweep_curves(sweep, "organization.silo_strength", sweep_kpis,
                           f"Silo sweep: mean and 95% CI over {SIZES['replicates']} replicates")
        """),
        md("""
        ## The mechanism, in one run

        Two runs of the centralized org model on the same seed: a weak silo (0.2) and a strong one
        (0.8). Under a centralized model only marketing listens, so every inquiry owned by another
        department is a hand-off from marketing: its delay and loss grow with the number of hops
        and with silo friction on cross-department and hierarchy ties.
        """),
        code("""
        pair = {silo: base.with_values({"organization.silo_strength": silo}) for silo in (0.2, 0.8)}
        one = {silo: simulation.run(config, seed=SEED) for silo, config in pair.items()}
        for silo, result in one.items():
            print(f"silo {silo}:")
            display(analysis.handoff_table(result))
        """),
        code("""
        fig, axes = plt.subplots(2, 2, figsize=(13, 7))
        for row, silo in enumerate(one):
            plots_org.handoff_heatmap(analysis.handoff_matrix(one[silo], "mean_delay_h"), ax=axes[row, 0],
                                      title=f"Mean hand-off delay, silo {silo}", unit="hours")
            plots_org.handoff_heatmap(analysis.handoff_matrix(one[silo], "loss_rate"), ax=axes[row, 1],
                                      title=f"Share of hand-offs lost, silo {silo}", unit="share lost", fmt="{:.0%}")
        fig.tight_layout()
        """),
        md("""
        ## Ideas that never reached product

        An idea is *captured* when it reaches its owner's queue (product). It can fail to get
        there because nobody listening saw it, because it was dropped between departments, or
        because it was still on its way when the run ended.
        """),
        code("""
        outcomes = pd.DataFrame({f"silo {silo}": analysis.idea_outcomes(result) for silo, result in one.items()})
        display(outcomes)
        ax = outcomes.drop("raised").T.plot.bar(stacked=True, figsize=(7, 4), rot=0,
                                                color=["C2", "C7", "C3", "C1"])
        ax.set(title="What happened to customers' ideas (centralized)", ylabel="ideas", xlabel="")
        lost = analysis.lost_ideas(one[0.8])
        lost[["t_raise", "detector_name", "owner_name", "hops", "handoff_hours", "reason"]].head()
        """),
        md("""
        ## The routes over the internal graph

        Each engine keeps its org structure: `engine.structure.graph` (networkx; every tie has a
        `kind`: intra, cross, hierarchy, team, hub, channel, tool, agency) and the hand-off routes
        `engine.structure.handoffs.paths[(from_unit, to_dept)]`. `analysis.handoff_routes` lists
        them; `plots_org.draw_internal_graph` draws them. Left: centralized with a strong silo,
        routes from marketing to product and to customer service. Right: the Center of Excellence,
        where the shared tool routes to product over two tool ties.
        """),
        code("""
        strong = simulation.SocialMediaOrgModel(pair[0.8], seed=SEED, agent_views=False).engine
        coe = simulation.SocialMediaOrgModel(
            pair[0.8].with_values({"organization.model": "center_of_excellence"}), seed=SEED, agent_views=False
        ).engine
        departments = strong.company.departments
        marketing, service, product = (departments.index(d) for d in ("marketing", "customer_service", "product"))
        tool = len(departments)  # the shared tool is the last routing unit
        analysis.handoff_routes(strong.structure, departments).query("`from` == 'marketing'")
        """),
        code("""
        fig, axes = plt.subplots(1, 2, figsize=(18, 9))
        plots_org.draw_internal_graph(
            strong.structure, departments, ax=axes[0],
            highlight_paths=[strong.structure.handoffs.paths[(marketing, product)],
                             strong.structure.handoffs.paths[(marketing, service)]],
            title="Centralized, silo 0.8: marketing -> product and -> customer service",
        )
        coe_routes = coe.structure.handoffs.paths
        coe_paths = [coe_routes[(tool, product)]] if (tool, product) in coe_routes else []
        silo = coe.config.organization.silo_strength
        plots_org.draw_internal_graph(coe.structure, departments, ax=axes[1], highlight_paths=coe_paths,
                                      title=f"Center of Excellence (silo {silo}): tool -> product")
        fig.tight_layout()
        """),
        md("""
        **Reading it.** A stronger silo removes cross-department ties, so routes climb the hierarchy
        through the executive, with more hops and more friction per hop: hand-offs take longer and
        more are lost, first responses slow down, fewer inquiries are resolved and fewer ideas reach
        product. Org models that add structural ties (a hub, a shared tool, a team) keep routes
        short whatever the silo, which is why the Center of Excellence curve is flatter.
        """),
    ]


# --------------------------------------------------------------------------------------------
# 05 sensitivity


def sensitivity() -> list:
    """05: Sobol indices (SALib) of the main KPIs to the main parameters."""
    return [
        md("""
        # 05 · Global sensitivity: which parameters drive the KPIs?

        **What this shows.** First-order (S1) and total (ST) Sobol indices of five main KPIs to
        seven parameters, most of them assumptions without a published figure (see
        `docs/ODD.md`), estimated with SALib (Saltelli/Sobol sampling, N·(D+2) runs). S1 is the
        share of a KPI's variance a parameter explains alone; ST adds its interactions. A
        parameter with ST near 0 can be left at its default; a large ST calls for calibration data.

        **How long.** About one to two minutes at full size (N = 32, 288 runs of 2,000 customers
        over two weeks); seconds at `SILOSIM_NOTEBOOK_SCALE=small`, where the indices are
        too noisy to read (their intervals say so).
        """),
        scale_cell(
            """
            "small": {"customers": 1000, "steps": 168, "n": 4},
            "full": {"customers": 2000, "steps": 336, "n": 32},
        """,
            extra="""
            WORKERS = 1 if SCALE == "small" else min(4, os.cpu_count() or 1)  # parallel runs; 1 = in this process
        """,
        ),
        setup_cell(modules="batch, plots"),
        md("""
        ## The problem: parameters, their ranges, the KPIs

        Ranges span what the org-model presets use. The base scenario is the centralized org
        model: only marketing listens, so every inquiry another department owns is a hand-off and
        routing parameters (silo strength, coverage, latency) compete with service and content
        parameters. (Under a Center of Excellence the shared tool detects almost everything and
        routes it in one hop, so support KPIs barely move — try it by changing the file name.)
        """),
        code("""
        ranges = {
            "organization.silo_strength": (0.0, 1.0),
            "organization.listening_coverage": (0.3, 1.0),
            "organization.listening_latency_hours": (0.1, 3.0),
            "organization.coordination": (0.0, 1.0),
            "support.handling_minutes": (5.0, 30.0),
            "customers.patience_scale": (0.5, 3.0),
            "content.promo_share": (0.2, 0.9),
        }
        outputs = ["resolution_rate", "first_response_median_min", "idea_capture_rate", "sentiment_mean",
                   "engagement_rate_pct"]
        base = simulation.load_scenario(
            "../scenarios/centralized.toml",
            [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
        )
        pd.DataFrame(ranges, index=["low", "high"]).T
        """),
        md("""
        ## Sample and run

        `batch.sensitivity` draws the Saltelli design on a scrambled Sobol sequence (SALib) and
        runs every point on the same replicate seed (common random numbers), so the spread across
        points is the parameters' doing, not sampling noise. `BatchResult.sobol()` computes the
        indices with 95% bootstrap intervals; a KPI missing in any run (e.g. no answer, so no
        median wait) gets no indices rather than made-up ones.
        """),
        code("""
        result = batch.sensitivity([base], ranges, n=SIZES["n"], seed=SEED, kpis=outputs, workers=WORKERS)
        runs = result.summary
        print(len(runs), "runs")
        runs[list(ranges)[:3] + outputs].describe().loc[["mean", "std", "min", "max"]]
        """),
        code("""
        indices = result.sobol(outputs)  # one row per (KPI, parameter): S1, S1_conf, ST, ST_conf
        indices.pivot(index="parameter", columns="kpi", values=["S1", "ST"]).loc[list(ranges)].round(2)
        """),
        code("""
        plots.sobol_bars(indices, outputs,
                         f"Sobol indices, {len(runs)} runs (N = {SIZES['n']}), 95% bootstrap intervals")
        """),
        md("""
        **Reading it** (full size, centralized base). Completeness is a listening matter: the
        resolution rate and the share of ideas reaching product are driven almost entirely by
        `listening_coverage` — only marketing listens, and what it misses is never answered. Speed
        is a routing matter: the median first response depends on `silo_strength` (routes across
        departments or up the hierarchy, with friction per hop) and on detection latency. Handling
        time and patience hardly matter here: at the baseline inquiry rate the owners' queues are
        rarely busy, so the bottleneck is detection and routing, not service (raise
        `customers.inquiry_rate_per_day` to see the queue take over). Engagement is a content
        matter: `promo_share` (relating vs promoting content) dominates, coordination (post
        quality) comes next. Mean sentiment barely moves in two weeks (its spread across runs is
        about 0.001), so its indices are mostly noise — wide intervals and ST far above S1; read it
        from longer runs. Where ST is well above S1 for a KPI with real spread, the parameter acts
        through interactions. Parameters with ST near 0 for every KPI can stay at their defaults.
        """),
    ]


# --------------------------------------------------------------------------------------------
# 04 extend


def extend() -> list:
    """04: a new preset, intervention and KPI through the public extension points."""
    return [
        md("""
        # 04 · Extend the model from a notebook: your org model, intervention and KPI

        **What this shows.** The three public extension points, used without editing the package:

        1. `simulation.register_preset` — a new org model (a named parameter set),
        2. `simulation.register_intervention` — a new scheduled action, with its own validation,
        3. `simulation.register_kpi` — a new summary metric computed from a finished run,

        then a comparison of the new org model, with and without the new intervention, against
        built-in org models over replicates, on built-in and new KPIs.

        **How long.** About one to two minutes at full size; seconds at `SILOSIM_NOTEBOOK_SCALE=small`.

        Registrations live in this Python session: they are visible to `simulation.run`, to
        `config.with_values` and to scenario validation here, but not to other processes (the CLI,
        or a batch run with worker processes) — put them in a module those processes import.
        """),
        scale_cell("""
            "small": {"customers": 1500, "steps": 336, "replicates": 2},
            "full": {"customers": 10_000, "steps": 2184, "replicates": 6},
        """),
        setup_cell(modules="analysis, batch, plots", stdlib="import tempfile"),
        code("""
        base = simulation.load_scenario(
            "../scenarios/centralized.toml",
            [f"customers.count={SIZES['customers']}", f"simulation.steps={SIZES['steps']}"],
        )
        """),
        md("""
        ## 1. A new org model: `service_first`

        A preset is a partial scenario. `base=` starts from an existing preset. Ours starts from
        the task force, but the team is customer service, IT and product (the departments that
        *own* inquiries), product questions go to customer service instead of sales, and a shared
        listening tool routes what the team does not see itself. Registration validates the preset
        by building a config from it.
        """),
        code("""
        simulation.register_preset(
            "service_first",
            "A task force of the departments that own inquiries, with a shared listening tool.",
            "notebook 04 example (variation on seed 000's task force)",
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
        """),
        md("""
        ## 2. A new intervention: `staff_up`

        An action is `apply(engine, intervention)`. The engine exposes `engine.config` (the config
        in force), `engine.reconfigure(config, lag_steps)` (adopt a new config, blending numeric
        parameters over `lag_steps`) and `engine.inject_crisis(size)`. An optional
        `validate(intervention, config)` raises `ValueError("field: reason")`, checked when the
        scenario is loaded. `staff_up` multiplies one department's share of time given to social
        work (its answering servers) by `value`, phased in over `adoption_lag_steps`.
        A second action, `product_recall`, shows the crisis hook: a negative cascade plus a surge of
        inquiries.
        """),
        code("""
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


        simulation.register_intervention("staff_up", staff_up, "multiply a department's social time share",
                                         check_staff_up)
        simulation.register_intervention("product_recall", product_recall,
                                         "a crisis of `size` customers and twice the inquiries from then on")
        """),
        md("Validation runs when the scenario is built, and names the field:"),
        code("""
        try:
            base.with_values({"interventions": [{"step": 10, "action": "staff_up", "department": "legal", "value": 2}]})
        except simulation.ScenarioError as err:
            print("rejected:", err)
        """),
        md("""
        ## 3. New KPIs

        A KPI is `compute(result) -> float` over a finished `RunResult`. Two user-outcome numbers
        the built-ins do not have: the share of *complaints* answered within an hour (seed 004's
        customers expect it; Lithium 2013: 72% of complainers want a reply within the hour) and
        the share of ideas that never reached product (from `analysis.idea_outcomes`).
        """),
        code("""
        def complaints_within_1h(result):
            inq = result.inquiries
            complaints = inq[inq.kind_name == "service_complaint"]
            return float(((complaints.t_start - complaints.t_raise) <= 1.0).mean()) if len(complaints) else np.nan


        def ideas_lost_share(result):
            ideas = analysis.idea_outcomes(result)
            return (ideas["raised"] - ideas["captured"]) / ideas["raised"] if ideas["raised"] else np.nan


        simulation.register_kpi("complaints_within_1h", complaints_within_1h,
                                "share of service complaints answered within one hour")
        simulation.register_kpi("ideas_lost_share", ideas_lost_share,
                                "share of ideas that never reached their owner", higher_is_better=False)
        simulation.kpis.all_kpis()["complaints_within_1h"]
        """),
        md("""
        ## 4. Compare with the built-ins

        Five variants on the same company and the same customers (common random numbers per
        replicate): three built-in org models, the new one, and the new one with extra service
        staff from week two. `batch.compare(..., workers=1)` runs them in this process, where the
        registrations live (worker processes would not know `service_first`, `staff_up` or the new
        KPIs); the new KPIs are summary columns like the built-ins, and `.ci()` gives means and 95%
        confidence intervals. The time series go to a temporary directory for the day-by-day view.
        """),
        code("""
        week = 168
        staff_up_at = min(2 * week, SIZES["steps"] // 3)
        variants = {
            "centralized": base,
            "task_force": base.with_values({"organization.model": "task_force"}),
            "center_of_excellence": base.with_values({"organization.model": "center_of_excellence"}),
            "service_first": base.with_values({"organization.model": "service_first"}),
            "service_first + staff_up": base.with_values({
                "organization.model": "service_first",
                "interventions": [{"step": staff_up_at, "action": "staff_up", "department": "customer_service",
                                   "value": 2.0, "adoption_lag_steps": 48}],
            }),
        }
        result = batch.compare(variants, SIZES["replicates"], SEED, workers=1,
                               out=tempfile.mkdtemp(prefix="silosim-04-"))
        compared = ["resolution_rate", "first_response_median_min", "complaints_within_1h", "ideas_lost_share",
                    "sentiment_mean", "cost_per_resolution"]
        ci = result.ci(compared)
        ci.pivot(index="scenario", columns="kpi", values="mean").loc[result.scenarios, compared]
        """),
        code("""
        fig = plots.kpi_bars(ci, compared, "New org model and intervention vs built-ins: "
                                           f"mean and 95% CI over {SIZES['replicates']} replicates")
        for ax, kpi in zip(fig.axes, compared):
            if kpi in ("complaints_within_1h", "ideas_lost_share"):
                ax.set_title(f"{kpi} (new KPI)", fontsize=10)
        fig
        """),
        md("""
        **Reading it.** `service_first` routes complaints inside a team with a shared tool, so it
        should answer complaints faster than the centralized model, close to the task force;
        doubling service staff helps only if the service queue, not routing, was the bottleneck.
        The intervention's effect alone, paired by replicate seed against `service_first`:
        """),
        code("""
        staffed = result.paired("service_first", compared).query("scenario == 'service_first + staff_up'")
        staffed[["kpi", "n", "baseline_mean", "difference", "low", "high"]]
        """),
        md("The intervention's effect over time, day by day over the replicates:"),
        code("""
        band_columns = ["resolved", "first_response_median_min"]
        bands = result.daily_bands(band_columns)
        staffing = bands[bands.scenario.str.startswith("service_first")].assign(label=lambda b: b.scenario)
        fig = plots.timeseries_bands(staffing, band_columns, "service_first with and without staff_up: "
                                                             "daily mean and 95% band")
        for ax in fig.axes[:len(band_columns)]:
            ax.axvline(staff_up_at / 24, color="black", ls="--", lw=1)
        fig
        """),
        md("""
        A crisis through the new `product_recall` action, under two org models (one run each, on
        the first replicate's seed):
        """),
        code("""
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
        """),
    ]


# --------------------------------------------------------------------------------------------
# 06 validation


def validation() -> list:
    """06: queue vs Erlang C, cascades vs percolation, both engines against each other."""
    return [
        md("""
        # 06 · Validation: the submodels against theory, and the two engines against each other

        **What this shows.** Three checks, as tables and plots:

        1. **Service queue vs Erlang C.** The FCFS multi-server kernel (`simulation.core.fifo_queue`)
           on Poisson arrivals and exponential service, and then the *whole model* configured as an
           M/M/c queue (`analysis.mmc_config`: no hand-offs, full coverage, infinite patience,
           round-the-clock staff), against the Erlang C probability of waiting and mean wait
           over a range of loads (`simulation.theory.erlang_c_*`).
        2. **Cascades vs bond percolation.** One-seed independent cascades
           (`simulation.core.independent_cascade`) on Erdős–Rényi graphs against the final-size
           equation S = 1 − exp(−k T S) over a range of transmissibilities T.
        3. **Vectorized vs agents engine.** The same scenarios under `simulation.engine =
           "vectorized"` and `"agents"` (one Mesa agent per customer and employee), KPI by KPI.

        **How long.** About two minutes at full size; under 30 s at `SILOSIM_NOTEBOOK_SCALE=small`
        (with wider intervals).
        """),
        scale_cell(
            """
            "small": {"arrivals": 4_000, "model_steps": 800, "model_seeds": 2, "graph_n": 2000, "cascades": 120,
                      "engine_customers": 500, "engine_steps": 120, "engine_seeds": 2},
            "full": {"arrivals": 40_000, "model_steps": 2000, "model_seeds": 4, "graph_n": 10_000, "cascades": 300,
                     "engine_customers": 1000, "engine_steps": 240, "engine_seeds": 4},
        """,
            extra="""
            LOADS = [0.2, 0.4, 0.6, 0.75, 0.85, 0.9]   # rho = lambda / (c mu)
            SERVERS = [1, 3, 8]
            SERVICE_RATE = 4.0                        # per hour: 15-minute mean handling
            MEAN_DEGREE = 5.0
            TRANSMISSIBILITIES = [round(0.04 * i, 2) for i in range(1, 16)]  # per-tie spread probability
        """,
        ),
        setup_cell("""
        from simulation import theory
        from simulation.batch.stats import mean_ci
        from simulation.core import fifo_queue
        from simulation.rng import replicate_seeds
        """),
        md("""
        ## 1a. The queue kernel vs Erlang C

        Poisson arrivals at rate λ = ρ c μ, exponential service at rate μ, c servers, FCFS. The
        first 10% of arrivals are dropped as warm-up. The 95% interval of the simulated mean
        wait uses batch means (20 batches), since successive waits are correlated.
        """),
        code("""
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
                waits = (fifo_queue(arrivals, service, c) - arrivals)[SIZES["arrivals"] // 10:]
                mean, low, high = batch_mean_ci(waits)
                rows.append({"servers": c, "load": rho,
                             "P(wait) sim": (waits > 0).mean(),
                             "P(wait) Erlang C": theory.erlang_c_wait_probability(c, lam, SERVICE_RATE),
                             "mean wait sim (min)": 60 * mean, "CI low": 60 * low, "CI high": 60 * high,
                             "mean wait Erlang C (min)": 60 * theory.erlang_c_mean_wait(c, lam, SERVICE_RATE)})
        kernel = pd.DataFrame(rows)
        kernel["theory inside CI"] = kernel["mean wait Erlang C (min)"].between(kernel["CI low"], kernel["CI high"])
        kernel
        """),
        code("""
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
        grid = np.linspace(0.05, 0.95, 60)
        for i, c in enumerate(SERVERS):
            colour = f"C{i}"
            sim = kernel[kernel.servers == c]
            axes[0].plot(grid, [theory.erlang_c_wait_probability(c, r * c * SERVICE_RATE, SERVICE_RATE) for r in grid],
                         color=colour, label=f"Erlang C, c = {c}")
            axes[0].plot(sim.load, sim["P(wait) sim"], "o", color=colour, label=f"kernel, c = {c}")
            axes[1].plot(grid, [60 * theory.erlang_c_mean_wait(c, r * c * SERVICE_RATE, SERVICE_RATE) for r in grid],
                         color=colour)
            mean = sim["mean wait sim (min)"]
            axes[1].errorbar(sim.load, mean, yerr=[mean - sim["CI low"], sim["CI high"] - mean], fmt="o",
                             color=colour, capsize=3)
        axes[0].set(title="Probability of waiting", xlabel="load ρ = λ / (c μ)", ylabel="P(wait > 0)")
        axes[1].set(title="Mean wait (95% CI, batch means)", xlabel="load ρ = λ / (c μ)", ylabel="minutes",
                    yscale="log")
        axes[0].legend(fontsize=8)
        fig.suptitle("FCFS queue kernel vs M/M/c theory (lines), μ = 4 per hour")
        fig.tight_layout()
        """),
        md("""
        ## 1b. The whole model as an M/M/c queue

        `analysis.mmc_config(servers, service_rate, load)` turns every process that is not the
        queue off or neutral: one owner (customer service) with `servers` answering staff round
        the clock, every inquiry detected at once by that owner, no hand-offs, infinite patience.
        Inquiries arrive as a Poisson process from the customers. Waits are `t_start − t_queue`
        from the inquiry log; the interval is over independent seeds.
        """),
        code("""
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
                waits = waits[len(waits) // 10:]  # warm-up
                per_seed.append({"p_wait": (waits > 0).mean(), "mean": waits.mean()})
                if example is None and rho == 0.75:
                    example = waits
            per_seed = pd.DataFrame(per_seed)
            mean, low, high = mean_ci(60 * per_seed["mean"])
            rows.append({"load": rho, "P(wait) model": per_seed.p_wait.mean(),
                         "P(wait) Erlang C": theory.erlang_c_wait_probability(c, lam, SERVICE_RATE),
                         "mean wait model (min)": mean, "CI low": low, "CI high": high,
                         "mean wait Erlang C (min)": 60 * theory.erlang_c_mean_wait(c, lam, SERVICE_RATE)})
        whole = pd.DataFrame(rows)
        whole
        """),
        code("""
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
        axes[0].plot(grid, [60 * theory.erlang_c_mean_wait(c, r * c * SERVICE_RATE, SERVICE_RATE) for r in grid],
                     color="black", label="Erlang C")
        mean = whole["mean wait model (min)"]
        axes[0].errorbar(whole.load, mean, yerr=[mean - whole["CI low"], whole["CI high"] - mean], fmt="o",
                         color="C3", capsize=3, label=f"whole model, {SIZES['model_seeds']} seeds")
        axes[0].set(title=f"Mean wait, M/M/{c} (95% CI over seeds)", xlabel="load ρ", ylabel="minutes", yscale="log")
        axes[0].legend()
        t = np.linspace(0, np.quantile(example, 0.99), 200)
        lam = 0.75 * c * SERVICE_RATE
        axes[1].plot(60 * t, theory.erlang_c_wait_cdf(t, c, lam, SERVICE_RATE), color="black", label="Erlang C")
        axes[1].plot(60 * np.sort(example), np.arange(1, len(example) + 1) / len(example), color="C3", ls="--",
                     label="whole model (empirical)")
        axes[1].set(title=f"Waiting-time distribution at ρ = 0.75, M/M/{c}", xlabel="wait (minutes)",
                    ylabel="P(wait ≤ t)")
        axes[1].legend()
        fig.tight_layout()
        """),
        md("""
        ## 2. Cascades vs bond percolation

        On an Erdős–Rényi graph with mean degree k, an independent cascade with per-tie
        probability T is bond percolation: above the threshold k T = 1, a single seed starts a large
        outbreak with probability S, and a large outbreak reaches a fraction S of the nodes, where
        S = 1 − exp(−k T S) (`theory.percolation_giant_fraction`). Below it, outbreaks stay small
        with mean size 1 / (1 − k T) (`theory.percolation_small_outbreak_size`).
        An outbreak counts as large when it reaches more than 5% of the nodes.
        """),
        code("""
        rng = np.random.default_rng(SEED)
        rows = []
        for T in TRANSMISSIBILITIES:
            sizes = analysis.cascade_sizes(SIZES["graph_n"], MEAN_DEGREE, T, SIZES["cascades"], rng)
            large = sizes > 0.05
            p, p_low, p_high = mean_ci(large.astype(float))
            rows.append({"T": T, "kT": MEAN_DEGREE * T,
                         "S theory": theory.percolation_giant_fraction(MEAN_DEGREE, T),
                         "P(large) sim": large.mean(), "P low": p_low, "P high": p_high,
                         "large size sim": sizes[large].mean() if large.any() else 0.0,
                         "small size sim (nodes)": sizes[~large].mean() * SIZES["graph_n"] if (~large).any()
                         else np.nan,
                         "small size theory (nodes)": theory.percolation_small_outbreak_size(MEAN_DEGREE, T)})
        cascades = pd.DataFrame(rows)
        cascades
        """),
        code("""
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
        fine = np.linspace(TRANSMISSIBILITIES[0], TRANSMISSIBILITIES[-1], 200)
        axes[0].plot(fine, [theory.percolation_giant_fraction(MEAN_DEGREE, T) for T in fine], color="black",
                     label="S from S = 1 − exp(−kTS)")
        p = cascades["P(large) sim"]
        axes[0].errorbar(cascades["T"], p, yerr=[p - cascades["P low"], cascades["P high"] - p], fmt="o", color="C0",
                         capsize=3, label="P(one seed starts a large outbreak)")
        big = cascades[cascades["large size sim"] > 0]
        axes[0].plot(big["T"], big["large size sim"], "s", color="C1", label="size of large outbreaks / n")
        axes[0].axvline(1 / MEAN_DEGREE, color="grey", ls=":", label="threshold T = 1/k")
        axes[0].set(title=f"Large outbreaks on G(n={SIZES['graph_n']:,}, k={MEAN_DEGREE:g})",
                    xlabel="transmissibility T", ylabel="fraction")
        axes[0].legend(fontsize=8)
        below = cascades[cascades["kT"] < 0.95]
        sub = np.linspace(TRANSMISSIBILITIES[0], 0.95 / MEAN_DEGREE, 100)
        axes[1].plot(sub, [theory.percolation_small_outbreak_size(MEAN_DEGREE, T) for T in sub], color="black",
                     label="1 / (1 − kT)")
        axes[1].plot(below["T"], below["small size sim (nodes)"], "o", color="C0", label="simulated")
        axes[1].set(title="Mean outbreak size below the threshold", xlabel="transmissibility T", ylabel="nodes reached")
        axes[1].legend()
        fig.tight_layout()
        """),
        md("""
        ## 3. The two engines against each other

        `simulation.engine = "agents"` runs one Mesa agent per customer and employee — slow, but
        written to be read. It must give the same model: the same KPIs in distribution (not draw
        for draw). Each scenario runs under both engines over the same seeds; the table gives each
        engine's mean and the difference with its 95% interval (paired by seed).
        """),
        code("""
        engine_kpis = ["resolution_rate", "first_response_median_min", "handoffs", "handoffs_lost", "posts",
                       "engagement_rate_pct", "sentiment_mean", "ideas_captured", "advocate_share"]
        rows = []
        for scenario in ("centralized", "center_of_excellence"):
            config = simulation.load_scenario(
                f"../scenarios/{scenario}.toml",
                [f"customers.count={SIZES['engine_customers']}", f"simulation.steps={SIZES['engine_steps']}"],
            )
            for seed in replicate_seeds(SEED, SIZES["engine_seeds"]):
                for engine in ("vectorized", "agents"):
                    result = simulation.run(config.with_values({"simulation.engine": engine}), seed=seed)
                    rows.append({"scenario": scenario, "engine": engine, "seed": seed,
                                 "wall_s": result.meta["wall_seconds"], **{k: result.summary[k] for k in engine_kpis}})
        engines = pd.DataFrame(rows)
        engines.groupby(["scenario", "engine"])["wall_s"].mean().rename("seconds per run").to_frame()
        """),
        code("""
        wide = engines.pivot_table(index=["scenario", "seed"], columns="engine", values=engine_kpis)
        rows = []
        for scenario in wide.index.unique("scenario"):
            part = wide.loc[scenario]
            for k in engine_kpis:
                diff, low, high = mean_ci(part[(k, "agents")] - part[(k, "vectorized")])
                rows.append({"scenario": scenario, "kpi": k, "vectorized": part[(k, "vectorized")].mean(),
                             "agents": part[(k, "agents")].mean(), "difference": diff, "diff CI low": low,
                             "diff CI high": high})
        engine_table = pd.DataFrame(rows)
        engine_table["0 inside CI"] = (engine_table["diff CI low"] <= 0) & (engine_table["diff CI high"] >= 0)
        engine_table
        """),
        code("""
        engine_units = {"resolution_rate": "resolved / raised", "first_response_median_min": "minutes",
                        "handoffs": "hand-offs", "handoffs_lost": "hand-offs lost", "posts": "posts",
                        "engagement_rate_pct": "% of followers per post", "sentiment_mean": "sentiment in [-1, 1]",
                        "ideas_captured": "ideas", "advocate_share": "share of active customers"}
        fig, grid_axes = plt.subplots(3, 3, figsize=(12, 10))
        axes = list(grid_axes.flat)
        for ax, k in zip(axes, engine_kpis):
            for x, scenario in enumerate(engines.scenario.unique()):
                for dx, engine, colour in ((-0.15, "vectorized", "C0"), (0.15, "agents", "C1")):
                    values = engines[(engines.scenario == scenario) & (engines.engine == engine)][k]
                    ax.plot(np.full(len(values), x + dx), values, "o", color=colour, alpha=0.7,
                            label=engine if (x == 0 and k == engine_kpis[0]) else None)
            ax.set_xticks(range(engines.scenario.nunique()), ["central.", "CoE"])
            ax.set_title(k, fontsize=10)
            ax.set_ylabel(engine_units[k])
        axes[0].legend(fontsize=8)
        fig.suptitle("KPIs per seed under each engine (same seeds)")
        fig.tight_layout()
        """),
        md("""
        **Reading it.** Theory lines should pass through the simulated points within their
        intervals (the queue is exact in distribution; the percolation equation holds for large
        n, so points just above the threshold sit slightly off at small n). For the engines, a
        difference whose interval excludes 0 on more than the odd KPI means the two
        implementations disagree — a bug in one of them.
        """),
    ]


# --------------------------------------------------------------------------------------------

NOTEBOOKS = {
    "01_quickstart.ipynb": quickstart,
    "02_org_models.ipynb": org_models,
    "03_silo_effects.ipynb": silo_effects,
    "04_extend.ipynb": extend,
    "05_sensitivity.ipynb": sensitivity,
    "06_validation.ipynb": validation,
}


def build(name: str) -> nbformat.NotebookNode:
    """The notebook ``name`` as this script defines it (no outputs)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = NOTEBOOKS[name]()
    for i, cell in enumerate(nb.cells):
        cell.id = f"{Path(name).stem[:2]}-{i:02d}"
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    return nb


def render(name: str) -> str:
    """The notebook's file text."""
    return nbformat.writes(build(name)) + "\n"


def main(argv: list[str]) -> int:
    """Write every notebook, or with ``--check`` report the ones that differ from the script."""
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        text = render(name)
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale notebooks (run python notebooks/build_notebooks.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
