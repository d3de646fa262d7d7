"""Two org models on one company and one set of customers, stepped together, with their views.

No Solara here: the page (``simulation.app.app``) holds one :class:`Comparison` per browser
session and shows what it draws; tests and the benchmark drive it directly.
"""

from __future__ import annotations

import math
import threading

import pandas as pd

from simulation.app.controls import SIDES, Controls, Side, explain
from simulation.app.views import ChartsFigure, SideFigure, chart_series, png_bytes
from simulation.engines.mesa_model import SocialMediaOrgModel
from simulation.outputs.kpis import SUMMARY


class Comparison:
    """The left and right models (same seed: same company, same customers) and their figures.

    Args:
        controls: what the app's controls set; each side's config comes from ``controls.config(side)``.
    """

    def __init__(self, controls: Controls) -> None:
        self.controls = controls
        self.lock = threading.RLock()  # the play loop and button clicks may come from different threads
        self.configs = {side: controls.config(side) for side in SIDES}
        self.models = {
            side: SocialMediaOrgModel(self.configs[side], controls.seed, agent_views=False, collect=False)
            for side in SIDES
        }
        self.explanations = {side: explain(self.configs[side]) for side in SIDES}
        self.side_figures = {side: SideFigure(self.models[side].engine, controls.label(side)) for side in SIDES}
        self.charts = ChartsFigure((controls.label("left"), controls.label("right")))
        self.summaries: dict[Side, dict[str, float]] = {side: {} for side in SIDES}

    @property
    def steps_done(self) -> int:
        """Steps both models have made."""
        return self.models["left"].engine.steps_done

    @property
    def finished(self) -> bool:
        """Whether the run has reached its configured length."""
        return self.steps_done >= self.configs["left"].simulation.steps

    def step(self, steps: int = 1) -> None:
        """Advance both models ``steps`` steps, then redraw the views once."""
        with self.lock:
            for _ in range(steps):
                if self.finished:
                    break
                for side in SIDES:
                    self.models[side].step()
            self.redraw()

    def redraw(self) -> None:
        """Update every figure and the KPI summaries to the models' current step."""
        with self.lock:
            for side in SIDES:
                self.side_figures[side].update(self.models[side].engine)
            self.charts.update(tuple(chart_series(self.models[side].engine.records) for side in SIDES))
            if self.steps_done:
                self.summaries = {side: self.models[side].so_far.values() for side in SIDES}

    def clock(self) -> str:
        """Simulated clock and time so far, e.g. ``day 3, 14:00 (54 h simulated)``."""
        engine = self.models["left"].engine
        hours, elapsed = engine.hours, engine.steps_done * engine.config.simulation.step_hours
        return f"day {int(hours // 24) + 1}, {int(hours % 24):02d}:00 ({elapsed:.0f} h simulated)"

    # --- tables and exports ------------------------------------------------------------------
    def kpi_frame(self, names: tuple[str, ...]) -> pd.DataFrame:
        """Both models' KPIs (built-in ``names``): one row per KPI with its description, one column per model."""
        rows = []
        for name in names:
            row = {"kpi": name, "description": SUMMARY[name].description}
            for side in SIDES:
                row[self.controls.label(side)] = self.summaries[side].get(name, math.nan)
            rows.append(row)
        return pd.DataFrame(rows)

    def kpi_csv(self) -> str:
        """Every summary KPI of both models so far, as CSV (with the hour reached)."""
        with self.lock:
            frame = self.kpi_frame(tuple(SUMMARY))
            frame.insert(0, "hours", self.models["left"].engine.hours)
            return frame.to_csv(index=False)

    def timeseries_csv(self) -> str:
        """Both models' per-step records as one tidy CSV (a ``model`` column tells them apart)."""
        with self.lock:
            frames = [
                pd.DataFrame.from_records(self.models[side].engine.records).assign(model=self.controls.label(side))
                for side in SIDES
            ]
            return pd.concat(frames, ignore_index=True).to_csv(index=False)

    def charts_png(self) -> bytes:
        """The live charts as they are now, as PNG."""
        with self.lock:
            return png_bytes(self.charts.figure, dpi=110)

    def figures_png(self) -> dict[str, bytes]:
        """Every figure rendered to PNG: what one redraw in the browser costs."""
        with self.lock:
            out = {side: png_bytes(self.side_figures[side].figure) for side in SIDES}
            out["charts"] = png_bytes(self.charts.figure)
            return out

    def close(self) -> None:
        """Release the models' Mesa agents (the page calls this before replacing the comparison)."""
        with self.lock:
            for model in self.models.values():
                model.release()
