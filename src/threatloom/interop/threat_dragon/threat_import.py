"""Threat Dragon threats to manual threats, their mitigation text to controls, their status to decisions.

- ID: the threat's own `id` when threatloom wrote it (an exported `TL-S001@web` comes back as
  `TL-S001.web`, since `@` is reserved for generated threats), else `TD-<number>`, else `TD-` and the
  first part of its UUID, else `TD-<element>-<n>`.
- Grammar: Threat Dragon has none, so the source is "An attacker" (for privacy types, someone handling
  the data), the action carries the description behind :data:`ACTION_PREFIX`, and the impact names the
  category and the element.
- Severity Low / Medium / High / Critical gives likelihood and impact 2 / 3 / 4 / 5 (TBD gives none); a
  score that is a CVSS vector becomes `cvss`, any other score a note.
- Mitigation text becomes a control named in `mitigations:` (implemented when the threat is Mitigated,
  else planned; the same text and status share one control). For N/A the text is, as Threat Dragon's
  form says, the reason: it becomes the decision's justification instead.
- Status: Open gives no decision; Mitigated reduce/mitigated; N/A avoid/false-positive; Accepted,
  Transferred, Avoided (and Eliminated) the treatment of that name.
"""

from __future__ import annotations

import re
from typing import Any

from threatloom.interop.draft import long_text, short, slug
from threatloom.interop.reading import Key
from threatloom.interop.threat_dragon import words
from threatloom.interop.threat_dragon.cells import Cell
from threatloom.interop.threat_dragon.context import UUID, Context, Element
from threatloom.model.vocabulary import STRIDE, ThreatStatus
from threatloom.risk.cvss import CvssError, cvss_score

ACTION_PREFIX = "do what Threat Dragon describes: "
PLACEHOLDERS = {"Provide a description for this threat",
                "Provide remediation for this threat or a reason if status is N/A"}
_KNOWN = {"title", "description", "mitigation", "status", "severity", "type", "modelType", "score", "number",
          "id", "threatId", "new"}


def import_threats(ctx: Context, cell: Cell, element: Element | None) -> None:
    for threat, keys in cell.threats:
        if element is None:
            _keep_unplaced(ctx, cell, threat, keys)
        else:
            _import(ctx, cell, element, threat, keys)
    for _ in range(cell.duplicate_threats):
        ctx.report.skip("threat", f"{cell.title}: a threat written twice (in data.threats and on the cell)")


def _field(ctx: Context, threat: dict[str, Any], key: str, keys: tuple[Key, ...]) -> str:
    value = ctx.doc.member(threat, key, str, keys) or ""
    return "" if value.strip() in PLACEHOLDERS else value.strip()


def _keep_unplaced(ctx: Context, cell: Cell, threat: dict[str, Any], keys: tuple[Key, ...]) -> None:
    title = _field(ctx, threat, "title", keys) or "(untitled)"
    parts = [f"{k}: {threat[k]}" for k in sorted(threat) if threat[k] not in ("", None)]
    ctx.note(None, keys, f"Threat on {cell.label} {cell.title!r}, which was not imported as an element: "
             + "; ".join(parts))
    ctx.report.keep_as_note("threat", f"{title} (on {cell.title}, not an element)")


def _import(ctx: Context, cell: Cell, element: Element, threat: dict[str, Any], keys: tuple[Key, ...]) -> None:
    title = _field(ctx, threat, "title", keys)
    description = _field(ctx, threat, "description", keys)
    mitigation = _field(ctx, threat, "mitigation", keys)
    type_name = _field(ctx, threat, "type", keys)
    ident = _threat_id(ctx, element, threat, keys)
    found = words.threat_category(type_name) if type_name else None
    category, goals = found if found else (words.fallback_category(cell.kind), ())
    if found is None:
        ctx.note(ident, (*keys, "type"), f"Threat Dragon type {type_name or '(none)'!r} "
                 f"({_field(ctx, threat, 'modelType', keys) or 'no model type'}) has no threatloom category; "
                 f"filed as {category.value}.")
        ctx.report.keep_as_note("threat type", f"{ident}: {type_name or '(none)'}")
    known_severity, rating = words.severity_rating(_field(ctx, threat, "severity", keys))
    if not known_severity:
        ctx.note(ident, (*keys, "severity"), f"Threat Dragon severity: {threat.get('severity')}")
        ctx.report.keep_as_note("threat severity", f"{ident}: {threat.get('severity')}")
    status_text = _field(ctx, threat, "status", keys) or "Open"
    known_status, decision = words.decision_for(status_text)
    if not known_status:
        ctx.note(ident, (*keys, "status"), f"Threat Dragon status {status_text!r} is not one threatloom knows; "
                 "the threat stays open.")
        ctx.report.keep_as_note("threat status", f"{ident}: {status_text}")
    else:
        ctx.report.map("threat status")
    not_applicable = decision is not None and decision[1] is ThreatStatus.FALSE_POSITIVE
    mitigations = []
    if mitigation and not not_applicable:
        mitigations.append(_control(ctx, ident, mitigation, decision is not None and
                                    decision[1] is ThreatStatus.MITIGATED))
    elif "mitigation" in threat and not mitigation and not not_applicable:
        ctx.report.skip("mitigation", f"{ident}: empty, or Threat Dragon's placeholder text")
    ctx.draft.add("threats", {
        "id": ident, "title": short(title) or f"{category.value.replace('-', ' ').capitalize()} at {element.name}",
        "category": category.value,
        "source": "An attacker" if category in STRIDE else "Someone who handles or observes the data",
        "action": long_text(ACTION_PREFIX + (description or title or "see the title")),
        "impact": f"{category.value.replace('-', ' ')} affecting {element.name}",
        "goals": [g.value for g in goals], "elements": [element.id],
        "likelihood": rating, "impact_rating": rating, "cvss": _cvss(ctx, ident, threat, keys),
        "mitigations": mitigations})
    ctx.report.map("threat")
    if decision is not None:
        treatment, status = decision
        reason = mitigation if not_applicable else ""
        ctx.draft.add("decisions", {"threat": ident, "treatment": treatment.value, "status": status.value,
                                    "justification": long_text(reason) or f"Marked {status_text} in Threat Dragon."})
        ctx.report.map("decision")
    for key in sorted(set(threat) - _KNOWN):
        ctx.note(ident, (*keys, key), f"Threat Dragon threat field {key}: {threat[key]}")
        ctx.report.keep_as_note("threat field", f"{ident}: {key}")
    if "new" in threat:
        ctx.report.skip("threat field", f"{ident}: new (a flag of Threat Dragon's editor)")


def _threat_id(ctx: Context, element: Element, threat: dict[str, Any], keys: tuple[Key, ...]) -> str:
    own = ctx.doc.member(threat, "id", str, keys) or ctx.doc.member(threat, "threatId", str, keys) or ""
    number = ctx.doc.member(threat, "number", int, keys)
    candidates = []
    if own and not UUID.match(own):
        candidates.append(own.replace("@", "."))
    if number is not None and number > 0:
        candidates.append(f"TD-{number}")
    if UUID.match(own):
        candidates.append(f"TD-{own[:8].lower()}")
    ctx.per_element[element.id] = n = ctx.per_element.get(element.id, 0) + 1
    candidates.append(f"TD-{slug(element.id)}-{n}")
    for candidate in candidates:
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.:-]{0,127}", candidate) and candidate not in ctx.threat_ids:
            chosen = candidate
            break
    else:  # every candidate taken (cannot happen with the element's own counter, but stay safe)
        chosen = ctx.draft.new_id(f"TD {element.id}", "threat")
    ctx.threat_ids.add(chosen)
    used_number = chosen == f"TD-{number}"
    if own and UUID.match(own):
        ctx.report.skip("threat field", f"{chosen}: Threat Dragon's internal UUID")
    if number is not None and not used_number:
        ctx.report.skip("threat field", f"{chosen}: Threat Dragon's running number {number}")
    return chosen


def _control(ctx: Context, threat_id: str, text: str, mitigated: bool) -> str:
    status = "implemented" if mitigated else "planned"
    key = (long_text(text), status)
    ctx.report.map("mitigation")
    if key in ctx.controls:  # the same text with the same status: one control serves both threats
        return ctx.controls[key]
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])|\n", text.strip(), maxsplit=1)[0]
    name = first if len(first) <= 120 else first[:119].rstrip() + "…"
    ident = ctx.controls[key] = ctx.draft.new_id(f"{threat_id} mitigation", "control")
    ctx.draft.add("controls", {"id": ident, "name": short(name), "description": key[0], "status": status})
    return ident


def _cvss(ctx: Context, ident: str, threat: dict[str, Any], keys: tuple[Key, ...]) -> str | None:
    score = threat.get("score")
    if score is None or score == "":
        return None
    if isinstance(score, bool) or not isinstance(score, str | int | float):
        raise ctx.doc.error((*keys, "score"), "expected text or a number for the score",
                            "the file does not follow the format; was it edited by hand?", "import-type")
    text = str(score).strip()
    if text.upper().startswith("CVSS:"):
        try:
            cvss_score(text)
            ctx.report.map("threat score")
            return text
        except CvssError:
            pass
    ctx.note(ident, (*keys, "score"), f"Threat Dragon score: {text}")
    ctx.report.keep_as_note("threat score", f"{ident}: {text}")
    return None
