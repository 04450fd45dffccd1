"""The rule index (guards read from conditions, candidates picked from an index of facts) only saves work:
on real models the indexed analysis writes exactly what evaluating every rule on every target writes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from threatloom.catalog.loading import load_catalog
from threatloom.engine import analyse
from threatloom.engine.candidates import TargetIndex
from threatloom.engine.facts import LazyFacts
from threatloom.engine.generation import catalog_for
from threatloom.engine.guards import AllOf, AnyOf, Leaf, NoneOf, guard_of
from threatloom.model import load_model
from threatloom.render.analysis_json import render_json

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*/model.yaml"))
RULE_FIXTURES = sorted((ROOT / "tests" / "catalog" / "rules").glob("*/fires.yaml"))
TODAY = dt.date(2026, 11, 24)


def both_ways(path: Path) -> tuple[str, str]:
    model = load_model(path)
    catalog = catalog_for(model)
    indexed = render_json(analyse(model, catalog, today=TODAY))
    plain = render_json(analyse(model, catalog, today=TODAY, indexed=False))
    return indexed, plain


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_examples_analyse_the_same_with_and_without_the_index(path: Path) -> None:
    indexed, plain = both_ways(path)
    assert indexed == plain
    # the examples produce many rule threats, so the comparison means something
    assert sum(t["origin"] == "rule" for t in json.loads(indexed)["threats"]) > 50


def test_rule_fixtures_analyse_the_same_with_and_without_the_index() -> None:
    assert len(RULE_FIXTURES) >= 80
    for path in RULE_FIXTURES:
        indexed, plain = both_ways(path)
        assert indexed == plain, path.parent.name


def test_guards_follow_the_shape_of_conditions() -> None:
    kind = guard_of({"kind": ["database", "cache"]}, "element")
    assert kind == Leaf("element", "kind", frozenset({"database", "cache"}))
    # a text test has no guard, so the intersection keeps the kind and is no longer exact
    mixed = guard_of({"kind": "database", "technology": {"contains": "postgres"}}, "element")
    assert isinstance(mixed, Leaf | AllOf) and not mixed.exact
    # `any` with an unguarded part lets every target through
    assert guard_of({"any": [{"kind": "database"}, {"technology": {"contains": "x"}}]}, "element") is None
    either = guard_of({"any": [{"kind": "database"}, {"internet_facing": True}]}, "element")
    assert isinstance(either, AnyOf) and either.exact
    negated = guard_of({"not": {"kind": "browser"}}, "element")
    assert isinstance(negated, NoneOf)
    ends = guard_of({"source": {"internet": True}, "flow": {"encryption": "none"}}, "interaction")
    assert isinstance(ends, AllOf)
    assert {(p.side, p.fact) for p in ends.parts if isinstance(p, Leaf)} == {
        ("source", "internet"), ("flow", "encryption")}


def test_builtin_rules_mostly_have_guards() -> None:
    catalog = load_catalog([])
    rules = catalog.active_rules()
    guarded = [r for r in rules if r.guard is not None]
    assert len(guarded) / len(rules) > 0.9


def _targets() -> list[tuple[str, LazyFacts]]:
    rows = [("api", "api", frozenset({"pci"}), True), ("db", "database", frozenset(), False),
            ("web", "web-application", frozenset({"pci", "pii"}), True), ("cache", "cache", frozenset(), False)]
    return [(name, LazyFacts(None, {"kind": lambda _, k=kind: k, "tags": lambda _, t=tags: t,
                                    "internet": lambda _, i=internet: i,
                                    "technology": lambda _, n=name: f"{n} 1.0"}))
            for name, kind, tags, internet in rows]


def test_each_target_meets_the_rules_its_guards_let_through_in_rule_order() -> None:
    targets = _targets()
    index = TargetIndex(targets, lambda target, side: target[1])
    rules = [("exposed", guard_of({"internet": True}, "element")),
             ("everywhere", None),
             ("pci-stores", guard_of({"tags": "pci", "kind": ["database", "api"]}, "element")),
             ("not-cache", guard_of({"not": {"kind": "cache"}}, "element"))]
    chosen = dict(zip([name for name, _ in targets], index.per_target(rules), strict=True))
    assert chosen == {"api": ["exposed", "everywhere", "pci-stores", "not-cache"],
                      "db": ["everywhere", "not-cache"],
                      "web": ["exposed", "everywhere", "not-cache"],
                      "cache": ["everywhere"]}


def test_warming_computes_the_guarded_facts_of_every_target_and_no_others() -> None:
    targets = _targets()
    index = TargetIndex(targets, lambda target, side: target[1])
    index.warm([guard_of({"kind": "api", "technology": {"contains": "api"}}, "element"),
                guard_of({"tags": {"none_of": ["pii"]}}, "element"), None])
    for _, facts in targets:
        assert set(facts) == {"kind", "tags"}  # the text test has no guard: left until a condition asks
