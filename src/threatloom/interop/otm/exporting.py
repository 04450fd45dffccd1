"""Export a model and its analysis as Open Threat Model 0.2 JSON.

- `project` from `system` (its ID is the system name as a slug); the model-wide sections OTM has no
  place for (the rest of `system`, `risk`, `rules`, actors, decisions, reviews, notes) ride in
  `project.attributes.threatloom`.
- Every zone is a trust zone (trust 0-10 → trustRating ×10; internet zones get `type: internet`).
  OTM needs a parent zone for every component, so elements the model places in no zone go into one
  extra trust zone, `threatloom-no-zone` (trustRating 0, marked as a stand-in), which import drops.
- Every component is an OTM component whose `type` is its kind (for kind `other`, its element type).
- Every party of the environment is an OTM component too: `type: user` for customers, employees and
  the public, `type: third-party-service` for partners, vendors and regulators, in its zone; the
  assets it receives are its `processed` assets, and `attributes.threatloom` (`element: party`) holds
  its kind, trust, assurance and access.
- Every flow is a dataflow; every asset has its ratings as risk 25 / 50 / 75 / 100.
- Every threat of the analysis (the rules' and the manual ones) is an OTM threat with its category,
  CWEs, CAPEC and ATT&CK tags, and its inherent likelihood and impact on 0-100; it is instanced on its
  component or dataflow (a manual threat on each of its elements), with its state from its status and,
  as mitigations, the catalog's candidate controls (`implemented` when in place, `required` when a
  decision chose it, else `recommended`) and the model's own controls that act on it (by status).
- Mitigations: the catalog controls proposed (riskReduction from their strength) and every control of
  the model (riskReduction from effectiveness).

Output is deterministic: sections in model order, manual threats too, then the rules' threats by ID;
JSON with two-space indent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from threatloom.interop.draft import slug
from threatloom.interop.interface import Exporter
from threatloom.interop.otm.carry import (
    ASSET_NATIVE,
    COMPONENT_NATIVE,
    CONTROL_NATIVE,
    FLOW_NATIVE,
    FORMAT,
    KEY,
    PARTY_NATIVE,
    PLACEHOLDER_ZONE,
    SYSTEM_NATIVE,
    ZONE_NATIVE,
    dump,
)
from threatloom.interop.otm.kinds import otm_type_of
from threatloom.interop.otm.scales import (
    CATEGORY_TITLE,
    EFFECTIVENESS_VALUE,
    LEVEL_VALUE,
    MITIGATION_STATE,
    STATE_OF_STATUS,
    rating_from_trust,
    reduction_from_strength,
    value_from_step,
)
from threatloom.model.vocabulary import PartyKind

if TYPE_CHECKING:
    from threatloom.engine.threat import Analysis, RiskScore, Threat
    from threatloom.model.schema import Model

OTM_VERSION = "0.2.0"
_PEOPLE = (PartyKind.CUSTOMER, PartyKind.EMPLOYEE, PartyKind.PUBLIC)


class OtmExporter(Exporter):
    name = "otm"
    title = "Open Threat Model"
    suffix = ".otm.json"

    def export(self, model: Model, analysis: Analysis) -> bytes:
        document = _Writer(model, analysis).document()
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _attributes(carried: dict[str, Any]) -> dict[str, Any]:
    return {KEY: carried}


def _some(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (OTM readers prefer absent to empty)."""
    return {k: v for k, v in fields.items() if v not in (None, "", [], {})}


class _Writer:
    def __init__(self, model: Model, analysis: Analysis) -> None:
        self.model = model
        self.analysis = analysis
        # the model's own threats in its order (so they come back in it), then the rules' by ID
        order = {t.id: i for i, t in enumerate(model.threats)}
        self.threats = sorted(analysis.threats, key=lambda t: (t.origin != "manual", order.get(t.id, 0), t.id))
        self.catalog_used = sorted({c.id for t in self.threats for c in t.controls})
        taken = set(self.catalog_used)
        # a model control named like a catalog control gets another OTM ID; its own stays in the attributes
        self.control_ids = {c.id: (f"model:{c.id}" if c.id in taken else c.id) for c in model.controls}
        ids = {z.id for z in model.zones} | set(model.index.elements) | {f.id for f in model.flows}
        placeholder, n = PLACEHOLDER_ZONE, 2
        while placeholder in ids:
            placeholder, n = f"{PLACEHOLDER_ZONE}-{n}", n + 1
        self.placeholder = placeholder
        self.instances = self._instances()

    def document(self) -> dict[str, Any]:
        model = self.model
        components = [self._component(c.id) for c in model.components]
        components += [self._party(p.id) for p in model.environment]
        return {
            "otmVersion": OTM_VERSION,
            "project": self._project(),
            "assets": [self._asset(i) for i in range(len(model.assets))],
            "trustZones": self._zones(),
            "components": components,
            "dataflows": [self._flow(i) for i in range(len(model.flows))],
            "threats": [self._threat(t) for t in self.threats],
            "mitigations": self._mitigations(),
        }

    # -- structure -------------------------------------------------------------------------------------

    def _project(self) -> dict[str, Any]:
        model, system = self.model, self.model.system
        carried: dict[str, Any] = {"format": FORMAT, "system": dump(system, SYSTEM_NATIVE)}
        risk = dump(model.risk)
        if risk:
            carried["risk"] = risk
        if model.rules:
            carried["rules"] = list(model.rules)
        for section in ("actors", "decisions", "reviews", "notes"):
            items = getattr(model, section)
            if items:
                carried[section] = [dump(item) for item in items]
        return {"name": system.name, "id": slug(system.name) or "threatloom-model",
                **_some(description=system.description, owner=system.owner), "attributes": _attributes(carried)}

    def _zones(self) -> list[dict[str, Any]]:
        zones = []
        for zone in self.model.zones:
            zones.append({"id": zone.id, "name": zone.name, **_some(type="internet" if zone.internet else None,
                                                                      description=zone.description),
                          "risk": {"trustRating": rating_from_trust(zone.trust)},
                          **_some(parent={"trustZone": zone.parent} if zone.parent else None),
                          "attributes": _attributes(dump(zone, ZONE_NATIVE))})
        unzoned = any(c.zone is None for c in self.model.components) or any(p.zone is None
                                                                            for p in self.model.environment)
        if unzoned:
            zones.append({"id": self.placeholder, "name": "No trust zone",
                          "description": "threatloom: the elements its model places in no zone",
                          "risk": {"trustRating": 0}, "attributes": _attributes({"placeholder": True})})
        return zones

    def _component(self, ident: str) -> dict[str, Any]:
        comp = self.model.index.components[ident]
        held = _some(processed=list(comp.processes), stored=list(comp.stores))
        return {"id": comp.id, "name": comp.name, "type": otm_type_of(comp.kind, comp.type),
                **_some(description=comp.description), "parent": {"trustZone": comp.zone or self.placeholder},
                **_some(assets=held, threats=self.instances.get(comp.id), tags=list(comp.tags)),
                "attributes": _attributes({"element": "component", **dump(comp, COMPONENT_NATIVE)})}

    def _party(self, ident: str) -> dict[str, Any]:
        party = self.model.index.parties[ident]
        kind = "user" if party.kind in _PEOPLE else "third-party-service"
        return {"id": party.id, "name": party.name, "type": kind, **_some(description=party.description),
                "parent": {"trustZone": party.zone or self.placeholder},
                **_some(assets=_some(processed=list(party.receives)), threats=self.instances.get(party.id),
                        tags=list(party.tags)),
                "attributes": _attributes({"element": "party", **dump(party, PARTY_NATIVE)})}

    def _flow(self, i: int) -> dict[str, Any]:
        flow = self.model.flows[i]
        return {"id": flow.id, "name": flow.name, **_some(description=flow.description),
                "bidirectional": flow.bidirectional, "source": flow.source, "destination": flow.destination,
                **_some(assets=list(flow.data), threats=self.instances.get(flow.id), tags=list(flow.tags)),
                "attributes": _attributes(dump(flow, FLOW_NATIVE))}

    def _asset(self, i: int) -> dict[str, Any]:
        asset = self.model.assets[i]
        return {"id": asset.id, "name": asset.name, **_some(description=asset.description),
                "risk": {"confidentiality": LEVEL_VALUE[asset.confidentiality],
                         "integrity": LEVEL_VALUE[asset.integrity], "availability": LEVEL_VALUE[asset.availability]},
                "attributes": _attributes(dump(asset, ASSET_NATIVE))}

    # -- threats ---------------------------------------------------------------------------------------

    def _instances(self) -> dict[str, list[dict[str, Any]]]:
        """Threat instances by the element or flow they sit on, each list in threat-ID order."""
        out: dict[str, list[dict[str, Any]]] = {}
        manual = self.model.index.manual_threats
        for threat in self.threats:
            own = manual.get(threat.id) if threat.origin == "manual" else None
            targets = own.elements if own is not None else (threat.target,)
            instance = {"threat": threat.id, "state": STATE_OF_STATUS[threat.status],
                        "mitigations": self._instance_mitigations(threat, own.mitigations if own else ())}
            for target in dict.fromkeys(targets):
                out.setdefault(target, []).append(instance)
        return out

    def _instance_mitigations(self, threat: Threat, mitigations: tuple[str, ...]) -> list[dict[str, str]]:
        chosen = set(threat.decision.controls) if threat.decision is not None else set()
        out = [{"mitigation": c.id, "state": "implemented" if c.in_place else "required" if c.id in chosen
                else "recommended"} for c in threat.controls]
        controls = self.model.index.controls
        for ident in dict.fromkeys((*threat.controls_in_place, *mitigations)):
            if ident in controls:
                out.append({"mitigation": self.control_ids[ident], "state": MITIGATION_STATE[controls[ident].status]})
        return out

    def _threat(self, threat: Threat) -> dict[str, Any]:
        carried: dict[str, Any] = {"origin": threat.origin}
        if threat.origin == "manual" and threat.id in self.model.index.manual_threats:
            carried["threat"] = dump(self.model.index.manual_threats[threat.id])
        else:
            carried.update(_some(rule=threat.rule_id, target=threat.target))
        carried.update({"status": threat.status.value, "inherent": _score(threat.inherent),
                        "residual": _score(threat.residual)})
        carried.update(_some(capec=list(threat.capec), attack=list(threat.attack), detection=threat.detection))
        if threat.decision is not None:  # for other tools' readers; import takes decisions from the project's
            applied = threat.decision
            carried["decision"] = {"pattern": applied.pattern, "valid": applied.valid, **_some(
                treatment=applied.treatment.value, status=applied.status.value, owner=applied.owner,
                ticket=applied.ticket, due=applied.due, justification=applied.justification,
                approver=applied.approver, expires=applied.expires, controls=list(applied.controls),
                note=applied.note)}
        inherent = threat.inherent
        tags = [*(f"CAPEC-{n}" for n in threat.capec), *threat.attack, *threat.tags]
        return {"id": threat.id, "name": threat.title, **_some(description=threat.description),
                "categories": [CATEGORY_TITLE[threat.category]], **_some(cwes=[f"CWE-{n}" for n in threat.cwe]),
                "risk": {"likelihood": value_from_step(inherent.likelihood),
                         "likelihoodComment": _reasons(inherent, "likelihood"),
                         "impact": value_from_step(inherent.impact), "impactComment": _reasons(inherent, "impact")},
                **_some(tags=list(dict.fromkeys(tags))), "attributes": _attributes(carried)}

    def _mitigations(self) -> list[dict[str, Any]]:
        from threatloom.catalog.loading import load_controls

        catalog = load_controls()
        names = {c.id: c.name for t in self.threats for c in t.controls}
        out = []
        for ident in self.catalog_used:
            known = catalog.get(ident)
            out.append({"id": ident, "name": names[ident], **_some(description=known.description if known else None),
                        "riskReduction": reduction_from_strength(known.strength) if known else 50,
                        "attributes": _attributes({"catalog": True})})
        for control in self.model.controls:
            out.append({"id": self.control_ids[control.id], "name": control.name,
                        **_some(description=control.description),
                        "riskReduction": EFFECTIVENESS_VALUE[control.effectiveness],
                        "attributes": _attributes({"control": dump(control, CONTROL_NATIVE - {"id"})})})
        return out


def _score(score: RiskScore) -> dict[str, Any]:
    return {"likelihood": score.likelihood, "impact": score.impact, "score": score.score, "level": score.level.value}


def _reasons(score: RiskScore, part: str) -> str:
    reasons = [f"{f.delta:+g}: {f.reason}" for f in score.factors if f.part == part]
    return "; ".join(reasons) or f"base {part} of the rule or the team"
