"""Shapes and lines of the drawing surfaces -> zones, components and flows.

Trust border boundaries are rectangles: an element belongs to the innermost one its centre lies in,
and a boundary inside another gets it as parent. Trust boundary lines are drawn across flows and say
nothing about which side an element is on, so they are kept as notes. The tool's GUIDs stay out of
our IDs (those come from names) and are kept, with the answered attributes that have no field of
their own, in one note per shape.
"""

from __future__ import annotations

from typing import Any

import msgspec

from threatloom.interop.draft import ModelDraft, short
from threatloom.interop.interface import ImportReport
from threatloom.interop.mtmt.attributes import Mapped, map_sheet
from threatloom.interop.mtmt.kinds import (
    ANNOTATION,
    BORDER_BOUNDARY,
    ELEMENT_TYPES,
    FLOW,
    LINE_BOUNDARY,
    kind_of,
)
from threatloom.interop.mtmt.shapes import Shape, Surface
from threatloom.interop.mtmt.xmltree import NO_GUID, Locator

TOOL = "Microsoft Threat Modeling Tool"
PRODUCTS = ("azure", "adfs", "dynamics", "identity server", "wcf")  # stencils that name a product
UNTRUSTED_TRUST, DEFAULT_TRUST = 0, 5


class Diagram(msgspec.Struct):
    """What the threats need: our IDs and names for the tool's GUIDs."""

    elements: dict[str, str] = msgspec.field(default_factory=dict)  # GUID -> component ID
    flows: dict[str, str] = msgspec.field(default_factory=dict)  # GUID -> flow ID
    names: dict[str, str] = msgspec.field(default_factory=dict)  # GUID -> name, for every shape and line
    unset: int = 0  # attributes left unanswered
    headings: int = 0


def add_diagrams(draft: ModelDraft, report: ImportReport, loc: Locator, surfaces: list[Surface]) -> Diagram:
    diagram = Diagram()
    for surface in surfaces:
        zones = _zones(draft, report, diagram, surface)
        tls: dict[str, str] = {}
        for shape in sorted(surface.shapes, key=lambda s: (s.name.lower(), s.guid)):
            diagram.names[shape.guid] = shape.name
            if shape.generic in ELEMENT_TYPES:
                _component(draft, report, diagram, shape, zones, tls)
            elif shape.generic != BORDER_BOUNDARY:
                _other(draft, report, diagram, shape)
        for line in sorted(surface.lines, key=lambda s: (s.name.lower(), s.guid)):
            diagram.names[line.guid] = line.name
            if line.generic == FLOW:
                _flow(draft, report, loc, diagram, line, tls)
            else:
                _other(draft, report, diagram, line)
        report.skip("layout", f"diagram {surface.name!r}: positions, sizes and zoom of {len(surface.shapes)} "
                    f"shapes and {len(surface.lines)} lines")
    if len(surfaces) > 1:
        draft.note(None, "DrawingSurfaceList", f"The {TOOL} file has {len(surfaces)} diagrams: "
                   + ", ".join(repr(s.name) for s in surfaces) + "; threatloom joined them into one model.")
    return diagram


def _zones(draft: ModelDraft, report: ImportReport, diagram: Diagram, surface: Surface) -> dict[str, Shape]:
    """Border boundaries of `surface` as zones; zone ID -> its rectangle."""
    borders = sorted((s for s in surface.shapes if s.generic == BORDER_BOUNDARY),
                     key=lambda s: (s.name.lower(), s.guid))
    ids = {b.guid: draft.new_id(b.name, "zone", foreign=("zone", b.guid)) for b in borders}
    for b in borders:
        diagram.names[b.guid] = b.name
        parent = _innermost([o for o in borders if o is not b and o.area > b.area], *b.centre(), ids)
        internet = "internet" in f"{b.name} {b.sheet.stencil or ''}".lower()
        mapped = map_sheet(b.sheet, "zone")
        draft.add("zones", {
            "id": ids[b.guid], "name": short(b.name),
            "description": f"{b.sheet.stencil or 'Trust boundary'} in the {TOOL}, which records no trust level: "
                           + ("0 because it is the internet." if internet else
                              f"{DEFAULT_TRUST} is a placeholder; set the trust you give it."),
            "trust": UNTRUSTED_TRUST if internet else DEFAULT_TRUST, "parent": parent, "internet": internet or None})
        report.map("trust boundary")
        _shape_note(draft, report, diagram, b, ids[b.guid], mapped)
    return {ids[b.guid]: b for b in borders}


def _innermost(borders: list[Shape], x: float, y: float, ids: dict[str, str]) -> str | None:
    inside = [b for b in borders if b.contains(x, y)]
    return ids[min(inside, key=lambda b: (b.area, b.guid)).guid] if inside else None


def _component(draft: ModelDraft, report: ImportReport, diagram: Diagram, shape: Shape, zones: dict[str, Shape],
               tls: dict[str, str]) -> None:
    element_type = ELEMENT_TYPES[shape.generic]
    ident = draft.new_id(shape.name, element_type, foreign=("element", shape.guid))
    diagram.elements[shape.guid] = ident
    mapped = map_sheet(shape.sheet, "component")
    kind, _ = kind_of(element_type, shape.type_id, shape.sheet.stencil)
    stencil = shape.sheet.stencil or ""
    fields: dict[str, Any] = dict(mapped.fields)
    if mapped.storage and element_type == "data-store":
        kind = mapped.storage
    tags = fields.pop("tags", [])
    if "azure" in f"{stencil} {shape.type_id}".lower() and "azure" not in tags:
        tags.append("azure")
    if "technology" not in fields and any(p in stencil.lower() for p in PRODUCTS):
        fields["technology"] = {"name": short(stencil)}
    zone = _innermost(list(zones.values()), *shape.centre(), {b.guid: z for z, b in zones.items()})
    technology = fields.pop("technology", None)
    draft.add("components", {
        "id": ident, "name": short(shape.name), "description": f"{stencil} in the {TOOL}." if stencil else "",
        "type": element_type, "kind": kind, "technology": technology, "zone": zone, **fields,
        "tags": sorted(tags)})
    report.map("element")
    if mapped.tls:
        tls[shape.guid] = mapped.tls
    _shape_note(draft, report, diagram, shape, ident, mapped)


def _flow(draft: ModelDraft, report: ImportReport, loc: Locator, diagram: Diagram, line: Shape,
          tls: dict[str, str]) -> None:
    ends = []
    for end, guid in (("source", line.source), ("target", line.target)):
        if guid is None or guid == NO_GUID:
            draft.note(None, line.path, f"{TOOL} data flow {line.name!r} ({line.guid}) is not connected at its {end}; "
                       "threatloom needs both ends, so it is kept only here.")
            report.keep_as_note("flow", f"{line.name}: not connected at its {end}")
            return
        if guid not in diagram.elements:
            what = f"trust boundary {diagram.names[guid]!r}, not an element" if guid in diagram.names else \
                f"shape {guid}, which is not in the diagram"
            raise loc.error(f"{line.path}.{end.capitalize()}Guid", f"data flow {line.name!r} connects to {what}",
                            "the file is damaged or was edited by hand: connect the flow again in the tool",
                            line.guid, guid, code="import-reference")
        ends.append(guid)
    mapped = map_sheet(line.sheet, "flow")
    fields = dict(mapped.fields)
    description = ""
    enforcing = [g for g in ends if g in tls]
    if enforcing and "encryption" not in fields:
        fields["encryption"] = "tls"
        description = (f"Encrypted with TLS: {diagram.names[enforcing[0]]} enforces it "
                       f"({tls[enforcing[0]]}).")
    ident = draft.new_id(line.name, "flow", foreign=("flow", line.guid))
    diagram.flows[line.guid] = ident
    draft.add("flows", {"id": ident, "name": short(line.name), "description": description,
                        "source": diagram.elements[ends[0]], "destination": diagram.elements[ends[1]], **fields})
    report.map("flow")
    _shape_note(draft, report, diagram, line, ident, mapped)


def _other(draft: ModelDraft, report: ImportReport, diagram: Diagram, shape: Shape) -> None:
    """Trust boundary lines, annotations and shapes of unknown type: kept as notes."""
    texts = [a.value if a.label == "Name" else f"{a.label}: {a.value}" for a in shape.sheet.attributes
             if a.value is not None]
    if shape.generic == LINE_BOUNDARY:
        kind = "trust boundary line"
        text = (f"Trust boundary line {shape.name!r} ({shape.sheet.stencil or shape.type_id}, {shape.guid}) on "
                f"diagram {shape.surface!r}. A line drawn across flows does not tell which side each element is "
                "on, so threatloom made no zone of it: put the elements on either side in zones.")
    elif shape.generic == ANNOTATION:
        kind = "annotation"
        text = f"Annotation on diagram {shape.surface!r}: " + "; ".join(texts or [shape.name])
    else:
        kind = "shape"
        text = (f"{TOOL} shape {shape.name!r} of type {shape.generic} ({shape.type_id}, {shape.guid}), which "
                "threatloom does not know.")
    extra = [f"{a.label}: {a.value}" for a in shape.sheet.attributes
             if a.value is not None and a.label != "Name"] if kind != "annotation" else []
    draft.note(None, shape.path, "\n".join([text, *extra]))
    report.keep_as_note(kind, shape.name)


def _shape_note(draft: ModelDraft, report: ImportReport, diagram: Diagram, shape: Shape, ident: str,
                mapped: Mapped) -> None:
    """The GUID, the stencil and the answered attributes with no field: one note per shape."""
    diagram.unset += mapped.unset
    diagram.headings += shape.sheet.headings
    report.map("element attribute", mapped.used)
    what = {FLOW: "data flow", BORDER_BOUNDARY: "trust boundary"}.get(shape.generic, "element")
    lines = [f"{TOOL} {what} {shape.guid}, stencil {shape.sheet.stencil or '-'} ({shape.type_id}), on diagram "
             f"{shape.surface!r}."]
    for note in mapped.notes:
        lines.append(note)
        report.keep_as_note("element attribute", f"{shape.name}: {note.split(':', 1)[0]}")
    draft.note(ident, shape.path, "\n".join(lines))
