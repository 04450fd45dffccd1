"""Import an OWASP Threat Dragon model (version 1 or 2) into a threatloom model draft.

The file's summary gives the system (title, owner, description), its detail the team (contributors,
and the reviewer, who is also kept in a note since the model has no reviewer role). Every diagram is
read, in order, into one model; element IDs are unique across diagrams (see :mod:`.elements`, the
zone rule in :mod:`.geometry`, the threat rules in :mod:`.threat_import`).

What is skipped, with its reason, in the report: drawing (positions, sizes, ports, styling, thumbnails),
properties Threat Dragon derives (`hasOpenThreats`, `threatFrequency`), its counters and version stamps.
Everything else is mapped or kept as a note.
"""

from __future__ import annotations

from typing import Any

from threatloom.interop.draft import ModelDraft, long_text, short
from threatloom.interop.interface import Importer, ImportReport
from threatloom.interop.reading import ForeignDocument, Key
from threatloom.interop.threat_dragon import elements, rule_threats, words
from threatloom.interop.threat_dragon.cells import Cell, read_cells
from threatloom.interop.threat_dragon.context import Context, dotted
from threatloom.interop.threat_dragon.threat_import import import_threats
from threatloom.model.vocabulary import TeamRole

DIAGRAM_PLACEHOLDERS = ("New STRIDE diagram description", "New LINDDUN diagram description",
                        "New CIA diagram description", "New generic diagram description",
                        "New PLOT4ai diagram description", "New CIA-DIE diagram description",
                        "New EoP games diagram description")
_SKIPPED = {  # key -> (report kind, why) for the file, its detail and its diagrams
    "version": ("metadata", "the Threat Dragon version that saved the file"),
    "id": ("metadata", "Threat Dragon's own number for it"),
    "diagramTop": ("metadata", "Threat Dragon's counter of diagrams"),
    "threatTop": ("metadata", "Threat Dragon's counter of threats"),
    "thumbnail": ("layout", "the picture Threat Dragon shows for the diagram type"),
    "placeholder": ("layout", "the hint Threat Dragon shows in an empty description"),
    "size": ("layout", "the size of the drawing canvas"),
}


class ThreatDragonImporter(Importer):
    name = "threat-dragon"
    title = "OWASP Threat Dragon"

    def sniff(self, document: ForeignDocument) -> bool:
        data = document.data
        if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
            return False
        detail = data.get("detail")
        return isinstance(detail, dict) and isinstance(detail.get("diagrams"), list)

    def read(self, document: ForeignDocument, draft: ModelDraft, report: ImportReport) -> None:
        ctx = Context(document, draft, report)
        root = document.expect(document.data, dict, ())
        summary = document.required(root, "summary", dict, ())
        detail = document.required(root, "detail", dict, ())
        draft.source = draft.source.replace(self.title, f"{self.title} v{_major(root, detail)}", 1)
        _summary(ctx, root, summary)
        _team(ctx, detail)
        diagrams = document.member(detail, "diagrams", list, ("detail",)) or []
        for i, value in enumerate(diagrams):
            keys: tuple[Key, ...] = ("detail", "diagrams", i)
            diagram = document.expect(value, dict, keys)
            _diagram(ctx, diagram, i, keys, read_cells(document, diagram, i, keys))
        elements.tidy(draft)
        rule_threats.resolve(ctx)  # needs the whole model: what the rules find on it
        for key in sorted(set(root) - {"summary", "detail", "version", "release_version", "released_at"}):
            ctx.note(None, (key,), f"Threat Dragon file key {key}: {root[key]}")
            report.keep_as_note("metadata", key)
        _skip_known(ctx, root, ())


def _major(root: dict[str, Any], detail: dict[str, Any]) -> int:
    """1 or 2: as Threat Dragon tells, by the version stamp (none, or 1.x, is version 1), and for a
    file without one, by how its diagrams hold their cells."""
    version = root.get("version")
    if isinstance(version, str) and version.strip():
        return 1 if version.strip().startswith("1.") else 2
    diagrams = detail.get("diagrams")
    if isinstance(diagrams, list) and any(isinstance(d, dict) and "cells" in d for d in diagrams):
        return 2
    return 1


def _summary(ctx: Context, root: dict[str, Any], summary: dict[str, Any]) -> None:
    doc, system, keys = ctx.doc, ctx.draft.system, ("summary",)
    title = short(doc.member(summary, "title", str, keys))
    if title:
        system["name"] = title
    owner = short(doc.member(summary, "owner", str, keys))
    if owner:
        system["owner"] = owner
    description = long_text(doc.member(summary, "description", str, keys))
    if description:
        system["description"] = description
    ctx.report.map("summary", sum(1 for x in (title, owner, description) if x))
    release = short(doc.member(root, "release_version", str, ()))
    if release:
        system["version"] = release
        ctx.report.map("summary")
    released = doc.member(root, "released_at", str, ())
    if released:
        ctx.note(None, ("released_at",), f"Released at {released}")
        ctx.report.keep_as_note("summary", "released_at")
    for key in sorted(set(summary) - {"title", "owner", "description", "id"}):
        ctx.note(None, (*keys, key), f"Threat Dragon summary field {key}: {summary[key]}")
        ctx.report.keep_as_note("summary", key)
    _skip_known(ctx, summary, keys)


def _team(ctx: Context, detail: dict[str, Any]) -> None:
    doc, keys = ctx.doc, ("detail",)
    team: list[dict[str, str]] = []
    for i, value in enumerate(doc.member(detail, "contributors", list, keys) or []):
        where = (*keys, "contributors", i)
        contributor = doc.expect(value, dict, where)
        name = short(doc.member(contributor, "name", str, where))
        if not name:
            ctx.report.skip("contributor", f"contributor {i + 1} has no name")
        elif all(m["name"] != name for m in team):
            team.append({"name": name, "role": words.team_role(name, TeamRole.THREAT_MODELLER).value})
            ctx.report.map("contributor")
        else:
            ctx.report.skip("contributor", f"{name} is listed twice")
    reviewer = short(doc.member(detail, "reviewer", str, keys))
    if reviewer:
        if all(m["name"] != reviewer for m in team):
            team.append({"name": reviewer, "role": words.team_role(reviewer, TeamRole.SECURITY).value})
        ctx.note(None, (*keys, "reviewer"), f"Reviewer of the threat model (Threat Dragon): {reviewer}")
        ctx.report.map("reviewer")
    if team:
        ctx.draft.system["team"] = team
    for key in sorted(set(detail) - {"contributors", "reviewer", "diagrams", "diagramTop", "threatTop"}):
        ctx.note(None, (*keys, key), f"Threat Dragon detail field {key}: {detail[key]}")
        ctx.report.keep_as_note("metadata", f"detail.{key}")
    _skip_known(ctx, detail, keys)


def _skip_known(ctx: Context, holder: dict[str, Any], keys: tuple[Key, ...]) -> None:
    for key in sorted(set(holder) & set(_SKIPPED)):
        kind, why = _SKIPPED[key]
        ctx.report.skip(kind, f"{dotted((*keys, key))}: {why}")


def _diagram(ctx: Context, diagram: dict[str, Any], index: int, keys: tuple[Key, ...], cells: list[Cell]) -> None:
    doc = ctx.doc
    title = short(doc.member(diagram, "title", str, keys)) or f"Diagram {index + 1}"
    kind = short(doc.member(diagram, "diagramType", str, keys))
    description = (doc.member(diagram, "description", str, keys) or "").strip()
    if description in DIAGRAM_PLACEHOLDERS:
        description = ""
    ctx.note(None, keys, f"Diagram {title!r}" + (f" ({kind})" if kind else "") + (f": {description}" if
             description else f", {len(cells)} cells."))
    ctx.report.keep_as_note("diagram", title)
    for key in sorted(set(diagram) - {"title", "diagramType", "description", "cells", "diagramJson"} - set(_SKIPPED)):
        ctx.note(None, (*keys, key), f"Threat Dragon diagram field {key}: {diagram[key]}")
        ctx.report.keep_as_note("metadata", f"{title}: {key}")
    _skip_known(ctx, diagram, keys)
    for cell in cells:
        ctx.cells[cell.key] = cell
    by_kind: dict[str, list[Cell]] = {}
    for cell in cells:
        by_kind.setdefault(cell.kind, []).append(cell)
        ctx.report.skip("layout", f"{cell.title}: how it is drawn (position, size, ports, styling)")
    zones = elements.add_zones(ctx, by_kind.get("boundary-box", []))
    for cell in [c for c in cells if c.kind in ("actor", "process", "store")]:
        elements.add_node(ctx, cell, elements.zone_of(cell, zones))
    for cell in by_kind.get("flow", []):
        elements.add_flow(ctx, cell)
    for cell in cells:
        import_threats(ctx, cell, ctx.elements.get(cell.key))
    for cell in by_kind.get("boundary-line", []):
        ctx.note(None, cell.keys, f"Trust boundary line {cell.name or cell.id!r} in diagram {title!r}: a line "
                 "does not say which side an element is on, so threatloom gives no element a zone from it.")
        ctx.report.keep_as_note("trust boundary line", cell.name or cell.id)
    for cell in by_kind.get("text", []):
        ctx.note(None, cell.keys, f"Text on diagram {title!r}: {cell.name}")
        ctx.report.keep_as_note("text", short(cell.name)[:60] or cell.id)
    for cell in by_kind.get("unknown", []):
        ctx.note(None, cell.keys, f"Cell of unknown type {cell.label!r} ({cell.name or 'no name'}) in diagram "
                 f"{title!r}: {elements.summary_of(cell)}")
        ctx.report.keep_as_note("cell", f"{cell.label} {cell.title}")
