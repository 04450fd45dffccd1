"""Did-you-mean suggestions stay bounded in cost: the first problems get one, every problem is reported."""

from __future__ import annotations

from threatloom.errors import InputError
from threatloom.model.loading import load_model_text
from threatloom.nearest import COMPARISONS, Nearest, Suggester


def test_a_suggester_remembers_answers_and_stops_when_its_budget_is_spent() -> None:
    suggester = Suggester(["orders", "payments", "customers"], budget=7)
    assert suggester.closest("ordres") == "orders"  # 3 names compared, 4 left
    assert suggester.closest("ordres") == "orders"  # remembered: nothing spent
    assert suggester.closest("paymnts") == "payments"  # 1 left
    assert suggester.closest("custmers") is None  # spent: no suggestion, whatever the word
    assert suggester.closest("ordres") == "orders"
    nearest = Nearest(budget=5)
    assert nearest.closest("ab", ["abc", "xyz"]) == "abc"
    assert nearest.closest("xy", ["abc", "xyz"]) == "xyz"
    assert nearest.closest("xz", ["abc", "xyz"]) is None  # 4 spent, 2 more would pass the 5
    assert nearest.spent
    assert nearest.closest("ab", ["abc", "xyz"]) == "abc"  # remembered, though the budget is spent
    assert not Nearest().spent


def test_a_model_with_a_bad_reference_on_every_flow_reports_each_the_first_with_a_suggestion() -> None:
    # 400 components and 400 flows naming a misspelt destination: 400 x 400 comparisons would pass the
    # budget, so the later problems come without "did you mean", and none is lost
    size = 400
    assert size * size > COMPARISONS
    rows = [f"  - {{id: comp-{i}, name: C{i}, type: process, kind: service}}" for i in range(size)]
    flows = [f"  - {{id: f{i}, name: F{i}, source: comp-{i}, destination: cmop-{(i + 1) % size}}}"
             for i in range(size)]
    text = "threatloom: 1\nsystem: {name: Many}\ncomponents:\n" + "\n".join(rows) + "\nflows:\n" + "\n".join(flows)
    try:
        load_model_text(text + "\n", "many.yaml")
    except InputError as exc:
        problems = [p for p in exc.problems if p.code == "unknown-reference"]
    else:
        raise AssertionError("the model has unknown references")
    assert [p.location.line for p in problems] == [size + 5 + i for i in range(size)]
    assert problems[0].message == "unknown element 'cmop-1'" and problems[0].hint == "did you mean 'comp-1'?"
    suggested = [p for p in problems if p.hint.startswith("did you mean")]
    assert len(suggested) == COMPARISONS // size  # the first ones, in order
    assert suggested == problems[:len(suggested)]
    assert problems[-1].hint == "define it under `components` or `environment`"


def test_a_hint_does_not_claim_no_close_id_once_suggestions_stopped() -> None:
    from threatloom.lifecycle.patterns import IdParts, unmatched_hint

    manual = tuple(f"MT-THREAT-{i:05}" for i in range(100))
    parts = IdParts(rules={}, disabled={}, elements=frozenset(), flows=frozenset(), out_of_scope=frozenset(),
                    unanalysed_flows={}, zones=frozenset(), manual=manual, rules_by_lower={})
    nearest = Nearest(budget=250)
    hints = [unmatched_hint(f"MT-THRAET-{i:05}", manual, parts, nearest) for i in range(3)]
    assert hints[0] == "no threat under `threats:` has the ID 'MT-THRAET-00000'; did you mean 'MT-THREAT-00000'?"
    assert hints[2] == "no threat under `threats:` has the ID 'MT-THRAET-00002': compare it with the IDs in " \
                       "threats.json"
    fresh = unmatched_hint("MT-NOTHING-LIKE", (), parts, Nearest())
    assert fresh.endswith(": it was removed or renamed; remove or update it")
