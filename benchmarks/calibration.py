"""How many model runs, and how many minutes, a 3-parameter calibration takes on this machine.

Synthetic observations are made by the model itself at known values (a run on another seed);
then ``simulation.calibrate`` fits the three parameters back. Printed: runs per generation,
minutes, seconds per run, and the recovered 90% intervals next to the truth.

    python benchmarks/calibration.py --customers 3000 --particles 40 --generations 3 --workers 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from simulation import calibrate, load_scenario
from simulation.scenario.priors import priors_from_table
from simulation.studies.batch.plan import layers_json
from simulation.studies.calibration import Simulator

ROOT = Path(__file__).resolve().parents[1]
TRUTH = {
    "organization.listening_coverage": 0.6,
    "support.resolution_prob": 0.7,
    "organization.listening_latency_hours": 2.0,
}
PRIOR = {
    "organization.listening_coverage": {"uniform": [0.2, 1.0]},
    "support.resolution_prob": {"uniform": [0.3, 1.0]},
    "organization.listening_latency_hours": {"loguniform": [0.5, 8.0]},
}
KPIS = ("detection_rate", "resolution_rate", "first_response_median_min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=336, help="steps per run (default two weeks)")
    parser.add_argument("--inquiry-rate", type=float, default=0.02, help="customers.inquiry_rate_per_day")
    parser.add_argument("--particles", type=int, default=40)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = load_scenario(
        ROOT / "scenarios" / "centralized.toml",
        [
            f"customers.count={args.customers}",
            f"simulation.steps={args.steps}",
            f"customers.inquiry_rate_per_day={args.inquiry_rate}",
        ],
    )
    start = time.perf_counter()
    summary = Simulator(layers_json(config), 99, KPIS).summary(TRUTH)
    one_run = time.perf_counter() - start
    observed = {k: {"value": summary[k], "sd": 0.05 * abs(summary[k]) or 0.01} for k in KPIS}
    priors = priors_from_table(PRIOR)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = calibrate(
            config,
            observed,
            priors,
            particles=args.particles,
            generations=args.generations,
            seed=1,
            workers=args.workers,
            out=out,
            predictive=0,
        )
        minutes = (time.perf_counter() - start) / 60
    print(f"{args.customers} customers, {args.steps} steps, one run {one_run:.2f} s (in this process)")
    print(result.generations.to_string(index=False))
    print("| parameter | truth | posterior median | 90% interval | inside |")
    print("|---|---:|---:|---|---|")
    for key, truth in TRUTH.items():
        low, high = result.credible_interval(key, 0.9)
        inside = "yes" if low <= truth <= high else "no"
        print(f"| `{key}` | {truth:g} | {result.quantile(key, 0.5):.3g} | [{low:.3g}, {high:.3g}] | {inside} |")
    print(
        f"3-parameter calibration: {result.runs} model runs in {minutes:.1f} min on {args.workers} workers "
        f"({60 * minutes / result.runs:.2f} s per run)"
    )


if __name__ == "__main__":
    main()
