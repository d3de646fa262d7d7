"""The one drawing of the internal org graph, as notebooks and the classroom app use it."""

from __future__ import annotations

import jupytext
import matplotlib
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

import simulation
from simulation.app import views
from simulation.outputs import plots_org

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def engine(request):
    config = simulation.load_scenario(
        request.config.rootpath / "scenarios" / "center_of_excellence.toml", ["customers.count=800"]
    )
    return simulation.SocialMediaOrgModel(config, seed=3, agent_views=False, collect=False).engine


def _axes():
    return Figure().subplots()


def _tie_segments(ax) -> int:
    return sum(len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection))


def _people(engine) -> list:
    return [n for n, d in engine.structure.graph.nodes(data=True) if d.get("dept_index", -1) >= 0]


def _person_dots(ax, engine):
    n = len(_people(engine))
    return next(c for c in ax.collections if not isinstance(c, LineCollection) and len(c.get_offsets()) == n)


def test_page_and_panel_draw_the_same_graph(engine):
    departments = engine.company.departments
    page = plots_org.draw_internal_graph(engine.structure, departments, ax=_axes())
    panel = plots_org.draw_internal_graph(engine.structure, departments, ax=_axes(), style=plots_org.PANEL)
    for ax in (page, panel):
        assert _tie_segments(ax) == engine.structure.graph.number_of_edges()
        labels = {t.get_text() for t in ax.texts}
        assert {d.replace("_", " ") for d in departments if d != "agency"} <= labels
    assert page.get_legend() is not None and panel.get_legend() is None
    page_dots, panel_dots = _person_dots(page, engine), _person_dots(panel, engine)
    assert np.array_equal(page_dots.get_offsets(), panel_dots.get_offsets())
    assert np.array_equal(page_dots.get_facecolors(), panel_dots.get_facecolors())  # only sizes differ


def test_department_colours_and_roles(engine):
    ax = plots_org.draw_internal_graph(engine.structure, engine.company.departments, ax=_axes())
    graph = engine.structure.graph
    people = _people(engine)
    dots = _person_dots(ax, engine)
    dept = np.array([graph.nodes[n]["dept_index"] for n in people])
    faces = dots.get_facecolors()
    for d in np.unique(dept):
        assert len(np.unique(faces[dept == d], axis=0)) == 1  # one colour per department
    assert len(np.unique(faces, axis=0)) == len(np.unique(dept))
    lead, other = plots_org.PAGE.person_sizes
    roles = engine.structure.roles[people]
    assert np.array_equal(dots.get_sizes(), np.where(roles > 0, lead, other))
    rims = dots.get_edgecolors()
    assert np.array_equal(rims[:, 3] > 0, engine.structure.posters[people].astype(bool))  # posters have a rim


def test_the_app_draws_the_org_graph_with_the_one_function(engine, monkeypatch):
    calls = []
    real = plots_org.draw_internal_graph

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(plots_org, "draw_internal_graph", spy)
    view = views.OrgView(_axes(), engine)
    assert len(calls) == 1 and calls[0]["style"] is plots_org.PANEL and calls[0]["pos"] is view.pos
    view.structure = None  # as after a mid-run change of org model: the view redraws through it again
    view.update(engine)
    assert len(calls) == 2
    assert _tie_segments(view.ax) >= engine.structure.graph.number_of_edges()


def test_the_notebooks_draw_the_org_graph_with_the_one_function(request):
    notebooks = request.config.rootpath / "notebooks"
    calls = [
        cell.source
        for path in sorted(notebooks.glob("[0-9][0-9]_*.py"))
        for cell in jupytext.read(path).cells
        if cell.cell_type == "code" and "plots_org.draw_internal_graph(" in cell.source
    ]
    assert calls
    sources = "\n".join(cell.source for path in notebooks.glob("*.py") for cell in jupytext.read(path).cells)
    assert "department_layout" not in sources and "TIE_STYLE" not in sources  # no drawing of their own


def test_handoff_overlay_shows_delivered_and_lost_routes(engine):
    departments = engine.company.departments
    ax = _axes()
    pos = plots_org.department_layout(engine.structure, departments)
    plots_org.draw_internal_graph(engine.structure, departments, ax=ax, pos=pos, style=plots_org.PANEL)
    overlay = plots_org.HandoffOverlay(ax, pos)
    paths = engine.structure.handoffs.paths
    (a, a_path), (b, b_path) = [(key, path) for key, path in paths.items() if len(path) >= 2][:2]
    overlay.show(paths, {a: 3}, {b: 1})
    assert [len(s) for s in overlay.delivered.get_segments()] == [len(a_path)]
    assert list(overlay.delivered.get_linewidths()) == [4.5]  # 1.5 + one per hand-off on the route
    assert [len(s) for s in overlay.lost.get_segments()] == [len(b_path)]
    assert np.allclose(overlay.lost_marks.get_offsets(), [pos[b_path[-1]]])
    assert overlay.caption.get_text() == "4 hand-offs this hour, 1 lost (red X)"
    overlay.show(paths, {}, {})
    assert not overlay.delivered.get_segments() and not overlay.lost.get_segments()
    assert len(overlay.lost_marks.get_offsets()) == 0
    assert overlay.caption.get_text() == "0 hand-offs this hour, 0 lost (red X)"
