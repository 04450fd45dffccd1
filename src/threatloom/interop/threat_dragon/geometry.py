"""Which trust boundary box an element sits in, and which box sits in which: plain rectangle geometry.

The rule (the same on import and, in reverse, on export):

- an element belongs to the innermost box that holds its centre point (edges included): the smallest
  by area, the first in the file among equal ones; an element whose centre is in no box has no zone;
- a box is nested in the smallest other box that holds all of it; two identical rectangles nest the
  later one in the earlier one, so nesting always forms a tree;
- trust boundary *curves* (lines) say nothing about which side an element is on: they give no zone.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec


class Rect(msgspec.Struct, frozen=True):
    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def holds_point(self, px: float, py: float) -> bool:
        return self.x <= px <= self.x + self.width and self.y <= py <= self.y + self.height

    def holds(self, other: Rect) -> bool:
        return (self.x <= other.x and self.y <= other.y and other.x + other.width <= self.x + self.width
                and other.y + other.height <= self.y + self.height)


def innermost(boxes: Sequence[Rect], rect: Rect) -> int | None:
    """Index of the box `rect`'s centre lies in, the smallest first; None when it lies in none."""
    px, py = rect.centre
    found = [(box.area, i) for i, box in enumerate(boxes) if box.holds_point(px, py)]
    return min(found)[1] if found else None


def parents(boxes: Sequence[Rect]) -> list[int | None]:
    """For each box, the index of the box it is nested in (None for an outermost box)."""
    result: list[int | None] = []
    for i, box in enumerate(boxes):
        # a candidate must be strictly larger, or equal and earlier: no box can then nest in itself
        around = [(other.area, j) for j, other in enumerate(boxes)
                  if j != i and other.holds(box) and (other.area > box.area or j < i)]
        result.append(min(around)[1] if around else None)
    return result
