"""Modelling smells: the model is valid but probably not what its authors meant."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from threatloom.errors import Problem
from threatloom.model.schema import Component, Model, Party
from threatloom.model.vocabulary import (
    Authentication,
    Classification,
    ComponentKind,
    ControlStatus,
    ElementType,
    Encryption,
    PartyKind,
)
from threatloom.nearest import Suggester


def lint(model: Model) -> list[Problem]:
    """Every warning for `model`, in the order the sections are written, each with the path of the item it
    concerns in its own file (`components[3]`), as errors have."""
    paths = _item_paths(model)
    found = [msgspec.structs.replace(p, path=paths.get(p.path, "")) for p in _warnings(model)]
    return sorted(found, key=lambda p: (p.location.file, p.location.line, p.location.column))


def _item_paths(model: Model) -> dict[str, str]:
    """`section/ID` (or `decisions/N`) to the item's path in the file that holds it, as errors give it."""
    paths = {f"decisions/{i}": model.local_path("decisions", i) for i in range(len(model.decisions))}
    for section in ("zones", "assets", "actors", "components", "flows", "controls"):
        paths.update({f"{section}/{item.id}": model.local_path(section, i)
                      for i, item in enumerate(getattr(model, section))})
    return paths


def _warn(model: Model, key: str, code: str, message: str, hint: str) -> Problem:
    # the key stands in the path until lint() turns it into the item's path
    return Problem(model.locate(key), message, hint, code, severity="warning", path=key)


def _warnings(model: Model) -> Iterator[Problem]:
    index = model.index
    used_assets: set[str] = set()
    for comp in model.components:
        used_assets.update(comp.stores, comp.processes)
        key = f"components/{comp.id}"
        if comp.out_of_scope:
            continue
        if comp.zone is None:
            yield _warn(model, key, "no-zone", f"component {comp.id!r} is in no trust zone",
                        "set `zone:` so boundary crossings can be found")
        if comp.type is ElementType.DATA_STORE:
            restricted = [a for a in index.assets_at(comp.id) if a.classification is Classification.RESTRICTED]
            if restricted and comp.encryption_at_rest is not True:
                yield _warn(model, key, "store-unencrypted",
                            f"data store {comp.id!r} holds restricted data ({restricted[0].id}) and records "
                            "no encryption at rest", "set `encryption_at_rest: true` if it is, or fix it")
        if not index.incoming.get(comp.id) and not index.outgoing.get(comp.id):
            yield _warn(model, key, "isolated", f"component {comp.id!r} has no data flows",
                        "connect it with a flow, or mark it out of scope")
        elif comp.internet_facing and not index.incoming.get(comp.id) and not _in_internet_zone(model, comp.zone):
            yield _warn(model, key, "internet-facing-unreached",
                        f"component {comp.id!r} is marked internet-facing but no flow reaches it",
                        "add the inbound flow from the internet side, or set `internet_facing: false`")
    for party in model.environment:
        used_assets.update(party.receives)
    for flow in model.flows:
        used_assets.update(flow.data)
        key = f"flows/{flow.id}"
        crosses = index.elements[flow.source].zone != index.elements[flow.destination].zone
        if crosses and flow.authentication in (Authentication.UNKNOWN,):
            yield _warn(model, key, "flow-no-authentication",
                        f"flow {flow.id!r} crosses a trust boundary and records no authentication",
                        "set `authentication:`, to `none` if there truly is none")
        sensitive = [a for a in flow.data
                     if index.assets[a].classification.rank >= Classification.CONFIDENTIAL.rank]
        if crosses and sensitive and flow.encryption is Encryption.UNKNOWN:
            yield _warn(model, key, "flow-no-encryption",
                        f"flow {flow.id!r} carries {sensitive[0]!r} across a boundary and records no "
                        "encryption in transit", "set `encryption:`, to `none` if there truly is none")
    for threat in model.threats:
        used_assets.update(threat.assets)
    for asset in model.assets:
        key = f"assets/{asset.id}"
        if asset.owner is None:
            yield _warn(model, key, "asset-no-owner", f"asset {asset.id!r} has no owner",
                        "set `owner:` so someone is accountable for it")
        if asset.id not in used_assets:
            yield _warn(model, key, "asset-unused", f"asset {asset.id!r} is not stored, processed or carried "
                        "anywhere", "reference it from a component, flow or party, or remove it")
    populated = {zone for zone, members in index.elements_in_zone.items() if members}
    for actor in model.actors:
        reaches = any(s in index.elements or _zone_has_elements(model, s, populated) for s in actor.starts_in)
        if not reaches:
            yield _warn(model, f"actors/{actor.id}", "actor-unused",
                        f"actor {actor.id!r} starts only in empty zones, so it can reach nothing",
                        "start it in a zone that holds elements, or remove it")
    yield from _unused_controls(model)
    yield from _vendor_controls_on_flows(model)
    yield from _unused_zones(model, populated)
    for i, decision in enumerate(model.decisions):
        if decision.treatment.value == "accept" and not decision.justification:
            yield _warn(model, f"decisions/{i}", "accept-no-justification",
                        f"acceptance of {decision.threat!r} gives no justification",
                        "say why the risk is acceptable")
    yield from _decisions_on_nothing(model)


def _decisions_on_nothing(model: Model) -> Iterator[Problem]:
    """Decisions whose threat ID (no wildcard) names an element, a flow or a hand-written threat the model
    does not have: they can match no threat. `analyze` says so too; this says it without analysing."""
    index = model.index
    targets = {**dict.fromkeys(index.elements), **dict.fromkeys(index.flows)}  # ordered, for suggestions
    manual = dict.fromkeys(t.id for t in model.threats)
    suggest = {True: Suggester(targets), False: Suggester(manual)}  # after `@`, or a hand-written threat
    for i, decision in enumerate(model.decisions):
        threat_id = decision.threat
        if "*" in threat_id or "?" in threat_id:
            continue
        rule, _, rest = threat_id.partition("@")
        if "@" in rest:  # a generated threat's ID names one element or flow
            yield _warn(model, f"decisions/{i}", "decision-unknown-target",
                        f"decision for {threat_id!r} names more than one target, so it can match no threat",
                        "a threat ID is RULE@element or RULE@flow: take it from threats.json or the report")
            continue
        name, known = (rest, targets) if rest else (rule, manual)  # no `@`: a hand-written threat's ID
        if name in known:
            continue
        close = suggest[bool(rest)].closest(name)
        what = "element or flow" if rest else "hand-written threat"
        yield _warn(model, f"decisions/{i}", "decision-unknown-target",
                    f"decision for {threat_id!r} names {name!r}, which is no {what} of the model, so it can "
                    "match no threat", f"did you mean {close!r}?" if close else
                    "take the threat's ID from threats.json or the report")


def _zone_has_elements(model: Model, zone_id: str, populated: set[str]) -> bool:
    index = model.index
    stack = [zone_id]
    while stack:
        zone = stack.pop()
        if zone in populated:
            return True
        stack.extend(index.zone_children.get(zone, ()))
    return False


def _in_internet_zone(model: Model, zone_id: str | None) -> bool:
    index = model.index
    return zone_id is not None and any(index.zones[z].internet for z in index.zone_path(zone_id))


def _unused_controls(model: Model) -> Iterator[Problem]:
    applied = {c for comp in model.components for c in comp.controls}
    applied.update(c for flow in model.flows for c in flow.controls)
    applied.update(c for threat in model.threats for c in threat.mitigations)
    applied.update(c for party in model.environment for c in party.controls)
    for control in model.controls:
        if control.id not in applied:
            yield _warn(model, f"controls/{control.id}", "control-unused",
                        f"control {control.id!r} is applied to nothing, so it lowers no risk",
                        "list it under `controls:` of the components, flows or parties it protects, or "
                        "in a threat's `mitigations:`")


# catalog controls about a vendor or partner itself (its review, its contract), not about one flow to it
ABOUT_THE_PARTY = frozenset({"C-VENDOR-ASSESSMENT", "C-DPA-CONTRACT"})


def _vendor_controls_on_flows(model: Model) -> Iterator[Problem]:
    """A vendor review or a processing agreement recorded on a flow into a vendor or partner (or a
    third-party service) counts for that flow's threats only; the threats on the third party itself (its
    breach, its access) count the controls recorded on it. Only a catalog control the third party does not
    already implement is worth the warning."""
    index = model.index
    third: dict[str, Party | Component] = {
        p.id: p for p in model.environment if p.kind in (PartyKind.VENDOR, PartyKind.PARTNER)}
    third.update((c.id, c) for c in model.components if c.kind is ComponentKind.THIRD_PARTY_SERVICE)
    for flow in model.flows:
        party = third.get(flow.destination)
        if party is None:
            continue
        held = {cid for c in index.controls_of(party.controls) if c.status is not ControlStatus.PLANNED
                for cid in c.implements}  # what already counts on the third party
        for control in index.controls_of(flow.controls):
            about = sorted((ABOUT_THE_PARTY & set(control.implements)) - held)
            if about:
                yield _warn(model, f"flows/{flow.id}", "party-control-on-flow",
                            f"flow {flow.id!r} records {control.id!r} ({', '.join(about)}), which is about "
                            f"{party.id!r} itself: the threats on {party.id!r} do not count it there",
                            f"list {control.id!r} under `controls:` of {party.id!r}; the flow's threats count "
                            "it there too")


def _unused_zones(model: Model, populated: set[str]) -> Iterator[Problem]:
    entry_points = {s for actor in model.actors for s in actor.starts_in}
    for zone in model.zones:
        if zone.id not in entry_points and not _zone_has_elements(model, zone.id, populated):
            yield _warn(model, f"zones/{zone.id}", "zone-unused",
                        f"zone {zone.id!r} holds no component or party and no actor starts in it",
                        "place elements in it with `zone:`, or remove it")
