"""Import Threagile models (`threagile.yaml`): assets, links, trust boundaries, individual risks and their
tracking, as a threatloom model whose own rules then run on it.

How Threagile's vocabulary maps to ours, and why, is in :mod:`.vocabulary`. What has no field in our
model (ratings of technical assets, machine and size, shared runtimes, questions, abuse cases,
security requirements) is kept as notes on the element it belongs to.

Abuse cases stay notes rather than manual threats: Threagile writes them as free-text stories with
no element, category or rating, so a threat made of one would rest on guesses.
"""

from __future__ import annotations

from threatloom.interop.draft import ModelDraft
from threatloom.interop.interface import Importer, ImportReport
from threatloom.interop.reading import ForeignDocument
from threatloom.interop.threagile.assets import add_component, collect_technical_assets, read_data_assets
from threatloom.interop.threagile.boundaries import read_boundaries, read_shared_runtimes
from threatloom.interop.threagile.links import allocate_links, read_links
from threatloom.interop.threagile.overview import read_lists, read_overview
from threatloom.interop.threagile.risks import read_risks
from threatloom.interop.threagile.source import Source

# top-level sections; anything else is kept as a note (diagram tweaks are skipped as layout)
SECTIONS = ("threagile_version", "includes", "title", "author", "contributors", "date", "application_description",
            "business_overview", "technical_overview", "business_criticality", "management_summary_comment",
            "security_requirements", "questions", "abuse_cases", "tags_available", "data_assets",
            "technical_assets", "trust_boundaries", "shared_runtimes", "individual_risk_categories",
            "custom_risk_categories", "risk_tracking")


class ThreagileImporter(Importer):
    name = "threagile"
    title = "Threagile"

    def sniff(self, document: ForeignDocument) -> bool:
        data = document.data
        if document.syntax == "xml" or not isinstance(data, dict):  # YAML, or JSON, which is YAML too
            return False
        return "threagile_version" in data or (
            isinstance(data.get("technical_assets"), dict) and
            any(key in data for key in ("data_assets", "trust_boundaries", "risk_tracking")))

    def read(self, document: ForeignDocument, draft: ModelDraft, report: ImportReport) -> None:
        src = Source(document, draft, report)
        root = src.root
        if not any(key in SECTIONS for key in root):
            raise document.error((), "none of Threagile's sections (threagile_version, title, data_assets, "
                                 "technical_assets…) is in this file", "give the threagile.yaml file itself, "
                                 "or name the tool that wrote this one with --from", "import-format")
        read_overview(src)
        read_data_assets(src)
        assets = collect_technical_assets(src)
        allocate_links(src, assets)
        zones = read_boundaries(src, assets)
        for asset in assets:
            zone = zones.get(asset.foreign_id)
            add_component(src, asset, zone, in_boundary=zone is not None and draft.ours("zone", "internet") != zone)
        read_links(src, assets)
        read_shared_runtimes(src, assets)
        read_risks(src)
        read_lists(src)
        for line in src.extras(root, SECTIONS, ()):
            draft.note(None, line.split(":")[0], f"Threagile section not imported: {line}")
            report.keep_as_note("other sections", line.split(":")[0])


importer = ThreagileImporter()
