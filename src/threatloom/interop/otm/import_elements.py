"""OTM trust zones, assets, components and dataflows → model zones, assets, components (or parties)
and flows.

Components may sit inside other components in OTM; threatloom has no nesting, so a component takes the
nearest enclosing trust zone and the nesting is kept as a note. A dataflow that ends at a trust zone
gets an external entity standing for the zone (threatloom flows join elements); one that names an ID
the file does not define is an error.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from threatloom.interop.draft import long_text, reserve_id, short, slug
from threatloom.interop.otm.carry import carried as carried_of
from threatloom.interop.otm.carry import ordered, restore
from threatloom.interop.otm.context import KNOWN_KEYS, ImportContext
from threatloom.interop.otm.kinds import classify
from threatloom.interop.otm.scales import level_from_value, trust_from_rating
from threatloom.interop.reading import Key
from threatloom.model.schema import Asset, Component, Flow, Party, Zone
from threatloom.model.vocabulary import AssetKind, Classification, ComponentKind, ElementType, Level

# IriusRisk's fixed ID of its "Internet" trust zone, which StartLeft writes without a type
IRIUSRISK_INTERNET = "f0ba7722-39b6-4c81-8290-a30a248bb8d9"
_CLASSIFICATION = {Level.LOW: Classification.PUBLIC, Level.MEDIUM: Classification.INTERNAL,
                   Level.HIGH: Classification.CONFIDENTIAL, Level.CRITICAL: Classification.RESTRICTED}
_CREDENTIAL_WORDS = ("password", "credential", "secret", "api key", "api-key", "token", "private key")


def _parent(ctx: ImportContext, obj: dict[str, Any], keys: tuple[Key, ...], *,
            required: bool) -> tuple[str, str, tuple[Key, ...]] | None:
    """("trustZone" | "component", OTM ID, keys of the ID) of an OTM parent object (both the 0.2 form,
    `trustZone: ID`, and the 0.1 form, `id: ID, type: trustZone`)."""
    doc = ctx.document
    parent = doc.required(obj, "parent", dict, keys) if required else doc.member(obj, "parent", dict, keys)
    if parent is None:
        return None
    here = (*keys, "parent")
    for kind in ("trustZone", "component"):
        if parent.get(kind) is not None:
            return kind, doc.expect(parent[kind], str, (*here, kind)), (*here, kind)
    if parent.get("id") is not None:
        kind = slug(doc.required(parent, "type", str, here))
        found = {"trustzone": "trustZone", "trust-zone": "trustZone", "component": "component"}.get(kind)
        if found is not None:
            return found, doc.expect(parent["id"], str, (*here, "id")), (*here, "id")
    raise doc.error(here, "a parent names a `trustZone` or a `component`", "e.g. `parent: {trustZone: internet}`",
                    "import-parent")


# -- trust zones ---------------------------------------------------------------------------------------

def read_zones(ctx: ImportContext, root: dict[str, Any]) -> None:
    doc, pending = ctx.document, []
    for i, zone in enumerate(ctx.items(root, "trustZones", ())):
        keys: tuple[Key, ...] = ("trustZones", i)
        otm_id = doc.required(zone, "id", str, keys)
        name = doc.required(zone, "name", str, keys)
        rating = ctx.number(doc.required(zone, "risk", dict, keys), "trustRating", (*keys, "risk"))
        carry = carried_of(doc, zone, keys)
        if otm_id in ctx.zones or otm_id in ctx.placeholder_zones:
            raise doc.error((*keys, "id"), f"trust zone ID {otm_id!r} is defined twice", "IDs must be unique",
                            "import-duplicate")
        if carry is not None and carry.get("placeholder") is True:
            ctx.placeholder_zones.add(otm_id)
            ctx.report.skip("trust zone", f"{name}: stands in, in OTM, for threatloom's elements without a zone")
            continue
        ours = ctx.our_id("zone", otm_id, name, "zone", exact=carry is not None)
        ctx.zones[otm_id] = ours
        pending.append((keys, zone, otm_id, ours, name, rating, carry))
    for keys, zone, otm_id, ours, name, rating, carry in pending:
        where = f"trustZones[{keys[1]}] ({name})"
        item: dict[str, Any] = {"id": ours, "name": short(name) or ours,
                                "description": long_text(ctx.text(zone, "description", keys)),
                                "trust": trust_from_rating(rating)}
        parent = _parent(ctx, zone, keys, required=False)
        if parent is not None and parent[0] == "trustZone" and parent[1] not in ctx.placeholder_zones:
            if parent[1] not in ctx.zones:
                raise doc.error(parent[2], f"unknown trust zone {parent[1]!r}", "a parent names a trust zone of "
                                "the file", "import-reference")
            item["parent"] = ctx.zones[parent[1]]
        elif parent is not None and parent[0] == "component":
            ctx.note("trust zone", ours, f"{where}.parent", f"in OTM this zone lies inside component {parent[1]}; "
                     "threatloom nests zones only in zones")
        zone_type = ctx.text(zone, "type", keys)
        if carry is not None:
            item = restore(doc, keys, Zone, {**item, **carry})
        else:
            internet = slug(zone_type) == "internet" or slug(name) == "internet" or otm_id == IRIUSRISK_INTERNET
            if internet:
                item["internet"] = True
            elif zone_type:
                ctx.note("trust zone", ours, f"{where}.type", f"OTM zone type: {zone_type}")
        ctx.attributes(zone, keys, ours, where)
        ctx.extras(zone, KNOWN_KEYS["trustZone"], ours, where)
        ctx.element_representations(zone, keys, ours, where)
        ctx.draft.add("zones", ordered(Zone, item))
        ctx.report.map("trust zone")
    _break_zone_cycles(ctx)


def _break_zone_cycles(ctx: ImportContext) -> None:
    zones = {z["id"]: z for z in ctx.draft.sections["zones"]}
    for zone in zones.values():
        seen, current = {zone["id"]}, zone
        while current.get("parent") in zones:
            if current["parent"] in seen:
                ctx.note("trust zone", current["id"], f"zone {current['name']}",
                         f"its parent {current.pop('parent')} would nest the zone inside itself; parent dropped")
                break
            seen.add(current["parent"])
            current = zones[current["parent"]]


# -- assets --------------------------------------------------------------------------------------------

def read_assets(ctx: ImportContext, root: dict[str, Any]) -> None:
    doc = ctx.document
    for i, asset in enumerate(ctx.items(root, "assets", ())):
        keys: tuple[Key, ...] = ("assets", i)
        otm_id = doc.required(asset, "id", str, keys)
        name = doc.required(asset, "name", str, keys)
        risk = doc.required(asset, "risk", dict, keys)
        levels = {p: level_from_value(ctx.number(risk, p, (*keys, "risk"))).value
                  for p in ("confidentiality", "integrity", "availability")}
        comment = ctx.text(risk, "comment", (*keys, "risk"))
        description = ctx.text(asset, "description", keys)
        carry = carried_of(doc, asset, keys)
        if otm_id in ctx.assets:
            raise doc.error((*keys, "id"), f"asset ID {otm_id!r} is defined twice", "IDs must be unique",
                            "import-duplicate")
        if carry is not None:  # threatloom wrote it: the asset keeps its ID (assets have their own namespace)
            ours = reserve_id(ctx.draft, otm_id, foreign=("asset", otm_id))
        else:
            ours = ctx.our_id("asset", otm_id, name, "asset", exact=False)
        ctx.assets[otm_id] = ours
        where = f"assets[{i}] ({name})"
        item: dict[str, Any] = {"id": ours, "name": short(name) or ours,
                                "description": long_text(description or comment), **levels}
        if carry is not None:
            item = restore(doc, keys, Asset, {**item, **carry})
        else:
            item["classification"] = _CLASSIFICATION[Level(levels["confidentiality"])].value
            words = f" {name} {description} ".lower()
            if any(w in words for w in _CREDENTIAL_WORDS):
                item["kind"] = AssetKind.CREDENTIAL.value
        if comment and description:
            ctx.note("asset", ours, f"{where}.risk.comment", comment)
        ctx.attributes(asset, keys, ours, where)
        ctx.extras(asset, KNOWN_KEYS["asset"], ours, where)
        ctx.draft.add("assets", ordered(Asset, item))
        ctx.report.map("asset")


def _asset_ids(ctx: ImportContext, values: list[str], keys: tuple[Key, ...]) -> list[str]:
    out = []
    for i, value in enumerate(values):
        if value not in ctx.assets:
            raise ctx.document.error((*keys, i), f"unknown asset {value!r}", "name an asset of the file's `assets`",
                                     "import-reference")
        out.append(ctx.assets[value])
    return out


# -- components ----------------------------------------------------------------------------------------

def read_components(ctx: ImportContext, root: dict[str, Any]) -> None:
    doc = ctx.document
    components = ctx.items(root, "components", ())
    parents: dict[str, tuple[str, str, tuple[Key, ...]]] = {}
    read: list[tuple[str, str, bool]] = []
    for i, comp in enumerate(components):
        keys: tuple[Key, ...] = ("components", i)
        otm_id = doc.required(comp, "id", str, keys)
        name = doc.required(comp, "name", str, keys)
        doc.required(comp, "type", str, keys)
        if otm_id in parents:
            raise doc.error((*keys, "id"), f"component ID {otm_id!r} is defined twice", "IDs must be unique",
                            "import-duplicate")
        parent = _parent(ctx, comp, keys, required=True)
        assert parent is not None
        parents[otm_id] = parent
        read.append((otm_id, name, carried_of(doc, comp, keys) is not None))
    names = Counter(name for _id, name, _carried in read)
    by_id = {otm_id: name for otm_id, name, _carried in read}
    for otm_id, name, carried in read:
        kind, parent_id, _keys = parents[otm_id]
        readable = name
        if names[name] > 1 and kind == "component" and parent_id in by_id:
            readable = f"{name} in {by_id[parent_id]}"  # StartLeft repeats names per subnet
        ctx.components[otm_id] = ctx.our_id("component", otm_id, readable, "component", exact=carried)
    memo: dict[str, tuple[str | None, list[str]]] = {}
    for i, comp in enumerate(components):
        _component(ctx, comp, ("components", i), parents, memo)


_AROUND = 5  # enclosing components named in a nesting note


def _zone_of(ctx: ImportContext, otm_id: str, parents: dict[str, tuple[str, str, tuple[Key, ...]]],
             memo: dict[str, tuple[str | None, list[str]]]) -> tuple[str | None, list[str]]:
    """The nearest enclosing trust zone (ours) of a component, and the first few components around it,
    innermost first. Walked without recursion, and every component on the way is remembered (`memo`),
    so a hostile file with a deep chain costs linear time."""
    chain = [otm_id]
    on_chain = {otm_id}
    kind, parent, keys = parents[otm_id]
    while kind == "component" and parent not in memo:
        if parent not in ctx.components:
            raise ctx.document.error(keys, f"unknown parent component {parent!r}", "a parent names a component "
                                     "or trust zone of the file", "import-reference")
        if parent in on_chain:
            raise ctx.document.error(keys, f"component {chain[-1]!r} is nested inside itself",
                                     "component parents must form a tree", "import-cycle")
        chain.append(parent)
        on_chain.add(parent)
        kind, parent, keys = parents[parent]
    if kind == "component":
        zone, around = memo[parent]
        around = [parent, *around][:_AROUND]
    elif parent in ctx.placeholder_zones:
        zone, around = None, []
    elif parent in ctx.zones:
        zone, around = ctx.zones[parent], []
    else:
        raise ctx.document.error(keys, f"unknown trust zone {parent!r}", "a parent names a trust zone of the file",
                                 "import-reference")
    for inner in reversed(chain):  # outermost first, so each takes the one around it
        memo[inner] = (zone, around)
        around = [inner, *around][:_AROUND]
    return memo[otm_id]


def _component(ctx: ImportContext, comp: dict[str, Any], keys: tuple[Key, ...],
               parents: dict[str, tuple[str, str, tuple[Key, ...]]],
               memo: dict[str, tuple[str | None, list[str]]]) -> None:
    doc = ctx.document
    otm_id, name, otm_type = comp["id"], comp["name"], comp["type"]
    ours = ctx.components[otm_id]
    where = f"components[{keys[1]}] ({name})"
    zone, around = _zone_of(ctx, otm_id, parents, memo)
    tags = ctx.strings(comp, "tags", keys)
    held = doc.member(comp, "assets", dict, keys) or {}
    processed = _asset_ids(ctx, ctx.strings(held, "processed", (*keys, "assets")), (*keys, "assets", "processed"))
    stored = _asset_ids(ctx, ctx.strings(held, "stored", (*keys, "assets")), (*keys, "assets", "stored"))
    carry = carried_of(doc, comp, keys)
    base: dict[str, Any] = {"id": ours, "name": short(name) or ours,
                            "description": long_text(ctx.text(comp, "description", keys)), "zone": zone,
                            "tags": tags}
    if carry is not None and carry.get("element") == "party":
        rest = {k: v for k, v in carry.items() if k != "element"}
        item = restore(doc, keys, Party, {**base, "receives": list(dict.fromkeys(processed + stored)), **rest})
        ctx.draft.add("environment", ordered(Party, item))
        ctx.element_assets[ours] = list(item.get("receives", []))
        ctx.report.map("component")
    else:
        item = {**base, "stores": stored, "processes": processed}
        if carry is not None:
            item = restore(doc, keys, Component, {**item, **{k: v for k, v in carry.items() if k != "element"}})
        else:
            found = classify(otm_type, tags, name)
            item.update({"type": found.type.value, "kind": found.kind.value, "technology": found.technology})
            if found.matched is None:
                ctx.note("component", ours, f"{where}.type", f"OTM type {otm_type!r}: no threatloom kind fits, so "
                         f"it is a {found.type.value} of kind other; set `type` and `kind` by hand")
            elif found.kind is ComponentKind.OTHER and found.type is ElementType.PROCESS:
                ctx.note("component", ours, f"{where}.type", f"OTM type {otm_type!r} (read as a process of kind "
                         "other)")
        ctx.draft.add("components", ordered(Component, item))
        ctx.element_assets[ours] = list(dict.fromkeys([*item.get("stores", []), *item.get("processes", [])]))
        ctx.report.map("component")
    ctx.component_zone[ours] = zone
    if around:
        names = " inside ".join(ctx.components[c] for c in around)
        ctx.note("component", ours, f"{where}.parent", f"in OTM this component is nested inside {names}; threatloom "
                 "has no nesting, so it sits in the nearest enclosing trust zone")
    _instances(ctx, comp, keys, ours)
    ctx.element_representations(comp, keys, ours, where)
    ctx.attributes(comp, keys, ours, where)
    ctx.extras(comp, KNOWN_KEYS["component"], ours, where)


def _instances(ctx: ImportContext, obj: dict[str, Any], keys: tuple[Key, ...], ours: str) -> None:
    found = ctx.document.member(obj, "threats", list, keys)
    if found:
        ctx.instances.append(((*keys, "threats"), ours, found))


# -- dataflows -----------------------------------------------------------------------------------------

def read_flows(ctx: ImportContext, root: dict[str, Any]) -> None:
    doc = ctx.document
    for i, flow in enumerate(ctx.items(root, "dataflows", ())):
        keys: tuple[Key, ...] = ("dataflows", i)
        otm_id = doc.required(flow, "id", str, keys)
        name = doc.required(flow, "name", str, keys)
        if otm_id in ctx.flows:
            raise doc.error((*keys, "id"), f"dataflow ID {otm_id!r} is defined twice", "IDs must be unique",
                            "import-duplicate")
        where = f"dataflows[{i}] ({name})"
        source = _end(ctx, doc.required(flow, "source", str, keys), (*keys, "source"), where)
        destination = _end(ctx, doc.required(flow, "destination", str, keys), (*keys, "destination"), where)
        data = _asset_ids(ctx, ctx.strings(flow, "assets", keys), (*keys, "assets"))
        bidirectional = doc.member(flow, "bidirectional", bool, keys, False)
        tags = ctx.strings(flow, "tags", keys)
        carry = carried_of(doc, flow, keys)
        if source == destination:
            ctx.note("dataflow", source, where, f"dataflow {otm_id!r} goes from {source} to itself; threatloom flows "
                     "join two different elements, so it is kept as this note")
            continue
        ours = ctx.our_id("flow", otm_id, name, "flow", exact=carry is not None)
        ctx.flows[otm_id] = ours
        item: dict[str, Any] = {"id": ours, "name": short(name) or ours,
                                "description": long_text(ctx.text(flow, "description", keys)),
                                "source": source, "destination": destination, "data": data,
                                "bidirectional": bidirectional or None, "tags": tags}
        if carry is not None:
            item = restore(doc, keys, Flow, {**{k: v for k, v in item.items() if v is not None}, **carry})
        ctx.draft.add("flows", ordered(Flow, item))
        ctx.element_assets[ours] = list(item.get("data", []))
        ctx.report.map("dataflow")
        _instances(ctx, flow, keys, ours)
        ctx.element_representations(flow, keys, ours, where)
        ctx.attributes(flow, keys, ours, where)
        ctx.extras(flow, KNOWN_KEYS["dataflow"], ours, where)


def _end(ctx: ImportContext, otm_id: str, keys: tuple[Key, ...], where: str) -> str:
    """Our element at one end of a dataflow; a stand-in element when the end is a trust zone."""
    if otm_id in ctx.components:
        return ctx.components[otm_id]
    if otm_id in ctx.zones:
        zone = ctx.zones[otm_id]
        if zone not in ctx.zone_stand_ins:
            name = next(z["name"] for z in ctx.draft.sections["zones"] if z["id"] == zone)
            ident = ctx.draft.new_id(f"{name} zone", "zone")
            ctx.zone_stand_ins[zone] = ident
            ctx.draft.add("components", {"id": ident, "name": short(f"{name} (trust zone)"),
                                         "type": ElementType.EXTERNAL_ENTITY.value, "kind": ComponentKind.OTHER.value,
                                         "zone": zone})
            ctx.component_zone[ident] = zone
            ctx.note("dataflow", ident, where, f"an OTM dataflow ends at trust zone {name!r}; threatloom flows join "
                     "elements, so this external entity stands for whatever in the zone takes part")
        return ctx.zone_stand_ins[zone]
    hint = "a dataflow joins two components of the file's `components`"
    raise ctx.document.error(keys, f"unknown component {otm_id!r}", hint, "import-reference")
