"""The whole model, vectorized engine vs agent engine: same scenario, same seed, one run each.

Prints build time and seconds per step of each engine, then ``speedup=<agents / vectorized>``.

    python benchmarks/core_vs_agents.py --customers 20000 --steps 48
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from simulation.engines.mesa_model import SocialMediaOrgModel
from simulation.scenario.config import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def time_engine(config, seed: int, steps: int, engine: str) -> tuple[float, float]:
    """Build seconds and seconds per step of one engine, driven through the Mesa model as `silosim run` does."""
    config = config.with_values({"simulation.engine": engine})
    start = time.perf_counter()
    model = SocialMediaOrgModel(config, seed, agent_views=False, collect=False)
    built = time.perf_counter()
    for _ in range(steps):
        model.step()
    done = time.perf_counter()
    model.release()  # both the model's and the agents engine's population
    return built - start, (done - built) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=48, help="steps timed per engine (from the start of the run)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "centralized.toml")
    args = parser.parse_args()

    config = load_scenario(args.scenario, [f"customers.count={args.customers}", f"simulation.steps={args.steps}"])
    rows = {engine: time_engine(config, args.seed, args.steps, engine) for engine in ("vectorized", "agents")}
    print(f"scenario {args.scenario.name}, {args.customers:,} customers, {args.steps} steps, seed {args.seed}")
    print(f"{'engine':12s}{'build s':>10s}{'s/step':>12s}{'steps/s':>10s}")
    for engine, (build, per_step) in rows.items():
        print(f"{engine:12s}{build:10.2f}{per_step:12.5f}{1 / per_step:10.1f}")
    print(f"speedup={rows['agents'][1] / rows['vectorized'][1]:.1f}")


if __name__ == "__main__":
    main()
