"""What changed between two versions of a model, by stable threat ID.

- new threats: found now, not before; resolved threats: found before, no longer found;
- refined threats: found before, now reported within a team's threat that refines them (`refines:`),
  which is no resolution: the weakness is still there, told once;
- risk changes: the inherent or residual score of a threat moved (a control landing shows here even when
  the level stays);
- decision changes: a threat's status or the decision behind it changed (treatment, owner, ticket, due
  date, approver, expiry, controls, or whether it counts).

Both versions are analysed on the same day, so an acceptance that expired shows as the same change in
both and only edits to the model show up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from threatloom.engine.threat import Analysis, AppliedDecision, Threat
from threatloom.lifecycle.markdown import code, md, table
from threatloom.lifecycle.plan import levels_count

DIFF_FORMAT = "threatloom-diff"
DIFF_VERSION = 1


class Change(msgspec.Struct, frozen=True):
    before: Threat
    after: Threat


class Refined(msgspec.Struct, frozen=True):
    before: Threat
    by: tuple[str, ...]  # the manual threats that refine it now


class ModelDiff(msgspec.Struct, frozen=True):
    old_label: str
    new_label: str
    system: str
    new: tuple[Threat, ...]
    resolved: tuple[Threat, ...]
    risk_changes: tuple[Change, ...]
    decision_changes: tuple[Change, ...]
    residual_before: int  # residual score of the untreated threats
    residual_after: int
    levels_before: dict[str, int]  # untreated threats per residual level
    levels_after: dict[str, int]
    refined: tuple[Refined, ...] = ()

    @property
    def unchanged(self) -> bool:
        return not (self.new or self.resolved or self.refined or self.risk_changes or self.decision_changes)


def _decision_key(d: AppliedDecision | None) -> tuple[object, ...] | None:
    if d is None:
        return None
    return (d.pattern, d.treatment, d.owner, d.ticket, d.due, d.justification, d.approver, d.expires,
            d.controls, d.valid, d.note)


def _untreated(analysis: Analysis) -> list[Threat]:
    return [t for t in analysis.threats if not t.treated]


def diff_analyses(old: Analysis, new: Analysis, old_label: str = "old", new_label: str = "new") -> ModelDiff:
    """Compare two analyses of the same system (see the module docstring)."""
    before, after = old.by_id, new.by_id
    risk, decided = [], []
    for t in new.threats:
        previous = before.get(t.id)
        if previous is None:
            continue
        if previous.inherent.score != t.inherent.score or previous.residual.score != t.residual.score:
            risk.append(Change(previous, t))
        if previous.status is not t.status or _decision_key(previous.decision) != _decision_key(t.decision):
            decided.append(Change(previous, t))
    old_open, new_open = _untreated(old), _untreated(new)
    refined_now = new.refined()
    gone = [t for t in old.threats if t.id not in after]
    return ModelDiff(
        old_label, new_label, new.system,
        new=tuple(t for t in new.threats if t.id not in before),
        resolved=tuple(t for t in gone if t.id not in refined_now),
        refined=tuple(Refined(t, refined_now[t.id]) for t in gone if t.id in refined_now),
        risk_changes=tuple(risk), decision_changes=tuple(decided),
        residual_before=sum(t.residual.score for t in old_open),
        residual_after=sum(t.residual.score for t in new_open),
        levels_before=levels_count([t.residual for t in old_open]),
        levels_after=levels_count([t.residual for t in new_open]))


def _decision_text(t: Threat) -> str:
    d = t.decision
    if d is None:
        return "no decision"
    parts = [d.treatment.value]
    parts += [f"{name} {value}" for name, value in (("owner", d.owner), ("ticket", d.ticket), ("due", d.due),
                                                     ("approver", d.approver), ("expires", d.expires)) if value]
    if d.controls:
        parts.append("controls " + ", ".join(d.controls))
    if not d.valid:
        parts.append(f"does not count: {d.note}")
    return "; ".join(parts)


def _moves(c: Change) -> tuple[str, str]:
    def move(a: Any, b: Any) -> str:
        return f"{a.level.value} ({a.score}) → {b.level.value} ({b.score})" if a.score != b.score else \
            f"{b.level.value} ({b.score})"
    return move(c.before.inherent, c.after.inherent), move(c.before.residual, c.after.residual)


def _threat_row(t: Threat) -> dict[str, Any]:
    return {"id": t.id, "title": t.title, "status": t.status.value,
            "inherent": {"level": t.inherent.level.value, "score": t.inherent.score},
            "residual": {"level": t.residual.level.value, "score": t.residual.score}}


def diff_dict(diff: ModelDiff) -> dict[str, Any]:
    return {
        "format": DIFF_FORMAT, "version": DIFF_VERSION, "system": diff.system,
        "old": diff.old_label, "new": diff.new_label,
        "residual_before": diff.residual_before, "residual_after": diff.residual_after,
        "levels_before": diff.levels_before, "levels_after": diff.levels_after,
        "new_threats": [_threat_row(t) for t in diff.new],
        "resolved_threats": [_threat_row(t) for t in diff.resolved],
        "refined_threats": [{**_threat_row(r.before), "refined_by": list(r.by)} for r in diff.refined],
        "risk_changes": [{"id": c.after.id, "title": c.after.title,
                          "inherent": {"from": c.before.inherent.level.value, "to": c.after.inherent.level.value,
                                       "score_from": c.before.inherent.score, "score_to": c.after.inherent.score},
                          "residual": {"from": c.before.residual.level.value, "to": c.after.residual.level.value,
                                       "score_from": c.before.residual.score, "score_to": c.after.residual.score}}
                         for c in diff.risk_changes],
        "decision_changes": [{"id": c.after.id, "title": c.after.title,
                              "status": {"from": c.before.status.value, "to": c.after.status.value},
                              "decision": {"from": _decision_text(c.before), "to": _decision_text(c.after)}}
                             for c in diff.decision_changes],
    }


def _levels(before: dict[str, int], after: dict[str, int]) -> str:
    return ", ".join(f"{lv} {before[lv]} → {after[lv]}" if before[lv] != after[lv] else f"{lv} {after[lv]}"
                     for lv in before)


def _delta(diff: ModelDiff) -> str:
    change = diff.residual_after - diff.residual_before
    shown = f"{diff.residual_before} → {diff.residual_after} ({change:+d})" if change else f"{diff.residual_after} (=)"
    # a refined threat's score leaves the total without any risk having gone: say how much of the fall it is
    folded = sum(r.before.residual.score for r in diff.refined if not r.before.treated)
    return shown + (f", of which -{folded} is refined threats no longer counted on their own" if folded else "")


def diff_text(diff: ModelDiff) -> str:
    lines = [f"{diff.system}: {diff.old_label} → {diff.new_label}",
             f"residual risk of untreated threats: {_delta(diff)}",
             f"untreated by level: {_levels(diff.levels_before, diff.levels_after)}"]
    if diff.unchanged:
        lines.append("no change in threats, risk levels or decisions")
    sections: list[tuple[str, Sequence[str]]] = [
        ("new threats", [f"  + {t.id} {t.title} (residual {t.residual.level.value}, {t.status.value})"
                         for t in diff.new]),
        ("resolved threats", [f"  - {t.id} {t.title} (was {t.residual.level.value})" for t in diff.resolved]),
        ("refined threats, now reported within the team's", [
            f"  > {r.before.id} {r.before.title}: in {', '.join(r.by)}" for r in diff.refined]),
        ("risk changes", [f"  ~ {c.after.id}: inherent {_moves(c)[0]}, residual {_moves(c)[1]}"
                          for c in diff.risk_changes]),
        ("decision changes", [f"  ~ {c.after.id}: {c.before.status.value} → {c.after.status.value} "
                              f"({_decision_text(c.after)})" for c in diff.decision_changes]),
    ]
    for name, rows in sections:
        if rows:
            lines += ["", f"{name} ({len(rows)}):", *rows]
    return "\n".join(lines) + "\n"


def diff_markdown(diff: ModelDiff) -> str:
    lines = [f"### threatloom: {md(diff.system)}, {md(diff.old_label)} → {md(diff.new_label)}", "",
             f"Residual risk of untreated threats: **{_delta(diff)}**  ",
             f"Untreated by level: {_levels(diff.levels_before, diff.levels_after)}", ""]
    if diff.unchanged:
        lines.append("No change in threats, risk levels or decisions.")
        return "\n".join(lines) + "\n"

    def level(t: Threat) -> str:
        return f"{t.residual.level.value} ({t.residual.score})"

    sections: list[tuple[str, list[str], list[list[str]]]] = [
        ("New threats", ["threat", "title", "residual", "status"],
         [[code(t.id), md(t.title), level(t), t.status.value] for t in diff.new]),
        ("Resolved threats", ["threat", "title", "residual before"],
         [[code(t.id), md(t.title), level(t)] for t in diff.resolved]),
        ("Refined threats, now reported within the team's", ["threat", "title", "reported in"],
         [[code(r.before.id), md(r.before.title), ", ".join(code(m) for m in r.by)] for r in diff.refined]),
        ("Risk changes", ["threat", "title", "inherent", "residual"],
         [[code(c.after.id), md(c.after.title), *_moves(c)] for c in diff.risk_changes]),
        ("Decision changes", ["threat", "status", "decision now"],
         [[code(c.after.id), f"{c.before.status.value} → {c.after.status.value}", md(_decision_text(c.after))]
          for c in diff.decision_changes]),
    ]
    for title, header, rows in sections:
        if rows:
            lines += [f"#### {title} ({len(rows)})", "", *table(header, rows), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
