"""Threagile's individual risks become manual threats, their category's mitigation a model control, and
risk tracking becomes decisions (or, for Threagile's built-in risks, notes)."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from threatloom.interop.draft import long_text, short
from threatloom.interop.threagile.source import Keys, Source, plain, sentence_list
from threatloom.interop.threagile.vocabulary import (
    DATA_BREACH_PROBABILITY,
    IMPACT,
    LIKELIHOOD,
    RISK_FUNCTION,
    SEVERITY_SCORE,
    STRIDE,
    TRACKING,
)

CATEGORY_KEYS = ("id", "title", "description", "impact", "asvs", "cheat_sheet", "action", "mitigation", "check",
                 "function", "stride", "detection_logic", "risk_assessment", "false_positives",
                 "model_failure_possible_reason", "cwe", "risks_identified")
RISK_KEYS = ("severity", "exploitation_likelihood", "exploitation_impact", "data_breach_probability",
             "data_breach_technical_assets", "most_relevant_data_asset", "most_relevant_technical_asset",
             "most_relevant_communication_link", "most_relevant_trust_boundary", "most_relevant_shared_runtime")
TRACKING_KEYS = ("status", "justification", "ticket", "date", "checked_by")
# Threagile does not say who the threat source is; the grammar needs one
SOURCE = "An attacker"


class Risk(msgspec.Struct):
    synthetic_id: str  # Threagile's ID of the risk, which risk tracking refers to
    threat_id: str
    category: str
    title: str


def read_risks(src: Source) -> None:
    risks: list[Risk] = []
    controls: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for title, obj, keys in _categories(src):
        risks += _category(src, title, obj, keys, controls, seen)
    decided = _tracking(src, risks)
    for category, control in controls.items():
        # the mitigation is Threagile's advice; it is in place as far as risk tracking says it is
        statuses = [decided.get(r.threat_id) for r in risks if r.category == category]
        if statuses and all(s == "mitigated" for s in statuses):
            control["status"] = "implemented"
        elif any(s in ("mitigated", "in-progress") for s in statuses):
            control["status"] = "partial"


def _categories(src: Source) -> list[tuple[str, dict[str, Any], Keys]]:
    """Categories in both spellings: the mapping `individual_risk_categories` (Threagile 1) and the
    list `custom_risk_categories` (later versions, each with a `title`)."""
    found = []
    for title, raw in src.section("individual_risk_categories").items():
        keys: Keys = ("individual_risk_categories", title)
        found.append((title, src.mapping(raw, keys), keys))
    listed = src.root.get("custom_risk_categories")
    if listed is not None:
        for i, raw in enumerate(src.document.expect(listed, list, ("custom_risk_categories",))):
            keys = ("custom_risk_categories", i)
            obj = src.mapping(raw, keys)
            found.append((src.text(obj, "title", keys) or src.required_text(obj, "id", keys), obj, keys))
    return found


def _category(src: Source, title: str, obj: dict[str, Any], keys: Keys,
              controls: dict[str, dict[str, Any]], seen: set[str]) -> list[Risk]:
    draft, report = src.draft, src.report
    category = src.required_text(obj, "id", keys)
    if category in seen:
        raise src.error((*keys, "id"), f"risk category id {category!r} is used twice", "give each its own id")
    seen.add(category)
    stride = src.choice(obj, "stride", keys, STRIDE)
    if not stride:
        raise src.document.error(keys, "missing `stride`", f"use one of {', '.join(STRIDE)}", "import-missing")
    description, impact = src.text(obj, "description", keys), src.text(obj, "impact", keys)
    mitigation, action = src.text(obj, "mitigation", keys), src.text(obj, "action", keys)
    cwe = src.number(obj, "cwe", keys)
    control_id = None
    if mitigation or action:
        control_id = draft.new_id(f"{category}-mitigation", "control")
        parts = [mitigation, f"Check: {src.text(obj, 'check', keys)}" if src.text(obj, "check", keys) else "",
                 f"ASVS: {src.text(obj, 'asvs', keys)}" if src.text(obj, "asvs", keys) else "",
                 f"Cheat sheet: {src.text(obj, 'cheat_sheet', keys)}" if src.text(obj, "cheat_sheet", keys) else ""]
        controls[category] = draft.add("controls", {
            "id": control_id, "name": short(plain(action) or f"Mitigation of {plain(title)}"),
            "description": long_text("\n\n".join(p for p in parts if p)), "status": "planned"})
        report.map("risk category mitigations")
    risks = []
    identified = src.mapping(obj.get("risks_identified"), (*keys, "risks_identified"))
    for risk_title, raw in identified.items():
        risk_keys = (*keys, "risks_identified", risk_title)
        risk = _risk(src, category, stride, risk_title, src.mapping(raw, risk_keys), risk_keys,
                     action=description or plain(title) or category, impact=impact, cwe=cwe, control=control_id)
        if risk is not None:
            risks.append(risk)
    function = src.choice(obj, "function", keys, RISK_FUNCTION)
    details = [f"function {function}" if function else "",
               *(f"{label}: {src.text(obj, key, keys)}" for key, label in
                 (("detection_logic", "detection logic"), ("risk_assessment", "risk assessment"),
                  ("false_positives", "false positives")) if src.text(obj, key, keys)),
               "a model failure is a possible reason" if src.flag(obj, "model_failure_possible_reason", keys) else "",
               *src.extras(obj, CATEGORY_KEYS, keys)]
    if any(details):
        about = control_id or (risks[0].threat_id if risks else None)
        draft.note(about, _where(keys), f"Threagile risk category {plain(title)} ({category}): "
                   + sentence_list(details) + ".")
        report.keep_as_note("risk category details", category)
    report.map("risk categories")
    return risks


def _risk(src: Source, category: str, stride: str, title: str, obj: dict[str, Any], keys: Keys, *, action: str,
          impact: str, cwe: int, control: str | None) -> Risk | None:
    draft, report = src.draft, src.report
    relevant = {key: src.text(obj, f"most_relevant_{key}", keys)
                for key in ("technical_asset", "communication_link", "trust_boundary", "shared_runtime", "data_asset")}
    synthetic = "@".join([category, *(relevant[k] for k in ("technical_asset", "communication_link", "trust_boundary",
                                                             "shared_runtime", "data_asset") if relevant[k])])
    elements = []
    if relevant["technical_asset"]:
        elements.append(src.ours("technical", relevant["technical_asset"], (*keys, "most_relevant_technical_asset"),
                                 "technical asset"))
    if relevant["communication_link"]:
        elements.append(src.ours("link", relevant["communication_link"], (*keys, "most_relevant_communication_link"),
                                 "communication link", "Threagile names a link `source-id>link-title-in-lowercase`"))
    breached = src.names(obj, "data_breach_technical_assets", keys)
    elements += [src.ours("technical", b, (*keys, "data_breach_technical_assets", i), "technical asset")
                 for i, b in enumerate(breached)]
    for key, section, members in (("trust_boundary", "trust_boundaries", "technical_assets_inside"),
                                  ("shared_runtime", "shared_runtimes", "technical_assets_running")):
        if relevant[key]:
            inside = _members(src, section, members, relevant[key], (*keys, f"most_relevant_{key}"))
            if not elements:  # the risk is about a group: it concerns what the group holds
                elements += [src.ours("technical", m, keys, "technical asset") for m in inside]
    assets = [src.ours("data", relevant["data_asset"], (*keys, "most_relevant_data_asset"), "data asset")] \
        if relevant["data_asset"] else []
    if assets and not elements:  # about data alone: it concerns where the data is stored, else processed
        elements += _holders(src, relevant["data_asset"])
    severity = src.choice(obj, "severity", keys, SEVERITY_SCORE)
    likelihood = src.choice(obj, "exploitation_likelihood", keys, LIKELIHOOD)
    exploitation = src.choice(obj, "exploitation_impact", keys, IMPACT)
    breach = src.choice(obj, "data_breach_probability", keys, DATA_BREACH_PROBABILITY)
    details = [f"severity {severity}" if severity else "",
               f"data breach probability {breach}" if breach else "",
               f"data breach on {', '.join(breached)}" if breached else "",
               *(f"most relevant {k.replace('_', ' ')} {relevant[k]}" for k in ("trust_boundary", "shared_runtime")
                 if relevant[k]),
               *src.extras(obj, RISK_KEYS, keys)]
    if not elements:
        draft.note(None, _where(keys), f"Threagile risk {plain(title)} ({synthetic}) names no technical asset, "
                   "link, trust boundary or shared runtime holding assets, nor data that an asset holds, so it could "
                   "not become a threat. "
                   + sentence_list(details))
        report.keep_as_note("individual risks", synthetic)
        return None
    threat_id = draft.new_id(synthetic.replace("@", "-").replace(">", "-"), "risk", foreign=("risk", synthetic))
    fallback = SEVERITY_SCORE.get(severity, (None, None))
    draft.add("threats", {
        "id": threat_id, "title": short(plain(title)) or None, "category": STRIDE[stride], "source": SOURCE,
        "action": long_text(action), "impact": long_text(impact or "harm the Threagile model does not describe"),
        "assets": assets, "elements": list(dict.fromkeys(elements)),
        "likelihood": LIKELIHOOD.get(likelihood) or fallback[0],
        "impact_rating": IMPACT.get(exploitation) or fallback[1],
        "cwe": [cwe] if cwe > 0 else [], "mitigations": [control] if control else []})
    if any(details):
        draft.note(threat_id, _where(keys), "Threagile: " + sentence_list(details) + ".")
    report.map("individual risks")
    return Risk(synthetic, threat_id, category, plain(title))


def _tracking(src: Source, risks: list[Risk]) -> dict[str, str]:
    """Decisions from risk tracking; returns the decided status of each threat. An exact Threagile risk ID
    wins over a wildcard (`*` stands for one @-separated part), and the first wildcard written wins."""
    tracked = src.section("risk_tracking")
    decided: dict[str, str] = {}
    order = sorted(tracked, key=lambda k: "*" in k)  # exact IDs first, file order kept within each
    for pattern in order:
        keys: Keys = ("risk_tracking", pattern)
        obj = src.mapping(tracked[pattern], keys)
        status = src.choice(obj, "status", keys, TRACKING, "unchecked")
        treatment, ours = TRACKING[status]
        justification, ticket = src.text(obj, "justification", keys), src.text(obj, "ticket", keys)
        checked_by, date = src.text(obj, "checked_by", keys), src.text(obj, "date", keys)
        matcher = re.compile("[^@]+".join(re.escape(part) for part in pattern.strip().split("*")))
        matched = [r for r in risks if matcher.fullmatch(r.synthetic_id)]
        fresh = [r for r in matched if r.threat_id not in decided]
        checked = sentence_list([" ".join(p for p in (f"checked by {checked_by}" if checked_by else "",
                                                       f"on {date}" if date else "") if p),
                                 *src.extras(obj, TRACKING_KEYS, keys)])
        for risk in fresh:
            src.draft.add("decisions", {
                "threat": risk.threat_id, "treatment": treatment, "status": ours, "ticket": short(ticket) or None,
                "justification": long_text(justification),
                "approver": (short(checked_by) or None) if status == "accepted" else None})
            decided[risk.threat_id] = ours
            if checked:
                src.draft.note(risk.threat_id, _where(keys), f"Threagile risk tracking ({status}): {checked}.")
            src.report.map("risk tracking")
        if fresh:
            continue
        what = (f"Threagile risk tracking for {pattern}: {status}" + (f", {justification}" if justification else "")
                + (f" (ticket {ticket})" if ticket else "") + (f"; {checked}" if checked else "") + ". ")
        if matched:
            what += "Every risk it matches is already tracked by an entry that wins over it."
        else:
            what += ("No individual risk of this model has this ID, so it tracks one of Threagile's built-in "
                     "risks (or none); threatloom's own rules may find the same weakness under their own IDs.")
        src.draft.note(_about(src, pattern), _where(keys), what)
        src.report.keep_as_note("risk tracking without a threat", pattern)
    return decided


def _members(src: Source, section: str, key: str, foreign: str, keys: Keys) -> list[str]:
    for name, raw in src.section(section).items():
        obj = src.mapping(raw, (section, name))
        if src.text(obj, "id", (section, name)) == foreign:
            return src.names(obj, key, (section, name))
    raise src.error(keys, f"unknown {section.replace('_', ' ')[:-1]} {foreign!r}",
                    f"use the `id` of one of the file's {section.replace('_', ' ')}")


def _holders(src: Source, data_asset: str) -> list[str]:
    stored, processed = [], []
    for name, raw in src.section("technical_assets").items():
        keys: Keys = ("technical_assets", name)
        obj = src.mapping(raw, keys)
        ours = src.ours("technical", src.required_text(obj, "id", keys), keys, "technical asset")
        if data_asset in src.names(obj, "data_assets_stored", keys):
            stored.append(ours)
        elif data_asset in src.names(obj, "data_assets_processed", keys):
            processed.append(ours)
    return stored or processed


def _about(src: Source, pattern: str) -> str | None:
    """The element a tracking ID names (its first part after the risk's own that is a technical asset)."""
    for part in pattern.split("@")[1:]:
        found = src.draft.ours("technical", part) or src.draft.ours("link", part)
        if found:
            return found
    return None


def _where(keys: Keys) -> str:
    return ".".join(str(k) for k in keys)
