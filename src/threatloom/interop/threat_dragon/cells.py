"""Read the cells of a Threat Dragon diagram, version 1 or 2, into one shape the importer maps.

Version 1 (JointJS) keeps a cell's properties on the cell itself (`type`, `threats`, `isALog`…) under
`diagramJson.cells`; version 2 (AntV X6) keeps them under `cell.data` and names the drawing `shape`.
Threats sit under `data.threats` in every file Threat Dragon writes, but the v2 schema describes them
on the cell itself: both places are read.
"""

from __future__ import annotations

from typing import Any

import msgspec

from threatloom.interop.reading import ForeignDocument, Key
from threatloom.interop.threat_dragon.geometry import Rect

# data.type (or v1 type) and v2 shape -> what the cell is
TYPES = {"tm.Actor": "actor", "tm.Process": "process", "tm.Store": "store", "tm.Flow": "flow",
         "tm.Boundary": "boundary-line", "tm.BoundaryBox": "boundary-box", "tm.Text": "text"}
SHAPES = {"actor": "actor", "process": "process", "store": "store", "flow": "flow", "edge": "flow",
          "trust-boundary-box": "boundary-box", "trust-boundary-curve": "boundary-line",
          "trust-broundary-curve": "boundary-line", "td-text-block": "text", "text": "text"}
EDGES = ("flow", "boundary-line")

# Keys of a cell that only draw it: skipped as layout.
LAYOUT_KEYS = frozenset({"position", "size", "attrs", "visible", "zIndex", "z", "ports", "connector", "vertices",
                         "labels", "tools", "width", "height", "angle", "smooth", "router", "markup", "parent",
                         "children", "shape", "type", "id", "data", "source", "target", "threats"})
# Element properties that follow from others (Threat Dragon recomputes them): skipped as derived.
DERIVED_KEYS = frozenset({"hasOpenThreats", "threatFrequency"})


class Cell(msgspec.Struct):
    """One diagram cell, whichever version wrote it."""

    diagram: int
    keys: tuple[Key, ...]  # where the cell is in the file
    id: str
    kind: str  # actor, process, store, flow, boundary-box, boundary-line, text or unknown
    label: str  # what the file calls it (tm.Store, shape name), for messages
    name: str
    props: dict[str, Any]  # the element properties (v2: cell.data, v1: the cell)
    props_keys: tuple[Key, ...]
    raw: dict[str, Any] = msgspec.field(default_factory=dict)  # the cell as written
    rect: Rect | None = None
    source: str | None = None
    target: str | None = None
    ends: tuple[str, str] = ("", "")  # how the ends are given, when they name no cell
    threats: list[tuple[dict[str, Any], tuple[Key, ...]]] = msgspec.field(default_factory=list)
    duplicate_threats: int = 0
    unknown_keys: list[str] = msgspec.field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.diagram}/{self.id}"

    @property
    def title(self) -> str:
        """The name on one line, for messages."""
        return " ".join(self.name.split()) or f"{self.label} {self.id}"


def read_cells(doc: ForeignDocument, diagram: dict[str, Any], index: int, keys: tuple[Key, ...]) -> list[Cell]:
    """The cells of one diagram, however the version that wrote it holds them; an empty diagram has none."""
    if "diagramJson" in diagram:
        body = doc.expect(diagram["diagramJson"], dict, (*keys, "diagramJson"))
        raw = doc.member(body, "cells", list, (*keys, "diagramJson")) or []
        where: tuple[Key, ...] = (*keys, "diagramJson", "cells")
        return [_v1_cell(doc, c, index, (*where, i)) for i, c in enumerate(raw)]
    raw = doc.member(diagram, "cells", list, keys) or []
    return [_v2_cell(doc, c, index, (*keys, "cells", i)) for i, c in enumerate(raw)]


def _v2_cell(doc: ForeignDocument, value: Any, diagram: int, keys: tuple[Key, ...]) -> Cell:
    cell = doc.expect(value, dict, keys)
    ident = _ident(doc, cell, keys)
    shape = doc.required(cell, "shape", str, keys)
    data = doc.member(cell, "data", dict, keys) or {}
    data_type = doc.member(data, "type", str, (*keys, "data")) or ""
    kind = TYPES.get(data_type) or SHAPES.get(shape, "unknown")
    name = doc.member(data, "name", str, (*keys, "data")) or _v2_label(doc, cell, keys)
    found = Cell(diagram, keys, ident, kind, data_type or shape, name.strip(), data, (*keys, "data"), cell)
    if kind in EDGES:
        found.source, first = _end(doc, cell, "source", "cell", keys)
        found.target, second = _end(doc, cell, "target", "cell", keys)
        found.ends = (first, second)
    else:
        found.rect = _rect(doc, cell, keys)
    _threats(doc, found, data, (*keys, "data"))
    _threats(doc, found, cell, keys)
    found.unknown_keys = sorted(k for k in cell if k not in LAYOUT_KEYS)
    return found


def _v1_cell(doc: ForeignDocument, value: Any, diagram: int, keys: tuple[Key, ...]) -> Cell:
    cell = doc.expect(value, dict, keys)
    ident = _ident(doc, cell, keys)
    cell_type = doc.required(cell, "type", str, keys)
    kind = TYPES.get(cell_type, "unknown")
    name = doc.member(cell, "name", str, keys) or _v1_label(doc, cell, keys)
    found = Cell(diagram, keys, ident, kind, cell_type, name.strip(), cell, keys, cell)
    if kind in EDGES:
        found.source, first = _end(doc, cell, "source", "id", keys)
        found.target, second = _end(doc, cell, "target", "id", keys)
        found.ends = (first, second)
    else:
        found.rect = _rect(doc, cell, keys)
    _threats(doc, found, cell, keys)
    return found


def _ident(doc: ForeignDocument, cell: dict[str, Any], keys: tuple[Key, ...]) -> str:
    value = cell.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return doc.required(cell, "id", str, keys)


def _v2_label(doc: ForeignDocument, cell: dict[str, Any], keys: tuple[Key, ...]) -> str:
    attrs = doc.member(cell, "attrs", dict, keys) or {}
    for part in ("label", "text"):
        holder = attrs.get(part)
        if isinstance(holder, dict) and isinstance(holder.get("text"), str):
            return str(holder["text"])
    return _edge_label(doc, cell, keys, ("labelText", "label", "text"))


def _v1_label(doc: ForeignDocument, cell: dict[str, Any], keys: tuple[Key, ...]) -> str:
    attrs = doc.member(cell, "attrs", dict, keys) or {}
    holder = attrs.get("text")
    if isinstance(holder, dict) and isinstance(holder.get("text"), str):
        return str(holder["text"])
    return _edge_label(doc, cell, keys, ("text", "label"))


def _edge_label(doc: ForeignDocument, cell: dict[str, Any], keys: tuple[Key, ...], parts: tuple[str, ...]) -> str:
    labels = doc.member(cell, "labels", list, keys) or []
    for label in labels:
        if isinstance(label, str):
            return label
        attrs = label.get("attrs") if isinstance(label, dict) else None
        for part in parts:
            holder = attrs.get(part) if isinstance(attrs, dict) else None
            if isinstance(holder, dict) and isinstance(holder.get("text"), str):
                return str(holder["text"])
    return ""


def _end(doc: ForeignDocument, cell: dict[str, Any], side: str, ref: str,
         keys: tuple[Key, ...]) -> tuple[str | None, str]:
    """(the cell an edge end is attached to, how the end is given otherwise)."""
    end = doc.member(cell, side, dict, keys)
    if end is None:
        return None, "missing"
    target = end.get(ref)
    if target is None:
        point = (end.get("x"), end.get("y"))
        return None, f"a loose point ({point[0]}, {point[1]})" if point != (None, None) else "missing"
    return doc.expect(target, str, (*keys, side, ref)), ""


def _rect(doc: ForeignDocument, cell: dict[str, Any], keys: tuple[Key, ...]) -> Rect | None:
    position = doc.member(cell, "position", dict, keys)
    size = doc.member(cell, "size", dict, keys)
    if position is None or size is None:
        return None
    x = doc.member(position, "x", float, (*keys, "position"))
    y = doc.member(position, "y", float, (*keys, "position"))
    w = doc.member(size, "width", float, (*keys, "size"))
    h = doc.member(size, "height", float, (*keys, "size"))
    if x is None or y is None or w is None or h is None:
        return None
    return Rect(x, y, w, h)


def _threats(doc: ForeignDocument, cell: Cell, holder: dict[str, Any], keys: tuple[Key, ...]) -> None:
    """Append the threats under `holder["threats"]`; one already read from the other place is counted
    as a duplicate, not read twice (a file may carry both)."""
    threats = doc.member(holder, "threats", list, keys) or []
    for i, value in enumerate(threats):
        threat = doc.expect(value, dict, (*keys, "threats", i))
        if any(threat == seen for seen, _ in cell.threats):
            cell.duplicate_threats += 1
            continue
        cell.threats.append((threat, (*keys, "threats", i)))
