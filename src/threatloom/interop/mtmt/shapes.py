"""The drawing surfaces of a .tm7 file, read into plain records: shapes (Borders) and lines (Lines).

`Borders` holds the shapes drawn as areas - processes, external interactors, data stores, trust
border boundaries, annotations - with their position and size; `Lines` holds connectors (data flows,
with the GUIDs of the shapes at their ends) and trust boundary lines. Both are lists of GUID / value
pairs; a value may be a DataContract reference (`z:Ref`) to a shape serialised elsewhere.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import msgspec

from threatloom.interop.mtmt.attributes import Sheet, read_sheet
from threatloom.interop.mtmt.xmltree import SERIAL, Locator, kid, kids, text, xsi_type


class Shape(msgspec.Struct):
    guid: str
    generic: str  # GE.P, GE.EI, GE.DS, GE.TB.B, GE.TB.L, GE.DF, GE.A…
    type_id: str  # the stencil, e.g. SE.DS.TMCore.AzureStorage
    sheet: Sheet
    name: str
    surface: str  # the diagram's name
    path: str  # where in the file, for messages
    left: float = 0.0
    top: float = 0.0
    width: float = 0.0
    height: float = 0.0
    source: str | None = None  # lines: GUIDs of the shapes at either end
    target: str | None = None

    def centre(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.left + self.width and self.top <= y <= self.top + self.height

    @property
    def area(self) -> float:
        return self.width * self.height


class Surface(msgspec.Struct):
    guid: str
    name: str
    shapes: list[Shape]
    lines: list[Shape]


def read_surfaces(root: Element, loc: Locator) -> list[Surface]:
    listing = loc.required(root, "DrawingSurfaceList", "ThreatModel", "<ThreatModel")
    refs = _references(listing)
    surfaces = []
    for i, model in enumerate(kids(listing, "DrawingSurfaceModel")):
        path = f"DrawingSurfaceList.DrawingSurfaceModel[{i}]"
        guid = text(model, "Guid") or f"diagram-{i + 1}"
        sheet = read_sheet(kid(model, "Properties"))
        name = sheet.value("Name") or text(model, "Header") or f"Diagram {i + 1}"
        shapes = _entries(model, "Borders", f"{path}.Borders", name, refs, loc, guid)
        lines = _entries(model, "Lines", f"{path}.Lines", name, refs, loc, guid)
        surfaces.append(Surface(guid, name, shapes, lines))
    return surfaces


def _references(listing: Element) -> dict[str, Element]:
    return {e.get(f"{SERIAL}Id", ""): e for e in listing.iter() if e.get(f"{SERIAL}Id")}


def _entries(model: Element, name: str, path: str, surface: str, refs: dict[str, Element], loc: Locator,
             anchor: str) -> list[Shape]:
    holder = kid(model, name)
    if holder is None:
        return []
    shapes = []
    for i, pair in enumerate(kids(holder)):
        where = f"{path}[{i}]"
        key = text(pair, "Key")
        value = loc.required(pair, "Value", where, anchor, key or "<")
        ref = value.get(f"{SERIAL}Ref")
        if ref is not None:
            if ref not in refs:
                raise loc.error(where, f"refers to shape {ref!r}, which is not in the file",
                                "the file is damaged; save it again from the tool", anchor, key or "<",
                                code="import-reference")
            value = refs[ref]
        guid = text(value, "Guid") or key
        if guid is None:
            raise loc.error(where, "a shape without a GUID", "the file does not follow the Threat Modeling Tool's "
                            "format", anchor, code="import-missing")
        generic = text(value, "GenericTypeId")
        if generic is None:
            raise loc.error(where, "missing <GenericTypeId>: cannot tell what the shape is",
                            "the file does not follow the Threat Modeling Tool's format", anchor, guid,
                            code="import-missing")
        sheet = read_sheet(kid(value, "Properties"))
        shape = Shape(guid=guid, generic=generic, type_id=text(value, "TypeId") or generic, sheet=sheet,
                      name=sheet.value("Name") or sheet.stencil or xsi_type(value) or generic,
                      surface=surface, path=where)
        if name == "Borders":
            shape.left, shape.top = loc.number(value, "Left", where, guid), loc.number(value, "Top", where, guid)
            shape.width = loc.number(value, "Width", where, guid)
            shape.height = loc.number(value, "Height", where, guid)
        else:
            shape.source, shape.target = text(value, "SourceGuid"), text(value, "TargetGuid")
        shapes.append(shape)
    return shapes
