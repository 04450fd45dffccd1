"""References in restored threatloom attributes that point nowhere, after another tool edited the file.

A tool that keeps OTM's own fields may still drop what it does not know: a mitigation's attributes,
a zone, an asset. What threatloom restored from `attributes.threatloom` can then name IDs the import
did not produce. A control named by an element is made again from the OTM mitigation of that ID
when there is one; any other dangling reference is dropped, and a note says so: the model stays
valid and nothing goes silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threatloom.interop.otm.context import ImportContext

# section -> (field, what it names, is a list)
_FIELDS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "components": (("zone", "zones", False), ("stores", "assets", True), ("processes", "assets", True),
                   ("controls", "controls", True)),
    "environment": (("zone", "zones", False), ("receives", "assets", True), ("access", "elements", True)),
    "flows": (("data", "assets", True), ("controls", "controls", True)),
    "threats": (("actor", "actors", False), ("assets", "assets", True), ("mitigations", "controls", True),
                ("elements", "targets", True)),
    "actors": (("starts_in", "places", True),),
    "zones": (("parent", "zones", False),),
    "notes": (("about", "anything", False),),
}


def repair(ctx: ImportContext, make_control: Callable[[str], str | None]) -> None:
    """Drop (and note) references to IDs the draft does not define; `make_control(otm_id)` may give a
    control for a mitigation of the file instead."""
    sections = ctx.draft.sections
    known: dict[str, set[str]] = {
        "zones": {z["id"] for z in sections["zones"]},
        "assets": {a["id"] for a in sections["assets"]},
        "controls": {c["id"] for c in sections["controls"]},
        "actors": {a["id"] for a in sections["actors"]},
        "elements": {e["id"] for s in ("components", "environment") for e in sections[s]},
    }
    known["targets"] = known["elements"] | {f["id"] for f in sections["flows"]}
    known["places"] = known["elements"] | known["zones"]
    known["anything"] = known["targets"] | known["places"] | known["assets"] | known["controls"] | \
        known["actors"] | {t["id"] for t in sections["threats"]}

    def exists(kind: str, ident: str) -> bool:
        if ident in known[kind]:
            return True
        if kind == "controls":
            made = make_control(ident)
            if made == ident:
                known["controls"].add(ident)
                return True
        return False

    for section, fields in _FIELDS.items():
        for item in list(sections[section]):
            for name, kind, many in fields:
                value: Any = item.get(name)
                if value is None:
                    continue
                gone = [v for v in (value if many else [value]) if not exists(kind, str(v))]
                if not gone:
                    continue
                if many:
                    item[name] = [v for v in value if v not in gone]
                    if not item[name]:
                        del item[name]
                else:
                    del item[name]
                if section == "notes":  # a note about something gone is still worth keeping
                    continue
                ctx.note("reference", None, f"{section} {item.get('id', '')}".strip(),
                         f"{name} named {', '.join(map(str, gone))}, which the file no longer defines; dropped")
            if section == "threats" and not item.get("elements"):
                sections[section].remove(item)
                ctx.note("reference", None, f"threats {item['id']}", f"manual threat {item['id']!r} is on no "
                         "element the file still defines; kept only as this note")
            if section == "actors" and not item.get("starts_in"):
                sections[section].remove(item)
                ctx.note("reference", None, f"actors {item['id']}", f"actor {item['id']!r} starts in no zone or "
                         "element the file still defines; kept only as this note")
