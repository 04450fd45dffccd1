"""The property sheet of a shape: the template's attributes, as display name and value.

Every shape of a .tm7 diagram carries `Properties`: a heading with the stencil's name (`Azure
Storage`), then attributes - text, true/false, or a list with the selected entry - and more headings
that only group them on screen. Attributes with a counterpart in our model become fields (name, out of
scope, technology, encryption at rest, audit logging, protocol…); the others, when answered, become
a note about the element; those left at "Select" carry no answer and are only counted.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import msgspec

from threatloom.interop.draft import short
from threatloom.interop.mtmt.xmltree import kid, kids, nil, text, xsi_type

UNSET = {"", "select", "not selected", "generic"}
STORAGE_KINDS = {"file": "file-storage", "table": "database", "queue": "queue", "blob": "object-storage"}
HOSTING_TAGS = {"azure": "azure", "on prem": "on-premises"}


class Attribute(msgspec.Struct):
    label: str
    kind: str  # String, Boolean, List, Header, or what the file says
    value: str | None  # the text, "true"/"false", or the selected entry; None when not answered


class Sheet(msgspec.Struct):
    stencil: str | None  # the first heading: the name of the stencil the shape was drawn with
    attributes: list[Attribute]
    headings: int  # the other headings (groups on screen)

    def value(self, label: str) -> str | None:
        for a in self.attributes:
            if a.label.lower() == label.lower():
                return a.value
        return None


class Mapped(msgspec.Struct):
    """What a sheet gives the model: fields, notes on the rest, and counts for the report."""

    fields: dict[str, Any] = msgspec.field(default_factory=dict)
    notes: list[str] = msgspec.field(default_factory=list)
    used: int = 0
    unset: int = 0
    tls: str | None = None  # "label: value" when the shape enforces TLS for connections to it
    storage: str | None = None  # kind told by "Storage Type"


def read_sheet(properties: Element | None) -> Sheet:
    stencil, attributes, headings = None, [], 0
    for item in kids(properties) if properties is not None else []:
        kind = xsi_type(item).removesuffix("DisplayAttribute") or "Unknown"
        label = text(item, "DisplayName") or text(item, "Name") or ""
        if kind == "Header":
            if stencil is None:
                stencil = label or None
            else:
                headings += 1
            continue
        attributes.append(Attribute(label, kind, _value(item, kind)))
    return Sheet(stencil, attributes, headings)


def _value(item: Element, kind: str) -> str | None:
    value = kid(item, "Value")
    if value is None or nil(value):
        return None
    if kind == "List":
        options = [(o.text or "").strip() for o in kids(value)]
        try:
            chosen = options[int(text(item, "SelectedIndex") or "0")]
        except (ValueError, IndexError):
            return None
        return None if chosen.lower() in UNSET else chosen
    found = (value.text or "").strip()
    return found or None


def yes(value: str | None) -> bool | None:
    if value is None:
        return None
    return {"yes": True, "true": True, "no": False, "false": False}.get(value.strip().lower())


def map_sheet(sheet: Sheet, target: str) -> Mapped:
    """Fields for a `component`, `flow` or `zone` from its sheet (the name is read apart)."""
    out = Mapped()
    reason = sheet.value("Reason For Out Of Scope")
    for a in sheet.attributes:
        label = a.label.lower()
        if label == "name" or (label == "reason for out of scope" and target == "component"
                               and yes(sheet.value("Out Of Scope"))):
            continue
        if a.value is None or (label == "dataflow order" and a.value == "0"):
            out.unset += 1
            continue
        if _field(out, a.label, a.value, target, reason):
            out.used += 1
        else:
            out.notes.append(f"{a.label}: {a.value}")
    return out


def _field(out: Mapped, shown: str, value: str, target: str, reason: str | None) -> bool:
    """Set the field the attribute `shown` stands for; False when it has none here."""
    label = shown.lower()
    flag = yes(value)
    f = out.fields
    if label == "out of scope" and flag is not None:
        if flag and target == "component":
            f["out_of_scope"] = True
            f["out_of_scope_reason"] = reason or "Marked out of scope in the Microsoft Threat Modeling Tool (no " \
                "reason given)."
            return True
        return not flag  # in scope is our default; out of scope on a flow or boundary stays a note
    if target == "flow":
        return _flow_field(f, label, value, flag)
    if target != "component":
        return False
    if label.endswith(("technologies", "technology")):
        f.setdefault("technology", {})["name"] = short(value)
        return True
    if label.endswith(" version") and "technology" in f:
        f["technology"]["version"] = short(value)
        return True
    if (label == "encrypted" or "tde enabled" in label) and flag is not None:
        f["encryption_at_rest"] = flag
        return True
    if ("audit logging enabled" in label or "auditing enabled" in label) and flag is not None:
        f["audit_logging"] = flag
        return True
    if ("tls enforced" in label or "https enforced" in label) and flag:
        out.tls = f"{shown}: {value}"
        return True
    if label == "hosting environment" and value.lower() in HOSTING_TAGS:
        f.setdefault("tags", []).append(HOSTING_TAGS[value.lower()])
        return True
    if label == "storage type" and value.lower() in STORAGE_KINDS:
        out.storage = STORAGE_KINDS[value.lower()]
        return True
    if ("firewall settings" in label or label == "network security") and "all networks" in value.lower():
        f["internet_facing"] = True  # a public endpoint: anyone on the internet can connect
        return True
    return False


def _flow_field(f: dict[str, Any], label: str, value: str, flag: bool | None) -> bool:
    if label == "protocol":
        f["protocol"] = short(value)
        return True
    if label in ("source authenticated", "authenticates source") and flag is False:
        f["authentication"] = "none"
        return True
    if label == "provides confidentiality" and flag is False:
        f["encryption"] = "none"
        return True
    return False
