"""Where the export draws each element and trust boundary box: a grid per zone, boxes around zones.

Each zone is a box holding its own elements on a grid of up to four columns and, below them, the
boxes of its child zones side by side; elements in no zone sit on a grid above the zones, and the
outermost boxes fill rows about 1,600 units wide. An element's centre lies inside its own zone's box
and no child's, so importing the export back gives every element its zone again (see
:mod:`.geometry`).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from threatloom.interop.threat_dragon.geometry import Rect

SLOT_W, SLOT_H = 220, 150  # one element's place on the grid
COLUMNS = 4
FREE_COLUMNS = 6  # for elements in no zone
PAD, TOP, GAP = 30, 50, 40  # inside a box; room for its label; between boxes
ROW_WIDTH = 1600
MARGIN = 40
SIZES = {"process": (100, 100), "store": (160, 80), "actor": (160, 80)}


class Node(msgspec.Struct, frozen=True):
    id: str
    shape: str  # actor, process or store
    zone: str | None


class Layout(msgspec.Struct):
    nodes: dict[str, Rect]
    boxes: dict[str, Rect]  # zone ID -> its box
    depth: dict[str, int]  # zone ID -> nesting depth, 0 for an outermost zone


def lay_out(nodes: Sequence[Node], zones: Sequence[tuple[str, str | None]]) -> Layout:
    """Positions for `nodes` and the boxes of `zones` ((zone ID, parent ID) in model order)."""
    known = {z for z, _ in zones}
    children: dict[str | None, list[str]] = {}
    for zone, parent in zones:
        children.setdefault(parent if parent in known else None, []).append(zone)
    members: dict[str | None, list[Node]] = {}
    for node in nodes:
        members.setdefault(node.zone if node.zone in known else None, []).append(node)
    out = Layout({}, {}, {})
    sizes: dict[str, tuple[float, float]] = {}

    def measure(zone: str) -> tuple[float, float]:
        grid_w, grid_h = _grid(len(members.get(zone, [])), COLUMNS)
        kids = [measure(child) for child in children.get(zone, [])]
        kids_w = sum(w for w, _ in kids) + GAP * max(0, len(kids) - 1)
        kids_h = max((h for _, h in kids), default=0)
        width = 2 * PAD + max(grid_w, kids_w, SLOT_W)
        height = TOP + grid_h + (GAP + kids_h if kids else 0) + PAD
        sizes[zone] = (width, height)
        return sizes[zone]

    def place(zone: str, x: float, y: float, depth: int) -> None:
        width, height = sizes[zone]
        out.boxes[zone], out.depth[zone] = Rect(x, y, width, height), depth
        _place_grid(out, members.get(zone, []), x + PAD, y + TOP, COLUMNS)
        grid_h = _grid(len(members.get(zone, [])), COLUMNS)[1]
        child_x, child_y = x + PAD, y + TOP + grid_h + (GAP if grid_h else 0)
        for child in children.get(zone, []):
            place(child, child_x, child_y, depth + 1)
            child_x += sizes[child][0] + GAP

    free = members.get(None, [])
    _place_grid(out, free, MARGIN, MARGIN, FREE_COLUMNS)
    x, y = float(MARGIN), MARGIN + _grid(len(free), FREE_COLUMNS)[1] + (GAP if free else 0)
    row_h = 0.0
    for zone in children.get(None, []):
        width, height = measure(zone)
        if x > MARGIN and x + width > ROW_WIDTH:
            x, y, row_h = MARGIN, y + row_h + GAP, 0.0
        place(zone, x, y, 0)
        x, row_h = x + width + GAP, max(row_h, height)
    return out


def _grid(count: int, columns: int) -> tuple[float, float]:
    if count == 0:
        return 0, 0
    return min(count, columns) * SLOT_W, -(-count // columns) * SLOT_H


def _place_grid(out: Layout, nodes: Sequence[Node], x: float, y: float, columns: int) -> None:
    for i, node in enumerate(nodes):
        width, height = SIZES[node.shape]
        col, row = i % columns, i // columns
        out.nodes[node.id] = Rect(x + col * SLOT_W + (SLOT_W - width) / 2, y + row * SLOT_H + (SLOT_H - height) / 2,
                                  width, height)
