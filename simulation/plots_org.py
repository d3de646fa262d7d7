"""Figures of the organisation: the internal graph with its hand-off routes, and hand-off matrices.

Matplotlib only, imported lazily; the numbers come from :mod:`simulation.analysis` and an
engine's org structure (``engine.structure``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.organization import CHANNEL, EXECUTIVE, TOOL

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from simulation.core.organization import Structure

# One colour per tie kind (simulation.config.TIE_KINDS); structural ties stand out.
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


def draw_internal_graph(
    structure: Structure,
    departments: Sequence[str],
    ax: Axes | None = None,
    highlight_paths: Iterable[Sequence] | None = None,
    title: str | None = None,
    seed: int = 0,
) -> Axes:
    """Draw the internal collaboration graph, ties coloured by ``kind``, with hand-off routes on top.

    Args:
        structure: an engine's org structure (``engine.structure``).
        departments: department names in index order (``engine.company.departments``).
        ax: axes to draw on (a new figure when ``None``).
        highlight_paths: node paths to draw as thick black routes, e.g.
            ``structure.handoffs.paths[(from_unit, to_dept)]``.
        title: figure title.
        seed: jitter of the layout.

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 9))
    graph = structure.graph
    pos = department_layout(structure, departments, seed)
    kinds_present = []
    for kind, (colour, width) in TIE_STYLE.items():
        edges = [(u, v) for u, v, k in graph.edges(data="kind") if k == kind]
        if not edges:
            continue
        kinds_present.append(kind)
        segments = [(pos[u], pos[v]) for u, v in edges]
        for a, b in segments:
            ax.plot(
                [a[0], b[0]], [a[1], b[1]], color=colour, lw=width, alpha=0.45 if kind == "cross" else 0.8, zorder=1
            )
    cmap = plt.get_cmap("tab10")
    roles = structure.roles
    for d, name in enumerate(departments):
        nodes = [e for e, data in graph.nodes(data=True) if data.get("dept_index") == d]
        if not nodes:
            continue
        xy = np.array([pos[e] for e in nodes])
        sizes = [70 if roles[e] > 0 else 25 for e in nodes]  # leads, hubs and managers larger
        posting = [bool(structure.posters[e]) for e in nodes]
        rims = ["black" if p else "none" for p in posting]
        ax.scatter(xy[:, 0], xy[:, 1], s=sizes, color=cmap(d % 10), edgecolors=rims, linewidths=0.8, zorder=3)
        idle = (
            name == "agency"
            and not any(posting)
            and not any(k == "agency" for _, _, k in graph.edges(nodes, data="kind"))
        )
        centre = xy.mean(axis=0)
        ax.annotate(
            name + (" (idle)" if idle else ""),
            centre * 1.3,
            ha="center",
            va="center",
            fontsize=10,
            color="grey" if idle else cmap(d % 10),
            weight="bold",
        )
    for name in VIRTUAL:
        if name in pos:
            ax.scatter(*pos[name], s=160, marker="s", color="white", edgecolors="black", zorder=4)
            ax.annotate(name, pos[name] + np.array([0, -0.07]), ha="center", fontsize=9, zorder=5)
    for path in highlight_paths or ():
        xy = np.array([pos[node] for node in path])
        ax.plot(xy[:, 0], xy[:, 1], color="black", lw=3.0, zorder=2, solid_capstyle="round")
        ax.scatter(*xy[0], s=120, marker="o", facecolors="none", edgecolors="black", lw=2, zorder=5)
        ax.scatter(*xy[-1], s=160, marker="*", color="black", zorder=5)
    handles = [Line2D([], [], color=TIE_STYLE[k][0], lw=2, label=f"{k} tie") for k in kinds_present]
    if highlight_paths:
        handles.append(Line2D([], [], color="black", lw=3, label="hand-off route (o from, * to)"))
    handles.append(
        Line2D(
            [], [], marker="o", color="w", markeredgecolor="black", markerfacecolor="grey", label="poster (black rim)"
        )
    )
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
    ax.set_title(title or "Internal collaboration graph")
    ax.set_xlim(-1.55, 1.55)
    ax.set_ylim(-1.45, 1.45)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def handoff_heatmap(
    matrix: pd.DataFrame, ax: Axes | None = None, title: str = "Hand-offs", unit: str = "", fmt: str = "{:.1f}"
) -> Axes:
    """A detector x owner matrix (e.g. :func:`simulation.analysis.handoff_matrix`) as an annotated heatmap."""
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
