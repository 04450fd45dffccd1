"""The records of a threat-composer workspace, read with their types checked.

Every value is read through :class:`ForeignDocument` so that a wrong type is an InputError naming the
line and the key (`threats[3].numericId: expected a number`), never a TypeError later on. Keys the
format does not define are returned as `extra` so that the importer keeps them as notes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from threatloom.interop.reading import ForeignDocument, Key

# one metadata entry: its key and a text or a list of texts
Metadata = list[tuple[str, str | list[str]]]

_COMMON = {"id", "numericId", "displayOrder", "metadata", "tags", "content", "status"}
MAX_NUMBER = 2**53 - 1
THREAT_KEYS = {"id", "numericId", "displayOrder", "metadata", "tags", "threatSource", "prerequisites",
               "threatAction", "threatImpact", "impactedGoal", "impactedAssets", "statement", "customTemplate",
               "status"}


class Entry(msgspec.Struct):
    """An assumption or a mitigation: numbered text with metadata and tags."""

    uuid: str
    number: int
    order: float
    content: str
    status: str | None
    metadata: Metadata
    tags: list[str]
    keys: tuple[Key, ...]
    extra: dict[str, Any] = msgspec.field(default_factory=dict)


class Threat(msgspec.Struct):
    uuid: str
    number: int
    order: float
    source: str
    prerequisites: str
    action: str
    impact: str
    goals: list[str]
    assets: list[str]
    statement: str
    template: str
    status: str | None
    metadata: Metadata
    tags: list[str]
    keys: tuple[Key, ...]
    extra: dict[str, Any] = msgspec.field(default_factory=dict)

    def meta(self, key: str) -> str | list[str] | None:
        for name, value in self.metadata:
            if name == key:
                return value
        return None


class Link(msgspec.Struct):
    """`assumptionLinks` (kind Threat or Mitigation) and `mitigationLinks` (kind None)."""

    owner: str  # the assumption's or mitigation's UUID
    linked: str  # the UUID of the threat or mitigation it links to
    kind: str | None
    keys: tuple[Key, ...]


def records(document: ForeignDocument, data: dict[str, Any], key: str) -> list[tuple[dict[str, Any], tuple[Key, ...]]]:
    """The objects of the list `data[key]` (none when absent), each with its place in the file."""
    items = document.member(data, key, list, ()) or []
    out = []
    for i, item in enumerate(items):
        keys: tuple[Key, ...] = (key, i)
        out.append((document.expect(item, dict, keys), keys))
    return out


def entry(document: ForeignDocument, obj: dict[str, Any], keys: tuple[Key, ...], *,
          content_required: bool = True) -> Entry:
    content = (document.required(obj, "content", str, keys) if content_required
               else document.member(obj, "content", str, keys, "")) or ""
    return Entry(
        uuid=document.required(obj, "id", str, keys),
        number=number(document, obj, keys),
        order=document.member(obj, "displayOrder", float, keys, 0.0) or 0.0,
        content=content,
        status=document.member(obj, "status", str, keys),
        metadata=metadata(document, obj, keys),
        tags=texts(document, obj, "tags", keys),
        keys=keys,
        extra={k: v for k, v in obj.items() if k not in _COMMON})


def threat(document: ForeignDocument, obj: dict[str, Any], keys: tuple[Key, ...]) -> Threat:
    def text(name: str) -> str:
        return (document.member(obj, name, str, keys, "") or "").strip()

    return Threat(
        uuid=document.required(obj, "id", str, keys), number=number(document, obj, keys),
        order=document.member(obj, "displayOrder", float, keys, 0.0) or 0.0,
        source=text("threatSource"), prerequisites=text("prerequisites"), action=text("threatAction"),
        impact=text("threatImpact"), goals=texts(document, obj, "impactedGoal", keys),
        assets=texts(document, obj, "impactedAssets", keys), statement=text("statement"),
        template=text("customTemplate"), status=document.member(obj, "status", str, keys),
        metadata=metadata(document, obj, keys), tags=texts(document, obj, "tags", keys), keys=keys,
        extra={k: v for k, v in obj.items() if k not in THREAT_KEYS})


def links(document: ForeignDocument, data: dict[str, Any], key: str, owner_key: str) -> list[Link]:
    out = []
    for obj, keys in records(document, data, key):
        kind = document.member(obj, "type", str, keys) if owner_key == "assumptionId" else None
        out.append(Link(document.required(obj, owner_key, str, keys), document.required(obj, "linkedId", str, keys),
                        kind, keys))
    return out


def number(document: ForeignDocument, obj: dict[str, Any], keys: tuple[Key, ...]) -> int:
    """`numericId`: a whole number (JSON numbers may arrive as 3.0)."""
    value = document.required(obj, "numericId", float, keys)
    # threat-composer is JavaScript: a counter it wrote is a safe integer of JavaScript
    if value != int(value) or not 0 <= value <= MAX_NUMBER:
        raise document.error((*keys, "numericId"), f"expected a whole number from 0 to {MAX_NUMBER:,}, found "
                             f"{value:g}", "threat-composer numbers its items 1, 2, 3…", "import-type")
    return int(value)


def texts(document: ForeignDocument, obj: dict[str, Any], key: str, keys: tuple[Key, ...]) -> list[str]:
    """A list of texts, blanks dropped (threat-composer writes `[""]` for "not known")."""
    items = document.member(obj, key, list, keys) or []
    out = []
    for i, item in enumerate(items):
        value = document.expect(item, str, (*keys, key, i)).strip()
        if value:
            out.append(value)
    return out


def metadata(document: ForeignDocument, obj: dict[str, Any], keys: tuple[Key, ...]) -> Metadata:
    out: Metadata = []
    for i, item in enumerate(document.member(obj, "metadata", list, keys) or []):
        where = (*keys, "metadata", i)
        pair = document.expect(item, dict, where)
        name = document.required(pair, "key", str, where)
        value = pair.get("value")
        if isinstance(value, list):
            out.append((name, [document.expect(v, str, (*where, "value", j)) for j, v in enumerate(value)]))
        else:
            out.append((name, document.expect(value, str, (*where, "value")) if value is not None else ""))
    return out
