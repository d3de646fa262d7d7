"""Generate the documentation tables and the shipped prior file from the code, so they cannot drift from it.

``python -m simulation.outputs.docs --write`` rewrites the marked regions of ``docs/ODD.md``
(parameters with unit and role, priors) and ``README.md`` (presets, KPIs), and the whole of
``simulation/scenario/priors.toml`` (the declared priors as a prior file);
``python -m simulation.outputs.docs --check`` exits 1 when any is stale (a test runs it).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from simulation.outputs.kpis import SUMMARY
from simulation.scenario.config import Config, Intervention
from simulation.scenario.interventions import builtin_actions
from simulation.scenario.presets import builtin_presets
from simulation.scenario.priors import priors_toml, shipped_priors
from simulation.scenario.schema import spec_of

ROOT = Path(__file__).resolve().parents[2]


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return "none" if value is None else str(value)


def _section_rows(model: type[BaseModel]) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        spec = spec_of(field)
        default = "required" if field.is_required() else _fmt(field.default)
        unit = "" if spec.unit == "1" else spec.unit
        rows.append(f"| `{name}` | `{default}` | {unit} | {spec.role} | {field.description} | {spec.source} |")
    return rows


TABLE_HEAD = ["| key | default | unit | role | meaning | source |", "|---|---|---|---|---|---|"]


def parameter_tables() -> str:
    """One markdown table per config section: key, default, meaning, source."""
    out = []
    for section, field in Config.model_fields.items():
        annotation = field.annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            continue
        out += [f"#### `[{section}]`", "", *TABLE_HEAD]
        out += _section_rows(annotation)
        out.append("")
    out += ["#### `[[interventions]]`", "", *TABLE_HEAD]
    out += _section_rows(Intervention)
    out += ["", "| action | what it does |", "|---|---|"]
    out += [f"| `{a.name}` | {a.description} |" for a in builtin_actions().values()]
    return "\n".join(out).rstrip() + "\n"


def preset_table() -> str:
    """The org-model presets: name, description, source, and their key settings."""
    rows = ["| preset | what it is | posters | listeners | structure | source |", "|---|---|---|---|---|---|"]
    for preset in builtin_presets().values():
        cfg = Config.model_validate({"organization": {"model": preset.name}})
        org = cfg.organization
        structure = [f"silo {org.silo_strength:g}"]
        structure += [
            name
            for name, on in (
                ("leads", org.leads),
                ("CoE hub", org.hub),
                ("internal channel", org.internal_channel),
                ("shared tool", org.shared_tool),
                ("agency", org.agency),
                ("own accounts", org.employee_accounts),
            )
            if on
        ]
        if org.task_force:
            structure.append("task force: " + "+".join(org.task_force))
        structure += [
            name
            for name, on in (
                ("training", cfg.people.training),
                ("guidelines", cfg.content.guidelines),
                ("rewards", cfg.people.rewards),
            )
            if on
        ]
        rows.append(
            f"| `{preset.name}` | {preset.description} | {', '.join(org.posters)} ({org.poster_share:g}) "
            f"| {', '.join(org.listeners)} | {', '.join(structure)} | {preset.source} |"
        )
    return "\n".join(rows) + "\n"


def kpi_table() -> str:
    """Summary KPIs: name, group, meaning, direction, appearance or outcome."""
    rows = ["| KPI | group | meaning | better | kind |", "|---|---|---|---|---|"]
    arrows = {True: "higher", False: "lower", None: "-"}
    for kpi in SUMMARY.values():
        rows.append(f"| `{kpi.name}` | {kpi.group} | {kpi.description} | {arrows[kpi.higher_is_better]} | {kpi.kind} |")
    return "\n".join(rows) + "\n"


def prior_table() -> str:
    """The shipped priors (declared with each parameter): key, default, distribution, reason."""
    base = Config()
    rows = ["| key | default | prior | reason |", "|---|---|---|---|"]
    for key, prior in shipped_priors().items():
        section, name, *sub = key.split(".")
        default = getattr(getattr(base, section), name)
        default = default[sub[0]] if sub else default
        rows.append(f"| `{key}` | `{_fmt(default)}` | {prior.describe()} | {prior.reason} |")
    return "\n".join(rows) + "\n"


REGIONS = {
    ROOT / "docs" / "ODD.md": {
        "PARAMETERS": parameter_tables,
        "PRESETS": preset_table,
        "KPIS": kpi_table,
        "PRIORS": prior_table,
    },
    ROOT / "README.md": {"PRESETS": preset_table, "KPIS": kpi_table},
}
FILES = {ROOT / "simulation" / "scenario" / "priors.toml": priors_toml}  # generated whole


def render(text: str, regions: dict[str, Any]) -> str:
    """Replace every ``<!-- BEGIN NAME -->...<!-- END NAME -->`` region with fresh content."""
    for name, make in regions.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.DOTALL)
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    """Write or check the generated regions; returns the exit code."""
    from simulation.studies.batch.store import write_text_atomic

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the docs in place")
    parser.add_argument("--check", action="store_true", help="exit 1 if the docs are stale")
    args = parser.parse_args(argv)
    stale = []
    generated = {
        path: (lambda path=path, regions=regions: render(path.read_text(encoding="utf-8"), regions))
        for path, regions in REGIONS.items()
    }
    generated.update(FILES)
    for path, make in generated.items():
        text = path.read_text(encoding="utf-8")
        fresh = make()
        if fresh != text:
            stale.append(path)
            if args.write:
                write_text_atomic(path, fresh)
    for path in stale:
        print(f"{'rewrote' if args.write else 'stale'}: {path.relative_to(ROOT)}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
