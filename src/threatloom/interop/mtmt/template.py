"""The template (knowledge base) a .tm7 file embeds: read for what the threats need, then left out.

The template defines the stencils, the threat categories and the threat types the tool generates
threats from; it is the tool's catalog, not content of this model (our catalog plays its part), so
it is counted and skipped. Read from it: its name and version, category names by letter, the
category of each threat type, and the labels of the threat properties.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import msgspec

from threatloom.interop.interface import ImportReport
from threatloom.interop.mtmt.xmltree import kid, kids, text


class Template(msgspec.Struct):
    name: str = ""
    version: str = ""
    author: str = ""
    categories: dict[str, str] = msgspec.field(default_factory=dict)  # letter -> name
    threat_types: dict[str, tuple[str, str]] = msgspec.field(default_factory=dict)  # TH id -> (category, title)
    labels: dict[str, str] = msgspec.field(default_factory=dict)  # threat property -> label shown in the tool

    @property
    def title(self) -> str:
        return f"{self.name or 'unnamed template'}" + (f" {self.version}" if self.version else "")


def read_template(root: Element, report: ImportReport) -> Template:
    kb = kid(root, "KnowledgeBase")
    found = Template()
    if kb is None:
        return found
    manifest = _part(kb, "Manifest")
    found.name = text(manifest, "Name") or ""
    found.version = text(manifest, "Version") or ""
    found.author = text(manifest, "Author") or ""
    for category in kids(_part(kb, "ThreatCategories")):
        letter, name = text(category, "Id"), text(category, "Name")
        if letter and name:
            found.categories[letter] = name
    types = kids(_part(kb, "ThreatTypes"))
    for threat_type in types:
        ident = text(threat_type, "Id")
        if ident:
            found.threat_types[ident] = (text(threat_type, "Category") or "", text(threat_type, "ShortTitle") or "")
    for datum in kids(_part(_part(kb, "ThreatMetaData"), "PropertiesMetaData")):
        name, label = text(datum, "Name"), text(datum, "Label")
        if name and label:
            found.labels[name] = label
    elements = sum(len(kids(_part(kb, part))) for part in ("GenericElements", "StandardElements"))
    report.skip("template", f"{found.title} by {found.author or 'unknown author'}: {len(types)} threat types, "
                f"{elements} stencils, {len(found.categories)} threat categories; the tool's catalog, not "
                "content of this model")
    return found


def _part(element: Element, name: str) -> Element:
    """The child `name`, or an empty element when there is none."""
    found = kid(element, name)
    return found if found is not None else Element(name)
