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

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from threatloom.engine.threat import AppliedDecision
from threatloom.errors import Problem
from threatloom.lifecycle.patterns import IdParts, ThreatPatterns, is_pattern, matching, unmatched_hint
from threatloom.model.schema import Decision, Model
from threatloom.model.vocabulary import Level, ThreatStatus, Treatment
from threatloom.nearest import Nearest

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


class DecisionMatcher:
    """Finds the decision that settles a threat, and remembers which decisions were used."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.patterns = ThreatPatterns(d.threat for d in model.decisions)
        self.hits: dict[int, int] = dict.fromkeys(range(len(model.decisions)), 0)  # decision -> threats settled
        self.seen: set[int] = set()  # decisions whose pattern matched some threat

    def match(self, threat_id: str) -> int | None:
        """Index of the decision that applies to `threat_id`, or None."""
        if not self.hits:  # a model without decisions: nothing to match or to remember
            return None
        exact = self.patterns.exact(threat_id)
        matching = self.patterns.wildcards(threat_id)
        self.seen.update(exact)
        self.seen.update(matching)
        found = exact[0] if exact else (matching[0] if matching else None)
        if found is not None:
            self.hits[found] += 1
        return found

    def any_unused(self) -> bool:
        """Whether some decision has settled no threat so far."""
        return 0 in self.hits.values()

    def unmatched(self, threat_ids: Iterable[str], refined: Mapping[str, Sequence[str]] | None = None,
                  parts: IdParts | None = None) -> list[Problem]:
        """A warning for every decision that applies to no threat, located at the decision. `refined` maps
        the generated threats that the team's own threats refine (and so are no longer listed) to those
        threats: a decision on one of them belongs on the team's threat. With `parts`, the hint says why
        nothing matched (see :func:`~threatloom.lifecycle.patterns.unmatched_hint`)."""
        ids = sorted(threat_ids)
        nearest = Nearest()  # one budget for every decision's suggestion
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
            by = _refined_by(decision.threat, refined or {})
            if by:
                problems.append(Problem(where, f"decision for {decision.threat!r} matches no threat: "
                                        f"{', '.join(by)} refines what it matched",
                                        f"decide on {by[0]} instead, and remove this decision",
                                        "refined-decision", severity="warning"))
                continue
            problems.append(Problem(where, f"decision for {decision.threat!r} matches no threat",
                                    unmatched_hint(decision.threat, ids, parts, nearest), "unmatched-decision",
                                    severity="warning"))
        return problems


def _refined_by(pattern: str, refined: Mapping[str, Sequence[str]]) -> list[str]:
    """The team's threats that refine a generated threat `pattern` matches (the few refined threats are
    tried, not the whole analysis)."""
    return sorted({m for threat_id in matching(pattern, refined) for m in refined[threat_id]})


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
