"""Figures of the organisation: the internal graph with its hand-off routes, and hand-off matrices.

Matplotlib only, imported lazily; the numbers come from :mod:`simulation.outputs.analysis` and an
engine's org structure (``engine.structure``). :func:`draw_internal_graph` is the one drawing
of the internal graph, for notebooks and the classroom app alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.organization import CHANNEL, EXECUTIVE, TOOL

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from simulation.core.organization import Structure

# One colour per tie kind (simulation.scenario.config.TIE_KINDS); structural ties stand out.
TIE_STYLE: dict[str, tuple[str, float]] = {
    "intra": ("#d0d0d0", 0.5),
    "cross": ("#e07b39", 0.7),
    "hierarchy": ("#7f7f7f", 1.0),
    "team": ("#2ca02c", 1.6),
    "hub": ("#9467bd", 1.6),
    "channel": ("#17becf", 0.8),
    "tool": ("#d62728", 1.4),
    "agency": ("#8c564b", 1.6),
}
VIRTUAL = (EXECUTIVE, CHANNEL, TOOL)


def department_layout(structure: Structure, departments: Sequence[str], seed: int = 0) -> dict[Any, np.ndarray]:
    """Node positions: departments on a circle, their employees around each centre, virtual nodes inside.

    The executive sits at the top of the inner circle, the internal channel and the shared
    tool near the centre, so cross-department routes are easy to follow.
    """
    graph = structure.graph
    n_dept = len(departments)
    rng = np.random.default_rng(seed)
    pos: dict[Any, np.ndarray] = {}
    angles = [math.pi / 2 - 2 * math.pi * d / n_dept for d in range(n_dept)]
    centres = {d: np.array([math.cos(a), math.sin(a)]) for d, a in enumerate(angles)}
    members: dict[int, list] = {d: [] for d in range(n_dept)}
    for node, data in graph.nodes(data=True):
        if data.get("dept_index", -1) >= 0:
            members[data["dept_index"]].append(node)
    for d, nodes in members.items():
        contact = int(structure.contacts[d])
        others = [e for e in nodes if e != contact]
        radius = 0.08 + 0.012 * math.sqrt(len(nodes))
        for i, e in enumerate(others):
            angle = 2 * math.pi * i / max(len(others), 1) + rng.uniform(-0.05, 0.05)
            pos[e] = centres[d] + radius * np.array([math.cos(angle), math.sin(angle)])
        if contact in nodes:
            pos[contact] = centres[d] * 0.82  # the department's contact faces the centre
    inner = {EXECUTIVE: np.array([0.0, 0.35]), CHANNEL: np.array([-0.2, -0.15]), TOOL: np.array([0.2, -0.15])}
    for name in VIRTUAL:
        if name in graph:
            pos[name] = inner[name]
    return pos


@dataclass(frozen=True)
class OrgGraphStyle:
    """Sizes of one drawing of the internal graph: a notebook page (``PAGE``) or the app's small panel (``PANEL``)."""

    person_sizes: tuple[float, float]  # marker area of a lead / hub / manager, of everyone else
    label_size: float  # department names
    virtual_size: float  # executive, channel and tool squares
    virtual_label_size: float
    virtual_label_offset: float  # below the square, in layout units
    faint_alpha: float  # intra- and cross-department ties; structural ties are drawn at 0.8
    title_size: float | None  # None: matplotlib's default
    legend: bool
    limits: tuple[float, float]  # half-width, half-height of the view


PAGE = OrgGraphStyle((70, 25), 10, 160, 9, 0.07, 0.45, None, True, (1.55, 1.45))
PANEL = OrgGraphStyle((60, 18), 8, 90, 7, 0.1, 0.35, 9, False, (1.5, 1.4))
FALLBACK_TIE = ("#cccccc", 0.5)  # a tie kind without a style of its own


def draw_internal_graph(
    structure: Structure,
    departments: Sequence[str],
    ax: Axes | None = None,
    highlight_paths: Iterable[Sequence] | None = None,
    title: str | None = None,
    seed: int = 0,
    *,
    pos: Mapping[Any, np.ndarray] | None = None,
    style: OrgGraphStyle = PAGE,
) -> Axes:
    """Draw the internal collaboration graph: ties coloured by ``kind``, people by department, routes on top.

    The one drawing of the org graph: notebooks call it for a figure, the classroom app for its
    org panel (with ``style=PANEL``, its cached layout and a :class:`HandoffOverlay` on top).
    Leads, hubs and managers are larger; posters have a black rim; an agency with no posters
    and no agency ties is labelled idle.

    Args:
        structure: an engine's org structure (``engine.structure``).
        departments: department names in index order (``engine.company.departments``).
        ax: axes to draw on (a new figure when ``None``).
        highlight_paths: node paths to draw as thick black routes, e.g.
            ``structure.handoffs.paths[(from_unit, to_dept)]``.
        title: axes title.
        seed: jitter of the layout (when ``pos`` is not given).
        pos: node positions, e.g. a cached :func:`department_layout`.
        style: sizes for a page or a panel.

    Returns:
        The axes.
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 9))
    graph = structure.graph
    pos = department_layout(structure, departments, seed) if pos is None else pos
    routes = list(highlight_paths or ())
    order = {kind: i for i, kind in enumerate(TIE_STYLE)}  # structural ties drawn over the faint ones
    ties = sorted(graph.edges(data="kind"), key=lambda edge: order.get(edge[2], len(order)))
    colours, widths = [], []
    for _, _, kind in ties:
        colour, width = TIE_STYLE.get(kind, FALLBACK_TIE)
        colours.append(mpl.colors.to_rgba(colour, style.faint_alpha if kind in ("intra", "cross") else 0.8))
        widths.append(width)
    ax.add_collection(
        LineCollection([(pos[u], pos[v]) for u, v, _ in ties], colors=colours, linewidths=widths, zorder=1)
    )
    kinds_present = list(dict.fromkeys(kind for _, _, kind in ties))
    cmap = mpl.colormaps["tab10"]
    people = [n for n, data in graph.nodes(data=True) if data.get("dept_index", -1) >= 0]
    xy = np.array([pos[n] for n in people]).reshape(-1, 2)
    dept = np.array([graph.nodes[n]["dept_index"] for n in people], dtype=int)
    lead_size, other_size = style.person_sizes
    ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=np.where(structure.roles[people] > 0, lead_size, other_size),
        c=[cmap(d % 10) for d in dept],
        edgecolors=np.where(structure.posters[people], "black", "none"),
        linewidths=0.8,
        zorder=3,
    )
    for d, name in enumerate(departments):
        members = [n for n, own in zip(people, dept, strict=True) if own == d]
        if not members:
            continue
        idle = (
            name == "agency"
            and not structure.posters[members].any()
            and not any(k == "agency" for _, _, k in graph.edges(members, data="kind"))
        )
        ax.annotate(
            name.replace("_", " ") + (" (idle)" if idle else ""),
            xy[dept == d].mean(axis=0) * 1.3,
            ha="center",
            va="center",
            fontsize=style.label_size,
            color="grey" if idle else cmap(d % 10),
            weight="bold",
        )
    for name in VIRTUAL:
        if name in pos:
            ax.scatter(*pos[name], s=style.virtual_size, marker="s", color="white", edgecolors="black", zorder=4)
            offset = np.array([0, -style.virtual_label_offset])
            ax.annotate(name, pos[name] + offset, ha="center", fontsize=style.virtual_label_size, zorder=5)
    for path in routes:
        route = np.array([pos[node] for node in path])
        ax.plot(route[:, 0], route[:, 1], color="black", lw=3.0, zorder=2, solid_capstyle="round")
        ax.scatter(*route[0], s=120, marker="o", facecolors="none", edgecolors="black", lw=2, zorder=5)
        ax.scatter(*route[-1], s=160, marker="*", color="black", zorder=5)
    if style.legend:
        handles = [
            Line2D([], [], color=TIE_STYLE.get(k, FALLBACK_TIE)[0], lw=2, label=f"{k} tie") for k in kinds_present
        ]
        if routes:
            handles.append(Line2D([], [], color="black", lw=3, label="hand-off route (o from, * to)"))
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color="w",
                markeredgecolor="black",
                markerfacecolor="grey",
                label="poster (black rim)",
            )
        )
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
    ax.set_title(title or "Internal collaboration graph", fontsize=style.title_size)
    half_width, half_height = style.limits
    ax.set_xlim(-half_width, half_width)
    ax.set_ylim(-half_height, half_height)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


class HandoffOverlay:
    """Live hand-offs over a :func:`draw_internal_graph` drawing, updated in place each step.

    Delivered hand-offs are black routes, wider the more took the route; lost ones red
    dashes ending in a red X; a caption counts them.
    """

    def __init__(self, ax: Axes, pos: Mapping[Any, np.ndarray]) -> None:
        from matplotlib.collections import LineCollection

        self.pos = pos
        self.delivered = LineCollection([], colors="black", linewidths=2.0, zorder=5, capstyle="round")
        self.lost = LineCollection([], colors="#d62728", linewidths=2.0, linestyles="--", zorder=6)
        ax.add_collection(self.delivered)
        ax.add_collection(self.lost)
        self.lost_marks = ax.scatter([], [], marker="X", s=90, color="#d62728", edgecolors="white", zorder=7)
        self.caption = ax.text(0.5, -0.02, "", transform=ax.transAxes, ha="center", va="top", fontsize=8)

    def show(
        self,
        paths: Mapping[tuple[int, int], Sequence],
        delivered: Mapping[tuple[int, int], int],
        lost: Mapping[tuple[int, int], int],
    ) -> None:
        """Draw these hand-offs: counts per (from unit, to department), along ``structure.handoffs.paths``."""
        for collection, counts in ((self.delivered, delivered), (self.lost, lost)):
            segments, widths = [], []
            for key, count in counts.items():
                path = [node for node in paths.get(key, ()) if node in self.pos]
                if len(path) >= 2:
                    segments.append(np.array([self.pos[node] for node in path]))
                    widths.append(1.5 + 1.0 * count)
            collection.set_segments(segments)
            collection.set_linewidths(widths or [1.0])
        ends = [self.pos[p[-1]] for key in lost if len(p := paths.get(key, ())) and p[-1] in self.pos]
        self.lost_marks.set_offsets(np.array(ends) if ends else np.empty((0, 2)))
        n_moved, n_lost = sum(delivered.values()) + sum(lost.values()), sum(lost.values())
        self.caption.set_text(f"{n_moved} hand-off{'s' * (n_moved != 1)} this hour, {n_lost} lost (red X)")


def handoff_heatmap(
    matrix: pd.DataFrame, ax: Axes | None = None, title: str = "Hand-offs", unit: str = "", fmt: str = "{:.1f}"
) -> Axes:
    """A detector x owner matrix (e.g. :func:`simulation.outputs.analysis.handoff_matrix`) as an annotated heatmap."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    values = matrix.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="viridis", aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=30, ha="right")
    ax.set_yticks(range(matrix.shape[0]), matrix.index)
    ax.set_xlabel("owner (department that must answer)")
    ax.set_ylabel("detector (unit that saw it)")
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if len(finite) else 0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if np.isfinite(values[i, j]):
                ax.text(
                    j,
                    i,
                    fmt.format(values[i, j]),
                    ha="center",
                    va="center",
                    color="white" if values[i, j] < middle else "black",
                    fontsize=9,
                )
    ax.figure.colorbar(image, ax=ax, label=unit)
    ax.set_title(title)
    return ax
