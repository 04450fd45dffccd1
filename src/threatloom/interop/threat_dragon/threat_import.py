"""Threat Dragon threats to manual threats, their mitigation text to controls, their status to decisions.

- A threat whose ID is one of threatloom's rule threats (`TL-S001@web`: a rule ID, `@`, an element or
  flow ID) is threatloom's own finding: it is set aside until the whole file is read, then
  :mod:`.rule_threats` asks the rules whether they find it again. Only those they do not find come back
  here, as manual threats (`TL-S001.web`, since `@` is reserved for generated threats) with a note.
- ID of the others: the threat's own `id` when it reads as one of ours, else `TD-<number>`, else `TD-`
  and the first part of its UUID, else `TD-<element>-<n>` (n counts every threat of the element).
- Grammar: Threat Dragon has none, so the source is "An attacker" (for privacy types, someone handling
  the data), the action carries the description behind :data:`ACTION_PREFIX`, and the impact names the
  category and the element.
- Severity Low / Medium / High / Critical gives likelihood and impact 2 / 3 / 4 / 5 (TBD gives none); a
  score that is a CVSS vector becomes `cvss`, any other score a note.
- Mitigation text: the candidate controls threatloom lists at its end (:mod:`.candidates`) become the
  threat's `controls:` (catalog IDs); the rest becomes a control named in `mitigations:` (implemented
  when the threat is Mitigated, else planned; the same text and status share one control). For N/A the
  rest is, as Threat Dragon's form says, the reason: it becomes the decision's justification instead.
- Status: Open gives no decision; Mitigated reduce/mitigated; N/A avoid/false-positive; Accepted,
  Transferred, Avoided (and Eliminated) the treatment of that name.
"""

from __future__ import annotations

import re
from typing import Any

from threatloom.interop.draft import long_text, short, slug
from threatloom.interop.reading import Key
from threatloom.interop.threat_dragon import candidates, words
from threatloom.interop.threat_dragon.cells import Cell
from threatloom.interop.threat_dragon.context import UUID, Context, Element, RuleThreat, ThreatText
from threatloom.model.vocabulary import STRIDE, ThreatStatus, Treatment
from threatloom.risk.cvss import CvssError, cvss_score

ACTION_PREFIX = "do what Threat Dragon describes: "
SEVERITY_AS_RATING = "severity, as both likelihood and impact"
PLACEHOLDERS = {"Provide a description for this threat",
                "Provide remediation for this threat or a reason if status is N/A"}
KNOWN = {"title", "description", "mitigation", "status", "severity", "type", "modelType", "score", "number",
         "id", "threatId", "new"}
# a rule threat's ID as the engine makes it: the rule ID (catalog/schema.py's RuleId) @ the target's ID
RULE_THREAT = re.compile(r"^[A-Z][A-Z0-9]{0,15}-[A-Z0-9-]{1,40}@[A-Za-z][A-Za-z0-9_.:-]{0,127}$")
KEPT = "threatloom threat (kept as a manual threat)"


def import_threats(ctx: Context, cell: Cell, element: Element | None) -> None:
    for threat, keys in cell.threats:
        if element is None:
            _keep_unplaced(ctx, cell, threat, keys)
        else:
            _read(ctx, cell, element, threat, keys)
    for _ in range(cell.duplicate_threats):
        ctx.report.skip("threat", f"{cell.title}: a threat written twice (in data.threats and on the cell)")


def _read(ctx: Context, cell: Cell, element: Element, threat: dict[str, Any], keys: tuple[Key, ...]) -> None:
    text = read_text(ctx, threat, keys)
    own = _own_id(ctx, threat, keys)
    # counted here for every threat, so that the numbers of the others do not depend on what the rules find
    ctx.per_element[element.id] = number = ctx.per_element.get(element.id, 0) + 1
    if RULE_THREAT.match(own):
        ctx.rule_threats.append(RuleThreat(cell, element, threat, keys, text, own, number))
    else:
        add_manual(ctx, cell, element, threat, keys, text, number)


def read_text(ctx: Context, threat: dict[str, Any], keys: tuple[Key, ...]) -> ThreatText:
    def field(key: str) -> str:
        value = ctx.doc.member(threat, key, str, keys) or ""
        return "" if value.strip() in PLACEHOLDERS else value.strip()

    return ThreatText(title=field("title"), description=field("description"), mitigation=field("mitigation"),
                      type=field("type"), model_type=field("modelType"), severity=field("severity"),
                      status=field("status") or "Open")


def _own_id(ctx: Context, threat: dict[str, Any], keys: tuple[Key, ...]) -> str:
    return ctx.doc.member(threat, "id", str, keys) or ctx.doc.member(threat, "threatId", str, keys) or ""


def _keep_unplaced(ctx: Context, cell: Cell, threat: dict[str, Any], keys: tuple[Key, ...]) -> None:
    title = read_text(ctx, threat, keys).title or "(untitled)"
    parts = [f"{k}: {threat[k]}" for k in sorted(threat) if threat[k] not in ("", None)]
    ctx.note(None, keys, f"Threat on {cell.label} {cell.title!r}, which was not imported as an element: "
             + "; ".join(parts))
    ctx.report.keep_as_note("threat", f"{title} (on {cell.title}, not an element)")


def decision_of(ctx: Context, about: str, label: str, text: ThreatText,
                keys: tuple[Key, ...]) -> tuple[Treatment, ThreatStatus] | None:
    """The decision a Threat Dragon status stands for (None for Open); an unknown status is a note
    `about` the threat (or, for a threat of the rules, its element) named `label`."""
    known, decision = words.decision_for(text.status)
    if known:
        ctx.report.map("threat status")
    else:
        ctx.note(about, (*keys, "status"), f"Threat Dragon status {text.status!r} of {label} is not one threatloom "
                 "knows; the threat stays open.")
        ctx.report.keep_as_note("threat status", f"{label}: {text.status}")
    return decision


def add_decision(ctx: Context, threat_id: str, decision: tuple[Treatment, ThreatStatus], text: ThreatText,
                 reason: str) -> None:
    treatment, status = decision
    ctx.draft.add("decisions", {"threat": threat_id, "treatment": treatment.value, "status": status.value,
                                "justification": long_text(reason) or f"Marked {text.status} in Threat Dragon."})
    ctx.report.map("decision")


def add_manual(ctx: Context, cell: Cell, element: Element, threat: dict[str, Any], keys: tuple[Key, ...],
               text: ThreatText, number: int, *, kept: str = "") -> str:
    """Add the threat as a manual threat with its controls and decision; its ID. `kept` is the reason
    when it is a threat of threatloom's rules that the rules no longer find (see :mod:`.rule_threats`)."""
    ident = _threat_id(ctx, element, threat, keys, number)
    found = words.threat_category(text.type) if text.type else None
    category, goals = found if found else (words.fallback_category(cell.kind), ())
    if found is None:
        ctx.note(ident, (*keys, "type"), f"Threat Dragon type {text.type or '(none)'!r} "
                 f"({text.model_type or 'no model type'}) has no threatloom category; filed as {category.value}.")
        ctx.report.keep_as_note("threat type", f"{ident}: {text.type or '(none)'}")
    known_severity, rating = words.severity_rating(text.severity)
    if rating is not None:  # one word stands for both: the report says so, since nothing else will
        ctx.report.map(SEVERITY_AS_RATING)
    if not known_severity:
        ctx.note(ident, (*keys, "severity"), f"Threat Dragon severity: {threat.get('severity')}")
        ctx.report.keep_as_note("threat severity", f"{ident}: {threat.get('severity')}")
    decision = decision_of(ctx, ident, ident, text, keys)
    not_applicable = decision is not None and decision[1] is ThreatStatus.FALSE_POSITIVE
    mitigation = candidates.split(text.mitigation)
    mitigations = []
    if mitigation.text and not not_applicable:
        mitigations.append(_control(ctx, ident, mitigation.text, decision is not None and
                                    decision[1] is ThreatStatus.MITIGATED))
    elif "mitigation" in threat and not mitigation.text and not mitigation.candidates and not not_applicable:
        ctx.report.skip("mitigation", f"{ident}: empty, or Threat Dragon's placeholder text")
    title = text.title
    ctx.draft.add("threats", {
        "id": ident, "title": short(title) or f"{category.value.replace('-', ' ').capitalize()} at {element.name}",
        "category": category.value,
        "source": "An attacker" if category in STRIDE else "Someone who handles or observes the data",
        "action": long_text(ACTION_PREFIX + (text.description or title or "see the title")),
        "impact": f"{category.value.replace('-', ' ')} affecting {element.name}",
        "goals": [g.value for g in goals], "elements": [element.id],
        "likelihood": rating, "impact_rating": rating, "cvss": _cvss(ctx, ident, threat, keys),
        "controls": _catalog_controls(ctx, ident, keys, mitigation), "mitigations": mitigations})
    if kept:
        ctx.note(ident, keys, kept)
        ctx.report.map(KEPT)
    else:
        ctx.report.map("threat")
    if decision is not None:
        add_decision(ctx, ident, decision, text, mitigation.text if not_applicable else "")
    for key in sorted(set(threat) - KNOWN):
        ctx.note(ident, (*keys, key), f"Threat Dragon threat field {key}: {threat[key]}")
        ctx.report.keep_as_note("threat field", f"{ident}: {key}")
    if "new" in threat:
        ctx.report.skip("threat field", f"{ident}: new (a flag of Threat Dragon's editor)")
    return ident


def _catalog_controls(ctx: Context, ident: str, keys: tuple[Key, ...], mitigation: candidates.Mitigation) -> list[str]:
    """The candidate controls threatloom listed, as the threat's `controls:` (catalog IDs; one this
    catalog lacks is a note, since the model may only name catalog controls there)."""
    if not mitigation.candidates:
        return []
    known = [c for c in mitigation.candidates if c in ctx.catalog.controls]
    unknown = [c for c in mitigation.candidates if c not in ctx.catalog.controls]
    ctx.report.map("candidate control", len(known))
    if unknown:
        ctx.note(ident, (*keys, "mitigation"), "Candidate controls listed in Threat Dragon that threatloom's "
                 f"catalog does not hold: {', '.join(unknown)}")
        ctx.report.keep_as_note("candidate control", f"{ident}: {', '.join(unknown)}")
    return known


def _threat_id(ctx: Context, element: Element, threat: dict[str, Any], keys: tuple[Key, ...], n: int) -> str:
    own = _own_id(ctx, threat, keys)
    number = ctx.doc.member(threat, "number", int, keys)
    options = []
    if own and not UUID.match(own):
        options.append(own.replace("@", "."))
    if number is not None and number > 0:
        options.append(f"TD-{number}")
    if UUID.match(own):
        options.append(f"TD-{own[:8].lower()}")
    options.append(f"TD-{slug(element.id)}-{n}")
    for candidate in options:
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
