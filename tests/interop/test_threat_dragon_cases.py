"""Threat Dragon import of a hand-made v2 file (fixtures/threat-dragon/edge-cases.json) holding what the
samples lack: threats on the cell itself (where the v2 schema puts them) and in both places at once,
nested boxes, every status, CIA / LINDDUN / unknown threat types, a CVSS score, broken flows, a
boundary line, an unknown shape and a second diagram reusing the first one's cell IDs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.interop.conftest import decision_table
from threatloom.engine import analyse
from threatloom.interop import export_model, import_file
from threatloom.interop.interface import ImportResult
from threatloom.interop.threat_dragon.geometry import Rect, innermost, parents
from threatloom.model.loading import load_model_text
from threatloom.model.schema import Model

FIXTURES = Path(__file__).parent / "fixtures" / "threat-dragon"
EDGE = FIXTURES / "edge-cases.json"


@pytest.fixture(scope="module")
def edge() -> tuple[ImportResult, Model]:
    result = import_file(EDGE, "threat-dragon")
    return result, load_model_text(result.text, "<edge>")


def test_threats_written_on_the_cell_itself_are_read(edge: tuple[ImportResult, Model]) -> None:
    result, model = edge
    portal = [t for t in model.threats if t.elements == ("admin-portal",)]
    # data.threats holds the hijack; the cell holds the hijack again (read once) and the card leak
    assert [(t.id, t.title) for t in portal] == [("TD-7", "Admin session hijack"),
                                                 ("TD-admin-portal-2", "Card data leak")]
    assert result.report.skipped["threat"] == ["Admin portal: a threat written twice (in data.threats and on the cell)"]
    login = [t for t in model.threats if t.elements == ("f-login",)]  # only on the flow cell, none in data
    assert [(t.title, t.category.value) for t in login] == [("Password spraying", "spoofing")]


def test_statuses_become_decisions(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    decisions = decision_table(model)
    assert decisions == {
        "TD-admin-portal-2": ("accept", "accepted", "Marked Accepted in Threat Dragon."),
        "TD-audit-1": ("transfer", "transferred", "Marked Transferred in Threat Dragon."),
        "TD-vault-1": ("reduce", "mitigated", "Marked Mitigated in Threat Dragon."),
        # N/A: the mitigation field holds the reason, as Threat Dragon's form asks
        "TD-f-login-1": ("avoid", "false-positive", "SSO with hardware keys makes this moot."),
    }
    assert "TD-7" not in decisions  # Open: no decision
    threats = model.index.manual_threats
    assert threats["TD-f-login-1"].mitigations == ()
    controls = model.index.controls
    assert [(controls[c].description, controls[c].status.value) for c in threats["TD-vault-1"].mitigations] == [
        ("Rotate log identifiers daily.", "implemented")]
    assert [controls[c].status.value for c in threats["TD-7"].mitigations] == ["planned"]
    assert threats["TD-audit-1"].mitigations == ()  # the placeholder text is no mitigation


def test_types_severities_and_scores(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    threats = model.index.manual_threats
    assert (threats["TD-7"].category.value, threats["TD-7"].likelihood) == ("elevation-of-privilege", 5)  # Critical
    leak = threats["TD-admin-portal-2"]  # CIA "Confidentiality"
    assert (leak.category.value, [g.value for g in leak.goals]) == ("information-disclosure", ["confidentiality"])
    assert leak.cvss == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
    assert threats["TD-vault-1"].category.value == "linking"  # LINDDUN
    audit = threats["TD-audit-1"]  # PLOT4ai "Safety": no category of ours, filed and said so
    assert (audit.category.value, audit.likelihood) == ("tampering", None)  # severity TBD
    assert any(n.about == "TD-audit-1" and "'Safety'" in n.text for n in model.notes)
    assert any(n.about == "TD-admin-portal-2" and "colour" in n.text for n in model.notes)


def test_nested_boxes_and_membership_by_centre(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    zones = {z.id: (z.name, z.parent, z.trust, z.internet) for z in model.zones}
    assert zones == {"box-corp": ("Corporate network", None, 5, False),
                     "box-enclave": ("Secure enclave", "box-corp", 6, False),
                     "box-internet": ("Internet", None, 0, True)}
    assert model.index.zones["box-corp"].description == "Where staff work."
    placed = {e.id: e.zone for e in model.index.elements.values()}
    assert placed == {"staff": "box-corp", "staff-2": None, "provider": "box-internet", "admin-portal": "box-corp",
                      "audit": "box-enclave", "vault": "box-enclave", "admin-portal-2": None, "sso": None,
                      "customers": None, "shop": None, "stock": None}


def test_elements_and_their_flags(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    parties = {p.id: (p.name, p.kind.value, p.tags) for p in model.environment}
    assert parties == {"staff": ("Staff", "employee", ()), "staff-2": ("Staff", "employee", ()),
                       "customers": ("Customers", "customer", ("provides-authentication",))}
    c = model.index.components
    assert (c["provider"].type.value, c["provider"].kind.value) == ("external-entity", "third-party-service")
    portal = c["admin-portal"]
    assert (portal.kind.value, portal.processes, portal.internet_facing) == (
        "web-application", ("payment-card-data",), True)  # isPublicNetwork on the payment callbacks
    assert "handles-card-payment" in portal.tags
    assert any(n.about == "admin-portal" and n.text == "Privilege level (Threat Dragon): root" for n in model.notes)
    vault = c["vault"]
    assert (vault.kind.value, vault.stores, vault.encryption_at_rest, vault.tags) == (
        "secrets-manager", ("credentials",), True, ("signed",))
    assert (vault.out_of_scope, vault.out_of_scope_reason) == (True, "Run by the security team.")
    assert vault.description == "Holds signing keys."
    assert model.index.flows["f-keys"].description == "Over an SSH tunnel."
    assert c["audit"].kind.value == "log-store"
    assert (c["sso"].type.value, c["sso"].kind.value) == ("external-entity", "identity-provider")
    assert c["shop"].tags == ("handles-goods-or-services",) and c["shop"].processes == ()
    assert c["stock"].tags == ("stores-inventory",) and c["stock"].kind.value == "other"


def test_flags_survive_an_export_back_to_threat_dragon(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    document = json.loads(export_model(model, analyse(model), "threat-dragon"))
    data = {c["id"]: c["data"] for c in document["detail"]["diagrams"][0]["cells"]}
    flags = {
        "admin-portal": ("isWebApplication", "handlesCardPayment"),
        "vault": ("isEncrypted", "isSigned", "storesCredentials"),
        "audit": ("isALog",), "stock": ("storesInventory",), "shop": ("handlesGoodsOrServices",),
        "sso": ("providesAuthentication",), "customers": ("providesAuthentication",),
    }
    for cell, names in flags.items():
        assert all(data[cell][name] is True for name in names), cell
    assert data["shop"]["handlesCardPayment"] is False and data["stock"]["isALog"] is False
    assert (data["vault"]["outOfScope"], data["vault"]["reasonOutOfScope"]) == (True, "Run by the security team.")
    assert data["f-keys"]["isBidirectional"] and data["f-keys"]["isEncrypted"] and data["f-pay"]["isPublicNetwork"]


def test_flows_and_what_cannot_be_a_flow(edge: tuple[ImportResult, Model]) -> None:
    result, model = edge
    flows = {f.id: (f.name, f.source, f.destination, f.encryption.value, f.bidirectional) for f in model.flows}
    assert flows == {
        "f-login": ("Staff sign in", "staff", "admin-portal", "tls", False),  # HTTPS
        "f-audit": ("Admin portal to Audit log", "admin-portal", "audit", "unknown", False),
        "f-keys": ("Fetch keys", "admin-portal", "vault", "ssh", True),
        "f-pay": ("Payment callbacks", "provider", "admin-portal", "tls", False),
        "staff-sign-in": ("Staff sign in", "staff-2", "admin-portal-2", "unknown", False),  # diagram 2
    }
    noted = result.report.noted["flow"]
    assert noted == ["Export to nowhere: its target is a loose point (300, 650)",
                     "Retry: it goes from 'Admin portal' back to itself, which a model flow cannot",
                     "Into the box: its target is tm.BoundaryBox 'Secure enclave', not an actor, process or store"]
    assert result.report.noted["threat"] == ["Retry storm (on Retry, not an element)"]  # its flow is a note


def test_other_cells_are_notes(edge: tuple[ImportResult, Model]) -> None:
    result, model = edge
    assert result.report.noted["trust boundary line"] == ["DMZ line"]
    assert result.report.noted["text"] == ["Drawn for the test suite"]
    assert result.report.noted["cell"] == ["tm.Unknown Mystery"]
    assert result.report.noted["diagram"] == ["Outer", "Second"]
    assert result.report.skipped["contributor"] == ["Ada Engineer is listed twice", "contributor 3 has no name"]
    assert [m.name for m in model.system.team] == ["Ada Engineer", "Sam Security"]


def test_edge_cases_analyse(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    analysis = analyse(model)
    manual = {t.id: t for t in analysis.threats if t.origin == "manual"}
    assert sorted(manual) == ["TD-7", "TD-admin-portal-2", "TD-audit-1", "TD-f-login-1", "TD-vault-1"]
    assert manual["TD-f-login-1"].status.value == "false-positive"
    assert manual["TD-audit-1"].status.value == "transferred"
    assert any(t.origin == "rule" for t in analysis.threats)


def test_geometry_rules() -> None:
    outer, inner, twin = Rect(0, 0, 100, 100), Rect(10, 10, 50, 50), Rect(0, 0, 100, 100)
    assert innermost([outer, inner], Rect(20, 20, 10, 10)) == 1  # the smallest box holding the centre
    assert innermost([outer, inner], Rect(70, 70, 10, 10)) == 0
    assert innermost([outer, inner], Rect(95, 95, 20, 20)) is None  # centre (105, 105) is outside
    assert innermost([outer], Rect(90, 90, 20, 20)) == 0  # centre on the edge counts as inside
    assert parents([outer, inner, twin]) == [None, 0, 0]  # identical boxes: the later nests in the earlier
    assert parents([Rect(0, 0, 60, 60), Rect(40, 40, 60, 60)]) == [None, None]  # overlapping is not nesting
