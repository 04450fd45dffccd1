"""The condition language: what each operator means, and that mistakes fail at load time, located; and the
facts it tests, computed from a model."""

from __future__ import annotations

from typing import Any

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
    ({"classification": {"at_least": None}}, "classification: `at_least` compares with a value, not null",
     "`classification: null`"),
    ({"port": {"below": None}}, "port: `below` compares with a value, not null", ""),
    ({"tags": {"none_of": []}}, "tags: `none_of` with an empty list tests nothing", "at least one"),
    ({"protocol": {"contains": []}}, "protocol: `contains` with an empty list tests nothing", ""),
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


def test_one_load_reports_every_mistake_of_a_rule() -> None:
    # two mistakes in one mapping, one in a list of values, one in an adjustment, and an unknown control:
    # each reported where it is written, in one load, and the rule is not added
    text = RULE.replace("{kindd: api}", "{kindd: api, admin: maybe, type: [process, proces]}").replace(
        "C-SSO", "C-SS0").replace("    detection:", "    likelihood:\n      base: 3\n      adjust:\n"
                                   "        - {when: {encryptoin: none}, by: 1, because: clear text}\n    detection:")
    catalog = Catalog(controls=load_controls())
    with pytest.raises(InputError) as caught:
        load_rules_text(catalog, text, "acme.yaml")
    found = [(p.location.line, p.message) for p in caught.value.problems]
    assert found == [(11, "unknown element fact 'kindd'"), (11, "admin is true or false, not 'maybe'"),
                     (11, "'proces' is not a value of type"), (15, "unknown flow fact 'encryptoin'"),
                     (17, "unknown control 'C-SS0'")]
    assert "ACME-001" not in catalog.rules
    with pytest.raises(ConditionError) as direct:
        compile_condition({"any": [{"authenticaton": "none"}, {"encryption": "nope"}]}, "interaction", ("when",),
                          _locate)
    assert [p.message for p in direct.value.problems] == ["unknown flow fact 'authenticaton'",
                                                          "'nope' is not a value of encryption"]
    # the values of an operator too, each where it is written
    located: list[tuple[object, ...]] = []
    with pytest.raises(ConditionError) as listed:
        compile_condition({"destination": {"technology": {"contains": [1, "pg", 2]}}}, "interaction", ("when",),
                          lambda path, at_key=False: located.append(path) or _locate(path))
    assert [p.message for p in listed.value.problems] == ["technology takes text, not 1",
                                                          "technology takes text, not 2"]
    assert located == [("when", "destination", "technology", "contains", 0),
                       ("when", "destination", "technology", "contains", 2)]


# -- facts computed from a model --------------------------------------------------------------------

FACTS_MODEL = """\
threatloom: 1
system: {name: Facts}
assets:
  - {id: creds, name: Customer credentials, kind: credential, classification: restricted, personal_data: true}
  - {id: orders, name: Orders, classification: confidential, personal_data: true, availability: critical}
  - {id: key, name: Service key, kind: credential, classification: restricted}
  - {id: firmware, name: Firmware, kind: software, classification: internal}
zones:
  - {id: internet, name: Internet, trust: 0, internet: true}
  - {id: saas, name: Vendor SaaS, trust: 3, parent: internet}
  - {id: edge, name: Edge, trust: 3}
  - {id: account, name: Cloud account, trust: 6}
  - {id: app, name: App, trust: 7, parent: account}
  - {id: vendor-dmz, name: Vendor DMZ, trust: 2}
  - {id: ward, name: Ward, trust: 6}
environment:
  - {id: customers, name: Customers, kind: customer, trust: 1, zone: internet}
  - {id: psp, name: Payment provider, kind: vendor, trust: 5, zone: internet}
  - {id: nurses, name: Nurses, kind: employee, trust: 6, zone: ward}
  - {id: endpoints, name: Customer endpoints, kind: customer, trust: 2, zone: internet}
components:
  - {id: spa, name: Web app, type: process, kind: browser, zone: internet}
  - {id: waf, name: WAF, type: process, kind: waf, zone: edge, internet_facing: true}
  - {id: gw, name: API gateway, type: process, kind: api-gateway, zone: edge}
  - {id: idp, name: Sign-in, type: process, kind: identity-provider, zone: app, processes: [creds]}
  - {id: api, name: Orders API, type: process, kind: api, zone: app, processes: [orders, key],
     technology: {name: Django, version: "4.2.16"}, tags: [import]}
  - {id: console, name: Admin console, type: process, kind: admin-console, zone: app,
     technology: {name: Windows Server, version: "2022"}}
  - {id: hook, name: Webhook receiver, type: process, kind: function, zone: edge, internet_facing: true}
  - {id: queue, name: Job queue, type: data-store, kind: queue, zone: app}
  - {id: worker, name: Worker, type: process, kind: worker, zone: app, processes: [orders]}
  - {id: db, name: Orders DB, type: data-store, kind: database, zone: app, stores: [orders]}
  - {id: jump, name: Jump host, type: process, kind: virtual-machine, zone: vendor-dmz}
  - {id: tracker, name: Error tracker, type: external-entity, kind: monitoring, zone: saas, tags: [saas]}
  - {id: warehouse, name: Warehouse, type: data-store, kind: database, zone: saas}
  - {id: aws, name: AWS, type: process, kind: cloud-account, zone: account}
  - {id: pump, name: Pump, type: process, kind: medical-device, zone: ward}
  - {id: station, name: Central station, type: process, kind: gateway-device, zone: app}
flows:
  - {id: use, name: Use, source: customers, destination: spa}
  - {id: visit, name: Visit, source: spa, destination: waf, protocol: HTTPS, authentication: token, data: [orders]}
  - {id: login, name: Sign in, source: spa, destination: waf, protocol: HTTPS, authentication: password,
     data: [creds]}
  - {id: to-gw, name: To gateway, source: waf, destination: gw, protocol: HTTPS, authentication: none}
  - {id: to-idp, name: To sign-in, source: gw, destination: idp, protocol: HTTPS, authentication: none,
     data: [creds]}
  - {id: to-api, name: To API, source: gw, destination: api, protocol: HTTPS, authentication: token,
     data: [orders]}
  - {id: events, name: Payment events, source: psp, destination: hook, protocol: HTTPS, authentication: api-key}
  - {id: enqueue, name: Enqueue, source: hook, destination: queue, protocol: SQS, authentication: token}
  - {id: poll, name: Poll, source: worker, destination: queue, protocol: SQS, authentication: token,
     bidirectional: true}
  - {id: store, name: Store, source: api, destination: db, protocol: SQL, authentication: password}
  - {id: rdp, name: Maintenance, source: jump, destination: console, protocol: RDP, authentication: password}
  - {id: errors, name: Errors, source: api, destination: tracker, protocol: HTTPS, authentication: api-key,
     data: [orders]}
  - {id: deliver, name: Deliver webhooks, source: worker, destination: endpoints, protocol: HTTPS,
     authentication: api-key}
  - {id: keypad, name: Keypad, source: nurses, destination: pump, protocol: Keypad, authentication: password,
     encryption: none}
  - {id: hl7, name: HL7 feed, source: station, destination: console, protocol: HL7 MLLP, authentication: none}
  - {id: flash, name: Firmware, source: console, destination: pump, protocol: HTTP, data: [firmware]}
"""


@pytest.fixture(scope="module")
def facts_index() -> Any:
    from threatloom.model import load_model_text

    return load_model_text(FACTS_MODEL, "facts.yaml").index


def _element(index: Any, element_id: str) -> dict[str, Any]:
    from threatloom.engine.facts import element_facts

    return element_facts(index, index.elements[element_id], lambda origin, element: False)


def _flow(index: Any, flow_id: str) -> dict[str, Any]:
    from threatloom.engine.facts import flow_facts

    return flow_facts(index, index.flows[flow_id])


@pytest.mark.parametrize(("element_id", "fact", "expected"), [
    # people and systems: a party that uses a client is people; one that calls with keys is a system
    ("customers", "person", True), ("psp", "person", False), ("endpoints", "person", False),
    ("spa", "person", True), ("api", "person", False),
    # whose: vendors and hosted services
    ("psp", "third_party", True), ("tracker", "third_party", True), ("warehouse", "third_party", False),
    ("warehouse", "vendor_hosted", True), ("spa", "vendor_hosted", False), ("api", "vendor_hosted", False),
    # where the internet first arrives
    ("waf", "entry_point", True), ("hook", "entry_point", True), ("api", "entry_point", False),
    ("gw", "entry_point", False), ("spa", "entry_point", False),
    # seen through the WAF and the gateway
    ("api", "reached_from_internet", True), ("api", "reached_from_lower_trust", True),
    ("api", "reached_by_people", True), ("api", "reached_parties", frozenset({"customer"})),
    ("api", "reached_kinds", frozenset({"browser"})), ("db", "reached_from_internet", False),
    # a worker polling a queue receives what the queue's producers sent
    ("worker", "reached_from_lower_trust", True), ("worker", "reached_from_internet", False),
    # a remote desktop session is not application input, but is administrative access from lower trust
    ("console", "reached_from_lower_trust", False), ("console", "admin_reached_from_lower_trust", True),
    ("console", "admin", True), ("api", "admin", False),
    # sign-ins are checked at the identity provider behind the relays, not at the relays
    ("idp", "sign_ins", frozenset({"password"})), ("idp", "sign_in_parties", frozenset({"customer"})),
    ("waf", "sign_ins", frozenset()), ("gw", "sign_ins", frozenset()), ("api", "sign_ins", frozenset()),
    ("waf", "inbound_people", True), ("gw", "inbound_people", False),
    ("db", "callers_reached_from_internet", True), ("queue", "callers_reached_from_internet", True),
    ("db", "callers_take_anonymous_requests", False), ("gw", "callers_take_anonymous_requests", False),
    ("idp", "callers_take_anonymous_requests", True), ("queue", "callers_take_anonymous_requests", False),
    ("db", "stores_personal_data", True), ("api", "stores_personal_data", False),
    ("tracker", "receives_personal_data", True), ("warehouse", "receives_personal_data", False),
    ("api", "holds_secrets", True), ("idp", "holds_secrets", False),
    ("api", "logs_to_third_party", True), ("worker", "logs_to_third_party", False),
    ("api", "fetches_urls", True), ("worker", "fetches_urls", True), ("hook", "fetches_urls", False),
    ("api", "in_cloud", True), ("hook", "in_cloud", False),
    ("console", "windows", True), ("api", "windows", False),
    ("api", "end_of_life", True), ("console", "end_of_life", False),
])
def test_element_facts_from_a_model(facts_index: Any, element_id: str, fact: str, expected: object) -> None:
    assert _element(facts_index, element_id)[fact] == expected


@pytest.mark.parametrize(("flow_id", "fact", "expected"), [
    ("to-api", "origin_internet", True), ("to-api", "origin_person", True),
    ("to-api", "origin_parties", frozenset({"customer"})), ("to-api", "origin_kinds", frozenset({"browser"})),
    ("events", "origin_internet", True), ("events", "origin_person", False),
    ("store", "origin_internet", False), ("store", "origin_kinds", frozenset({"api"})),
    ("login", "sign_in", True), ("visit", "sign_in", False), ("to-idp", "sign_in", False),
    ("keypad", "local", True), ("use", "local", True), ("visit", "local", False),
    ("rdp", "administrative", True), ("rdp", "remote_session", True), ("store", "remote_session", False),
    ("hl7", "administrative", False), ("to-api", "administrative", False),
])
def test_flow_facts_from_a_model(facts_index: Any, flow_id: str, fact: str, expected: object) -> None:
    assert _flow(facts_index, flow_id)[fact] == expected


def test_new_facts_are_usable_in_conditions_and_misspellings_fail() -> None:
    predicate = compile_condition({"origin_parties": "customer", "destination": {"sign_ins": "password"}},
                                  "interaction", (), _locate)
    assert predicate(Interaction({"origin_parties": frozenset({"customer"})}, element(),
                                 element(sign_ins=frozenset({"password"}))))
    for condition, message in (({"origin_partys": "customer"}, "unknown flow fact 'origin_partys'"),
                               ({"origin_parties": "customers"}, "'customers' is not a value of origin_parties"),
                               ({"destination": {"sign_ins": "pasword"}}, "'pasword' is not a value of sign_ins")):
        with pytest.raises(ConditionError) as caught:
            compile_condition(condition, "interaction", ("when",), _locate)
        assert message in caught.value.problem.message


def test_a_cycle_of_relays_and_a_long_chain_are_resolved() -> None:
    from threatloom.engine.facts import element_facts
    from threatloom.model import load_model_text

    chain = [f"  - {{id: lb{i}, name: LB {i}, type: process, kind: load-balancer, zone: app}}" for i in range(3000)]
    hops = [f"  - {{id: f{i}, name: Hop {i}, source: lb{i}, destination: lb{i + 1}}}" for i in range(2999)]
    text = "\n".join([
        "threatloom: 1", "system: {name: Chain}",
        "zones:", "  - {id: internet, name: Internet, trust: 0, internet: true}", "  - {id: app, name: App, trust: 6}",
        "environment:", "  - {id: public, name: Public, kind: public, trust: 0, zone: internet}",
        "components:", *chain, "  - {id: api, name: API, type: process, kind: api, zone: app}",
        "flows:", "  - {id: in, name: In, source: public, destination: lb0}", *hops,
        "  - {id: back, name: Back, source: lb2999, destination: lb0}",
        "  - {id: out, name: Out, source: lb2999, destination: api}"]) + "\n"
    index = load_model_text(text, "chain.yaml").index
    facts = element_facts(index, index.elements["api"], lambda origin, element: False)
    assert facts["reached_from_internet"] and facts["reached_by_people"]
