"""State shared by the steps of an OTM import, and the small readers every step uses."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from threatloom.interop.draft import ModelDraft, keep_id, short
from threatloom.interop.interface import ImportReport
from threatloom.interop.otm.carry import KEY
from threatloom.interop.reading import ForeignDocument, Key

_READABLE = re.compile(r"^[a-z][a-z0-9-]{0,59}$")
_HEX_RUN = re.compile(r"(?:^|-)[0-9a-f]{8,}(?:-|$)")


class ImportContext(msgspec.Struct):
    document: ForeignDocument
    draft: ModelDraft
    report: ImportReport
    carried_project: dict[str, Any] | None = None  # project.attributes.threatloom: a file threatloom wrote
    zones: dict[str, str] = msgspec.field(default_factory=dict)  # OTM trust zone ID -> ours
    placeholder_zones: set[str] = msgspec.field(default_factory=set)  # OTM IDs of threatloom's "no zone" zone
    components: dict[str, str] = msgspec.field(default_factory=dict)  # OTM component ID -> ours
    component_zone: dict[str, str | None] = msgspec.field(default_factory=dict)  # our element ID -> our zone
    flows: dict[str, str] = msgspec.field(default_factory=dict)  # OTM dataflow ID -> ours
    assets: dict[str, str] = msgspec.field(default_factory=dict)  # OTM asset ID -> ours
    representations: dict[str, str] = msgspec.field(default_factory=dict)  # OTM representation ID -> its type
    zone_stand_ins: dict[str, str] = msgspec.field(default_factory=dict)  # our zone ID -> element standing for it
    element_assets: dict[str, list[str]] = msgspec.field(default_factory=dict)  # our element or flow -> its assets
    # threat instances met on components and dataflows: (keys of the list, our element or flow ID, list)
    instances: list[tuple[tuple[Key, ...], str, list[Any]]] = msgspec.field(default_factory=list)

    # -- reading ---------------------------------------------------------------------------------------

    def items(self, obj: dict[str, Any], key: str, keys: tuple[Key, ...]) -> list[dict[str, Any]]:
        """The list `obj[key]` (absent or null: empty), each item checked to be a mapping."""
        values = self.document.member(obj, key, list, keys) or []
        return [self.document.expect(v, dict, (*keys, key, i)) for i, v in enumerate(values)]

    def text(self, obj: dict[str, Any], key: str, keys: tuple[Key, ...]) -> str:
        return (self.document.member(obj, key, str, keys) or "").strip()

    def strings(self, obj: dict[str, Any], key: str, keys: tuple[Key, ...]) -> list[str]:
        """A list of strings (nulls, which OTM's schema allows, are left out; repeats kept once)."""
        values = self.document.member(obj, key, list, keys) or []
        out: dict[str, None] = {}
        for i, value in enumerate(values):
            if value is None:
                continue
            text = short(self.document.expect(value, str, (*keys, key, i)))
            if text:
                out[text] = None
        return list(out)

    def number(self, obj: dict[str, Any], key: str, keys: tuple[Key, ...]) -> float:
        return self.document.required(obj, key, float, keys)

    # -- identity --------------------------------------------------------------------------------------

    def our_id(self, kind: str, otm_id: str, name: str, prefix: str, *, exact: bool) -> str:
        """Our ID for an OTM item: its own ID when threatloom wrote the file (`exact`) or when it already
        reads well (`web-client`), else one made from its name (UUIDs read badly)."""
        if exact:
            return keep_id(self.draft, otm_id, name or otm_id, prefix, foreign=(kind, otm_id))
        if _READABLE.match(otm_id) and not _HEX_RUN.search(otm_id):
            return self.draft.new_id(otm_id, prefix, foreign=(kind, otm_id))
        return self.draft.new_id(name, prefix, foreign=(kind, otm_id))

    # -- notes -----------------------------------------------------------------------------------------

    def note(self, kind: str, about: str | None, where: str, text: str) -> None:
        self.draft.note(about, where, text)
        self.report.keep_as_note(kind, short(f"{where}: {text}"))

    def attributes(self, obj: dict[str, Any], keys: tuple[Key, ...], about: str | None, where: str) -> None:
        """Every attribute but threatloom's own becomes a note about the element."""
        attributes = self.document.member(obj, "attributes", dict, keys) or {}
        for name in sorted(attributes):
            if name == KEY:
                continue
            value = attributes[name]
            shown = _shown(value)
            self.note("attribute", about, f"{where}.attributes.{name}", f"{name}: {shown}")

    def element_representations(self, obj: dict[str, Any], keys: tuple[Key, ...], about: str | None,
                                where: str) -> None:
        """Shapes on a diagram are layout (skipped); a place in code is worth a note."""
        for i, rep in enumerate(self.items(obj, "representations", keys)):
            here = (*keys, "representations", i)
            of = self.text(rep, "representation", here)
            kind = self.representations.get(of, "")
            code = {k: rep[k] for k in ("file", "line", "codeSnippet", "package") if rep.get(k) is not None}
            if code or kind == "code":
                parts = [f"{k}: {v}" for k, v in code.items()]
                self.note("representation", about, f"{where}.representations[{i}]",
                          f"represented in {of or 'code'}" + (f" ({'; '.join(parts)})" if parts else ""))
            else:
                self.report.skip("representation", f"{where}: shape on {of or 'a diagram'} (layout)")

    def extras(self, obj: dict[str, Any], known: frozenset[str], about: str | None, where: str) -> None:
        """Keys OTM does not define (a tool's own extensions) become notes about the element."""
        for name in sorted(set(obj) - known):
            value = obj[name]
            if value is None:
                continue
            shown = _shown(value)
            self.note("attribute", about, f"{where}.{name}", f"{name}: {shown}")


def _shown(value: Any) -> str:
    """A foreign value as text for a note (YAML dates and the like as their text)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


KNOWN_KEYS = {
    "root": frozenset({"otmVersion", "project", "representations", "assets", "components", "dataflows",
                       "trustZones", "threats", "mitigations"}),
    "project": frozenset({"name", "id", "description", "owner", "ownerContact", "tags", "attributes"}),
    "trustZone": frozenset({"id", "name", "type", "description", "risk", "parent", "representations",
                            "attributes"}),
    "component": frozenset({"id", "name", "type", "description", "parent", "representations", "assets", "threats",
                            "tags", "attributes"}),
    "dataflow": frozenset({"id", "name", "description", "bidirectional", "source", "destination", "assets",
                           "threats", "tags", "attributes", "representations"}),
    "asset": frozenset({"id", "name", "description", "risk", "attributes"}),
    "threat": frozenset({"id", "name", "description", "categories", "cwes", "risk", "tags", "attributes",
                         "references", "reference"}),
    "mitigation": frozenset({"id", "name", "description", "riskReduction", "attributes"}),
}
