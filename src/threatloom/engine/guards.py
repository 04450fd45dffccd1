"""Guards: which targets a rule's condition can hold on, read from the condition itself.

The engine indexes rather than loops rules × targets: when a rule loads, its condition yields a guard,
a set expression over the discriminating facts it tests (`type`, `kind`, `party`, booleans, ordered
levels, enum and tag sets); at analysis the guard picks the candidates from an index of the targets by
those facts (:mod:`threatloom.engine.candidates`), and the compiled condition runs on those alone.

A guard never decides a rule: it is *necessary* (where the condition holds, the target is among the
guard's candidates), and the condition itself still runs on every candidate. Derivation follows the
condition's shape:

- a fact test on an indexable fact is a leaf, *exact* (its targets are exactly those where the test holds);
- several keys or `all` intersect what their parts need; a part without a guard (a text or number
  comparison) is left out, and the intersection is then no longer exact;
- `any` unites its parts' guards, and has none if one of its parts has none;
- `not` takes the complement of an exact guard, and has none otherwise.

Users' rules get the same guards: nothing here is written per rule.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any, ClassVar

import msgspec

from threatloom.engine.facts import ELEMENT_FACTS, FLOW_FACTS, FactKind

COMPARISONS = {"at_least": operator.ge, "at_most": operator.le, "above": operator.gt, "below": operator.lt}
SET_KINDS = ("enum-set", "text-set")
ELEMENT = "element"  # the side an element rule's facts are on; interactions: flow, source, destination


class Leaf(msgspec.Struct, frozen=True):
    """Targets whose fact `fact` (of the flow or of one of its ends: `side`) is one of `values`, or, for
    a set-valued fact, holds one of them (all of them when `every`)."""

    side: str
    fact: str
    values: frozenset[Any]
    every: bool = False
    exact: ClassVar[bool] = True  # a leaf mirrors its fact test exactly


class AllOf(msgspec.Struct, frozen=True):
    parts: tuple[Guard, ...]
    exact: bool


class AnyOf(msgspec.Struct, frozen=True):
    parts: tuple[Guard, ...]
    exact: bool


class NoneOf(msgspec.Struct, frozen=True):
    """Targets where an exact guard does not hold."""

    part: Guard
    exact: ClassVar[bool] = True  # built only from exact guards


Guard = Leaf | AllOf | AnyOf | NoneOf


def guard_of(node: Any, scope: str) -> Guard | None:
    """The guard of a condition that has compiled (so it is well formed) for `scope`, "element" or
    "interaction"; None when it constrains no indexable fact (every target is a candidate)."""
    if scope == ELEMENT:
        return _mapping(node, ELEMENT, ELEMENT)
    return _mapping(node, "interaction", "flow")


def leaves(guard: Guard) -> Iterator[Leaf]:
    """Every fact test in `guard`."""
    if isinstance(guard, Leaf):
        yield guard
    elif isinstance(guard, NoneOf):
        yield from leaves(guard.part)
    else:
        for part in guard.parts:
            yield from leaves(part)


def types_guard(types: tuple[str, ...]) -> Leaf:
    """The guard of an element rule's `element_types`."""
    return Leaf(ELEMENT, "type", frozenset(types))


def both(first: Guard | None, second: Guard | None) -> Guard | None:
    """Targets that both guards let through."""
    if first is None or second is None:
        return first or second
    return AllOf((first, second), first.exact and second.exact)


def _mapping(node: dict[str, Any], scope: str, side: str) -> Guard | None:
    return _all([_entry(key, value, scope, side) for key, value in node.items()])


def _all(parts: list[Guard | None]) -> Guard | None:
    kept = tuple(dict.fromkeys(p for p in parts if p is not None))
    if not kept:
        return None
    exact = all(p is not None and p.exact for p in parts)
    if len(kept) == 1 and kept[0].exact == exact:
        return kept[0]
    return AllOf(kept, exact)


def _any(parts: list[Guard | None]) -> Guard | None:
    if any(p is None for p in parts):
        return None
    kept = tuple(dict.fromkeys(p for p in parts if p is not None))
    if len(kept) == 1:
        return kept[0]
    return AnyOf(kept, all(p.exact for p in kept))


def _entry(key: str, value: Any, scope: str, side: str) -> Guard | None:
    if key == "all":
        return _all([_mapping(item, scope, side) for item in value])
    if key == "any":
        return _any([_mapping(item, scope, side) for item in value])
    if key == "not":
        inner = _mapping(value, scope, side)
        return NoneOf(inner) if inner is not None and inner.exact else None
    if scope == "interaction":
        if key in ("source", "destination"):
            return _mapping(value, ELEMENT, key)
        if key == "flow":
            return _mapping(value, "flow", "flow")
    registry = ELEMENT_FACTS if scope == ELEMENT else FLOW_FACTS
    return _fact(side, key, registry[key][0], value)


def _fact(side: str, name: str, kind: FactKind, spec: Any) -> Guard | None:
    """The leaf of one fact test, mirroring what :mod:`threatloom.engine.conditions` compiles it to."""
    if kind.name == "text" or (kind.name == "int" and isinstance(spec, dict)):
        return None  # case-insensitive text and number ranges are not indexed
    if isinstance(spec, dict):
        ((op, operand),) = spec.items()
        if op in COMPARISONS:  # an ordered fact: the levels that compare so; null never compares
            bound = kind.order.index(operand)
            return Leaf(side, name, frozenset(v for i, v in enumerate(kind.order) if COMPARISONS[op](i, bound)))
        items = frozenset(operand if isinstance(operand, list) else [operand])
        if op == "all_of":
            return Leaf(side, name, items, every=True)
        return NoneOf(Leaf(side, name, items))  # none_of
    return Leaf(side, name, frozenset(spec if isinstance(spec, list) else [spec]))
