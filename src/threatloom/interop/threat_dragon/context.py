"""What the parts of a Threat Dragon import share: the file, the draft, the report, and the IDs given."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import msgspec

from threatloom.interop.draft import ModelDraft, keep_id
from threatloom.interop.interface import ImportReport
from threatloom.interop.reading import ForeignDocument, Key
from threatloom.interop.threat_dragon.cells import Cell

if TYPE_CHECKING:
    from threatloom.catalog.loading import Catalog

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Assets a Threat Dragon flag stands for: id -> the asset (added once, when a flag first needs it).
ASSETS: dict[str, dict[str, Any]] = {
    "credentials": {"id": "credentials", "name": "Credentials", "kind": "credential",
                    "description": "Credentials (and, as Threat Dragon's storesCredentials flag says, possibly "
                    "personal data) held by the stores marked so in Threat Dragon.",
                    "classification": "restricted", "confidentiality": "high", "integrity": "high",
                    "availability": "medium"},
    "payment-card-data": {"id": "payment-card-data", "name": "Payment card data", "kind": "data",
                          "description": "Card payments handled by the processes marked so in Threat Dragon.",
                          "classification": "restricted", "confidentiality": "high", "integrity": "high",
                          "availability": "medium", "personal_data": True},
}


class Element(msgspec.Struct):
    """A cell imported as an element of the model."""

    id: str
    name: str
    kind: str  # the cell's kind: actor, process or store
    item: dict[str, Any]  # the component or party as added to the draft
    party: bool


class ThreatText(msgspec.Struct, frozen=True):
    """The text fields of a Threat Dragon threat, placeholders dropped."""

    title: str
    description: str
    mitigation: str
    type: str
    model_type: str
    severity: str
    status: str  # "Open" when the file gives none


class RuleThreat(msgspec.Struct):
    """A threat whose ID is one of threatloom's rule threats (`TL-S001@web`), set aside until the whole
    file is read: only then can the rules tell whether they find it again (:mod:`.rule_threats`)."""

    cell: Cell
    element: Element
    threat: dict[str, Any]
    keys: tuple[Key, ...]
    text: ThreatText
    id: str
    number: int  # its place among the threats of its element, as the other threats are numbered


class Context(msgspec.Struct):
    doc: ForeignDocument
    draft: ModelDraft
    report: ImportReport
    elements: dict[str, Element] = msgspec.field(default_factory=dict)  # cell key -> element
    cells: dict[str, Cell] = msgspec.field(default_factory=dict)  # cell key -> cell, for every cell read
    assets: set[str] = msgspec.field(default_factory=set)
    threat_ids: set[str] = msgspec.field(default_factory=set)
    per_element: dict[str, int] = msgspec.field(default_factory=dict)  # threats numbered per element
    controls: dict[tuple[str, str], str] = msgspec.field(default_factory=dict)  # (text, status) -> control ID
    rule_threats: list[RuleThreat] = msgspec.field(default_factory=list)
    _catalog: Catalog | None = None

    @property
    def catalog(self) -> Catalog:
        """The built-in catalog (an imported model names no rule files), loaded once when first needed."""
        if self._catalog is None:
            from threatloom.catalog.loading import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    def element_id(self, cell: Cell, prefix: str, name: str = "") -> str:
        """The cell's own ID when threatloom wrote it (readable, not a UUID), else one from its name."""
        name = name or cell.name or prefix
        if UUID.match(cell.id):
            return self.draft.new_id(name, prefix, foreign=("cell", cell.key))
        return keep_id(self.draft, cell.id, name, prefix, foreign=("cell", cell.key))

    def asset(self, asset_id: str) -> str:
        if asset_id not in self.assets:
            self.assets.add(asset_id)
            self.draft.add("assets", dict(ASSETS[asset_id]))
        return asset_id

    def note(self, about: str | None, keys: tuple[Key, ...], text: str) -> None:
        """Keep `text` as a note saying where in the file it was (the dotted path: finding line numbers
        would mean parsing the whole file a second time)."""
        self.draft.note(about, dotted(keys), text)


def dotted(keys: tuple[Key, ...]) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".") or "top level"
