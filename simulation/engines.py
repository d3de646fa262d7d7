"""Build an engine for a config: read its input files, build the company and graphs, schedule interventions.

This is the one place between the core (which reads no files and knows no registry) and
everything that runs the model (the Mesa model, the batch layer, the app).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from simulation.config import Config
from simulation.core.organization import build_company
from simulation.graphs import build_social_graph, read_edgelist, read_org_chart
from simulation.interventions import schedule_for
from simulation.rng import stream

if TYPE_CHECKING:
    from simulation.core.engine import VectorEngine


def build_engine(config: Config, seed: int | None = None) -> VectorEngine:
    """The engine ``config.simulation.engine`` names, built for this config and seed."""
    seed = int(config.simulation.seed if seed is None else seed)
    org, network = config.organization, config.network
    chart = read_org_chart(Path(org.org_chart)) if org.org_chart is not None else None
    company = build_company(org, stream(seed, "company"), chart)
    if network.kind == "edgelist":
        social = read_edgelist(Path(network.path))
    else:
        social = build_social_graph(network, config.customers.count, stream(seed, "social_graph"))
    if config.simulation.engine == "agents":
        from simulation.agents_engine import AgentEngine as Engine
    else:
        from simulation.core.engine import VectorEngine as Engine
    return Engine(config, seed, company=company, social_graph=social, schedule=schedule_for(config))
