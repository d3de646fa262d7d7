"""The classroom page: two org models side by side on the same company and customers.

A plain Solara page (``solara run simulation.app.app``, or ``silosim app``). Mesa's
``SolaraViz`` shows one model with its own controls; a side-by-side comparison on common
random numbers needs two models stepped together, so the page is built from Solara
components and matplotlib figures (``solara.FigureMatplotlib``) drawn by
:mod:`simulation.app.views`. Nothing is built at import time: each browser session gets
its own :class:`~simulation.app.session.Comparison` when the page first renders.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import solara

from simulation.app.controls import CUSTOMER_CHOICES, SIDES, SWITCHES, Controls, Side, default_controls, preset_names
from simulation.app.session import Comparison
from simulation.app.views import PNG_OPTIONS, SIDE_COLOURS
from simulation.outputs.kpis import HEADLINE, SUMMARY, format_value

FRAME_SECONDS = 0.1  # shortest time between two frames while playing
SPEEDS: dict[str, int] = {"1 hour": 1, "6 hours": 6, "1 day": 24}  # simulated hours per frame
CSS = """
.silosim-fig img { max-width: 100%; height: auto; }
.silosim-kpis table { font-size: 0.9rem; }
.silosim-kpis td, .silosim-kpis th { text-align: left; }
.silosim-kpis td:nth-child(n+3), .silosim-kpis th:nth-child(n+3) { text-align: right; }
"""


def kpi_markdown(comparison: Comparison) -> str:
    """The headline KPIs of both models as a Markdown table, the better value in bold."""
    labels = [comparison.controls.label(side) for side in SIDES]
    lines = [f"| KPI | what it measures | {labels[0]} | {labels[1]} |", "|---|---|---:|---:|"]
    for row in comparison.kpi_frame(HEADLINE).to_dict(orient="records"):
        values = [row[label] for label in labels]
        cells = [format_value(v) for v in values]
        better = SUMMARY[row["kpi"]].higher_is_better
        if better is not None and all(math.isfinite(v) for v in values) and values[0] != values[1]:
            best = int(values[1] > values[0]) if better else int(values[1] < values[0])
            cells[best] = f"**{cells[best]}**"
        lines.append(f"| {row['kpi']} | {row['description']} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


@solara.component
def SideCard(side: Side, comparison: Comparison, on_controls: Callable[[Controls], None]) -> None:
    """One org model: its selector, plain-language explanation, slider and switches, and its figure."""
    controls = comparison.controls
    mine = controls.side(side)
    colour = SIDE_COLOURS[SIDES.index(side)]
    with solara.Card(style={"border-top": f"4px solid {colour}"}, classes=[f"silosim-{side}"]):
        solara.Select(
            label=f"Org model ({side})",
            values=preset_names(),
            value=mine.model,
            on_value=lambda name: on_controls(controls.with_model(side, name)),
        )
        lines = comparison.explanations[side]
        solara.Markdown(f"**{lines[0]}**  \n{lines[1]}  \n{lines[2]}  \n*{lines[3]}*")
        solara.SliderFloat(
            label="Silo strength",
            value=mine.silo_strength,
            min=0.0,
            max=1.0,
            step=0.05,
            on_value=lambda v: on_controls(controls.with_side(side, silo_strength=round(float(v), 2))),
        )
        with solara.Row(style={"flex-wrap": "wrap"}):
            for name in SWITCHES:
                solara.Switch(
                    label=name,
                    value=getattr(mine, name),
                    on_value=lambda v, name=name: on_controls(controls.with_side(side, **{name: bool(v)})),
                )
        with solara.Div(classes=["silosim-fig"]):
            solara.FigureMatplotlib(
                comparison.side_figures[side].figure,
                dependencies=[id(comparison), comparison.steps_done],
                **PNG_OPTIONS,
            )


@solara.component
def Page() -> None:
    """The whole page: run controls and exports in the sidebar; both models, charts and KPIs in the main area."""
    controls, set_controls = solara.use_state(default_controls())
    resets, set_resets = solara.use_state(0)
    comparison: Comparison = solara.use_memo(lambda: Comparison(controls), [controls, resets])
    solara.use_effect(lambda: comparison.close, [comparison])  # release the replaced models' agents
    _, set_tick = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state("1 hour")

    def play(cancel: threading.Event) -> None:
        while playing and not cancel.is_set() and not comparison.finished:
            start = time.perf_counter()
            comparison.step(SPEEDS[speed])  # under the comparison's lock
            set_tick(comparison.steps_done)  # re-renders the page with the new frame
            cancel.wait(max(0.02, FRAME_SECONDS - (time.perf_counter() - start)))
        if playing and comparison.finished:
            set_playing(False)

    solara.use_thread(play, dependencies=[playing, comparison, speed], intrusive_cancel=False)

    def step() -> None:
        comparison.step(SPEEDS[speed])
        set_tick(comparison.steps_done)

    def change(new: Controls) -> None:
        set_playing(False)
        set_controls(new)

    def reset() -> None:
        set_playing(False)
        set_resets(resets + 1)

    solara.Title("silosim: how companies organise social media")
    solara.Style(CSS)
    with solara.Sidebar():
        with solara.Card("Run"):
            solara.Markdown(f"**{comparison.clock()}**" + ("  \nend of the run" if comparison.finished else ""))
            with solara.Row():
                solara.Button(
                    "Step", icon_name="mdi-step-forward", on_click=step, disabled=playing or comparison.finished
                )
                solara.Button(
                    "Play",
                    icon_name="mdi-play",
                    on_click=lambda: set_playing(True),
                    color="primary",
                    disabled=playing or comparison.finished,
                )
            with solara.Row():
                solara.Button("Pause", icon_name="mdi-pause", on_click=lambda: set_playing(False), disabled=not playing)
                solara.Button("Reset", icon_name="mdi-restore", on_click=reset)
            solara.Text("Speed (simulated time per frame)")
            solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS), on_value=set_speed)
        with solara.Card("Company and customers"):
            solara.Markdown("Both models run on the same company and the same customers (same seed).")
            solara.Select(
                label="Customers",
                values=list(CUSTOMER_CHOICES),
                value=controls.customers,
                on_value=lambda n: change(replace(controls, customers=int(n))),
            )
            solara.InputInt(
                label="Seed", value=controls.seed, on_value=lambda s: change(replace(controls, seed=max(0, int(s))))
            )
        with solara.Card("Export"):
            solara.FileDownload(
                comparison.charts_png, filename="silosim-charts.png", label="Charts (PNG)", mime_type="image/png"
            )
            solara.FileDownload(
                comparison.kpi_csv, filename="silosim-kpis.csv", label="KPIs (CSV)", mime_type="text/csv"
            )
            solara.FileDownload(
                comparison.timeseries_csv,
                filename="silosim-timeseries.csv",
                label="Time series (CSV)",
                mime_type="text/csv",
            )
    with solara.Columns([1, 1]):
        for side in SIDES:
            SideCard(side, comparison, change)
    with solara.Card("Live charts (24-hour means where noisy)"):
        with solara.Div(classes=["silosim-fig"]):
            solara.FigureMatplotlib(
                comparison.charts.figure, dependencies=[id(comparison), comparison.steps_done], **PNG_OPTIONS
            )
    with solara.Card("Key results so far (better value in bold)"):
        with solara.Div(classes=["silosim-kpis"]):
            if comparison.steps_done:
                solara.Markdown(kpi_markdown(comparison))
            else:
                solara.Markdown("Press **Step** or **Play** to start the run.")
