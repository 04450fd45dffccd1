"""Open Threat Model (OTM 0.2): import from JSON or YAML, export as JSON that validates against the
OTM schema. A model exported and imported again comes back with every element, flow, zone, asset,
threat and decision (see :mod:`.carry` for what rides in `attributes.threatloom`)."""

from __future__ import annotations

from threatloom.interop.otm.exporting import OtmExporter
from threatloom.interop.otm.importing import OtmImporter

importer = OtmImporter()
exporter = OtmExporter()

__all__ = ["exporter", "importer"]
