"""The condition language: what each operator means, and that mistakes fail at load time, located."""

from __future__ import annotations

import pytest

from threatloom.catalog.loading import Catalog, load_controls, load_rules_text
from threatloom.engine.conditions import ConditionError, Interaction, compile_condition
from threatloom.errors import InputError, SourceLocation


def _locate(path: tuple[object, ...], at_key: bool = False) -> SourceLocation:
    return SourceLocation("rule.yaml", len(path), 1)


def element(**overrides: object) -> dict[str, object]:
    facts: dict[str, object] = {"type": "process", "kind": "api", "trust": 5, "admin": False,
                                "audit_logging": None, "tags": frozenset({"pci"}), "technology": "PostgreSQL 16",
                                "classification": "confidential", "controls": frozenset({"C-MFA"})}
    facts.update(overrides)
    return facts


@pytest.mark.parametrize(("condition", "facts", "expected"), [
    ({"type": "process"}, element(), True),
    ({"type": ["data-store", "external-entity"]}, element(), False),
    ({"audit_logging": [False, None]}, element(), True),
    ({"audit_logging": False}, element(), False),
    ({"admin": True}, element(admin=True), True),
    ({"tags": "pci"}, element(), True),
    ({"tags": ["x", "y"]}, element(), False),
    ({"tags": {"all_of": ["pci", "pii"]}}, element(), False),
    ({"controls": {"none_of": ["C-MFA"]}}, element(), False),
    ({"controls": {"none_of": ["C-SSO"]}}, element(), True),
    ({"classification": {"at_least": "confidential"}}, element(), True),
    ({"classification": {"above": "confidential"}}, element(), False),
    ({"classification": {"at_least": "internal"}}, element(classification=None), False),
    ({"trust": {"below": 6}}, element(), True),
    ({"technology": {"contains": ["postgres", "mysql"]}}, element(), True),
    ({"all": [{"type": "process"}, {"admin": True}]}, element(), False),
    ({"any": [{"type": "data-store"}, {"kind": "api"}]}, element(), True),
    ({"not": {"kind": "api"}}, element(), False),
    ({"type": "process", "kind": "database"}, element(), False),  # several keys: all must hold
])
def test_element_condition_semantics(condition: dict[str, object], facts: dict[str, object], expected: bool) -> None:
    assert compile_condition(condition, "element", (), _locate)(facts) is expected


def test_interaction_conditions_see_flow_and_both_ends() -> None:
    predicate = compile_condition(
        {"authentication": "none", "source": {"kind": "api"}, "destination": {"type": "data-store"}},
        "interaction", (), _locate)
    flow = {"authentication": "none"}
    assert predicate(Interaction(flow, element(), element(type="data-store")))
    assert not predicate(Interaction(flow, element(), element()))


@pytest.mark.parametrize(("condition", "message", "hint"), [
    ({"authenticaton": "none"}, "unknown flow fact 'authenticaton'", "did you mean 'authentication'?"),
    ({"authentication": "xyz"}, "'xyz' is not a value of authentication", "one of: none"),
    ({"authentication": "passwrd"}, "'passwrd' is not a value of authentication", "did you mean 'password'?"),
    ({"source": {"admn": True}}, "unknown element fact 'admn'", "did you mean 'admin'?"),
    ({"source": {"admin": "yes"}}, "admin is true or false", ""),
    ({"port": {"contains": "80"}}, "operator 'contains' does not apply to port", "at_least"),
    ({"all": []}, "`all` takes a non-empty list", ""),
    ({}, "a condition must be a non-empty mapping", ""),
])
def test_mistakes_are_errors_at_load_time(condition: dict[str, object], message: str, hint: str) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(condition, "interaction", ("when",), _locate)
    assert message in caught.value.problem.message
    assert hint in caught.value.problem.hint


RULE = """\
threatloom-rules: 1
rules:
  - id: ACME-001
    title: Test rule
    description: A rule.
    category: spoofing
    applies_to: interaction
    when:
      all:
        - authentication: none
        - destination: {kindd: api}
    detection: Watch.
    controls: [C-MFA, C-SSO, C-TLS]
"""


def test_rule_file_error_names_file_line_and_column() -> None:
    catalog = Catalog(controls=load_controls())
    with pytest.raises(InputError) as caught:
        load_rules_text(catalog, RULE, "acme.yaml")
    (problem,) = caught.value.problems
    assert str(problem.location) == "acme.yaml:11:25"
    assert problem.message == "unknown element fact 'kindd'"
    assert problem.hint == "did you mean 'kind'?"


def test_rule_citing_unknown_control_is_rejected() -> None:
    catalog = Catalog(controls=load_controls())
    text = RULE.replace("kindd", "kind").replace("C-SSO", "C-SS0")
    with pytest.raises(InputError) as caught:
        load_rules_text(catalog, text, "acme.yaml")
    assert [p.message for p in caught.value.problems] == ["unknown control 'C-SS0'"]
    assert caught.value.problems[0].hint == "did you mean 'C-SSO'?"
