"""A model under construction by an importer, written out as YAML a person is glad to keep editing.

Importers add plain dicts in the model format (see docs/model.md); the draft gives every foreign
item a readable, unique ID derived from its name, remembers which foreign ID became which of ours,
and writes the sections in the order people read them, with multi-line text as YAML blocks.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

from threatloom.model.schema import FORMAT_VERSION

SECTIONS = ("system", "risk", "rules", "assets", "actors", "zones", "environment", "components", "flows",
            "controls", "decisions", "threats", "reviews", "notes")
MAX_ID = 60
MAX_SHORT = 300
MAX_TEXT = 20_000


class ModelDraft:
    """Sections of a model being built, with ID allocation shared across the element namespace."""

    def __init__(self, name: str, source: str) -> None:
        self.source = source  # e.g. "OWASP Threat Dragon v2 (payment-online.json)"
        self.system: dict[str, Any] = {"name": short(name) or "Imported model"}
        self.sections: dict[str, list[dict[str, Any]]] = {s: [] for s in SECTIONS if s not in ("system", "risk")}
        self.risk: dict[str, Any] = {}
        self._taken: set[str] = set()
        self._ours: dict[tuple[str, str], str] = {}

    def new_id(self, name: str, prefix: str = "", *, foreign: tuple[str, str] | None = None) -> str:
        """A fresh ID from `name` (`prefix` when the name gives none), unique in the draft.

        With `foreign=(kind, foreign_id)` it is remembered, so :meth:`ours` finds it later."""
        base = slug(name) or slug(prefix) or "item"
        if not base[0].isalpha():
            base = f"{slug(prefix) or 'x'}-{base}"
        base = base[:MAX_ID].rstrip("-")
        ident, n = base, 2
        while ident.lower() in self._taken:
            ident, n = f"{base}-{n}", n + 1
        self._taken.add(ident.lower())
        if foreign is not None:
            self._ours[foreign] = ident
        return ident

    def ours(self, kind: str, foreign_id: str) -> str | None:
        """The ID given to the foreign item `foreign_id` of `kind`, if it was imported."""
        return self._ours.get((kind, foreign_id))

    def add(self, section: str, item: dict[str, Any]) -> dict[str, Any]:
        """Append `item` (fields in the model format; None values and empty lists are dropped)."""
        cleaned = {k: v for k, v in item.items() if v is not None and v != [] and v != ""}
        self.sections[section].append(cleaned)
        return cleaned

    def note(self, about: str | None, where: str, text: str) -> None:
        """Keep `text` in the model's notes, saying where in the foreign file it came from."""
        self.add("notes", {"about": about, "source": short(f"{self.source}: {where}"), "text": long_text(text)})

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"threatloom": FORMAT_VERSION, "system": self.system}
        if self.risk:
            doc["risk"] = self.risk
        for section, items in self.sections.items():
            if items:
                doc[section] = items
        return doc

    def to_yaml(self) -> str:
        header = (f"# Imported by threatloom from {self.source}.\n"
                  "# Review it: what the import could not map is kept under `notes:`.\n")
        return header + yaml.dump(self.document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                                  width=100, default_flow_style=False)


def slug(text: str) -> str:
    """`Payment Service (v2)` -> `payment-service-v2`: ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def short(text: str | None) -> str:
    """One line of at most 300 characters (the model's limit for names)."""
    if not text:
        return ""
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_SHORT else line[: MAX_SHORT - 1].rstrip() + "…"


def long_text(text: str | None) -> str:
    """Text within the model's limit; a longer text is cut, and says so."""
    if not text:
        return ""
    value = str(text).strip()
    cut = "\n[cut by threatloom at 20,000 characters]"
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - len(cut)] + cut  # the mark counts too


# libyaml's emitter writes the same text as PyYAML's own, several times faster
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc]
    """Block style for multi-line text; lists of scalars inline when short."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value.rstrip() + "\n", style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = bool(value) and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value) and \
        sum(len(str(v)) + 2 for v in value) < 70 and not any("\n" in str(v) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(list, _list)


_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$")


def keep_id(draft: ModelDraft, wanted: str, name: str, prefix: str = "", *,
            foreign: tuple[str, str] | None = None) -> str:
    """`wanted` itself when it is a valid model ID not yet taken (a file threatloom wrote keeps its
    IDs exactly), else a fresh ID from `name` as :meth:`ModelDraft.new_id` gives."""
    if not _IDENTIFIER.match(wanted) or wanted.lower() in draft._taken:
        return draft.new_id(name, prefix, foreign=foreign)
    return reserve_id(draft, wanted, foreign=foreign)


def reserve_id(draft: ModelDraft, ident: str, *, foreign: tuple[str, str] | None = None) -> str:
    """Take `ident` as it is, even if another namespace of the model uses it already (assets, actors,
    controls and threats have namespaces of their own), so that no later :meth:`ModelDraft.new_id`
    gives it out again."""
    draft._taken.add(ident.lower())
    if foreign is not None:
        draft._ours[foreign] = ident
    return ident


def id_words(text: str, limit: int = 40) -> str:
    """The first words of `text` whose slug fits in `limit` characters, so that an ID made from a long
    name ends on a whole word (`ensure-that-standard-authentication`, not `…-authentication-techniques-are-u`)."""
    kept: list[str] = []
    for word in text.split():
        if kept and len(slug(" ".join([*kept, word]))) > limit:
            break
        kept.append(word)
    return " ".join(kept)
