"""Shared for the import and export tests: where the public sample files of other tools are."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SAMPLES
from threatloom.interop import import_file
from threatloom.interop.interface import ImportResult
from threatloom.model.loading import load_model_text
from threatloom.model.schema import Model

OTM = SAMPLES / "otm"
THREAT_DRAGON = SAMPLES / "threat-dragon"
THREAGILE = SAMPLES / "threagile"
THREAT_COMPOSER = SAMPLES / "threat-composer"
MTMT = SAMPLES / "mtmt"


def imported(path: Path, source_format: str) -> tuple[ImportResult, Model]:
    """The import of `path` and the model it gives, loaded with the real loader (so it must validate)."""
    result = import_file(path, source_format)
    return result, load_model_text(result.text, f"<import of {path.name}>")


def decision_table(model: Model) -> dict[str, tuple[str, str | None, str | None]]:
    """Each decision of an imported model as threat ID -> (treatment, status, justification)."""
    return {d.threat: (d.treatment.value, d.status.value if d.status else None, d.justification)
            for d in model.decisions}
