"""Parts many threats of one analysis share (one score object for equal scores, one tuple of candidate
controls for equal candidates, a rule's reference tuples), each turned into output once per document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

P = TypeVar("P")
R = TypeVar("R")


class PerObject:
    """What a function makes of an object, made once per object and function for as long as this lives.

    Keyed by identity (the shared parts are the same objects, and hashing them would cost what it saves);
    each object is kept with what was made of it, so that its identity stays its own meanwhile."""

    def __init__(self) -> None:
        self._made: dict[tuple[int, Callable[..., Any]], tuple[object, Any]] = {}

    def get(self, part: P, make: Callable[[P], R]) -> R:
        key = (id(part), make)
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = (part, make(part))
        made: R = found[1]
        return made
