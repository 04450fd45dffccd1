"""threat-composer threats -> assets, manual threats with the threat grammar, and decisions.

threat-composer writes threats in a grammar close to ours (source, prerequisites, action, impact,
impacted goals and assets), so the mapping is direct. What needs judgement, and is said so in the
model: the STRIDE category when the file gives none or several, the impact when the file gives only
goals and assets, and the asset ratings, which follow from the goals and priorities of the threats
that name the asset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import msgspec

from threatloom.interop.draft import ModelDraft, long_text, short
from threatloom.interop.interface import ImportReport
from threatloom.interop.threat_composer.records import Threat
from threatloom.model.vocabulary import Category, SecurityProperty

STRIDE_LETTERS = {"S": Category.SPOOFING, "T": Category.TAMPERING, "R": Category.REPUDIATION,
                  "I": Category.INFORMATION_DISCLOSURE, "D": Category.DENIAL_OF_SERVICE,
                  "E": Category.ELEVATION_OF_PRIVILEGE}
STRIDE_NAMES = {**{c.value.replace("-", " "): c for c in STRIDE_LETTERS.values()},
                "elevation of privileges": Category.ELEVATION_OF_PRIVILEGE}
# threat-composer's priority, as likelihood and impact on our 1-5 scales (High lands in the high band)
PRIORITY = {"high": (4, 4), "medium": (3, 3), "low": (2, 2)}
GOAL_CATEGORY = {SecurityProperty.CONFIDENTIALITY: Category.INFORMATION_DISCLOSURE,
                 SecurityProperty.INTEGRITY: Category.TAMPERING,
                 SecurityProperty.AVAILABILITY: Category.DENIAL_OF_SERVICE}
# words that name one STRIDE category unambiguously; used only when the file gives no category
CATEGORY_WORDS = {
    Category.SPOOFING: ("spoof", "impersonat", "masquerad", "pretend to be", "phish"),
    Category.TAMPERING: ("tamper", "modify", "alter ", "inject", "overwrite"),
    Category.REPUDIATION: ("repudiat", "deny having", "deny that", "cover their tracks"),
    Category.INFORMATION_DISCLOSURE: ("read ", "disclos", "exfiltrat", "leak", "steal", "sniff", "eavesdrop"),
    Category.DENIAL_OF_SERVICE: ("denial of service", "flood", "exhaust", "unavailable", "unresponsive",
                                 "overload"),
    Category.ELEVATION_OF_PRIVILEGE: ("privilege", "escalat", "elevat"),
}
PLACEHOLDER_CATEGORY = Category.TAMPERING
STATUS_DECISION = {
    "threatResolved": ("reduce", "mitigated"),
    "threatResolvedNotUseful": ("reduce", "false-positive"),
}


class ThreatLinks(msgspec.Struct):
    """What other records say about one threat: its mitigations and assumptions."""

    mitigations: list[tuple[int, str]] = msgspec.field(default_factory=list)  # (M-number, control ID)
    assumptions: list[int] = msgspec.field(default_factory=list)
    notes: list[str] = msgspec.field(default_factory=list)


def label(prefix: str, numbers: Iterable[int]) -> str:
    return ", ".join(f"{prefix}-{n}" for n in sorted(set(numbers)))


def add_assets(draft: ModelDraft, report: ImportReport, threats: list[Threat], app_name: str) -> dict[str, str]:
    """One asset per impacted asset named (case-insensitively); name (lower case) -> asset ID."""
    named: dict[str, tuple[str, list[Threat]]] = {}
    for threat in threats:
        for asset in threat.assets:
            named.setdefault(asset.lower(), (asset, []))[1].append(threat)
    ids: dict[str, str] = {}
    for key in sorted(named):
        name, by = named[key]
        ident = draft.new_id(name, "asset", foreign=("asset", key))
        ids[key] = ident
        item: dict[str, Any] = {"id": ident, "name": short(name)}
        if key == app_name.lower():
            item["kind"] = "software"
        rated = []
        secret = [t.number for t in by if SecurityProperty.CONFIDENTIALITY in goals_of(t)[0]]
        if secret:
            item["classification"] = "confidential"
            rated.append(f"classification confidential ({label('T', secret)} "
                         f"harm{'s' if len(secret) == 1 else ''} its confidentiality)")
        for goal in GOAL_CATEGORY:
            high = [t.number for t in by if goal in goals_of(t)[0] and priority_of(t) == "high"]
            if high:
                item[goal.value] = "high"
                rated.append(f"{goal.value} high (High-priority {label('T', high)})")
        text = [f"Impacted asset of threat-composer threat{'s' if len(by) > 1 else ''} "
                f"{label('T', (t.number for t in by))}."]
        if rated:
            text.append(f"threatloom rated it from them: {'; '.join(rated)}.")
        item["description"] = " ".join(text)
        draft.add("assets", item)
        report.map("asset")
    return ids


def add_threats(draft: ModelDraft, report: ImportReport, threats: list[Threat], element: str,
                assets: dict[str, str], links: dict[str, ThreatLinks]) -> None:
    taken: set[str] = set()
    for threat in sorted(threats, key=lambda t: (t.order, t.number)):
        ident = f"T-{threat.number}"
        n = 2
        while ident in taken:  # numericIds repeat only in hand-edited files; keep both threats
            ident, n = f"T-{threat.number}-{n}", n + 1
        taken.add(ident)
        link = links.get(threat.uuid, ThreatLinks())
        notes = [f"threat-composer threat T-{threat.number} (id {threat.uuid})."]
        category, category_note = category_of(threat)
        if category_note:
            notes.append(category_note)
        goals, other_goals = goals_of(threat)
        for goal in other_goals:
            notes.append(f"Impacted goal {goal!r}: not a security property threatloom rates (confidentiality, "
                         "integrity, availability, compliance, privacy).")
        item: dict[str, Any] = {
            "id": ident, "category": category.value, "source": source_of(threat),
            "prerequisites": long_text(threat.prerequisites), "action": long_text(action_of(threat)),
            "impact": long_text(impact_of(threat)), "goals": [g.value for g in goals],
            "assets": sorted({assets[a.lower()] for a in threat.assets}), "elements": [element],
        }
        priority = priority_of(threat)
        if priority in PRIORITY:
            item["likelihood"], item["impact_rating"] = PRIORITY[priority]
        elif priority:
            notes.append(f"Priority {priority!r}: not High, Medium or Low, so not used for the risk.")
        item["mitigations"] = [control for _, control in sorted(set(link.mitigations))]
        draft.add("threats", item)
        report.map("threat")
        add_decision(draft, report, threat, ident, link)
        notes += metadata_notes(threat)
        if link.assumptions:
            notes.append(f"Rests on assumption{'s' if len(link.assumptions) > 1 else ''} "
                         f"{label('A', link.assumptions)} (see system.scope.assumptions).")
        notes += link.notes
        draft.note(ident, f"threats[{threat.keys[1]}]", "\n".join(notes))


def add_decision(draft: ModelDraft, report: ImportReport, threat: Threat, ident: str, link: ThreatLinks) -> None:
    if threat.status in (None, "threatIdentified"):
        return  # still open: no decision, as in threat-composer
    if threat.status not in STATUS_DECISION:
        draft.note(ident, f"threats[{threat.keys[1]}].status", f"threat-composer status {threat.status!r} "
                   "is not one threatloom knows; no decision was recorded.")
        report.keep_as_note("threat status", f"T-{threat.number}: {threat.status}")
        return
    treatment, status = STATUS_DECISION[threat.status]
    if status == "mitigated":
        how = f" by mitigation{'s' if len(link.mitigations) > 1 else ''} " \
              f"{label('M', (n for n, _ in link.mitigations))}" if link.mitigations else ""
        justification = f"Resolved in threat-composer{how}."
    else:
        justification = "Marked 'resolved - not useful' in threat-composer: the team judged it does not apply."
        comments = threat.meta("Comments")
        if isinstance(comments, str) and comments.strip():
            justification += f" Their comment: {comments.strip()}"
    draft.add("decisions", {"threat": ident, "treatment": treatment, "status": status,
                            "justification": long_text(justification)})
    report.map("threat status")


def category_of(threat: Threat) -> tuple[Category, str]:
    """The category, and a note when the file gave several, none, or one we do not know."""
    raw = threat.meta("STRIDE")
    values = raw if isinstance(raw, list) else ([raw] if raw else [])
    found = [c for c in (stride(v) for v in values) if c is not None]
    unknown = [v for v in values if stride(v) is None]
    note = f"STRIDE value{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} not known. " if unknown \
        else ""
    if found:
        rest = list(dict.fromkeys(c for c in found[1:] if c is not found[0]))
        if rest:
            note += (f"threat-composer also files it under {', '.join(c.value for c in rest)}; threatloom keeps "
                     f"one category per threat and took the first ({found[0].value}).")
        return found[0], note.strip()
    goals = [g for g in goals_of(threat)[0] if g in GOAL_CATEGORY]
    if len(goals) == 1:
        category = GOAL_CATEGORY[goals[0]]
        return category, (note + f"Category {category.value} inferred by threatloom from the impacted goal "
                          f"({goals[0].value}): threat-composer gives no STRIDE category.").strip()
    text = f" {threat.action} {threat.impact} ".lower()
    matches = {c: [w.strip() for w in words if w in text] for c, words in CATEGORY_WORDS.items()}
    matches = {c: w for c, w in matches.items() if w}
    if len(matches) == 1:
        category, words = next(iter(matches.items()))
        return category, (note + f"Category {category.value} inferred by threatloom from the words "
                          f"{', '.join(map(repr, words))}: threat-composer gives no STRIDE category.").strip()
    return PLACEHOLDER_CATEGORY, (note + "threat-composer gives no STRIDE category and its goals and words do "
                                  f"not tell one; filed under {PLACEHOLDER_CATEGORY.value} as a placeholder: "
                                  "set the right category.").strip()


def stride(value: str) -> Category | None:
    text = " ".join(value.replace("-", " ").split()).lower()
    return STRIDE_LETTERS.get(text.upper()) if len(text) == 1 else STRIDE_NAMES.get(text)


def goals_of(threat: Threat) -> tuple[list[SecurityProperty], list[str]]:
    """The impacted goals that are security properties, and the others (e.g. "economy")."""
    known, other = [], []
    for goal in threat.goals:
        try:
            prop = SecurityProperty(goal.strip().lower())
        except ValueError:
            other.append(goal)
            continue
        if prop not in known:
            known.append(prop)
    return known, other


def priority_of(threat: Threat) -> str:
    value = threat.meta("Priority")
    return value.strip().lower() if isinstance(value, str) else ""


def source_of(threat: Threat) -> str:
    source = threat.source or "unnamed threat source"
    if re.match(r"(?i)(a|an|the|any|some|one)\b", source) or source[:1].isupper():
        return short(source)
    article = "An" if source[:1].lower() in "aeiou" else "A"
    return short(f"{article} {source}")


def action_of(threat: Threat) -> str:
    action = re.sub(r"(?i)^can\s+", "", threat.action)
    return action or threat.statement or "act against the application (threat-composer records no action)"


def impact_of(threat: Threat) -> str:
    impact = re.sub(r"(?i)^(which\s+)?(leads\s+)?to\s+", "", threat.impact)
    if impact:
        return impact
    goals = " and ".join(threat.goals)
    assets = ", ".join(threat.assets)
    if goals and assets:
        return f"reduced {goals} of {assets}"
    if goals:
        return f"reduced {goals}"
    if assets:
        return f"harm to {assets}"
    return "consequences the threat-composer file does not state"


def metadata_notes(threat: Threat) -> list[str]:
    notes = []
    if threat.tags:
        notes.append(f"Tags: {', '.join(threat.tags)}.")
    for key, value in threat.metadata:
        if key in ("STRIDE", "Priority"):
            continue
        shown = ", ".join(value) if isinstance(value, list) else value
        notes.append(f"Comments: {shown}" if key == "Comments" else f"{key}: {shown}")
    if threat.template:  # the statement then follows the team's template, not the usual grammar
        notes.append(f"Custom statement template: {threat.template}")
        if threat.statement:
            notes.append(f"Statement as written: {threat.statement}")
    for key, value in sorted(threat.extra.items()):
        notes.append(f"{key} (not in threat-composer's format): {json.dumps(value, ensure_ascii=False)[:2000]}")
    return notes
