"""Import AWS threat-composer workspaces (`.tc.json`, schema version 1).

A workspace holds the application's description, architecture and data-flow texts (with pictures),
assumptions, threats written in a threat grammar, mitigations, and the links between them. It has no
diagram, so threatloom makes one process stand for the whole application and attaches every threat
to it (the model says so in a note); the rules then find what they can on it.

Mapping: threats -> manual threats `T-<numericId>` (grammar fields, STRIDE category, priority as
likelihood and impact, status as a decision); impacted assets -> assets; mitigations -> controls
(status planned / partial / implemented) linked through each threat's `mitigations:`; assumptions ->
`system.scope.assumptions` as `A-<numericId>: …` with what they are linked to; descriptions and
brainstorm ideas -> notes; embedded images are left out and counted.
"""

from __future__ import annotations

import re
from typing import Any

from threatloom.interop.draft import ModelDraft
from threatloom.interop.interface import Importer, ImportReport
from threatloom.interop.reading import ForeignDocument
from threatloom.interop.threat_composer import records, workspace
from threatloom.interop.threat_composer.records import Entry, Link, Threat
from threatloom.interop.threat_composer.threats import ThreatLinks, add_assets, add_threats, label

KNOWN_KEYS = {"schema", "applicationInfo", "architecture", "dataflow", "assumptions", "mitigations",
              "assumptionLinks", "mitigationLinks", "threats", "brainstorm"}
CONTENT_KEYS = {"threats", "mitigations", "assumptions", "applicationInfo"}
# "An internet-based threat actor" (threat-composer's own example source) acts from the internet
INTERNET = re.compile(r"(?i)\binternet\b")


class ThreatComposerImporter(Importer):
    name = "threat-composer"
    title = "AWS threat-composer"

    def sniff(self, document: ForeignDocument) -> bool:
        data = document.data
        return isinstance(data, dict) and "schema" in data and bool(CONTENT_KEYS & set(data))

    def read(self, document: ForeignDocument, draft: ModelDraft, report: ImportReport) -> None:
        data = document.expect(document.data, dict, (), "a threat-composer file is a JSON object")
        version = document.required(data, "schema", float, ())
        if version != 1:
            raise document.error(("schema",), f"threat-composer schema version {version:g}; threatloom reads "
                                 "version 1", "export the workspace again from threat-composer", "import-version")
        app_name = workspace.add_application(document, data, draft, report)
        threats = [records.threat(document, obj, keys) for obj, keys in records.records(document, data, "threats")]
        mitigations = [records.entry(document, obj, keys)
                       for obj, keys in records.records(document, data, "mitigations")]
        assumptions = [records.entry(document, obj, keys)
                       for obj, keys in records.records(document, data, "assumptions")]
        mitigation_links = records.links(document, data, "mitigationLinks", "mitigationId")
        assumption_links = records.links(document, data, "assumptionLinks", "assumptionId")

        assets = add_assets(draft, report, threats, app_name)
        # an asset may carry the application's own name; the component then says what it is
        taken = draft.ours("asset", app_name.lower()) is not None
        app = draft.new_id(f"{app_name} application" if taken else app_name, "application",
                           foreign=("application", app_name))
        component: dict[str, Any] = {
            "id": app, "name": app_name, "description": "The whole application: threat-composer files have no "
            "diagram.", "type": "process",
            "stores": sorted(assets.values()), "processes": sorted(assets.values())}
        internet = [t.number for t in threats if INTERNET.search(f"{t.source} {t.prerequisites}")]
        if internet:
            component["internet_facing"] = True
        draft.add("components", component)
        draft.note(app, "(no diagram)", "threat-composer workspaces have no diagram. threatloom made this one "
                   "process stand for the whole application, so that every imported threat concerns an element, "
                   "and gave it every asset the threats name. Draw the real components and flows, then move "
                   "each threat to the elements it concerns." + (
                       f" It is marked internet-facing because the threat source of {label('T', internet)} "
                       "acts from the internet." if internet else ""))
        report.map("application component")
        workspace.add_diagram_text(document, data, draft, report, "architecture", app)
        workspace.add_diagram_text(document, data, draft, report, "dataflow", app)

        dangling: dict[str, list[str]] = {}
        per_threat = link_threats(draft, report, threats, mitigations, assumptions, mitigation_links,
                                  assumption_links, dangling)
        controls = workspace.add_controls(draft, report, mitigations, dangling)
        for link in per_threat.values():
            link.mitigations = [(n, controls[uuid]) for n, uuid in link.mitigations]
        workspace.add_assumptions(draft, report, assumptions, assumption_links,
                                  {t.uuid: t.number for t in threats}, {m.uuid: m.number for m in mitigations})
        add_threats(draft, report, threats, app, assets, per_threat)
        workspace.add_brainstorm(document, data, draft, report)
        for key in sorted(set(data) - KNOWN_KEYS):
            workspace.keep_unknown(draft, report, key, data[key])


def link_threats(draft: ModelDraft, report: ImportReport, threats: list[Threat], mitigations: list[Entry],
                 assumptions: list[Entry], mitigation_links: list[Link], assumption_links: list[Link],
                 dangling: dict[str, list[str]]) -> dict[str, ThreatLinks]:
    """Per threat UUID: its mitigations (number, mitigation UUID) and assumptions; links whose other end
    is not in the file become notes on the end that is (in `dangling` for mitigations)."""
    by_threat = {t.uuid: ThreatLinks() for t in threats}
    mitigation = {m.uuid: m for m in mitigations}
    assumption = {a.uuid: a for a in assumptions}
    for link in mitigation_links:
        where = f"{link.keys[0]}[{link.keys[1]}]"
        if link.owner in mitigation and link.linked in by_threat:
            pair = (mitigation[link.owner].number, link.owner)
            if pair not in by_threat[link.linked].mitigations:
                by_threat[link.linked].mitigations.append(pair)
            report.map("mitigation link")
        elif link.owner in mitigation and link.linked in assumption:
            report.map("mitigation link")  # shown in the assumption's text, with its assumption links
            assumption_links.append(Link(link.linked, link.owner, "Mitigation", link.keys))
        else:
            missing(draft, report, "mitigation link", where, link, mitigation, by_threat, dangling)
    for link in assumption_links:
        where = f"{link.keys[0]}[{link.keys[1]}]"
        if link.owner in assumption and (link.linked in by_threat or link.linked in mitigation):
            if link.linked in by_threat and assumption[link.owner].number not in by_threat[link.linked].assumptions:
                by_threat[link.linked].assumptions.append(assumption[link.owner].number)
            if link.keys[0] == "assumptionLinks":
                report.map("assumption link")
        else:
            missing(draft, report, "assumption link", where, link, mitigation, by_threat, dangling,
                    assumption)
    return by_threat


def missing(draft: ModelDraft, report: ImportReport, kind: str, where: str, link: Link, mitigation: dict[str, Entry],
            by_threat: dict[str, ThreatLinks], dangling: dict[str, list[str]],
            assumption: dict[str, Entry] | None = None) -> None:
    """A link with an end that is not in the file: a note on the end that is, or on the model."""
    owner_kind = "assumption" if assumption is not None else "mitigation"
    owners = assumption if assumption is not None else mitigation
    if link.owner in owners:
        text = f"threat-composer links {owner_kind} {link.owner} to {link.linked}, which is not in the file."
        if owner_kind == "mitigation":
            dangling.setdefault(link.owner, []).append(text)
        else:
            draft.note(None, where, text)
    elif link.linked in by_threat:
        by_threat[link.linked].notes.append(f"threat-composer links it to {owner_kind} {link.owner}, which is not "
                                            "in the file.")
    elif link.linked in mitigation:
        dangling.setdefault(link.linked, []).append(f"threat-composer links it to {owner_kind} {link.owner}, "
                                                    "which is not in the file.")
    else:
        draft.note(None, where, f"threat-composer link between {link.owner} and {link.linked}: neither is in the "
                   "file.")
    report.keep_as_note(kind, f"{where}: one end is not in the file")


importer = ThreatComposerImporter()
