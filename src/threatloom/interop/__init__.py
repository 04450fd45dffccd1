"""Import from and export to other threat-modeling tools: one module per foreign format.

    from threatloom.interop import import_file, export_model
    result = import_file(Path("model.otm.json"))        # format detected; or fmt="otm"
    Path("model.yaml").write_text(result.text)
    data = export_model(model, analysis, "threat-dragon")

The contract is in :mod:`threatloom.interop.interface`; each format's module is imported only when
that format is asked for (or, without `fmt`, when detection tries it).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from threatloom.errors import InputError, Problem, SourceLocation, ThreatloomError

if TYPE_CHECKING:
    from threatloom.engine.threat import Analysis
    from threatloom.interop.interface import Exporter, Importer, ImportResult
    from threatloom.interop.reading import ForeignDocument
    from threatloom.model.schema import Model

# `--from` / `--to` name -> module holding `importer` / `exporter`
IMPORT_FORMATS = {
    "otm": "threatloom.interop.otm",
    "threat-dragon": "threatloom.interop.threat_dragon",
    "threagile": "threatloom.interop.threagile",
    "threat-composer": "threatloom.interop.threat_composer",
    "mtmt": "threatloom.interop.mtmt",
}
EXPORT_FORMATS = {
    "otm": "threatloom.interop.otm",
    "threat-dragon": "threatloom.interop.threat_dragon",
}


class FormatError(ThreatloomError):
    """An unknown format name, or a file whose format cannot be told."""


def importer(name: str) -> Importer:
    if name not in IMPORT_FORMATS:
        raise FormatError(f"unknown import format {name!r}: use {', '.join(IMPORT_FORMATS)}")
    found: Importer = import_module(IMPORT_FORMATS[name]).importer
    return found


def exporter(name: str) -> Exporter:
    if name not in EXPORT_FORMATS:
        raise FormatError(f"unknown export format {name!r}: use {', '.join(EXPORT_FORMATS)}")
    found: Exporter = import_module(EXPORT_FORMATS[name]).exporter
    return found


def import_file(path: Path, fmt: str | None = None) -> ImportResult:
    """Read `path` (format `fmt`, or detected) into a model file's text that validates.

    InputError when the file cannot be read or is not of the format; FormatError for an unknown `fmt`.
    """
    from threatloom.interop.draft import ModelDraft
    from threatloom.interop.interface import ImportReport, ImportResult
    from threatloom.interop.reading import read_foreign
    from threatloom.model.loading import load_model_text

    chosen = importer(fmt) if fmt is not None else None
    document = read_foreign(path)
    if chosen is None:
        chosen = detect(document, [importer(name) for name in IMPORT_FORMATS])
    draft = ModelDraft(path.stem, f"{chosen.title} ({path.name})")
    report = ImportReport(chosen.name)
    chosen.read(document, draft, report)
    text = draft.to_yaml()
    try:
        load_model_text(text, f"<import of {path.name}>")
    except InputError as exc:  # a bug of ours, not of the file: say so plainly
        raise InputError([Problem(SourceLocation(str(path)), f"the {chosen.title} import produced an invalid "
                                  f"model: {p.message}", "please report this with the file", "import-bug")
                          for p in exc.problems]) from None
    return ImportResult(text, report)


def detect(document: ForeignDocument, candidates: list[Importer]) -> Importer:
    """The first importer that recognises `document`; InputError when none does."""
    for candidate in candidates:
        if candidate.sniff(document):
            return candidate
    raise InputError([Problem(SourceLocation(document.display), "cannot tell which tool wrote this file",
                              f"name the format with --from ({', '.join(IMPORT_FORMATS)})", "import-format")])


def export_model(model: Model, analysis: Analysis, fmt: str) -> bytes:
    """The bytes of `model` and `analysis` in format `fmt` (see EXPORT_FORMATS)."""
    return exporter(fmt).export(model, analysis)


__all__ = ["EXPORT_FORMATS", "IMPORT_FORMATS", "FormatError", "export_model", "exporter", "import_file",
           "importer"]
