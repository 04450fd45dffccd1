"""Export a model and its analysis as an OWASP Threat Dragon version 2 file.

One diagram: components and parties of the environment on a grid grouped by zone, a trust boundary
box around each zone (nested zones nest), flows as labelled edges. Every threat of the analysis,
generated or written by hand, sits on its element or flow with its title, type (the category as
Threat Dragon spells it), status (what the decision says: Open, Mitigated, NA, Accepted, Transferred,
Avoided), severity (the residual level), description, mitigation (the model's mitigations of a manual
threat, then the candidate controls) and score (its CVSS vector, if any). Cells and threats keep
threatloom's IDs, so the same model and analysis give the same bytes, and an import of the file keeps
the IDs. A `threatloom` key in a cell's data holds what Threat Dragon has no property for, for an
import to read back: a zone's trust, a component's kind, a party's kind and trust.

A round trip (threatloom, Threat Dragon, threatloom) keeps every component, party, flow and zone (IDs,
names, descriptions, types, kinds, nesting, zone trust, protocol, direction, out of scope) and every
threat, as a manual threat on the same element with its status (in progress shows as Open in Threat
Dragon, so it comes back open). It does not keep: assets (beyond credentials and card data), threat
actors, controls on elements and flows, flow authentication, authorization, ports and data,
technologies, tags other than Threat Dragon's flags, the details of decisions (owner, ticket, dates,
approver), reviews, objectives, scope and risk settings. Generated threats come back as manual threats
beside the rules' own, with `.` for the `@` of their IDs, and with likelihood and impact from their
severity alone.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from threatloom.interop.interface import Exporter
from threatloom.interop.threat_dragon import candidates, words
from threatloom.interop.threat_dragon.geometry import Rect
from threatloom.interop.threat_dragon.hints import HINTS
from threatloom.interop.threat_dragon.layout import Node, lay_out
from threatloom.interop.threat_dragon.threat_import import ACTION_PREFIX
from threatloom.lifecycle.decisions import DEFAULT_STATUS
from threatloom.model.vocabulary import STRIDE, AssetKind, ComponentKind, ElementType

if TYPE_CHECKING:
    from threatloom.engine.threat import Analysis, Threat
    from threatloom.model.index import Element
    from threatloom.model.schema import Flow, Model, Zone

TD_VERSION = "2.3.0"
_SHAPES = {ElementType.PROCESS: ("process", "tm.Process"), ElementType.DATA_STORE: ("store", "tm.Store"),
           ElementType.EXTERNAL_ENTITY: ("actor", "tm.Actor")}
_LINE = {"stroke": "#333333", "strokeWidth": 1.5}
_OPEN = "#ff0000"  # Threat Dragon draws elements with open threats in red
_DASH_OUT = "4 3"  # and out-of-scope ones dashed


class ThreatDragonExporter(Exporter):
    name = "threat-dragon"
    title = "OWASP Threat Dragon"
    suffix = ".json"

    def export(self, model: Model, analysis: Analysis) -> bytes:
        threats = _threats_by_target(model, analysis)
        index = model.index
        nodes = [Node(e.id, _SHAPES[e.type][0], e.zone) for e in index.elements.values()]
        layout = lay_out(nodes, [(z.id, z.parent) for z in model.zones])
        cells: list[dict[str, Any]] = []
        for zone in model.zones:
            cells.append(_box(zone, layout.boxes[zone.id], layout.depth[zone.id]))
        for n, element in enumerate(index.elements.values(), start=1):
            cells.append(_node(model, element, layout.nodes[element.id], threats.get(element.id, []), n))
        for flow in model.flows:
            cells.append(_edge(model, flow, threats.get(flow.id, [])))
        count = sum(len(t) for t in threats.values())
        team = model.system.team
        reviewer = next((m.name for m in team if m.role.value == "security"), "")
        document = {
            "version": TD_VERSION,
            "summary": {"title": model.system.name, "owner": model.system.owner or "",
                        "description": model.system.description, "id": 0},
            "detail": {
                "contributors": [{"name": m.name} for m in team if m.name != reviewer],
                "diagrams": [{
                    "id": 0, "title": model.system.name, "diagramType": "STRIDE",
                    "placeholder": "New STRIDE diagram description",
                    "thumbnail": "./public/content/images/thumbnail.stride.jpg", "version": TD_VERSION,
                    "description": f"Exported by threatloom: {len(index.elements)} elements, {len(model.flows)} "
                                   f"flows, {count} threats.",
                    "cells": cells}],
                "diagramTop": 1, "reviewer": reviewer, "threatTop": count},
        }
        if model.system.version:
            document["release_version"] = model.system.version
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _threats_by_target(model: Model, analysis: Analysis) -> dict[str, list[dict[str, Any]]]:
    """Threat Dragon threats per element or flow ID, numbered 1… in the analysis order."""
    out: dict[str, list[dict[str, Any]]] = {}
    known = set(model.index.elements) | set(model.index.flows)
    number = 0
    for threat in analysis.threats:
        if threat.target not in known:
            continue  # analysis only targets elements and flows; stay safe for a future target kind
        number += 1
        out.setdefault(threat.target, []).append(_threat(model, threat, number))
    return out


def _threat(model: Model, threat: Threat, number: int) -> dict[str, Any]:
    category = threat.category
    return {
        "id": threat.id, "title": threat.title, "status": _status(model, threat),
        "severity": words.EXPORT_SEVERITY[threat.residual.level], "type": words.TYPE_NAMES[category],
        "modelType": "STRIDE" if category in STRIDE else "LINDDUN",
        "description": _description(model, threat), "mitigation": _mitigation(model, threat),
        "number": number, "score": threat.cvss or "",
    }


def _status(model: Model, threat: Threat) -> str:
    """What the decision says, even when threatloom does not count it (Threat Dragon has no such notion)."""
    if threat.decision is None:
        return "Open"
    decision = model.decisions[threat.decision.index]
    return words.EXPORT_STATUS[decision.status or DEFAULT_STATUS[decision.treatment]]


def _description(model: Model, threat: Threat) -> str:
    manual = model.index.manual_threats.get(threat.id) if threat.origin == "manual" else None
    if manual is not None and manual.action.startswith(ACTION_PREFIX):  # imported from Threat Dragon before
        return manual.action[len(ACTION_PREFIX):]
    return threat.description


def _mitigation(model: Model, threat: Threat) -> str:
    """The reason of an N/A (Threat Dragon's form asks for it here), the model's mitigations of a manual
    threat, then the candidate controls (:mod:`.candidates`, read back by an import)."""
    parts = []
    decision = model.decisions[threat.decision.index] if threat.decision is not None else None
    if decision is not None and _status(model, threat) == "NA" and decision.justification.strip():
        parts.append(decision.justification.strip())
    manual = model.index.manual_threats.get(threat.id) if threat.origin == "manual" else None
    if manual is not None:
        parts += [c.description or c.name for c in model.index.controls_of(manual.mitigations)]
    listed = candidates.block(threat.controls)
    if listed:
        parts.append(listed)
    return "\n\n".join(parts)


def _open(threats: list[dict[str, Any]]) -> bool:
    return any(t["status"] == "Open" for t in threats)


def _box(zone: Zone, rect: Rect, depth: int) -> dict[str, Any]:
    return {
        "id": zone.id, "shape": "trust-boundary-box", "zIndex": -50 + depth, "visible": True,
        "position": _point(rect.x, rect.y), "size": {"width": rect.width, "height": rect.height},
        "attrs": {"label": {"text": zone.name}},
        "data": {"type": "tm.BoundaryBox", "name": zone.name, "description": zone.description,
                 "isTrustBoundary": True, "hasOpenThreats": False,
                 HINTS: {"trust": zone.trust, "internet": zone.internet}},
    }


def _node(model: Model, element: Element, rect: Rect, threats: list[dict[str, Any]], z: int) -> dict[str, Any]:
    shape, td_type = _SHAPES[element.type]
    component, party = element.component, element.party
    out_of_scope = bool(component and component.out_of_scope)
    line = {**_LINE, "stroke": _OPEN if _open(threats) else _LINE["stroke"],
            "strokeDasharray": _DASH_OUT if out_of_scope else ""}
    attrs: dict[str, Any] = {"text": {"text": element.name}}
    if shape == "store":
        attrs.update(topLine=line, bottomLine=line)
    else:
        attrs["body"] = line
    tags = set(element.tags)
    data: dict[str, Any] = {
        "type": td_type, "name": element.name,
        "description": (component.description if component else party.description if party else ""),
        "outOfScope": out_of_scope, "reasonOutOfScope": component.out_of_scope_reason if component else "",
        "hasOpenThreats": _open(threats)}
    kind = component.kind if component else None
    if shape == "actor":
        data["providesAuthentication"] = kind is ComponentKind.IDENTITY_PROVIDER or "provides-authentication" in tags
    elif shape == "process":
        data.update(handlesCardPayment="handles-card-payment" in tags,
                    handlesGoodsOrServices="handles-goods-or-services" in tags,
                    isWebApplication=kind is ComponentKind.WEB_APPLICATION, privilegeLevel="")
    else:
        stored = model.index.assets_at(element.id)
        data.update(isALog=kind is ComponentKind.LOG_STORE,
                    storesCredentials=any(a.kind is AssetKind.CREDENTIAL for a in stored),
                    isEncrypted=bool(component and component.encryption_at_rest), isSigned="signed" in tags,
                    storesInventory="stores-inventory" in tags)
    data["threats"] = threats
    data[HINTS] = {"party": party.kind.value, "trust": party.trust} if party else \
        {"kind": kind.value if kind else ComponentKind.OTHER.value}
    return {"id": element.id, "shape": shape, "zIndex": z, "visible": True, "position": _point(rect.x, rect.y),
            "size": {"width": rect.width, "height": rect.height}, "attrs": attrs, "data": data}


def _edge(model: Model, flow: Flow, threats: list[dict[str, Any]]) -> dict[str, Any]:
    public = "public-network" in flow.tags or _in_internet_zone(model, flow.source) or \
        _in_internet_zone(model, flow.destination)
    line = {**_LINE, "stroke": _OPEN if _open(threats) else _LINE["stroke"], "strokeDasharray": "",
            "targetMarker": {"name": "block"}, "sourceMarker": {"name": "block" if flow.bidirectional else ""}}
    return {
        "id": flow.id, "shape": "flow", "zIndex": 10, "connector": "smooth", "attrs": {"line": line},
        "labels": [_label(flow.name)], "source": {"cell": flow.source}, "target": {"cell": flow.destination},
        "vertices": [],
        "data": {"type": "tm.Flow", "name": flow.name, "description": flow.description, "outOfScope": False,
                 "reasonOutOfScope": "", "hasOpenThreats": _open(threats), "isBidirectional": flow.bidirectional,
                 "isEncrypted": flow.encryption.value not in ("none", "unknown"), "isPublicNetwork": public,
                 "protocol": flow.protocol or "", "threats": threats},
    }


def _in_internet_zone(model: Model, element_id: str) -> bool:
    zone = model.index.elements[element_id].zone
    return bool(zone) and any(model.index.zones[z].internet for z in model.index.zone_path(zone or ""))


def _label(text: str) -> dict[str, Any]:
    """An edge label as Threat Dragon (AntV X6) writes one."""
    return {
        "markup": [{"tagName": "ellipse", "selector": "labelBody"}, {"tagName": "text", "selector": "labelText"}],
        "attrs": {"labelText": {"text": text, "textAnchor": "middle", "textVerticalAnchor": "middle"},
                  "labelBody": {"ref": "labelText", "refRx": "50%", "refRy": "60%", "fill": "#fff",
                                "strokeWidth": 0}},
        "position": {"distance": 0.5, "args": {"keepGradient": True, "ensureLegibility": True}},
    }


def _point(x: float, y: float) -> dict[str, float | int]:
    return {"x": _number(x), "y": _number(y)}


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)

