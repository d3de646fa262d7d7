import networkx as nx
import numpy as np
import pytest

from simulation import ScenarioError, build_config, run
from simulation.core.organization import (
    CHANNEL,
    HUB,
    TOOL,
    build_company,
    build_structure,
    employee_roles,
    silo_index,
)
from simulation.core.routing import handoff_matrices
from simulation.core.social_graph import build_social_graph, to_csr
from simulation.rng import stream
from simulation.scenario.inputs import read_edgelist, read_org_chart


def company_and_graph(**org):
    cfg = build_config({"organization": org})
    company = build_company(cfg.organization, stream(1, "company"))
    return cfg, company, build_structure(company, cfg.organization).graph


def contacts_of(company, org):
    return build_structure(company, org).contacts


@pytest.mark.parametrize("kind", ["holme_kim", "barabasi_albert", "watts_strogatz", "erdos_renyi"])
def test_social_graph_generators_hit_the_mean_degree(kind):
    cfg = build_config({"network": {"kind": kind, "mean_degree": 8}})
    graph = build_social_graph(cfg.network, 3000, stream(1, "social_graph"))
    assert graph.number_of_nodes() == 3000
    assert 2 * graph.number_of_edges() / 3000 == pytest.approx(8, rel=0.1)
    csr = to_csr(graph)
    assert (csr != csr.T).nnz == 0 and csr.nnz == 2 * graph.number_of_edges()


def test_default_graph_is_heavy_tailed():
    cfg = build_config({})
    degrees = np.array([d for _, d in build_social_graph(cfg.network, 5000, stream(2, "g")).degree()])
    assert degrees.max() > 8 * degrees.mean()


def test_edge_list_csv_and_graphml(tmp_path):
    graph = nx.karate_club_graph()
    csv = tmp_path / "g.csv"
    csv.write_text("source,target\n" + "\n".join(f"n{a},n{b}" for a, b in graph.edges()))
    graphml = tmp_path / "g.graphml"
    nx.write_graphml(graph, graphml)
    for path in (csv, graphml):
        cfg = build_config({"network": {"kind": "edgelist", "path": str(path)}, "simulation": {"steps": 30}})
        result = run(cfg)
        assert len(result.timeseries) == 30
        assert read_edgelist(path).number_of_edges() == graph.number_of_edges()
        with pytest.raises(ValueError, match="read above the core"):  # the core reads no files
            build_social_graph(cfg.network, 0, stream(1, "g"))


def test_malformed_edge_list(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("source,target\n1\n")
    cfg = build_config({"network": {"kind": "edgelist", "path": str(path)}})
    with pytest.raises(ScenarioError, match="network.path: line 2: expected source,target"):
        run(cfg)


def test_org_chart(tmp_path):
    chart = tmp_path / "org.csv"
    rows = [
        "employee,department,manager",
        "ceo_m,marketing,",
        "ana,marketing,ceo_m",
        "bo,marketing,ana",
        "svc_m,customer_service,",
        "cy,customer_service,svc_m",
        "dee,customer_service,svc_m",
        "it_m,it,",
        "ed,it,it_m",
        "pm,product,",
        "fay,product,pm",
        "sal,sales,",
        "gus,sales,sal",
    ]
    chart.write_text("\n".join(rows))
    cfg = build_config({"organization": {"org_chart": str(chart)}, "simulation": {"steps": 24}})
    company = build_company(cfg.organization, stream(1, "company"), read_org_chart(chart))
    assert company.departments[:5] == ("marketing", "customer_service", "it", "product", "sales")
    assert company.is_manager.sum() == 5 + 1  # five chart roots and the agency lead
    graph = build_structure(company, cfg.organization).graph
    bo = 2  # ana's report: the chart's manager link is a hierarchy tie
    assert graph.edges[bo, 1]["kind"] == "hierarchy"
    assert len(run(cfg).timeseries) == 24
    bad = build_config({"organization": {"org_chart": str(chart), "posters": ["pr"]}})
    with pytest.raises(ScenarioError, match="organization.posters: 'pr' is not a department in the org chart"):
        run(bad)


def test_silo_strength_removes_cross_ties_monotonically():
    _, _, loose = company_and_graph(silo_strength=0.1)
    _, _, tight = company_and_graph(silo_strength=0.9)
    cross = lambda g: {tuple(sorted(e)) for e, k in nx.get_edge_attributes(g, "kind").items() if k == "cross"}  # noqa: E731
    assert cross(tight) < cross(loose)  # a stronger silo keeps a subset of the same ties
    assert silo_index(tight) > silo_index(loose)


def test_structural_ties_shorten_handoffs():
    cfg, company, graph = company_and_graph(model="centralized")
    central = handoff_matrices(graph, contacts_of(company, cfg.organization), cfg.support, 0.7)
    cfg2, _, graph2 = company_and_graph(model="center_of_excellence", silo_strength=0.7)
    coe = handoff_matrices(graph2, contacts_of(company, cfg2.organization), cfg2.support, 0.7)
    marketing, it = 0, 2
    assert coe.hours[marketing, it] < central.hours[marketing, it]
    assert coe.hours[-1, it] < coe.hours[marketing, it] + 1e-9  # the shared tool row routes directly
    assert TOOL in graph2 and TOOL not in graph
    roles = nx.get_node_attributes(graph2, "dept")
    assert all(e in roles for e in range(company.size))  # every employee is labelled with its department


def test_task_force_members_form_a_clique():
    cfg, company, graph = company_and_graph(model="task_force")
    team = [(a, b) for a, b, k in graph.edges(data="kind") if k == "team"]
    members = {n for e in team for n in e}
    assert len(members) == 9 and len(team) == 9 * 8 // 2
    contacts = contacts_of(company, cfg.organization)
    handoffs = handoff_matrices(graph, contacts, cfg.support, cfg.organization.silo_strength)
    support, silo = cfg.support, cfg.organization.silo_strength
    friction = support.silo_receiving_hours * silo * (1 - support.structural_relief["team"])  # met on every route
    assert handoffs.hops[0, 1] == 1 and handoffs.hours[0, 1] == pytest.approx(support.hop_hours["team"] + friction)


def test_democratized_channel_and_coe_hub():
    cfg, company, graph = company_and_graph(model="democratized")
    assert CHANNEL in graph and graph.degree(CHANNEL) > 6
    cfg, company, graph = company_and_graph(model="center_of_excellence")
    roles = employee_roles(company, cfg.organization)
    hub = int(np.flatnonzero(roles == HUB)[0])
    assert sum(1 for _, _, k in graph.edges(hub, data="kind") if k == "hub") == 5  # every other department
