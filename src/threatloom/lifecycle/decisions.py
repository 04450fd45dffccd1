"""Match people's decisions to threats by stable ID (with `*` and `?` wildcards) and judge them.

An exact ID wins over a wildcard; among wildcards the first written wins. A decision matching no
threat is reported, never dropped. An acceptance that expired, or that accepts a risk above the
appetite without an approver and an expiry date, does not count: the threat stays open.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from threatloom.engine.threat import AppliedDecision
from threatloom.errors import Problem
from threatloom.model.schema import Decision, Model
from threatloom.model.vocabulary import Level, ThreatStatus, Treatment

DEFAULT_STATUS = {
    Treatment.ACCEPT: ThreatStatus.ACCEPTED,
    Treatment.TRANSFER: ThreatStatus.TRANSFERRED,
    Treatment.AVOID: ThreatStatus.AVOIDED,
    Treatment.REDUCE: ThreatStatus.IN_PROGRESS,
}


@dataclass
class DecisionMatcher:
    model: Model
    exact: dict[str, int] = field(default_factory=dict)
    patterns: list[tuple[re.Pattern[str], int]] = field(default_factory=list)
    hits: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, decision in enumerate(self.model.decisions):
            if any(ch in decision.threat for ch in "*?"):
                self.patterns.append((re.compile(fnmatch.translate(decision.threat)), i))
            else:
                self.exact.setdefault(decision.threat, i)
            self.hits[i] = 0

    def match(self, threat_id: str) -> int | None:
        found = self.exact.get(threat_id)
        if found is None:
            found = next((i for pattern, i in self.patterns if pattern.match(threat_id)), None)
        if found is not None:
            self.hits[found] += 1
        return found

    def unmatched(self, threat_ids: Iterable[str]) -> list[Problem]:
        ids = sorted(threat_ids)
        problems = []
        for i, count in self.hits.items():
            if count:
                continue
            decision = self.model.decisions[i]
            close = difflib.get_close_matches(decision.threat, ids, 1, 0.6)
            hint = f"did you mean {close[0]!r}?" if close else "the threat may be gone: remove or update it"
            problems.append(Problem(self.model.locate(f"decisions/{i}"),
                                    f"decision for {decision.threat!r} matches no threat", hint,
                                    "unmatched-decision", severity="warning"))
        return problems


def apply_decision(decision: Decision, index: int, level: Level, appetite: Level,
                   today: dt.date) -> AppliedDecision:
    """What a decision means for a threat whose residual level is `level`."""
    status = decision.status or DEFAULT_STATUS[decision.treatment]
    valid, note = True, ""
    if decision.treatment is Treatment.ACCEPT or status is ThreatStatus.ACCEPTED:
        if decision.expires is not None and decision.expires < today:
            valid, note = False, f"acceptance expired on {decision.expires.isoformat()}"
        elif level.rank > appetite.rank and (decision.approver is None or decision.expires is None):
            valid, note = False, (f"accepting a {level.value} risk (above the {appetite.value} appetite) "
                                  "needs an approver and an expiry date")
    if not valid:
        status = ThreatStatus.OPEN
    return AppliedDecision(
        pattern=decision.threat, index=index, treatment=decision.treatment, status=status,
        owner=decision.owner, ticket=decision.ticket,
        due=decision.due.isoformat() if decision.due else None,
        justification=decision.justification, approver=decision.approver,
        expires=decision.expires.isoformat() if decision.expires else None,
        controls=decision.controls, valid=valid, note=note)
