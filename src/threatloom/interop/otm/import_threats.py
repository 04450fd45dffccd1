"""OTM threats, mitigations and their instances → manual threats, model controls and decisions.

- A threat instance (an OTM threat on a component or dataflow) becomes a manual threat on that element:
  one per threat × element when the same OTM threat is on several. Its ID comes from the OTM ID when
  that reads well, else from the threat's name; several instances add the element's ID.
- Each mitigation instance becomes a model control (one per mitigation and status: `implemented` →
  implemented, `partially-implemented` → partial, `required` / `recommended` / … → planned) listed in
  the threat's `mitigations:`; a rejected mitigation is a note. riskReduction 0-100 → effectiveness.
- The instance's state becomes a decision on the threat (see :mod:`scales`).
- Threats and mitigations threatloom itself wrote come back as they were: rule-generated threats are
  left to the engine, which regenerates them under the same IDs (their decisions come back with the
  project's), manual threats and model controls are restored field by field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from threatloom.interop.draft import long_text, reserve_id, short, slug
from threatloom.interop.otm.carry import carried as carried_of
from threatloom.interop.otm.carry import ordered, restore
from threatloom.interop.otm.context import KNOWN_KEYS, ImportContext
from threatloom.interop.otm.scales import (
    REJECTED_MITIGATION_STATES,
    attack_technique,
    capec_number,
    category_from_name,
    category_from_text,
    control_status_of_state,
    cwe_number,
    decision_of_state,
    effectiveness_from_reduction,
    step_from_value,
)
from threatloom.interop.reading import Key
from threatloom.model.schema import Control, ManualThreat
from threatloom.model.vocabulary import ControlStatus, ThreatStatus, Treatment


class _Definition(msgspec.Struct):
    keys: tuple[Key, ...]
    obj: dict[str, Any]
    name: str
    carry: dict[str, Any] | None
    instances: list[tuple[tuple[Key, ...], str, dict[str, Any]]] = msgspec.field(default_factory=list)


class _Threats(msgspec.Struct):
    ctx: ImportContext
    threats: dict[str, _Definition] = msgspec.field(default_factory=dict)
    mitigations: dict[str, _Definition] = msgspec.field(default_factory=dict)
    # (OTM mitigation, status) -> ours
    controls: dict[tuple[str, ControlStatus], str] = msgspec.field(default_factory=dict)
    made: set[str] = msgspec.field(default_factory=set)  # OTM mitigations that have a control already
    used: set[str] = msgspec.field(default_factory=set)  # OTM mitigations some instance uses

    def definitions(self, root: dict[str, Any], section: str, required: str) -> dict[str, _Definition]:
        doc, out = self.ctx.document, {}
        for i, obj in enumerate(self.ctx.items(root, section, ())):
            keys: tuple[Key, ...] = (section, i)
            otm_id = doc.required(obj, "id", str, keys)
            name = doc.required(obj, "name", str, keys)
            if otm_id in out:
                raise doc.error((*keys, "id"), f"{section[:-1]} ID {otm_id!r} is defined twice", "IDs must be unique",
                                "import-duplicate")
            if required == "risk":
                risk = doc.required(obj, "risk", dict, keys)
                doc.member(risk, "likelihood", float, (*keys, "risk"))
                doc.required(risk, "impact", float, (*keys, "risk"))
            else:
                doc.required(obj, required, float, keys)
            out[otm_id] = _Definition(keys, obj, name, carried_of(doc, obj, keys))
        return out

    def collect_instances(self) -> None:
        doc = self.ctx.document
        for list_keys, element, found in self.ctx.instances:
            for j, value in enumerate(found):
                keys = (*list_keys, j)
                inst = doc.expect(value, dict, keys)
                threat = doc.required(inst, "threat", str, keys)
                doc.required(inst, "state", str, keys)
                if threat not in self.threats:
                    raise doc.error((*keys, "threat"), f"unknown threat {threat!r}",
                                    "an instance names a threat of the file's `threats`", "import-reference")
                for k, mit in enumerate(doc.member(inst, "mitigations", list, keys) or []):
                    if mit is None:
                        continue
                    here = (*keys, "mitigations", k)
                    doc.expect(mit, dict, here)
                    ident = doc.member(mit, "mitigation", str, here)
                    doc.member(mit, "state", str, here)
                    if ident is not None and ident not in self.mitigations:
                        raise doc.error((*here, "mitigation"), f"unknown mitigation {ident!r}",
                                        "an instance names a mitigation of the file's `mitigations`",
                                        "import-reference")
                self.threats[threat].instances.append((keys, element, inst))

    # -- model controls ----------------------------------------------------------------------------------

    def carried_controls(self) -> None:
        """Controls of the model threatloom wrote; its catalog controls stay in the catalog."""
        for otm_id, mit in self.mitigations.items():
            if mit.carry is None:
                continue
            if mit.carry.get("catalog") is True:
                self.used.add(otm_id)
                self.ctx.report.skip("mitigation", f"{mit.name}: a control of threatloom's catalog ({otm_id})")
            elif isinstance(mit.carry.get("control"), dict):
                self.used.add(otm_id)
                control = dict(mit.carry["control"])
                ident = str(control.get("id", otm_id))
                item = {"id": ident, "name": short(mit.name) or ident,
                        "description": long_text(self.ctx.text(mit.obj, "description", mit.keys)), **control}
                reserve_id(self.ctx.draft, ident, foreign=("control", otm_id))
                item = restore(self.ctx.document, mit.keys, Control, {k: v for k, v in item.items() if v != ""})
                self.ctx.draft.add("controls", ordered(Control, item))
                self.ctx.report.map("mitigation")

    def control_for(self, otm_id: str, status: ControlStatus) -> str:
        """The model control for an OTM mitigation in one status (the first status met keeps the plain ID)."""
        found = self.controls.get((otm_id, status))
        if found is not None:
            return found
        ctx, mit = self.ctx, self.mitigations[otm_id]
        first = otm_id not in self.made
        self.made.add(otm_id)
        if first:
            ident = ctx.our_id("control", otm_id, mit.name, "control", exact=False)
        else:
            ident = ctx.draft.new_id(f"{mit.name} {status.value}", "control")
        reduction = ctx.document.required(mit.obj, "riskReduction", float, mit.keys)
        self.controls[(otm_id, status)] = ident
        ctx.draft.add("controls", {
            "id": ident, "name": short(mit.name) or ident,
            "description": long_text(ctx.text(mit.obj, "description", mit.keys)),
            "status": status.value, "effectiveness": effectiveness_from_reduction(reduction).value})
        if first:
            ctx.report.map("mitigation")
            ctx.attributes(mit.obj, mit.keys, ident, f"mitigations[{mit.keys[1]}] ({mit.name})")
            ctx.extras(mit.obj, KNOWN_KEYS["mitigation"], ident, f"mitigations[{mit.keys[1]}] ({mit.name})")
        return ident

    # -- threats -----------------------------------------------------------------------------------------

    def threat(self, otm_id: str, definition: _Definition) -> None:
        ctx, carry = self.ctx, definition.carry
        where = f"threats[{definition.keys[1]}] ({definition.name})"
        if carry is not None and carry.get("origin") == "rule":
            ctx.report.skip("threat", f"{definition.name}: generated by rule {carry.get('rule')}; threatloom "
                            "regenerates it when it analyses the model")
            for _keys, element, _inst in definition.instances:
                ctx.report.skip("threat instance", f"{otm_id} on {element}: regenerated with its threat")
            return
        if carry is not None and isinstance(carry.get("threat"), dict):
            manual = dict(carry["threat"])
            reserve_id(ctx.draft, str(manual.get("id", otm_id)))
            ctx.draft.add("threats", ordered(ManualThreat, restore(ctx.document, definition.keys, ManualThreat,
                                                                   manual)))
            ctx.report.map("threat")
            ctx.report.map("threat instance", len(definition.instances))
            return
        if not definition.instances:
            ctx.note("threat", None, where, _describe(ctx, definition) + " (on no component or dataflow in the "
                     "file, so not a threat of the model)")
            ctx.attributes(definition.obj, definition.keys, None, where)
            return
        base = _base_id(otm_id, definition.name)
        several = len(definition.instances) > 1
        idents = [ctx.draft.new_id(f"{base}-{element}" if several else base, "threat")
                  for _keys, element, _inst in definition.instances]
        about = idents[0]  # notes on the threat as a whole go with its first instance
        fields = self.grammar(definition, where, about)
        for ident, (keys, element, inst) in zip(idents, definition.instances, strict=True):
            mitigations = self.instance_mitigations(inst, keys, ident)
            ctx.draft.add("threats", ordered(ManualThreat, {
                "id": ident, **fields, "assets": ctx.element_assets.get(element, []), "elements": [element],
                "mitigations": mitigations}))
            self.decision(ident, inst["state"], keys)
        ctx.report.map("threat")
        if base != slug(otm_id):
            ctx.note("threat", about, where, f"OTM threat ID {otm_id}" + (
                f", on {len(idents)} elements: {', '.join(idents)}" if several else ""))
        ctx.attributes(definition.obj, definition.keys, about, where)
        ctx.extras(definition.obj, KNOWN_KEYS["threat"], about, where)

    def grammar(self, definition: _Definition, where: str, about: str) -> dict[str, Any]:
        """The manual threat's fields shared by every instance."""
        ctx, obj, keys = self.ctx, definition.obj, definition.keys
        risk = obj["risk"]
        description = ctx.text(obj, "description", keys)
        names = ctx.strings(obj, "categories", keys)
        categories = [c for c in (category_from_name(n) for n in names) if c is not None]
        if categories:
            category = categories[0]
            others = [n for n in names if category_from_name(n) is not category]
            if others:
                ctx.note("threat", about, f"{where}.categories", f"further OTM categories: {', '.join(others)} "
                         f"(threatloom keeps one: {category.value})")
        else:
            category = category_from_text(f"{definition.name} {description}")
            ctx.note("threat", about, f"{where}.categories", f"no STRIDE or LINDDUN category in OTM "
                     f"({', '.join(names) or 'none given'}); threatloom chose {category.value} from its text: "
                     "review it")
        cwe, capec, attack, unread = [], [], [], []
        for text in ctx.strings(obj, "cwes", keys):
            number = cwe_number(text)
            if number is None:
                unread.append(f"CWE {text!r}")
            else:
                cwe.append(number)
        other_tags = []
        for tag in ctx.strings(obj, "tags", keys):
            c_number, technique, w_number = capec_number(tag), attack_technique(tag), _cwe_tag(tag)
            if c_number is not None:
                capec.append(c_number)
            elif technique is not None:
                attack.append(technique)
            elif w_number is not None:
                cwe.append(w_number)
            else:
                other_tags.append(tag)
        if unread or other_tags:
            parts = ([f"tags: {', '.join(other_tags)}"] if other_tags else []) + unread
            ctx.note("threat", about, where, "; ".join(parts))
        for key in ("references", "reference"):
            if obj.get(key) is not None:
                ctx.note("threat", about, f"{where}.{key}", f"references: {obj[key]}")
        likelihood = ctx.document.member(risk, "likelihood", float, (*keys, "risk"))
        impact_text = ctx.text(risk, "impactComment", (*keys, "risk"))
        return {
            "title": short(definition.name), "category": category.value, "source": "A threat source",
            "prerequisites": long_text(ctx.text(risk, "likelihoodComment", (*keys, "risk"))),
            "action": long_text(description or definition.name),
            "impact": long_text(impact_text or f"the outcome named by the threat: {definition.name}"),
            "likelihood": step_from_value(likelihood) if likelihood is not None else None,
            "impact_rating": step_from_value(ctx.number(risk, "impact", (*keys, "risk"))),
            "cwe": sorted(set(cwe)), "capec": sorted(set(capec)), "attack": sorted(set(attack)),
        }

    def instance_mitigations(self, inst: dict[str, Any], keys: tuple[Key, ...], threat: str) -> list[str]:
        out: list[str] = []
        for k, mit in enumerate(inst.get("mitigations") or []):
            if mit is None or mit.get("mitigation") is None:
                self.ctx.report.skip("mitigation instance", f"{threat}: an empty mitigation instance")
                continue
            otm_id, state = mit["mitigation"], str(mit.get("state") or "")
            self.used.add(otm_id)
            where = f"{_dotted(keys)}.mitigations[{k}]"
            name = self.mitigations[otm_id].name
            status = control_status_of_state(state)
            if slug(state) in REJECTED_MITIGATION_STATES:
                self.ctx.note("mitigation instance", threat, where, f"mitigation {name!r} is {state} for this threat")
                continue
            if status is None:
                status = ControlStatus.PLANNED
                self.ctx.note("mitigation instance", threat, where, f"mitigation {name!r} has state {state!r}, "
                              "which threatloom does not know: read as planned")
            else:
                self.ctx.report.map("mitigation instance")
            ident = self.control_for(otm_id, status)
            if ident not in out:
                out.append(ident)
        return out

    def decision(self, threat: str, state: str, keys: tuple[Key, ...]) -> None:
        found = decision_of_state(state)
        if found is None:
            self.ctx.note("threat instance", threat, f"{_dotted(keys)}.state", f"state {state!r}, which threatloom "
                          "does not know: the threat stays open")
            found = (Treatment.REDUCE, ThreatStatus.OPEN)
        else:
            self.ctx.report.map("threat instance")
        treatment, status = found
        self.ctx.draft.add("decisions", {"threat": threat, "treatment": treatment.value, "status": status.value,
                                         "justification": short(f"state {state!r} in the OTM file")})

    def unused_mitigations(self) -> None:
        for otm_id, mit in self.mitigations.items():
            if otm_id in self.used:
                continue
            reduction = self.ctx.document.required(mit.obj, "riskReduction", float, mit.keys)
            text = self.ctx.text(mit.obj, "description", mit.keys)
            self.ctx.note("mitigation", None, f"mitigations[{mit.keys[1]}] ({mit.name})",
                          f"mitigation {mit.name!r} (riskReduction {reduction:g}) is used by no threat"
                          + (f": {text}" if text else ""))


def read_threats(ctx: ImportContext, root: dict[str, Any]) -> Callable[[str], str | None]:
    """Read threats and mitigations; returns how to make a control for an OTM mitigation by its ID (for
    :mod:`repair`)."""
    reader = _Threats(ctx)
    reader.threats = reader.definitions(root, "threats", "risk")
    reader.mitigations = reader.definitions(root, "mitigations", "riskReduction")
    reader.collect_instances()
    reader.carried_controls()
    for otm_id, definition in reader.threats.items():
        reader.threat(otm_id, definition)
    reader.unused_mitigations()

    def make_control(otm_id: str) -> str | None:
        mit = reader.mitigations.get(otm_id)
        if mit is None or mit.carry is not None:
            return None
        return reader.control_for(otm_id, ControlStatus.IMPLEMENTED)

    return make_control


def _describe(ctx: ImportContext, definition: _Definition) -> str:
    description = ctx.text(definition.obj, "description", definition.keys)
    return f"threat {definition.name!r}" + (f": {description}" if description else "")


def _base_id(otm_id: str, name: str) -> str:
    """The OTM ID when it reads well (`loss-control-env`), else the name (UUIDs read badly)."""
    readable = slug(otm_id)
    if readable[:1].isalpha() and not any(len(p) >= 8 and any(ch.isdigit() for ch in p) for p in readable.split("-")):
        return readable
    return slug(name) or "threat"


def _cwe_tag(tag: str) -> int | None:
    return cwe_number(tag) if tag.lower().startswith("cwe") else None


def _dotted(keys: tuple[Key, ...]) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
