"""Checked access to a Threagile document: every value read is tested for its type and vocabulary, so a
malformed file ends in a located InputError, and keys we do not know are kept as notes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import msgspec

from threatloom.errors import InputError
from threatloom.interop.draft import ModelDraft
from threatloom.interop.interface import ImportReport
from threatloom.interop.reading import ForeignDocument, Key

Keys = tuple[Key, ...]
_TAG = re.compile(r"<[^>]{0,200}>")


class Source(msgspec.Struct):
    """The document being imported, the draft it fills and the report that counts what happened."""

    document: ForeignDocument
    draft: ModelDraft
    report: ImportReport

    @property
    def root(self) -> dict[str, Any]:
        data = self.document.data
        if not isinstance(data, dict):
            raise self.document.error((), "a Threagile model is a YAML mapping of sections (title, data_assets, "
                                      "technical_assets…)", "give the threagile.yaml file itself", "import-type")
        return data

    def error(self, keys: Keys, message: str, hint: str = "") -> InputError:
        return self.document.error(keys, message, hint or "Threagile would refuse this model too")

    def mapping(self, value: Any, keys: Keys) -> dict[str, Any]:
        """A mapping; null (an empty YAML section) is an empty one."""
        if value is None:
            return {}
        return self.document.expect(value, dict, keys, "Threagile writes this as a mapping of names to entries")

    def section(self, name: str) -> dict[str, Any]:
        return self.mapping(self.root.get(name), (name,))

    def text(self, obj: dict[str, Any], key: str, keys: Keys) -> str:
        """Text at `obj[key]` ("" when absent); numbers are read as their text, as Threagile does."""
        value = obj.get(key)
        if value is None:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.document.expect(value, str, (*keys, key), "put the text in quotes")
        return str(value).strip()

    def foreign_id(self, obj: dict[str, Any], keys: Keys, space: str, what: str) -> str:
        """The entry's required `id`, refused when another entry of the same `space` already has it."""
        foreign = self.required_text(obj, "id", keys)
        if self.draft.ours(space, foreign) is not None:
            raise self.error((*keys, "id"), f"{what} id {foreign!r} is used twice", f"give each {what} its own id")
        return foreign

    def required_text(self, obj: dict[str, Any], key: str, keys: Keys) -> str:
        found = self.text(obj, key, keys)
        if not found:
            raise self.document.error(keys, f"missing `{key}`", "Threagile needs it to link entries together",
                                      "import-missing")
        return found

    def flag(self, obj: dict[str, Any], key: str, keys: Keys) -> bool:
        value = obj.get(key)
        if value is None:
            return False
        return self.document.expect(value, bool, (*keys, key), "write true or false")

    def number(self, obj: dict[str, Any], key: str, keys: Keys) -> int:
        value = obj.get(key)
        if value is None:
            return 0
        return self.document.expect(value, int, (*keys, key), "write a whole number")

    def names(self, obj: dict[str, Any], key: str, keys: Keys) -> list[str]:
        """A list of texts (IDs, tags); null is empty; repeats are dropped, order kept."""
        value = obj.get(key)
        if value is None:
            return []
        items = self.document.expect(value, list, (*keys, key), "write a list, one `- item` a line")
        found: list[str] = []
        for i, item in enumerate(items):
            if isinstance(item, int | float) and not isinstance(item, bool):
                item = str(item)
            text = self.document.expect(item, str, (*keys, key, i)).strip()
            if text and text not in found:
                found.append(text)
        return found

    def choice(self, obj: dict[str, Any], key: str, keys: Keys, allowed: Iterable[str],
               default: str = "") -> str:
        """One value of a closed Threagile list, compared case-insensitively; `default` when absent."""
        value = self.text(obj, key, keys).lower()
        if not value:
            return default
        options = list(allowed)
        if value not in options:
            raise self.error((*keys, key), f"unknown {key.replace('_', ' ')} {value!r}",
                             f"Threagile knows {', '.join(options)}")
        return value

    def ours(self, kind: str, foreign_id: str, keys: Keys, what: str, hint: str = "") -> str:
        """Our ID for the Threagile `foreign_id` of `kind`; a located error when the file has none."""
        found = self.draft.ours(kind, foreign_id)
        if found is None:
            raise self.error(keys, f"unknown {what} {foreign_id!r}",
                             hint or f"use the `id` of one of the file's {what}s")
        return found

    def extras(self, obj: dict[str, Any], known: Iterable[str], keys: Keys) -> list[str]:
        """`key: value` lines for the keys Threagile's format does not have here (kept as notes), and a
        skip for diagram layout tweaks."""
        known_keys = set(known)
        lines = []
        for key, value in obj.items():
            if key in known_keys:
                continue
            if key.startswith("diagram_tweak"):
                self.report.skip("diagram layout", f"{_dotted(keys, key)}: only places shapes in Threagile's diagram")
                continue
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            lines.append(f"{key}: {shown}")
        return lines


def plain(text: str) -> str:
    """Threagile texts may hold simple HTML (`<b>`, `<i>`); a name reads better without it."""
    return " ".join(_TAG.sub("", text).split())


def sentence_list(parts: Iterable[str]) -> str:
    return "; ".join(p for p in parts if p)


def _dotted(keys: Keys, key: str) -> str:
    return ".".join(str(k) for k in (*keys, key))
