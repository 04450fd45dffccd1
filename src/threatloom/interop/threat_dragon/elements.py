"""Cells to model elements: trust boundary boxes to zones, actors, processes and stores to components
or parties, flows to flows, each with its Threat Dragon properties.

Properties without a field of their own become tags (flags rules and the export can test) or notes
about the element; see the package docstring for the full table.
"""

from __future__ import annotations

import json
from typing import Any

from threatloom.interop.draft import ModelDraft, long_text, short
from threatloom.interop.threat_dragon import words
from threatloom.interop.threat_dragon.cells import DERIVED_KEYS, LAYOUT_KEYS, Cell
from threatloom.interop.threat_dragon.context import Context, Element
from threatloom.interop.threat_dragon.geometry import Rect, innermost, parents
from threatloom.interop.threat_dragon.hints import HINTS, read_hints
from threatloom.model.schema import Component, Flow, Party, Zone
from threatloom.model.vocabulary import ComponentKind, Encryption

TOP_TRUST = 5  # a box that names no internet and sits in no other box
DEFAULT_NAMES = {"actor": "Actor", "process": "Process", "store": "Store", "flow": "Data flow"}
# what each kind of element may carry, beyond name, description, type, scope and threats
PROPERTIES = {
    "actor": {"providesAuthentication"},
    "process": {"handlesCardPayment", "handlesGoodsOrServices", "isWebApplication", "privilegeLevel"},
    "store": {"isALog", "storesCredentials", "isEncrypted", "isSigned", "storesInventory"},
    "flow": {"isBidirectional", "isEncrypted", "isPublicNetwork", "protocol"},
}
_HANDLED = {"name", "description", "type", "threats", "outOfScope", "reasonOutOfScope", "isTrustBoundary", HINTS}
_TLS_PROTOCOLS = ("https", "http/s", "tls", "ssl", "ftps", "wss", "ldaps", "smtps", "imaps", "grpcs")


def add_zones(ctx: Context, boxes: list[Cell]) -> list[tuple[Rect, str]]:
    """One zone per trust boundary box, nested as the boxes are; (rectangle, zone ID) to place elements."""
    placed = [b for b in boxes if b.rect is not None]
    nesting = parents([b.rect for b in placed if b.rect is not None])
    parent_of = {placed[i].key: placed[p].key for i, p in enumerate(nesting) if p is not None}
    trust: dict[str, int] = {}
    ordered = sorted(boxes, key=lambda b: _depth(b.key, parent_of))  # parents first, for their trust
    for n, box in enumerate(ordered, start=1):
        name = short(box.name) or f"Trust boundary {n}"
        zone_id = ctx.element_id(box, "zone", name)
        parent_key = parent_of.get(box.key)
        parent = ctx.draft.ours("cell", parent_key) if parent_key else None
        hints = read_hints(ctx.doc, box.props, box.props_keys)
        internet = hints.get("internet", words.internet_name(name))
        trust[box.key] = hints.get("trust", 0 if internet else min(10, trust[parent_key] + 1) if parent_key
                                   else TOP_TRUST)
        ctx.draft.add("zones", {"id": zone_id, "name": name, "description": _text(ctx, box, "description"),
                                "trust": trust[box.key], "parent": parent, "internet": internet or None})
        ctx.report.map("trust boundary box")
        _box_properties(ctx, box, zone_id)
        if box.rect is None:
            ctx.note(zone_id, box.keys, "This trust boundary box has no position or size, so no element could "
                     "be placed in it.")
    return [(b.rect, ctx.draft.ours("cell", b.key) or "") for b in placed if b.rect is not None]


def _box_properties(ctx: Context, box: Cell, zone_id: str) -> None:
    for key in sorted(box.props):
        if key in _HANDLED or key in LAYOUT_KEYS:
            continue
        if key in DERIVED_KEYS:
            ctx.report.skip("derived", f"{box.title}: {key} (Threat Dragon recomputes it from the threats)")
        else:
            ctx.note(zone_id, (*box.props_keys, key), f"Threat Dragon property {key}: {box.props[key]}")
            ctx.report.keep_as_note("property", f"{box.title}: {key}")
    _scope_and_extras(ctx, box, zone_id)


def _depth(key: str, parent_of: dict[str, str]) -> int:
    depth = 0
    while key in parent_of:
        key, depth = parent_of[key], depth + 1
    return depth


def zone_of(cell: Cell, zones: list[tuple[Rect, str]]) -> str | None:
    if cell.rect is None:
        return None
    found = innermost([rect for rect, _ in zones], cell.rect)
    return zones[found][1] if found is not None else None


def add_node(ctx: Context, cell: Cell, zone: str | None) -> None:
    """An actor, process or store: a component, or (an actor naming people) a party of the environment."""
    name = short(cell.name) or DEFAULT_NAMES[cell.kind]
    description = _text(ctx, cell, "description")
    hints = read_hints(ctx.doc, cell.props, cell.props_keys)
    party_kind = None
    if cell.kind == "actor" and "kind" not in hints:
        party_kind = hints.get("party") or words.party_kind(name)
    ident = ctx.element_id(cell, cell.kind)
    item: dict[str, Any]
    if party_kind is not None:
        trust = hints.get("trust", words.PARTY_TRUST[party_kind])
        item = ctx.draft.add("environment", {"id": ident, "name": name, "description": description,
                                             "kind": party_kind.value, "trust": trust, "zone": zone})
    else:
        kind = hints.get("kind") or _kind(ctx, cell, name)
        item = ctx.draft.add("components", {"id": ident, "name": name, "description": description,
                                            "type": _TYPES[cell.kind], "kind": kind.value, "zone": zone})
    ctx.elements[cell.key] = Element(ident, name, cell.kind, item, party_kind is not None)
    ctx.report.map(cell.kind if party_kind is None else "actor (as a party)")
    _properties(ctx, cell, ctx.elements[cell.key])


_TYPES = {"actor": "external-entity", "process": "process", "store": "data-store"}


def _kind(ctx: Context, cell: Cell, name: str) -> ComponentKind:
    def flag(key: str) -> bool:
        return ctx.doc.member(cell.props, key, bool, cell.props_keys) is True

    if cell.kind == "store":
        return ComponentKind.LOG_STORE if flag("isALog") else \
            words.kind_from_name(name, words.STORE_KINDS, ComponentKind.OTHER)
    if cell.kind == "process":
        return ComponentKind.WEB_APPLICATION if flag("isWebApplication") else \
            words.kind_from_name(name, words.PROCESS_KINDS, ComponentKind.SERVICE)
    if flag("providesAuthentication"):
        return ComponentKind.IDENTITY_PROVIDER
    return words.kind_from_name(name, words.EXTERNAL_KINDS, ComponentKind.OTHER)


def add_flow(ctx: Context, cell: Cell) -> Element | None:
    """A flow between two imported elements; a flow missing an end is kept as a note, not dropped."""
    source, target = ctx.elements.get(f"{cell.diagram}/{cell.source}"), ctx.elements.get(
        f"{cell.diagram}/{cell.target}")
    name = short(cell.name)
    problem = _end_problem(ctx, cell, "source", cell.source, source, cell.ends[0]) or \
        _end_problem(ctx, cell, "target", cell.target, target, cell.ends[1])
    if problem is None and source is not None and target is not None and source.id == target.id:
        problem = f"it goes from {source.name!r} back to itself, which a model flow cannot"
    if problem is not None or source is None or target is None:
        ctx.note(None, cell.keys, f"Data flow {name or cell.id!r} was not imported: {problem}. "
                 f"{_describe(ctx, cell)}".strip())
        ctx.report.keep_as_note("flow", f"{name or cell.id}: {problem}")
        return None
    name = name or f"{source.name} to {target.name}"
    ident = ctx.element_id(cell, "flow", " ".join(name.split()[:6]))  # long labels make long IDs
    item = ctx.draft.add("flows", {"id": ident, "name": name, "description": _text(ctx, cell, "description"),
                                   "source": source.id, "destination": target.id})
    element = Element(ident, name, "flow", item, False)
    ctx.elements[cell.key] = element
    ctx.report.map("flow")
    _properties(ctx, cell, element, target)
    return element


def _end_problem(ctx: Context, cell: Cell, side: str, ref: str | None, found: Element | None,
                 given: str) -> str | None:
    if found is not None:
        return None
    if ref is None:
        return f"its {side} is {given or 'missing'}"
    other = ctx.cells.get(f"{cell.diagram}/{ref}")
    if other is None:
        return f"its {side} names cell {ref!r}, which the diagram does not hold"
    return f"its {side} is {other.label} {other.title!r}, not an actor, process or store"


def _describe(ctx: Context, cell: Cell) -> str:
    parts = [f"{key}: {value}" for key, value in sorted(cell.props.items())
             if key not in LAYOUT_KEYS | DERIVED_KEYS | {"name", "threats", "type"} and value not in ("", None, False)]
    return "Its properties: " + "; ".join(parts) + "." if parts else ""


def _text(ctx: Context, cell: Cell, key: str) -> str | None:
    return long_text(ctx.doc.member(cell.props, key, str, cell.props_keys)) or None


def _properties(ctx: Context, cell: Cell, element: Element, target: Element | None = None) -> None:
    """Map, tag or note every property of an element, and count what is left as layout or derived."""
    item, doc, where = element.item, ctx.doc, cell.props_keys
    allowed = PROPERTIES[element.kind]
    for key in sorted(cell.props):
        value = cell.props[key]
        if key in _HANDLED or key in LAYOUT_KEYS:
            continue
        if key in DERIVED_KEYS:
            ctx.report.skip("derived", f"{cell.title}: {key} (Threat Dragon recomputes it from the threats)")
        elif key not in allowed:
            ctx.note(element.id, (*where, key), f"Threat Dragon property {key}: {value}")
            ctx.report.keep_as_note("property", f"{cell.title}: {key}")
        elif key == "privilegeLevel":
            level = doc.expect(value, str, (*where, key))
            if level.strip():
                ctx.note(element.id, (*where, key), f"Privilege level (Threat Dragon): {level.strip()}")
                ctx.report.keep_as_note("property", f"{cell.title}: privilegeLevel")
        elif key == "protocol":
            protocol = short(doc.expect(value, str, (*where, key)))
            if protocol:
                item["protocol"] = protocol
                ctx.report.map("property")
        else:
            _flag(ctx, cell, element, key, doc.expect(value, bool, (*where, key)), target)
    if element.kind == "flow":
        encryption = _encryption(item.get("protocol", ""), cell.props.get("isEncrypted") is True)
        if encryption is not Encryption.UNKNOWN:
            item["encryption"] = encryption.value
    _scope_and_extras(ctx, cell, element.id)


def _flag(ctx: Context, cell: Cell, element: Element, key: str, on: bool, target: Element | None) -> None:
    ctx.report.map("property")
    if not on:
        return  # Threat Dragon writes every flag, false by default: false records nothing
    item = element.item
    if key == "storesCredentials":
        item.setdefault("stores", []).append(ctx.asset("credentials"))
    elif key == "handlesCardPayment":
        item.setdefault("processes", []).append(ctx.asset("payment-card-data"))
        _tag(item, "handles-card-payment")
    elif key == "isEncrypted" and element.kind == "store":
        item["encryption_at_rest"] = True
    elif key == "isBidirectional":
        item["bidirectional"] = True
    elif key == "isPublicNetwork":
        _tag(item, "public-network")
        if target is not None and not target.party:
            target.item["internet_facing"] = True  # it accepts this flow over a public network
    elif key == "providesAuthentication" and element.party:
        _tag(item, "provides-authentication")
    elif key in TAGS:
        _tag(item, TAGS[key])


# flags without a field of their own, kept as tags the export writes back
TAGS = {"isSigned": "signed", "storesInventory": "stores-inventory",
        "handlesGoodsOrServices": "handles-goods-or-services"}


def _tag(item: dict[str, Any], tag: str) -> None:
    tags = item.setdefault("tags", [])
    if tag not in tags:
        tags.append(tag)


def _encryption(protocol: str, encrypted: bool) -> Encryption:
    """isEncrypted and the protocol: an encrypted flow is TLS unless its protocol says SSH or a VPN; an
    unflagged one is TLS when its protocol is, else unknown (Threat Dragon writes false by default)."""
    text = protocol.lower()
    if "ssh" in text or "sftp" in text or "scp" in text:
        return Encryption.SSH
    if encrypted and ("ipsec" in text or "vpn" in text or "wireguard" in text):
        return Encryption.VPN
    if encrypted and ("mtls" in text or "mutual" in text):
        return Encryption.MUTUAL_TLS
    if encrypted or any(p in text for p in _TLS_PROTOCOLS):
        return Encryption.TLS
    return Encryption.UNKNOWN


def _scope_and_extras(ctx: Context, cell: Cell, about: str) -> None:
    """Out of scope (a field on components, a tag and a note elsewhere), isTrustBoundary on elements,
    and keys of the cell no version of Threat Dragon writes."""
    doc, where = ctx.doc, cell.props_keys
    out = doc.member(cell.props, "outOfScope", bool, where) is True
    reason = (doc.member(cell.props, "reasonOutOfScope", str, where) or "").strip()
    element = ctx.elements.get(cell.key)
    if "outOfScope" in cell.props and not out:
        ctx.report.map("property")
    if out and element is not None and not element.party and element.kind != "flow":
        element.item["out_of_scope"] = True
        element.item["out_of_scope_reason"] = reason or "Marked out of scope in Threat Dragon (no reason given)."
        ctx.report.map("property")
    elif out:
        if element is not None:
            _tag(element.item, "out-of-scope")
        ctx.note(about, (*where, "outOfScope"), "Out of scope in Threat Dragon" + (f": {reason}" if reason else
                 " (no reason given)") + "; threatloom still analyses it.")
        ctx.report.keep_as_note("property", f"{cell.title}: outOfScope")
    elif reason:
        ctx.note(about, (*where, "reasonOutOfScope"), f"Reason out of scope (while in scope): {reason}")
        ctx.report.keep_as_note("property", f"{cell.title}: reasonOutOfScope")
    boundary = doc.member(cell.props, "isTrustBoundary", bool, where)
    if boundary and cell.kind not in ("boundary-box", "boundary-line"):
        ctx.note(about, (*where, "isTrustBoundary"), "Marked as a trust boundary in Threat Dragon.")
        ctx.report.keep_as_note("property", f"{cell.title}: isTrustBoundary")
    for key in cell.unknown_keys:
        ctx.note(about, (*cell.keys, key), f"Threat Dragon cell key {key}: {cell_value(cell, ctx, key)}")
        ctx.report.keep_as_note("property", f"{cell.title}: {key}")


def summary_of(cell: Cell) -> str:
    """The cell's properties as JSON, without its drawing, for a note."""
    kept = {k: v for k, v in cell.props.items() if k not in LAYOUT_KEYS or k in ("type", "threats")}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)[:5000]


def cell_value(cell: Cell, ctx: Context, key: str) -> str:
    return json.dumps(cell.raw.get(key), ensure_ascii=False, sort_keys=True)[:2000]


_ORDER = {"zones": list(Zone.model_fields), "environment": list(Party.model_fields),
          "components": list(Component.model_fields), "flows": list(Flow.model_fields)}


def tidy(draft: ModelDraft) -> None:
    """Fields in the order of the model reference (flags set late, like tags, would otherwise come first)."""
    for section, order in _ORDER.items():
        for item in draft.sections[section]:
            ordered = {key: item[key] for key in order if key in item}
            item.clear()
            item.update(ordered)
