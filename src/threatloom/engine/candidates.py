"""The targets of one analysis indexed by the facts rules' guards test, so that each rule meets only the
targets where it can hold (see :mod:`threatloom.engine.guards`).

Targets keep a fixed order (by ID). The index of one fact (its value, or each member of a set-valued
fact, to the positions of the targets that have it) is built the first time a guard asks for it, and
each guard's answer is kept, since rules share many of them (`kind`, `type`,
`not: {kind: [browser, ...]}`). The facts guards test can be computed beforehand, target by target
(`warm`), and the rules turned into each target's list (`per_target`), so that the engine works through
one target at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from itertools import compress, repeat
from operator import eq, itemgetter
from typing import Any, Generic, TypeVar

from threatloom.engine.facts import ELEMENT_FACTS, FLOW_FACTS, LazyFacts
from threatloom.engine.guards import SET_KINDS, AllOf, AnyOf, Guard, Leaf, leaves

T = TypeVar("T")
R = TypeVar("R")
EMPTY: frozenset[int] = frozenset()
SMALL = 0.1  # a share of the targets small enough to evaluate the rule on, without indexing more facts
FEW = 8  # values of a fact few enough to index by one pass over the targets per value


class TargetIndex(Generic[T]):
    """`targets` in order, with `facts(target, side)` giving the facts of one side of a target (an element
    itself; a flow, its source or its destination)."""

    def __init__(self, targets: Sequence[T], facts: Callable[[T, str], LazyFacts]) -> None:
        self.targets = targets
        self._facts = facts
        self._sides: dict[str, list[LazyFacts]] = {}
        self._postings: dict[tuple[str, str], dict[Any, frozenset[int]]] = {}
        self._exact: dict[Guard, frozenset[int]] = {}
        self._loose: dict[Guard, frozenset[int]] = {}
        self._everything = frozenset(range(len(targets)))
        self._small = len(targets) * SMALL

    def warm(self, guards: Iterable[Guard | None]) -> None:
        """Compute now, target by target, the facts these guards test: the index of a fact reads it on
        every target, and reading one fact across all targets, then the next, runs half as fast as
        computing each target's facts together (their objects are at hand once, not once per fact)."""
        wanted: dict[str, dict[str, None]] = {}
        for guard in guards:
            if guard is not None:
                for leaf in leaves(guard):
                    wanted.setdefault(leaf.side, {})[leaf.fact] = None
        for side, names in wanted.items():
            for target_facts in self._side(side):
                target_facts.compute(names)

    def _side(self, side: str) -> list[LazyFacts]:
        facts = self._sides.get(side)
        if facts is None:
            facts = [self._facts(target, side) for target in self.targets]
            self._sides[side] = facts
        return facts

    def per_target(self, items: Sequence[tuple[R, Guard | None]]) -> list[list[R]]:
        """For each target in order, the items (in their order) whose guard lets it through."""
        chosen: list[list[R]] = [[] for _ in self.targets]
        for item, guard in items:
            positions = self._everything if guard is None else self._necessary(guard)
            for position in positions:
                chosen[position].append(item)
        return chosen

    def _necessary(self, guard: Guard) -> frozenset[int]:
        """The targets where `guard` holds, or a few more: an intersection stops once it is small, since the
        rule's own condition sorts out the rest more cheaply than an index of another fact would; the parts
        already indexed come first."""
        found = self._exact.get(guard)
        if found is not None:
            return found
        found = self._loose.get(guard)
        if found is not None:
            return found
        if isinstance(guard, AllOf):
            found = self._everything
            for part in sorted(guard.parts, key=lambda p: not self._ready(p)):
                if len(found) <= self._small:
                    break
                found = found & self._necessary(part)
        elif isinstance(guard, AnyOf):
            found = frozenset().union(*(self._necessary(p) for p in guard.parts))
        else:
            return self._positions(guard)
        self._loose[guard] = found
        return found

    def _ready(self, guard: Guard) -> bool:
        if isinstance(guard, Leaf):
            return (guard.side, guard.fact) in self._postings
        return guard in self._exact or guard in self._loose

    def _positions(self, guard: Guard) -> frozenset[int]:
        """Exactly the targets where `guard` holds (it is exact)."""
        found = self._exact.get(guard)
        if found is not None:
            return found
        if isinstance(guard, Leaf):
            postings = self._posting(guard.side, guard.fact)
            lists = [postings.get(v, EMPTY) for v in guard.values]
            if guard.every:
                found = frozenset.intersection(*lists) if lists else self._everything
            else:
                found = frozenset().union(*lists)
        elif isinstance(guard, AllOf):
            found = self._everything
            for part in guard.parts:
                found = found & self._positions(part)
        elif isinstance(guard, AnyOf):
            found = frozenset().union(*(self._positions(p) for p in guard.parts))
        else:
            found = self._everything - self._positions(guard.part)
        self._exact[guard] = found
        return found

    def _posting(self, side: str, fact: str) -> dict[Any, frozenset[int]]:
        """Each value of `fact` on `side` (each member, for a set-valued fact) to the positions having it."""
        key = (side, fact)
        found = self._postings.get(key)
        if found is not None:
            return found
        values = list(map(itemgetter(fact), self._side(side)))
        registry = FLOW_FACTS if side == "flow" else ELEMENT_FACTS
        if registry[fact][0].name in SET_KINDS:
            found = _group_members(values)
        else:
            distinct = set(values)
            if len(distinct) <= FEW:  # a pass per value, all of it in C, beats a Python loop over the targets
                positions = range(len(values))
                found = {d: frozenset(compress(positions, map(eq, values, repeat(d)))) for d in distinct}
            else:
                found = _group_members([(v,) for v in values])
        self._postings[key] = found
        return found


def _group_members(values: Sequence[Collection[Any]]) -> dict[Any, frozenset[int]]:
    """Each member of the sets in `values` to the positions of the sets that hold it."""
    building: dict[Any, list[int]] = {}
    for position, members in enumerate(values):
        for member in members:
            building.setdefault(member, []).append(position)
    return {member: frozenset(positions) for member, positions in building.items()}
