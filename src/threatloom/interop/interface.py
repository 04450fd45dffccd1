"""The contract every foreign format implements: an importer, an exporter, or both.

A format lives in its own module (or package) `threatloom.interop.<name>` that exposes `importer`
and/or `exporter` at top level; :mod:`threatloom.interop` finds them by name, importing only the one
asked for (detection imports each importer's module, which is small).

- An importer reads a :class:`~threatloom.interop.reading.ForeignDocument` and fills a
  :class:`~threatloom.interop.draft.ModelDraft`; every foreign item is either mapped to a field of the
  model, kept in the model as a note (`notes:`), or, when it carries nothing a reader needs (an
  embedded image, layout coordinates), skipped with a reason. All three are counted in the
  :class:`ImportReport`, by kind, so nothing is lost silently.
- An exporter turns a Model and its Analysis into the bytes of the foreign file.

Both raise :class:`threatloom.errors.InputError` for input they cannot read, located in the file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from threatloom.engine.threat import Analysis
    from threatloom.interop.draft import ModelDraft
    from threatloom.interop.reading import ForeignDocument
    from threatloom.model.schema import Model


class ImportReport(msgspec.Struct):
    """What an import did with each kind of foreign content."""

    format: str
    mapped: Counter[str] = msgspec.field(default_factory=Counter)  # kind -> items mapped to model fields
    noted: dict[str, list[str]] = msgspec.field(default_factory=dict)  # kind -> what was kept as a note
    skipped: dict[str, list[str]] = msgspec.field(default_factory=dict)  # kind -> what was left out, and why

    def map(self, kind: str, count: int = 1) -> None:
        self.mapped[kind] += count

    def keep_as_note(self, kind: str, what: str) -> None:
        self.noted.setdefault(kind, []).append(what)

    def skip(self, kind: str, what: str) -> None:
        self.skipped.setdefault(kind, []).append(what)

    def kinds(self) -> list[str]:
        return sorted(set(self.mapped) | set(self.noted) | set(self.skipped))

    def as_dict(self) -> dict[str, object]:
        return {
            "format": self.format,
            "mapped": dict(sorted(self.mapped.items())),
            "noted": {k: v for k, v in sorted(self.noted.items())},
            "skipped": {k: v for k, v in sorted(self.skipped.items())},
        }


class ImportResult(msgspec.Struct, frozen=True):
    """A model file's text, ready to write, and the report of what was mapped."""

    text: str
    report: ImportReport


class Importer(ABC):
    """Reads one foreign format into a model draft."""

    name: str  # the `--from` value
    title: str  # the tool's name, for messages

    @abstractmethod
    def sniff(self, document: ForeignDocument) -> bool:
        """True when `document` looks like this format (used when `--from` is not given)."""

    @abstractmethod
    def read(self, document: ForeignDocument, draft: ModelDraft, report: ImportReport) -> None:
        """Fill `draft` from `document`, accounting for every item in `report`."""


class Exporter(ABC):
    """Writes a model and its analysis in one foreign format."""

    name: str  # the `--to` value
    title: str
    suffix: str  # default file extension, with its dot

    @abstractmethod
    def export(self, model: Model, analysis: Analysis) -> bytes:
        """The foreign file's bytes; deterministic for the same inputs."""
