"""Treatment semantics: treatments and statuses, acceptances, wildcards, unmatched decisions, gaps.

The lab's threats (residual, appetite medium): L-FLOW-1@visit 20 critical, L-STORE-1@db 20 critical,
MT-ONE 16 high, L-PROC-1@web 9 medium, L-PROC-1@tool 2 low.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.lifecycle.lab import TODAY, lab
from threatloom.engine.threat import Analysis
from threatloom.model.vocabulary import ThreatStatus


def decided(*lines: str, today: dt.date = TODAY) -> Analysis:
    return lab("decisions:\n" + "".join(f"  - {line}\n" for line in lines), today=today)


def test_gaps_are_untreated_threats_above_the_appetite() -> None:
    analysis = lab()
    assert [t.id for t in analysis.gaps()] == ["L-FLOW-1@visit", "MT-ONE", "L-STORE-1@db"]  # 20, 16, 15
    analysis = decided("{threat: MT-ONE, treatment: transfer, owner: Insurer}")
    assert [t.id for t in analysis.gaps()] == ["L-FLOW-1@visit", "L-STORE-1@db"]


@pytest.mark.parametrize(("treatment", "status", "treated"), [
    ("reduce", "in-progress", False),
    ("accept", "accepted", True),
    ("transfer", "transferred", True),
    ("avoid", "avoided", True),
])
def test_status_defaults_from_the_treatment(treatment: str, status: str, treated: bool) -> None:
    threat = decided(f"{{threat: L-PROC-1@web, treatment: {treatment}}}").by_id["L-PROC-1@web"]
    assert threat.status.value == status
    assert threat.treated is treated
    assert threat.decision is not None and threat.decision.valid


@pytest.mark.parametrize(("treatment", "status"), [
    ("reduce", "open"), ("reduce", "in-progress"), ("reduce", "mitigated"), ("reduce", "false-positive"),
    ("accept", "open"), ("accept", "in-progress"), ("accept", "accepted"), ("accept", "false-positive"),
    ("transfer", "open"), ("transfer", "in-progress"), ("transfer", "transferred"),
    ("avoid", "open"), ("avoid", "in-progress"), ("avoid", "avoided"), ("avoid", "false-positive"),
])
def test_statuses_that_fit_their_treatment(treatment: str, status: str) -> None:
    analysis = decided(f"{{threat: L-PROC-1@web, treatment: {treatment}, status: {status}, justification: ok}}")
    threat = analysis.by_id["L-PROC-1@web"]
    assert threat.status.value == status
    assert threat.treated is (status not in ("open", "in-progress"))
    assert analysis.decision_problems == ()


@pytest.mark.parametrize(("treatment", "status"), [
    ("reduce", "accepted"), ("reduce", "avoided"), ("accept", "mitigated"), ("transfer", "accepted"),
    ("avoid", "transferred"),
])
def test_a_status_that_does_not_fit_the_treatment_does_not_count(treatment: str, status: str) -> None:
    analysis = decided(f"{{threat: L-PROC-1@web, treatment: {treatment}, status: {status}}}")
    threat = analysis.by_id["L-PROC-1@web"]
    assert threat.status is ThreatStatus.OPEN
    assert threat.decision is not None and not threat.decision.valid
    (problem,) = analysis.decision_problems
    assert f"status {status} does not fit treatment {treatment}" in problem.message
    assert problem.code == "invalid-decision"


def test_false_positive_needs_a_justification() -> None:
    analysis = decided("{threat: MT-ONE, treatment: avoid, status: false-positive}")
    assert analysis.by_id["MT-ONE"].status is ThreatStatus.OPEN
    (problem,) = analysis.decision_problems
    assert problem.message == ("decision for 'MT-ONE' does not count: a false positive needs a justification "
                               "saying why the threat does not apply")
    justified = decided("{threat: MT-ONE, treatment: avoid, status: false-positive, justification: replay-safe}")
    assert justified.by_id["MT-ONE"].status is ThreatStatus.FALSE_POSITIVE
    assert justified.by_id["MT-ONE"].treated


def test_accepting_within_the_appetite_needs_no_approver() -> None:
    threat = decided("{threat: L-PROC-1@web, treatment: accept}").by_id["L-PROC-1@web"]
    assert threat.status is ThreatStatus.ACCEPTED


@pytest.mark.parametrize("extra", ["", ", approver: CISO", ", expires: 2099-01-01"])
def test_accepting_above_the_appetite_needs_an_approver_and_an_expiry(extra: str) -> None:
    analysis = decided(f"{{threat: MT-ONE, treatment: accept{extra}}}")
    assert analysis.by_id["MT-ONE"].status is ThreatStatus.OPEN
    assert analysis.by_id["MT-ONE"] in analysis.gaps()
    (problem,) = analysis.decision_problems
    assert problem.message == ("decision for 'MT-ONE' does not count: accepting a high risk (above the medium "
                               "appetite) needs an approver and an expiry date")


def test_approved_acceptance_until_a_date_counts() -> None:
    analysis = decided("{threat: MT-ONE, treatment: accept, approver: CISO, expires: 2099-01-01}")
    assert analysis.by_id["MT-ONE"].status is ThreatStatus.ACCEPTED
    assert analysis.by_id["MT-ONE"] not in analysis.gaps()


def test_expired_acceptance_counts_as_untreated() -> None:
    line = "{threat: MT-ONE, treatment: accept, approver: CISO, expires: 2026-06-30}"
    before = decided(line, today=dt.date(2026, 6, 30))  # still valid on its last day
    assert before.by_id["MT-ONE"].status is ThreatStatus.ACCEPTED
    after = decided(line, today=dt.date(2026, 7, 1))
    threat = after.by_id["MT-ONE"]
    assert threat.status is ThreatStatus.OPEN and not threat.treated
    assert threat in after.gaps()
    assert threat.decision is not None and threat.decision.note == "acceptance expired on 2026-06-30"
    (problem,) = after.decision_problems
    assert problem.message == "decision for 'MT-ONE' does not count: acceptance expired on 2026-06-30"
    assert problem.location.line > 0


def test_expired_acceptance_within_the_appetite_is_untreated_too() -> None:
    analysis = decided("{threat: L-PROC-1@web, treatment: accept, expires: 2020-01-01}")
    assert analysis.by_id["L-PROC-1@web"].status is ThreatStatus.OPEN


def test_mitigated_above_the_appetite_does_not_count() -> None:
    analysis = decided("{threat: MT-ONE, treatment: reduce, status: mitigated, controls: [C-LOCK]}")
    threat = analysis.by_id["MT-ONE"]
    assert threat.status is ThreatStatus.IN_PROGRESS
    assert threat in analysis.gaps()
    assert "marked mitigated but the residual risk is still high" in analysis.decision_problems[0].message
    within = decided("{threat: L-PROC-1@web, treatment: reduce, status: mitigated}")
    assert within.by_id["L-PROC-1@web"].status is ThreatStatus.MITIGATED


def test_overdue_work_is_reported_but_still_counts() -> None:
    analysis = decided("{threat: MT-ONE, treatment: reduce, owner: Ann, due: 2026-01-31, controls: [C-LOCK]}")
    threat = analysis.by_id["MT-ONE"]
    assert threat.status is ThreatStatus.IN_PROGRESS
    assert threat.decision is not None and threat.decision.valid
    (problem,) = analysis.decision_problems
    assert problem.message == "decision for 'MT-ONE': overdue: due 2026-01-31 and still in-progress"
    assert problem.code == "overdue-decision"
    assert decided("{threat: MT-ONE, treatment: reduce, due: 2027-01-31}").decision_problems == ()


# -- matching --------------------------------------------------------------------------------------


def test_wildcard_decisions_match_many_threats() -> None:
    analysis = decided("{threat: 'L-PROC-1@*', treatment: transfer, owner: Hosting}",
                       "{threat: '*@visit', treatment: avoid}",
                       "{threat: 'MT-ON?', treatment: transfer}")
    assert {t.id for t in analysis.threats if t.status is ThreatStatus.TRANSFERRED} == {
        "L-PROC-1@web", "L-PROC-1@tool", "MT-ONE"}
    assert analysis.by_id["L-FLOW-1@visit"].status is ThreatStatus.AVOIDED
    assert analysis.by_id["L-PROC-1@web"].decision.pattern == "L-PROC-1@*"  # type: ignore[union-attr]
    assert analysis.unmatched_decisions == ()


def test_exact_id_wins_over_wildcards_and_the_first_wildcard_wins() -> None:
    analysis = decided("{threat: 'L-*', treatment: transfer}",
                       "{threat: 'L-PROC-1@*', treatment: avoid}",
                       "{threat: L-PROC-1@tool, treatment: accept}")
    assert analysis.by_id["L-PROC-1@tool"].status is ThreatStatus.ACCEPTED
    assert analysis.by_id["L-PROC-1@web"].status is ThreatStatus.TRANSFERRED
    (shadowed,) = analysis.unmatched_decisions
    assert shadowed.message == ("decision for 'L-PROC-1@*' applies to no threat: another decision settles "
                                "every threat it matches")
    assert shadowed.code == "shadowed-decision"


def test_wildcards_keep_their_written_order_whichever_part_holds_the_wildcard() -> None:
    # a pattern naming its rule (`L-PROC-1@*`) is tried only on that rule's threats; one with a wildcard
    # in the rule part (`L-*`, `L-PROC-?@web`) on every threat; the first written still wins
    analysis = decided("{threat: 'L-PROC-?@web', treatment: avoid}",
                       "{threat: 'L-PROC-1@*', treatment: transfer}",
                       "{threat: 'L-*', treatment: accept}")
    assert analysis.by_id["L-PROC-1@web"].status is ThreatStatus.AVOIDED
    assert analysis.by_id["L-PROC-1@tool"].status is ThreatStatus.TRANSFERRED
    assert analysis.by_id["L-STORE-1@db"].decision.pattern == "L-*"  # type: ignore[union-attr]
    assert analysis.by_id["MT-ONE"].decision is None
    assert analysis.unmatched_decisions == ()


def test_a_second_decision_for_the_same_threat_is_reported() -> None:
    analysis = decided("{threat: MT-ONE, treatment: transfer}", "{threat: MT-ONE, treatment: avoid}")
    assert analysis.by_id["MT-ONE"].status is ThreatStatus.TRANSFERRED
    (problem,) = analysis.unmatched_decisions
    assert problem.code == "shadowed-decision"
    assert problem.location.line == lab_text_lines() + 2


def lab_text_lines() -> int:
    from tests.lifecycle.lab import LAB

    return LAB.read_text().count("\n") + 1


def test_decisions_matching_nothing_are_reported_with_a_hint() -> None:
    analysis = decided("{threat: L-PROC-1@wbe, treatment: avoid}", "{threat: 'X-*@nowhere', treatment: avoid}")
    first, second = analysis.unmatched_decisions
    assert first.message == "decision for 'L-PROC-1@wbe' matches no threat"
    assert first.hint == "no element or flow 'wbe' is in the model; did you mean 'L-PROC-1@web'?"
    assert first.code == "unmatched-decision"
    assert second.message == "decision for 'X-*@nowhere' matches no threat"
    assert second.severity == "warning"
    assert (first.location.file, first.location.line) == ("lab.yaml", lab_text_lines() + 1)


def test_a_misspelt_rule_is_found_among_every_threat() -> None:
    # no threat of rule "L-PORC-1" exists, so the hint comes from all the IDs, not the rule's own
    analysis = decided("{threat: L-PORC-1@web, treatment: avoid}", "{threat: 'L-PROC-1@w*x', treatment: avoid}")
    misspelt, pattern = analysis.unmatched_decisions
    assert misspelt.hint == "no rule 'L-PORC-1' is loaded; did you mean 'L-PROC-1@web'?"
    assert pattern.hint == "no threat ID fits the pattern; the closest is 'L-PROC-1@web'"


def test_a_failing_wildcard_is_reported_once_naming_its_threats() -> None:
    analysis = decided("{threat: 'L-*', treatment: accept, expires: 2020-01-01, approver: CISO}")
    assert {t.id for t in analysis.threats if t.status is ThreatStatus.OPEN} == {
        "L-FLOW-1@visit", "L-STORE-1@db", "L-PROC-1@web", "L-PROC-1@tool", "MT-ONE"}
    (problem,) = analysis.decision_problems
    assert problem.message == ("decision for 'L-*' (4 threats: L-FLOW-1@visit, L-PROC-1@tool, L-PROC-1@web, …) "
                               "does not count: acceptance expired on 2020-01-01")
