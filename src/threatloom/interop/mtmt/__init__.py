"""Import Microsoft Threat Modeling Tool files (`.tm7`, the XML of tool versions 7.x).

Mapping: the drawing surfaces' processes, external interactors and data stores -> components (type
from the generic type, kind from the stencil, template attributes -> fields where they fit); data
flows -> flows; trust border boundaries -> zones (by geometry); trust boundary lines -> notes;
threat instances -> manual threats `TMT-<Id>` on their flow, with category, priority as likelihood
and impact, possible mitigations as planned controls, and state as a decision. The file's own
information (name, owner, description, assumptions, notes) -> system and notes; the embedded
template is counted and skipped; layout is skipped. The tool's GUIDs stay in notes, never in IDs.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from threatloom.interop.draft import ModelDraft, long_text, short
from threatloom.interop.interface import Importer, ImportReport
from threatloom.interop.mtmt.diagram import TOOL, add_diagrams
from threatloom.interop.mtmt.shapes import read_surfaces
from threatloom.interop.mtmt.template import read_template
from threatloom.interop.mtmt.threats import add_threats, read_instances
from threatloom.interop.mtmt.xmltree import Locator, kids, local, text
from threatloom.interop.reading import ForeignDocument

NAMESPACE = "{http://schemas.datacontract.org/2004/07/ThreatModeling.Model}"
READ = {"DrawingSurfaceList", "MetaInformation", "Notes", "ThreatInstances", "KnowledgeBase", "Version",
        "ThreatGenerationEnabled", "Validations", "Profile"}
SETTINGS = {"ThreatGenerationEnabled": "a setting of the tool (threat generation on or off)",
            "Profile": "the tool's user-interface state"}


class ThreatModelingToolImporter(Importer):
    name = "mtmt"
    title = TOOL

    def sniff(self, document: ForeignDocument) -> bool:
        root = document.data
        return isinstance(root, Element) and root.tag == f"{NAMESPACE}ThreatModel"

    def read(self, document: ForeignDocument, draft: ModelDraft, report: ImportReport) -> None:
        root = document.xml
        loc = Locator(document)
        if local(root.tag) != "ThreatModel":
            raise loc.error(local(root.tag), "not a Threat Modeling Tool file: the root element is not "
                            "<ThreatModel>", "give the .tm7 file the tool saved", "<", code="import-format")
        surfaces = read_surfaces(root, loc)
        template = read_template(root, report)
        instances = read_instances(root, loc)
        _meta(root, draft, report)
        diagram = add_diagrams(draft, report, loc, surfaces)
        add_threats(draft, report, instances, diagram, template)
        if diagram.unset:
            report.skip("element attribute", f"{diagram.unset} attributes left unanswered (at 'Select' or empty)")
        if diagram.headings:
            report.skip("element attribute", f"{diagram.headings} headings that group attributes on screen")
        about = [f"Saved by the {TOOL}" + (f" (file version {text(root, 'Version')})" if text(root, "Version")
                                            else "") + "."]
        if template.name:
            about.append(f"Threats were generated with the template {template.title}"
                         + (f" by {template.author}" if template.author else "") + ".")
        draft.note(None, "ThreatModel", " ".join(about))
        for child in root:
            name = local(child.tag)
            if name in SETTINGS:
                report.skip("setting", f"{name}: {SETTINGS[name]}")
            elif name not in READ:
                content = " ".join(" ".join(child.itertext()).split())
                draft.note(None, name, f"<{name}> (not known to threatloom): {content or '(empty)'}")
                report.keep_as_note("unknown content", name)


def _meta(root: Element, draft: ModelDraft, report: ImportReport) -> None:
    """MetaInformation (name, owner, description, assumptions…), the file's notes and validations."""
    meta = next((c for c in root if local(c.tag) == "MetaInformation"), None)
    if meta is not None:
        name, owner = text(meta, "ThreatModelName"), text(meta, "Owner")
        description = text(meta, "HighLevelSystemDescription")
        if name:
            draft.system["name"] = short(name)
        if owner:
            draft.system["owner"] = short(owner)
        if description:
            draft.system["description"] = long_text(description)
        assumptions = [line.strip() for line in (text(meta, "Assumptions") or "").splitlines() if line.strip()]
        if assumptions:
            draft.system.setdefault("scope", {})["assumptions"] = [long_text(a) for a in assumptions]
        count = sum(1 for v in (name, owner, description) if v) + len(assumptions)
        if count:
            report.map("model information", count)
        for tag, label in (("Contributors", "Contributors"), ("Reviewer", "Reviewer"),
                           ("ExternalDependencies", "External dependencies")):
            value = text(meta, tag)
            if value:
                draft.note(None, f"MetaInformation.{tag}", f"{label}: {value}")
                report.keep_as_note("model information", label)
    for tag in ("Notes", "Validations"):
        holder = next((c for c in root if local(c.tag) == tag), None)
        for i, item in enumerate(kids(holder) if holder is not None else []):
            parts = {local(c.tag): text(c) for c in item}
            message = parts.get("Message") or " ".join(" ".join(item.itertext()).split())
            if not message:
                continue
            by = " ".join(p for p in (parts.get("AddedBy"), parts.get("Date")) if p)
            draft.note(None, f"{tag}[{i}]", f"{'Note' if tag == 'Notes' else 'Validation'} in the {TOOL}"
                       + (f" ({by})" if by else "") + f": {message}")
            report.keep_as_note("note" if tag == "Notes" else "validation", message[:60])


importer = ThreatModelingToolImporter()
