"""The CI gate: does an untreated threat reach the threshold level?

A threat fails the check when no valid decision treats it (status open or in progress, including an
expired or unapproved acceptance) and its residual level is at or above `--fail-on`. Without a
threshold the gate follows the model's risk appetite: it fails on the gaps, the untreated threats above
the appetite.
"""

from __future__ import annotations

from typing import Any

import msgspec

from threatloom.engine.threat import Analysis, Threat
from threatloom.model.vocabulary import Level
from threatloom.render.words import counted

CHECK_FORMAT = "threatloom-check"
CHECK_VERSION = 1
LEVELS = (Level.LOW, Level.MEDIUM, Level.HIGH, Level.CRITICAL)


def above_appetite(appetite: Level) -> Level | None:
    """The lowest level above `appetite` (None when the appetite is critical: nothing is above it)."""
    higher = [lv for lv in LEVELS if lv.rank > appetite.rank]
    return higher[0] if higher else None


class CheckResult(msgspec.Struct, frozen=True):
    system: str
    fail_on: Level | None
    untreated: tuple[Threat, ...]  # every untreated threat, highest residual first
    failing: tuple[Threat, ...]  # those at or above `fail_on`

    @property
    def passed(self) -> bool:
        return not self.failing


def run_check(analysis: Analysis, fail_on: Level | None = None) -> CheckResult:
    """Judge `analysis` against `fail_on` (default: the level just above the model's risk appetite)."""
    threshold = fail_on if fail_on is not None else above_appetite(analysis.risk_appetite)
    untreated = tuple(t for t in analysis.threats if not t.treated)
    failing = tuple(t for t in untreated if threshold is not None and t.residual.level.rank >= threshold.rank)
    return CheckResult(analysis.system, threshold, untreated, failing)


def threat_summary(threat: Threat) -> dict[str, Any]:
    return {"id": threat.id, "title": threat.title, "rule": threat.rule_id, "target": threat.target,
            "residual": {"level": threat.residual.level.value, "score": threat.residual.score},
            "inherent": {"level": threat.inherent.level.value, "score": threat.inherent.score},
            "status": threat.status.value,
            "decision_note": threat.decision.note if threat.decision else "",
            "source": {"file": threat.location.file, "line": threat.location.line,
                       "column": threat.location.column}}


def check_dict(result: CheckResult, analysis: Analysis) -> dict[str, Any]:
    return {
        "format": CHECK_FORMAT,
        "version": CHECK_VERSION,
        "system": result.system,
        "fail_on": result.fail_on.value if result.fail_on else None,
        "passed": result.passed,
        "failing": [threat_summary(t) for t in result.failing],
        "untreated": len(result.untreated),
        "residual_risk_untreated": sum(t.residual.score for t in result.untreated),
        "problems": [p.as_dict() for p in (*analysis.unmatched_decisions, *analysis.decision_problems)],
    }


def check_text(result: CheckResult) -> list[str]:
    """Lines naming the failing threats (compiler style, so editors can jump to them) and a verdict."""
    lines = [f"{t.location}: {t.residual.level.value}: {t.id} {t.title} (residual {t.residual.score}, "
             f"{t.status.value}{'; ' + t.decision.note if t.decision and t.decision.note else ''})"
             for t in result.failing]
    if result.fail_on is None:
        untreated = counted(len(result.untreated), "untreated threat")
        lines.append(f"check passed: nothing is above a critical appetite ({untreated}; set --fail-on to gate on them)")
    elif result.failing:
        failing = counted(len(result.failing), "untreated threat")
        lines.append(f"check failed: {failing} at {result.fail_on.value} or above")
    else:
        lines.append(f"check passed: no untreated threat at {result.fail_on.value} or above "
                     f"({len(result.untreated)} untreated below it)")
    return lines
