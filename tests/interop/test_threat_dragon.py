"""Threat Dragon import of the public samples (v1 demo, two v2 cookbook models): what each holds,
counted by hand from the files, comes back as zones, components, parties, flows, manual threats,
controls, decisions and notes; analysis adds the rules' own threats."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.interop.conftest import OTM, THREAGILE, THREAT_COMPOSER, THREAT_DRAGON, imported
from threatloom.engine import analyse
from threatloom.interop import detect
from threatloom.interop.interface import ImportResult
from threatloom.interop.reading import read_foreign
from threatloom.interop.threat_dragon import importer
from threatloom.interop.threat_dragon.threat_import import SEVERITY_AS_RATING
from threatloom.model.schema import Model

V1_DEMO = THREAT_DRAGON / "v1-demo-threat-model.json"
PAYMENT = THREAT_DRAGON / "payment-online.json"
THREE_TIER = THREAT_DRAGON / "three-tier-web-app.json"


def _imported(path: Path) -> tuple[ImportResult, Model]:
    return imported(path, "threat-dragon")


@pytest.fixture(scope="module")
def v1() -> tuple[ImportResult, Model]:
    return _imported(V1_DEMO)


@pytest.fixture(scope="module")
def payment() -> tuple[ImportResult, Model]:
    return _imported(PAYMENT)


@pytest.fixture(scope="module")
def three_tier() -> tuple[ImportResult, Model]:
    return _imported(THREE_TIER)


def test_samples_are_recognised_and_other_formats_are_not() -> None:
    for path in (V1_DEMO, PAYMENT, THREE_TIER):
        document = read_foreign(path)
        assert importer.sniff(document), path
        assert detect(document, [importer]) is importer
    others = (OTM / "EXAMPLE.json", THREAGILE / "threagile-example.yaml", THREAT_COMPOSER / "ThreatComposer.tc.json")
    for path in others:
        assert not importer.sniff(read_foreign(path)), path


# --- v1 demo: 1 actor, 2 processes, 4 stores, 10 flows, 4 boundary curves, 14 threats (4 Mitigated) ---

def test_v1_summary_and_team(v1: tuple[ImportResult, Model]) -> None:
    result, model = v1
    assert model.system.name == "Demo Threat Model"
    assert model.system.owner == "Mike Goodwin"
    assert model.system.description.startswith("A sample model of a web application")
    assert [(m.name, m.role.value) for m in model.system.team] == [
        ("Tom Brown", "threat-modeller"), ("Albert Moneypenny", "threat-modeller"), ("Jane Smith", "security")]
    assert any("Reviewer" in n.text and "Jane Smith" in n.text for n in model.notes)
    assert result.text.startswith("# Imported by threatloom from OWASP Threat Dragon v1 (v1-demo-threat-model.json)")


def test_v1_elements_types_and_kinds(v1: tuple[ImportResult, Model]) -> None:
    _, model = v1
    found = {c.name: (c.type.value, c.kind.value) for c in model.components}
    assert found == {
        "Worker Config": ("data-store", "file-storage"),
        "Database": ("data-store", "log-store"),  # the demo marks its Database isALog
        "Web Application Config": ("data-store", "file-storage"),
        "Message Queue": ("data-store", "queue"),
        "Background Worker Process": ("process", "worker"),
        "Web Application": ("process", "web-application"),
        "Browser": ("external-entity", "browser"),
    }
    assert not model.environment and not model.zones  # v1 has boundary lines only: no zone is guessed
    components = model.index.components
    assert components["worker-config"].stores == ("credentials",)
    assert components["web-application-config"].stores == ("credentials",)
    assert [a.kind.value for a in model.assets] == ["credential"]
    assert components["web-application"].internet_facing  # "Web Request" crosses the public network to it


def test_v1_flows_keep_ends_protocol_encryption_and_scope(v1: tuple[ImportResult, Model]) -> None:
    _, model = v1
    flows = {f.name: f for f in model.flows}
    assert len(model.flows) == 10
    assert sorted(flows) == sorted(["Web Request", "Put Message", "Message", "Worker Query Results", "Web Response",
                                    "Read web app config", "Read worker config", "Queries", "Web App Query Results",
                                    "Worker Queries"])
    request = flows["Web Request"]
    assert (request.source, request.destination, request.protocol) == ("browser", "web-application", "HTTP/S")
    assert request.encryption.value == "tls" and "public-network" in request.tags
    assert flows["Queries"].encryption.value == "tls"  # isEncrypted without a protocol
    assert flows["Put Message"].encryption.value == "unknown"
    for name in ("Read web app config", "Read worker config"):  # out of scope: flows have no such field
        assert "out-of-scope" in flows[name].tags
        assert any(n.about == flows[name].id and "read from the file system" in n.text for n in model.notes)


def test_v1_boundary_lines_are_notes(v1: tuple[ImportResult, Model]) -> None:
    result, model = v1
    assert len(result.report.noted["trust boundary line"]) == 4
    assert sum("Trust boundary line" in n.text for n in model.notes) == 4


def test_v1_threats_statuses_severities_and_mitigations(v1: tuple[ImportResult, Model]) -> None:
    _, model = v1
    threats = {t.id: t for t in model.threats}
    assert len(threats) == 14
    assert Counter(t.category.value for t in model.threats) == {
        "information-disclosure": 10, "denial-of-service": 2, "tampering": 1, "spoofing": 1}
    by_element = Counter(t.elements[0] for t in model.threats)
    assert sum(n for e, n in by_element.items() if e in model.index.flows) == 5
    assert (by_element["message-queue"], by_element["database"], by_element["background-worker-process"]) == (3, 2, 2)
    queue = [t for t in model.threats if t.elements == ("message-queue",)]
    assert [t.title for t in queue] == ["Message secrecy", "Message tampering",
                                        "Fake messages could be placed on the queue"]
    assert [(t.likelihood, t.impact_rating) for t in queue] == [(2, 2), (3, 3), (4, 4)]  # Low, Medium, High
    # the one severity becomes both ratings, and the import report counts each threat it did that for
    rated = [t for t in model.threats if t.likelihood is not None]
    assert all(t.likelihood == t.impact_rating for t in rated)
    assert v1[0].report.mapped[SEVERITY_AS_RATING] == len(rated) > 0
    decisions = {d.threat: d for d in model.decisions}
    mitigated = {threats[i].title for i in decisions}
    assert mitigated == {"Unauthorised access", "Fake messages could be placed on the queue",
                         "Data flow should use HTTP/S"}
    assert len(decisions) == 4
    assert all((d.treatment.value, d.status.value if d.status else None) == ("reduce", "mitigated")
               for d in decisions.values())
    controls = model.index.controls
    every = [c for t in model.threats for c in t.mitigations]
    assert len(every) == 14  # every threat has mitigation text
    for threat_id in decisions:
        assert all(controls[c].status.value == "implemented" for c in threats[threat_id].mitigations)
    open_ones = [t for t in model.threats if t.id not in decisions]
    assert all(controls[c].status.value == "planned" for t in open_ones for c in t.mitigations)
    fake = next(t for t in queue if (t.title or "").startswith("Fake"))
    assert "Implement authentication on the queue endpoint." in controls[fake.mitigations[0]].description


def test_v1_analysis_finds_the_threats_and_the_rules(v1: tuple[ImportResult, Model]) -> None:
    _, model = v1
    analysis = analyse(model)
    manual = [t for t in analysis.threats if t.origin == "manual"]
    assert len(manual) == 14
    assert {t.id for t in manual if t.decision is not None} == {d.threat for d in model.decisions}
    assert any(t.origin == "rule" for t in analysis.threats)


# --- payment-online: 3 boxes, 1 actor, 4 processes, 10 flows, 1 text block, no threats ---

def test_payment_zones_from_boxes(payment: tuple[ImportResult, Model]) -> None:
    _, model = payment
    zones = {z.name: z for z in model.zones}
    assert sorted(zones) == ["Customer / Internet", "Merchant / Web", "Stripe / Web"]
    assert zones["Customer / Internet"].internet and zones["Customer / Internet"].trust == 0
    assert all(z.parent is None for z in model.zones)
    zone_names = {z.id: z.name for z in model.zones}
    placed = {c.name: zone_names[c.zone] if c.zone else None for c in model.components}
    assert placed == {"Customer Client": "Customer / Internet", "Merchant Web Server": "Merchant / Web",
                      "Stripe API service": "Stripe / Web", "Stripe Payment Service": "Stripe / Web"}


def test_payment_customer_is_a_party_outside_every_box(payment: tuple[ImportResult, Model]) -> None:
    _, model = payment
    assert [(p.name, p.kind.value, p.zone) for p in model.environment] == [("Customer", "customer", None)]
    assert len(model.components) == 4


def test_payment_flows(payment: tuple[ImportResult, Model]) -> None:
    result, model = payment
    assert len(model.flows) == 10
    names = {f.name for f in model.flows}
    assert "(1) Customer logs into the merchant site" in names and "(9) Attempt payment" in names
    first = next(f for f in model.flows if f.name.startswith("(1)"))
    assert (first.source, first.destination, first.description, first.protocol) == (
        "customer", "customer-client", "OAuth", "HTTPS")
    assert first.encryption.value == "tls"  # HTTPS, though isEncrypted is false
    both = [f for f in model.flows if f.bidirectional]
    assert [f.name for f in both] == ["(3) Customer Client sends order intent including order amount (6) Return "
                                      "PaymentIntent to the Customer Client"]
    assert result.report.noted["text"] and not model.threats and not model.decisions


# --- three-tier: 2 boxes, 3 processes, 3 unnamed flows, 2 Mitigated threats on PostgresSQL ---

def test_three_tier_names_unnamed_flows_by_their_ends(three_tier: tuple[ImportResult, Model]) -> None:
    _, model = three_tier
    assert [z.name for z in model.zones] == ["Internet", "Public Cloud"]
    assert [(c.name, c.zone) for c in model.components] == [
        ("Web UI", "internet"), ("Web Service", "public-cloud"), ("PostgresSQL", "public-cloud")]
    assert [f.name for f in model.flows] == ["Web UI to Web Service", "Web Service to Web UI",
                                             "Web Service to PostgresSQL"]


def test_three_tier_threats_keep_numbers_scores_and_status(three_tier: tuple[ImportResult, Model]) -> None:
    result, model = three_tier
    assert [(t.id, t.title, t.elements, t.likelihood) for t in model.threats] == [
        ("TD-1", "Store Sensitive Data", ("postgressql",), 4), ("TD-2", "Store Sensitive Data", ("postgressql",), 3)]
    assert [(d.threat, d.treatment.value, d.status.value if d.status else None) for d in model.decisions] == [
        ("TD-1", "reduce", "mitigated"), ("TD-2", "reduce", "mitigated")]
    assert [model.index.controls[t.mitigations[0]].name for t in model.threats] == [
        "Risk transferred to the infrastructure team",
        "This risk is accepted by the project team, since backup is handled by an external company"]
    assert any(n.about == "TD-1" and n.text == "Threat Dragon score: 7.5" for n in model.notes)
    assert result.report.skipped["derived"]  # threatFrequency and hasOpenThreats


def test_report_accounts_for_every_cell(payment: tuple[ImportResult, Model]) -> None:
    result, _ = payment
    report = result.report
    cells = json.loads(PAYMENT.read_text())["detail"]["diagrams"][0]["cells"]
    assert len(cells) == 19
    layout = [s for s in report.skipped["layout"] if "how it is drawn" in s]
    assert len(layout) == 19  # every cell's drawing is skipped, and said so
    mapped = report.mapped
    assert (mapped["trust boundary box"], mapped["actor (as a party)"], mapped["process"], mapped["flow"]) == (
        3, 1, 4, 10)
    assert len(report.noted["text"]) == 1


def test_cli_import_validate_analyze(tmp_path: Path) -> None:
    out = tmp_path / "demo.yaml"
    imported = run_cli("import", str(V1_DEMO), "--from", "threat-dragon", "-o", str(out))
    assert imported.returncode == 0, imported.stderr
    assert "import from threat-dragon" in imported.stdout and "trust boundary line" in imported.stdout
    validated = run_cli("validate", str(out))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    analysed = run_cli("analyze", str(out), "-o", str(tmp_path / "out"))
    assert analysed.returncode == 0, analysed.stderr
    threats = json.loads((tmp_path / "out" / "threats.json").read_text())["threats"]
    manual = {t["id"] for t in threats if t["origin"] == "manual"}
    assert len(manual) == 14 and "TD-message-queue-3" in manual
    assert sum(t["origin"] == "rule" for t in threats) > 0
    mitigated = next(t for t in threats if t["id"] == "TD-message-queue-3")
    assert mitigated["decision"]["treatment"] == "reduce"


def test_cli_detects_threat_dragon_without_from(tmp_path: Path) -> None:
    out = tmp_path / "payment.yaml"
    imported = run_cli("import", str(PAYMENT), "-o", str(out))
    assert imported.returncode == 0, imported.stderr
    assert "import from threat-dragon" in imported.stdout
    assert out.read_text().startswith("# Imported by threatloom from OWASP Threat Dragon v2 (payment-online.json)")
