"""Match people's decisions to threats by stable ID (with `*` and `?` wildcards) and judge them.

Matching: an exact ID wins over a wildcard; among wildcards the first written wins. A decision that
applies to no threat is reported, never dropped: either its pattern matches nothing (the threat is
gone, or the ID is misspelt), or every threat it matches is settled by another decision (shadowed).

Treatments and the statuses that fit them (a status defaults from the treatment):

=========  =====================================================  ==============
treatment  statuses                                               default
=========  =====================================================  ==============
reduce     open, in-progress, mitigated, false-positive           in-progress
accept     open, in-progress, accepted, false-positive            accepted
transfer   open, in-progress, transferred, false-positive         transferred
avoid      open, in-progress, avoided, false-positive             avoided
=========  =====================================================  ==============

A threat is treated when its status is mitigated, accepted, transferred, avoided or false-positive
and the decision counts. A decision does not count (the threat stays open, or in progress) when:

- its status does not fit its treatment (`reduce` with `accepted`);
- it marks a false positive without a justification;
- it accepts a risk and the acceptance expired (`expires` before today);
- it accepts a risk above the appetite without both an approver and an expiry date;
- it says mitigated while the residual risk is still above the appetite: the controls that mitigate
  it belong in the model (`controls:` with `implements:`), so that the residual risk shows it; what
  remains above the appetite must be accepted by an approver.

A decision that counts but whose due date passed while the work is open is reported as overdue.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import fnmatch
import re
from collections.abc import Iterable, Sequence

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
_PENDING = (ThreatStatus.OPEN, ThreatStatus.IN_PROGRESS, ThreatStatus.FALSE_POSITIVE)
ALLOWED_STATUS: dict[Treatment, tuple[ThreatStatus, ...]] = {
    Treatment.REDUCE: (*_PENDING, ThreatStatus.MITIGATED),
    Treatment.ACCEPT: (*_PENDING, ThreatStatus.ACCEPTED),
    Treatment.TRANSFER: (*_PENDING, ThreatStatus.TRANSFERRED),
    Treatment.AVOID: (*_PENDING, ThreatStatus.AVOIDED),
}
UNTREATED = (ThreatStatus.OPEN, ThreatStatus.IN_PROGRESS)


def is_pattern(threat: str) -> bool:
    return any(ch in threat for ch in "*?")


class DecisionMatcher:
    """Finds the decision that settles a threat, and remembers which decisions were used."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.exact: dict[str, int] = {}
        self.hits: dict[int, int] = {}  # decision index -> threats it settles
        self.seen: set[int] = set()  # decisions whose pattern matched some threat
        self._exact_all: dict[str, list[int]] = {}
        # wildcards indexed by the rule they name (`TL-S003@*`), so that a threat tries those of its own
        # rule and the few whose rule part has a wildcard, not every pattern of the model
        self._by_rule: dict[str, list[tuple[re.Pattern[str], int]]] = {}
        self._any_rule: list[tuple[re.Pattern[str], int]] = []
        for i, decision in enumerate(self.model.decisions):
            if is_pattern(decision.threat):
                compiled = (re.compile(fnmatch.translate(decision.threat)), i)
                rule, at, _ = decision.threat.partition("@")
                if at and not any(ch in rule for ch in "*?["):
                    self._by_rule.setdefault(rule, []).append(compiled)
                else:
                    self._any_rule.append(compiled)
            else:
                self.exact.setdefault(decision.threat, i)
                self._exact_all.setdefault(decision.threat, []).append(i)
            self.hits[i] = 0
        self._tried: dict[str, list[tuple[re.Pattern[str], int]]] = {}  # rule part -> patterns, in order

    def _patterns_for(self, threat_id: str) -> list[tuple[re.Pattern[str], int]]:
        """The wildcards that can match `threat_id`, in the order written: a pattern whose rule part is
        plain text matches only IDs that start with it and `@`."""
        rule = threat_id.partition("@")[0]
        found = self._tried.get(rule)
        if found is None:
            found = self._tried[rule] = sorted([*self._by_rule.get(rule, ()), *self._any_rule], key=lambda p: p[1])
        return found

    def match(self, threat_id: str) -> int | None:
        """Index of the decision that applies to `threat_id`, or None."""
        if not self.hits:  # a model without decisions: nothing to match or to remember
            return None
        exact = self._exact_all.get(threat_id, [])
        matching = [i for pattern, i in self._patterns_for(threat_id) if pattern.match(threat_id)]
        self.seen.update(exact)
        self.seen.update(matching)
        found = exact[0] if exact else (matching[0] if matching else None)
        if found is not None:
            self.hits[found] += 1
        return found

    def unmatched(self, threat_ids: Iterable[str]) -> list[Problem]:
        """A warning for every decision that applies to no threat, located at the decision."""
        ids = sorted(threat_ids)
        problems = []
        for i, count in self.hits.items():
            if count:
                continue
            decision = self.model.decisions[i]
            where = self.model.locate(f"decisions/{i}")
            if i in self.seen:
                problems.append(Problem(where, f"decision for {decision.threat!r} applies to no threat: another "
                                        "decision settles every threat it matches",
                                        "an exact ID wins over a wildcard, and the first wildcard written wins; "
                                        "remove it or merge it with the other decision", "shadowed-decision",
                                        severity="warning"))
                continue
            hint = _unmatched_hint(decision.threat, ids)
            problems.append(Problem(where, f"decision for {decision.threat!r} matches no threat", hint,
                                    "unmatched-decision", severity="warning"))
        return problems


def _unmatched_hint(threat: str, ids: Sequence[str]) -> str:
    """A hint for a decision matching nothing: the closest ID for an exact one; for a wildcard, only an
    ID sharing its literal start (else any ID looks "close" once the wildcards are dropped). `ids` are
    sorted, so the IDs with a given start are found by bisection, not by a pass over all of them."""
    if is_pattern(threat):
        prefix = re.split(r"[*?]", threat, maxsplit=1)[0]
        pool = _starting_with(ids, prefix)
        close = difflib.get_close_matches(threat.replace("*", "").replace("?", ""), pool, 1, 0.0) if pool else []
        if close:
            return f"no threat ID fits the pattern; the closest is {close[0]!r}"
        return "the threats it covered may be gone: remove or update it"
    # a misspelt ID usually keeps its rule or its target right: look among the threats of the same rule
    # first, and through every ID only when none of them is close
    rule = threat.partition("@")[0]
    close = difflib.get_close_matches(threat, _starting_with(ids, rule + "@"), 1, 0.6) \
        or difflib.get_close_matches(threat, ids, 1, 0.6)
    return f"did you mean {close[0]!r}?" if close else "the threat may be gone: remove or update it"


def _starting_with(ids: Sequence[str], prefix: str) -> list[str]:
    start = bisect.bisect_left(ids, prefix)
    end = start
    while end < len(ids) and ids[end].startswith(prefix):
        end += 1
    return list(ids[start:end])


def apply_decision(decision: Decision, index: int, level: Level, appetite: Level,
                   today: dt.date) -> AppliedDecision:
    """What a decision means for a threat whose residual level is `level` (see the module docstring)."""
    status = decision.status or DEFAULT_STATUS[decision.treatment]
    valid, note = True, ""
    fallback = ThreatStatus.OPEN  # the status of a threat whose decision does not count
    above = level.rank > appetite.rank
    if status not in ALLOWED_STATUS[decision.treatment]:
        fitting = ", ".join(s.value for s in ALLOWED_STATUS[decision.treatment])
        valid, note = False, (f"status {status.value} does not fit treatment {decision.treatment.value} "
                              f"(use {fitting})")
    elif status is ThreatStatus.FALSE_POSITIVE and not decision.justification.strip():
        valid, note = False, "a false positive needs a justification saying why the threat does not apply"
    elif status is ThreatStatus.ACCEPTED:
        if decision.expires is not None and decision.expires < today:
            valid, note = False, f"acceptance expired on {decision.expires.isoformat()}"
        elif above and (decision.approver is None or decision.expires is None):
            valid, note = False, (f"accepting a {level.value} risk (above the {appetite.value} appetite) "
                                  "needs an approver and an expiry date")
    elif status is ThreatStatus.MITIGATED and above:
        fallback = ThreatStatus.IN_PROGRESS
        valid, note = False, (f"marked mitigated but the residual risk is still {level.value}, above the "
                              f"{appetite.value} appetite: record the controls in place in the model, or "
                              "accept the rest with an approver")
    if valid and status in UNTREATED and decision.due is not None and decision.due < today:
        note = f"overdue: due {decision.due.isoformat()} and still {status.value}"
    if not valid:
        status = fallback
    return AppliedDecision(
        pattern=decision.threat, index=index, treatment=decision.treatment, status=status,
        owner=decision.owner, ticket=decision.ticket,
        due=decision.due.isoformat() if decision.due else None,
        justification=decision.justification, approver=decision.approver,
        expires=decision.expires.isoformat() if decision.expires else None,
        controls=decision.controls, valid=valid, note=note)


def decision_problem(model: Model, index: int, note: str, valid: bool, threat_ids: Sequence[str]) -> Problem:
    """The warning for decision `index` whose note is `note` for the threats `threat_ids`."""
    decision = model.decisions[index]
    if len(threat_ids) == 1 and not is_pattern(decision.threat):
        subject = f"decision for {threat_ids[0]!r}"
    else:
        shown = ", ".join(threat_ids[:3]) + (", …" if len(threat_ids) > 3 else "")
        subject = (f"decision for {decision.threat!r} ({len(threat_ids)} threat"
                   f"{'s' if len(threat_ids) != 1 else ''}: {shown})")
    if valid:
        return Problem(model.locate(f"decisions/{index}"), f"{subject}: {note}",
                       "finish the work, or move the due date", "overdue-decision", severity="warning")
    return Problem(model.locate(f"decisions/{index}"), f"{subject} does not count: {note}",
                   "renew or re-approve it, or treat the risk another way", "invalid-decision",
                   severity="warning")
