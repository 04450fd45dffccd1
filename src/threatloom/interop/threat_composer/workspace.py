"""The rest of a threat-composer workspace: application, diagrams, assumptions, mitigations, brainstorm."""

from __future__ import annotations

import json
from typing import Any

from threatloom.interop.draft import ModelDraft, id_words, long_text, short
from threatloom.interop.interface import ImportReport
from threatloom.interop.reading import ForeignDocument
from threatloom.interop.threat_composer.records import Entry, Link

CONTROL_STATUS = {
    None: "planned",  # threat-composer shows a mitigation without status as "identified"
    "mitigationIdentified": "planned",
    "mitigationInProgress": "partial",
    "mitigationResolved": "implemented",
    "mitigationResolvedWillNotAction": "planned",
}


def add_application(document: ForeignDocument, data: dict[str, Any], draft: ModelDraft,
                    report: ImportReport) -> str:
    """`applicationInfo` -> system name and description; returns the application's name."""
    info = document.member(data, "applicationInfo", dict, ()) or {}
    keys = ("applicationInfo",)
    name = short(document.member(info, "name", str, keys) or "")
    if name:
        draft.system["name"] = name
    description = document.member(info, "description", str, keys) or ""
    if description.strip():
        draft.system["description"] = long_text(description)
    if info:
        report.map("application")
    for key in sorted(set(info) - {"name", "description"}):
        keep_unknown(draft, report, f"applicationInfo.{key}", info[key])
    return str(draft.system["name"])


def add_diagram_text(document: ForeignDocument, data: dict[str, Any], draft: ModelDraft, report: ImportReport,
                     key: str, about: str) -> None:
    """`architecture` / `dataflow`: the description becomes a note; an embedded image is left out."""
    part = document.member(data, key, dict, ()) or {}
    description = document.member(part, "description", str, (key,)) or ""
    if description.strip():
        draft.note(about, f"{key}.description", f"{key.capitalize()} (threat-composer):\n\n{description}")
        report.keep_as_note(key, "description")
    image = document.member(part, "image", str, (key,)) or ""
    if image.startswith("data:"):
        kind = image[5:image.find(";")] if ";" in image[:60] else "image"
        report.skip("image", f"{key}.image: embedded {kind} ({len(image):,} characters of base64); "
                    "threatloom keeps no pictures in a model")
    elif image.strip():
        draft.note(about, f"{key}.image", f"{key.capitalize()} diagram image: {short(image)}")
        report.keep_as_note(key, "image link")
    for extra in sorted(set(part) - {"description", "image"}):
        keep_unknown(draft, report, f"{key}.{extra}", part[extra])


def add_controls(draft: ModelDraft, report: ImportReport, mitigations: list[Entry],
                 dangling: dict[str, list[str]]) -> dict[str, str]:
    """One model control per mitigation; UUID -> control ID. `dangling`: UUID -> notes about it."""
    ids: dict[str, str] = {}
    for m in sorted(mitigations, key=lambda e: (e.order, e.number)):
        name = short(m.content) or f"Mitigation M-{m.number}"  # the format lets the text be empty
        ident = draft.new_id(id_words(name), "mitigation", foreign=("mitigation", m.uuid))
        ids[m.uuid] = ident
        text = [m.content] if len(" ".join(m.content.split())) > 300 else []
        if not m.content.strip():
            text.append("threat-composer gives this mitigation no text.")
        for key, value in m.metadata:
            if key == "Comments":
                text.append(value if isinstance(value, str) else "\n".join(value))
        text.append(f"threat-composer mitigation M-{m.number} (id {m.uuid}).")
        status = CONTROL_STATUS.get(m.status, "planned")
        draft.add("controls", {"id": ident, "name": name, "description": long_text("\n\n".join(text)),
                               "status": status})
        report.map("mitigation")
        notes = []
        if m.status == "mitigationResolvedWillNotAction":
            notes.append("threat-composer status: resolved - will not action. The team decided not to do it; "
                         "it stays planned here and lowers no risk.")
        elif m.status not in CONTROL_STATUS:
            notes.append(f"threat-composer status {m.status!r} is not one threatloom knows; taken as planned.")
        notes += entry_notes(m, skip=("Comments",))
        notes += dangling.get(m.uuid, [])
        if notes:
            draft.note(ident, f"mitigations[{m.keys[1]}]", "\n".join(notes))
    return ids


def add_assumptions(draft: ModelDraft, report: ImportReport, assumptions: list[Entry], links: list[Link],
                    threat_numbers: dict[str, int], mitigation_numbers: dict[str, int]) -> None:
    """Assumptions -> system.scope.assumptions, each with its number and what it is linked to."""
    texts = []
    for a in sorted(assumptions, key=lambda e: (e.order, e.number)):
        threats = sorted({threat_numbers[k.linked] for k in links if k.owner == a.uuid and k.linked in threat_numbers})
        mitigations = sorted({mitigation_numbers[k.linked] for k in links
                              if k.owner == a.uuid and k.linked in mitigation_numbers})
        text = [f"A-{a.number}: {a.content.strip() or '(threat-composer gives this assumption no text)'}"]
        linked = [part for part in (
            f"threat{'s' if len(threats) > 1 else ''} {', '.join(f'T-{n}' for n in threats)}" if threats else "",
            f"mitigation{'s' if len(mitigations) > 1 else ''} {', '.join(f'M-{n}' for n in mitigations)}"
            if mitigations else "") if part]
        if linked:
            text.append(f"(Linked to {' and '.join(linked)}.)")
        text += entry_notes(a)
        texts.append(long_text(" ".join(text)))
        report.map("assumption")
    if texts:
        draft.system.setdefault("scope", {})["assumptions"] = texts


def add_brainstorm(document: ForeignDocument, data: dict[str, Any], draft: ModelDraft, report: ImportReport) -> None:
    """Brainstorm lists are ideas not yet written as threats or mitigations: one note per list."""
    board = document.member(data, "brainstorm", dict, ()) or {}
    for key in sorted(board):
        items = document.expect(board[key], list, ("brainstorm", key))
        lines = []
        for i, item in enumerate(items):
            obj = document.expect(item, dict, ("brainstorm", key, i))
            content = document.member(obj, "content", str, ("brainstorm", key, i)) or ""
            who = document.member(obj, "createdBy", str, ("brainstorm", key, i))
            if content.strip():
                lines.append(f"- {' '.join(content.split())}" + (f" (by {who})" if who else ""))
        if lines:
            draft.note(None, f"brainstorm.{key}", f"threat-composer brainstorm, {key}:\n" + "\n".join(lines))
            report.keep_as_note("brainstorm", f"{key} ({len(lines)} ideas)")


def entry_notes(e: Entry, skip: tuple[str, ...] = ()) -> list[str]:
    notes = []
    if e.tags:
        notes.append(f"Tags: {', '.join(e.tags)}.")
    for key, value in e.metadata:
        if key in skip:
            continue
        shown = ", ".join(value) if isinstance(value, list) else value
        notes.append(f"Comments: {shown}" if key == "Comments" else f"{key}: {shown}")
    for key, value in sorted(e.extra.items()):
        notes.append(f"{key} (not in threat-composer's format): {json.dumps(value, ensure_ascii=False)[:2000]}")
    return notes


def keep_unknown(draft: ModelDraft, report: ImportReport, where: str, value: Any) -> None:
    """A key threat-composer's format does not define: kept as written, as a note."""
    shown = json.dumps(value, ensure_ascii=False, indent=1)
    draft.note(None, where, f"Not in threat-composer's format, kept as found:\n{shown}")
    report.keep_as_note("unknown content", where)
