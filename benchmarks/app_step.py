"""Time one step plus a redraw of every view of the classroom app (two models side by side).

Usage: python benchmarks/app_step.py [--customers 5000] [--steps 30]
The last line is ``seconds_per_step_and_redraw=<median seconds>``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("MPLBACKEND", "Agg")


def main() -> None:
    from simulation.app.controls import Controls, SideControls
    from simulation.app.session import Comparison

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--left", default="centralized")
    parser.add_argument("--right", default="center_of_excellence")
    args = parser.parse_args()

    controls = Controls(SideControls.from_preset(args.left), SideControls.from_preset(args.right), args.customers)
    start = time.perf_counter()
    comparison = Comparison(controls)
    build = time.perf_counter() - start
    start = time.perf_counter()
    comparison.close()
    comparison = Comparison(controls)  # the customer layout is cached now
    rebuild = time.perf_counter() - start
    comparison.step(24)  # warm up: one simulated day
    parts = {"step (both models)": [], "update views + KPIs": [], "render PNGs (3 figures)": [], "total": []}
    for _ in range(args.steps):
        t0 = time.perf_counter()
        for model in comparison.models.values():
            model.step()
        t1 = time.perf_counter()
        comparison.redraw()
        t2 = time.perf_counter()
        comparison.figures_png()
        t3 = time.perf_counter()
        for name, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            parts[name].append(value)
    comparison.close()

    print(f"app step + redraw: {args.left} vs {args.right}, {args.customers:,} customers, {args.steps} steps")
    print(f"{'first build (layout computed)':32s} {build:8.3f} s")
    print(f"{'rebuild (layout cached)':32s} {rebuild:8.3f} s")
    print(f"{'part':32s} {'median s':>9s} {'max s':>9s}")
    for name, values in parts.items():
        print(f"{name:32s} {statistics.median(values):9.3f} {max(values):9.3f}")
    print(f"seconds_per_step_and_redraw={statistics.median(parts['total']):.3f}")


if __name__ == "__main__":
    main()
