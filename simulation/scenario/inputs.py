"""Input files a scenario names: the social graph's edge list and the company's org chart.

Read before the core is built; every problem with a file is a :class:`ScenarioError`
naming the key (``network.path`` or ``organization.org_chart``) and the reason, never a
traceback. :func:`input_digests` fingerprints the files' contents, so a batch resumed
after a file changed is refused rather than mixing two graphs.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import networkx as nx

from simulation.core.organization import OrgChart, check_names
from simulation.errors import ScenarioError

if TYPE_CHECKING:
    from simulation.scenario.config import Config

EDGELIST_KEY = "network.path"
ORG_CHART_KEY = "organization.org_chart"
MAX_FIELD_CHARS = 1000  # a node, employee or department name longer than this is not a name
RESERVED_DEPARTMENT = "agency"  # the outside agency (simulation.scenario.config.AGENCY)


def input_files(config: Config) -> dict[str, Path]:
    """The files a config reads, by the key that names them."""
    files = {}
    if config.network.kind == "edgelist" and config.network.path is not None:
        files[EDGELIST_KEY] = Path(config.network.path)
    if config.organization.org_chart is not None:
        files[ORG_CHART_KEY] = Path(config.organization.org_chart)
    return files


def file_digest(path: Path, key: str) -> str:
    """SHA-256 of a file's bytes (streamed)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as err:
        raise ScenarioError(f"{key}: cannot read {path} ({err.strerror or err})") from None
    return digest.hexdigest()


def input_digests(config: Config) -> dict[str, str]:
    """``key -> sha256`` of every input file a config reads (empty when it reads none)."""
    return {key: file_digest(path, key) for key, path in input_files(config).items()}


def check_inputs(config: Config) -> None:
    """Read every input file a config names, so a bad file fails before anything runs."""
    if EDGELIST_KEY in input_files(config):
        read_edgelist(Path(config.network.path))
    if ORG_CHART_KEY in input_files(config):
        depts = read_org_chart(Path(config.organization.org_chart)).departments
        chart = SimpleNamespace(departments=(*dict.fromkeys(depts), RESERVED_DEPARTMENT))
        check_names(chart, config.organization, config.support)  # the names a config uses exist in the chart


def _text(path: Path, key: str) -> str:
    """A file's text: UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8")."""
    if not path.is_file():
        raise ScenarioError(f"{key}: file not found: {path}")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{key}: {path} is not UTF-8 text (byte {err.start}); save it as CSV UTF-8") from None
    except OSError as err:
        raise ScenarioError(f"{key}: cannot read {path} ({err.strerror or err})") from None


def _rows(text: str, key: str) -> Iterator[tuple[int, list[str]]]:
    """CSV rows with their line numbers; a malformed file or an over-long field is one clear error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            for cell in row:
                if len(cell) > MAX_FIELD_CHARS:
                    raise ScenarioError(
                        f"{key}: line {reader.line_num}: a field of {len(cell)} characters (at most {MAX_FIELD_CHARS})"
                    )
            yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error as err:
        raise ScenarioError(f"{key}: line {reader.line_num}: not valid CSV ({err})") from None


def read_edgelist(path: Path) -> nx.Graph:
    """Read a user's social graph: CSV (``source,target`` header optional) or GraphML."""
    key = EDGELIST_KEY
    if not path.is_file():
        raise ScenarioError(f"{key}: file not found: {path}")
    if path.suffix.lower() == ".graphml":
        try:
            graph = nx.read_graphml(path)
        except Exception as err:  # noqa: BLE001 - networkx raises several parser errors
            message = " ".join(str(err).split())[:200]
            raise ScenarioError(f"{key}: not a readable GraphML file ({message})") from None
    else:
        graph = nx.Graph()
        first = True
        for number, row in _rows(_text(path, key), key):
            if not row or not any(row) or row[0].startswith("#"):
                continue
            if first and row[0].lower() in {"source", "from", "u"}:
                first = False
                continue
            first = False
            if len(row) < 2:
                raise ScenarioError(f"{key}: line {number}: expected source,target")
            if not row[0] or not row[1]:
                raise ScenarioError(f"{key}: line {number}: empty node name")
            graph.add_edge(row[0], row[1])
    graph = nx.Graph(graph)  # undirected, no multi-edges
    graph.remove_edges_from(nx.selfloop_edges(graph))
    if graph.number_of_nodes() < 10:
        raise ScenarioError(f"{key}: {path} has {graph.number_of_nodes()} nodes; at least 10 needed")
    return nx.convert_node_labels_to_integers(graph, label_attribute="label")


ORG_CHART_COLUMNS = ("employee", "department", "manager")


def read_org_chart(path: Path) -> OrgChart:
    """Read an org chart CSV (``employee,department,manager``): employees, their depts, managers.

    Refused with the line named: a missing column, a short row, an empty employee or
    department, a department called ``agency`` (reserved for the outside agency), a
    duplicate employee, an unknown manager, an employee managing themself, and a cycle of
    managers (everyone's chain of managers must end at someone without one).
    """
    key = ORG_CHART_KEY
    rows = list(_rows(_text(path, key), key))
    rows = [(number, row) for number, row in rows if any(row)]
    if not rows:
        raise ScenarioError(f"{key}: no header (expected columns {', '.join(ORG_CHART_COLUMNS)})")
    header_line, header = rows[0]
    header = [name.lower() for name in header]
    missing = [name for name in ORG_CHART_COLUMNS if name not in header]
    if missing:
        raise ScenarioError(f"{key}: missing column(s) {', '.join(missing)} (header: {', '.join(header)})")
    col = {name: header.index(name) for name in ORG_CHART_COLUMNS}
    width = max(col.values()) + 1
    names: list[str] = []
    depts: list[str] = []
    managers: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, row in rows[1:]:
        if len(row) < width:
            raise ScenarioError(f"{key}: line {number}: expected {len(header)} columns, found {len(row)}")
        name, dept, boss = (row[col[c]] for c in ORG_CHART_COLUMNS)
        if not name:
            raise ScenarioError(f"{key}: line {number}: empty employee name")
        if not dept:
            raise ScenarioError(f"{key}: line {number}: empty department for {name!r}")
        if dept == RESERVED_DEPARTMENT:
            raise ScenarioError(f"{key}: line {number}: department {dept!r} is reserved for the outside agency")
        if name in lines:
            raise ScenarioError(f"{key}: line {number}: employee {name!r} already listed on line {lines[name]}")
        if boss == name:
            raise ScenarioError(f"{key}: line {number}: {name!r} is their own manager")
        lines[name] = number
        names.append(name)
        depts.append(dept)
        if boss:
            managers[name] = boss
    if not names:
        raise ScenarioError(f"{key}: no employees")
    for name, boss in managers.items():
        if boss not in lines:
            raise ScenarioError(f"{key}: line {lines[name]}: unknown manager {boss!r}")
    _check_no_cycle(managers, lines, key)
    return OrgChart(names, depts, managers)


def _check_no_cycle(managers: dict[str, str], lines: dict[str, int], key: str) -> None:
    """Every chain of managers ends at someone without a manager."""
    settled: set[str] = set()
    for start in managers:
        chain: list[str] = []
        seen: set[str] = set()
        name = start
        while name in managers and name not in settled:
            if name in seen:
                cycle = chain[chain.index(name) :]
                raise ScenarioError(f"{key}: line {lines[name]}: managers form a cycle ({' -> '.join([*cycle, name])})")
            seen.add(name)
            chain.append(name)
            name = managers[name]
        settled.update(chain)
