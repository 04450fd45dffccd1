"""Every example model stays honest: valid under --strict, analysed without stray decisions, big enough to
be realistic, and - for the pharmacy and hospital examples - finding the threats a threat modeller would
expect, with the decisions doing what their comments say."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli
from threatloom.engine import analyse
from threatloom.engine.threat import Analysis, Threat
from threatloom.model import load_model
from threatloom.model.schema import Model
from threatloom.model.vocabulary import Category, ThreatStatus, Treatment

MODELS = sorted(EXAMPLES.glob("*/model.yaml"))
PHARMACY = EXAMPLES / "online-pharmacy" / "model.yaml"
HOSPITAL = EXAMPLES / "hospital-device-fleet" / "model.yaml"
# The day the examples' decisions were last reviewed: acceptances and due dates are judged on it, so the
# assertions below do not change meaning as the calendar moves on.
REVIEWED = dt.date(2026, 12, 1)
# Decisions a test expects to match no threat, by example folder (none at present).
EXPECTED_UNMATCHED: dict[str, set[str]] = {}


def _name(path: Path) -> str:
    return path.parent.name


@pytest.fixture(scope="module")
def analysed() -> Iterator[dict[Path, tuple[Model, Analysis]]]:
    cache: dict[Path, tuple[Model, Analysis]] = {}
    for path in (PHARMACY, HOSPITAL):
        model = load_model(path)
        cache[path] = (model, analyse(model, today=REVIEWED))
    yield cache


def _threat(analysis: Analysis, threat_id: str) -> Threat:
    assert threat_id in analysis.by_id, f"{threat_id} not found"
    return analysis.by_id[threat_id]


def test_our_examples_are_there() -> None:
    assert PHARMACY in MODELS and HOSPITAL in MODELS


# -- every example ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MODELS, ids=_name)
def test_example_validates_strictly(path: Path) -> None:
    result = run_cli("validate", "--strict", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 warnings" in result.stdout


@pytest.mark.parametrize("path", MODELS, ids=_name)
def test_example_decisions_all_match_a_threat(path: Path, tmp_path: Path) -> None:
    result = run_cli("analyze", str(path), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "threats.json").read_text())
    assert document["summary"]["threats"] > 0
    unmatched = {p["message"] for p in document["unmatched_decisions"]}
    expected = EXPECTED_UNMATCHED.get(_name(path), set())
    assert {m for m in unmatched if not any(e in m for e in expected)} == set()


@pytest.mark.parametrize("path", MODELS, ids=_name)
def test_example_is_a_full_threat_model(path: Path) -> None:
    model = load_model(path)
    assert len(model.components) >= 15
    assert len(model.controls) >= 5
    assert len(model.decisions) >= 5
    assert len(model.threats) >= 2
    assert len(model.reviews) >= 2
    assert model.system.scope.in_scope and model.system.scope.out_of_scope and model.system.scope.assumptions
    assert len(model.system.objectives) >= 3
    assert {m.role.value for m in model.system.team} >= {"threat-modeller", "business-owner", "engineer"}
    assert sum(m.role.value == "engineer" for m in model.system.team) >= 3
    assert {a.origin.value for a in model.actors} == {"internal", "external"}
    assert all(actor.intelligence for actor in model.actors)


def test_one_example_is_large() -> None:
    if not (EXAMPLES / "saas-platform" / "model.yaml").exists():
        pytest.skip("the SaaS example, the large one, has not landed yet")
    assert max(len(load_model(path).components) for path in MODELS) >= 25


# -- the obvious threats, by their IDs ----------------------------------------------------------------

PHARMACY_EXPECTED = {
    # unauthenticated flow from the internet (guest checkout)
    "TL-S001@edge-to-shop": Category.SPOOFING,
    # the legacy plain-HTTP hop from the DMZ into the internal zone
    "TL-T001@api-to-orders": Category.TAMPERING,
    "TL-I001@api-to-orders": Category.INFORMATION_DISCLOSURE,
    # a service that takes input from the DMZ and queries its database; the services behind the WAF take
    # input that starts on the internet, though the WAF sits in their own zone
    "TL-T002@order-service": Category.TAMPERING,
    "TL-E004@web-shop": Category.ELEVATION_OF_PRIVILEGE,
    "TL-E004@shop-api": Category.ELEVATION_OF_PRIVILEGE,
    # the admin console logs sign-ins only
    "TL-R001@admin-console": Category.REPUDIATION,
    # the internet entry point
    "TL-D001@edge": Category.DENIAL_OF_SERVICE,
    # the admin console is reachable from the office network
    "TL-E001@admin-console": Category.ELEVATION_OF_PRIVILEGE,
    # data shared with the payment provider and the courier
    "TL-TP001@payment-provider": Category.INFORMATION_DISCLOSURE,
    "TL-TP001@courier": Category.INFORMATION_DISCLOSURE,
    "TL-P009@courier-booking": Category.DATA_DISCLOSURE,
    # customers' passwords, at the sign-in service that checks them (web and app sign-ins alike)
    "TL-S003@customer-idp": Category.SPOOFING,
}

HOSPITAL_EXPECTED = {
    # unauthenticated device protocols and the plain HL7 feeds
    "TL-S005@monitor-network": Category.SPOOFING,
    "TL-S005@vitals-hl7": Category.SPOOFING,
    "TL-S006@ecg-results": Category.SPOOFING,
    "TL-T001@vitals-hl7": Category.TAMPERING,
    "TL-I001@vitals-hl7": Category.INFORMATION_DISCLOSURE,
    "TL-I001@ecg-results": Category.INFORMATION_DISCLOSURE,
    # the integration engine takes device input and writes its message store
    "TL-T002@integration-engine": Category.TAMPERING,
    # the 2016 monitors log no settings changes; the device database keeps no audit trail
    "TL-R009@patient-monitors": Category.REPUDIATION,
    "TL-R008@device-db": Category.REPUDIATION,
    # nurses silence the monitors' alarms at the central station, which records nothing
    "TL-R011@central-station": Category.REPUDIATION,
    # the internet-facing vendor gateway, the devices themselves, the nurse-call server that must not stop,
    # and ransomware on the Windows workstations and domain controller
    "TL-D001@vendor-gateway": Category.DENIAL_OF_SERVICE,
    "TL-D008@infusion-pumps": Category.DENIAL_OF_SERVICE,
    "TL-D010@nurse-call": Category.DENIAL_OF_SERVICE,
    "TL-D011@clinician-workstations": Category.DENIAL_OF_SERVICE,
    "TL-D011@directory": Category.DENIAL_OF_SERVICE,
    # the device management server's administration
    "TL-E001@device-mgmt": Category.ELEVATION_OF_PRIVILEGE,
    "TL-S002@fleet-admin": Category.SPOOFING,
    "TL-E011@fleet-admin": Category.ELEVATION_OF_PRIVILEGE,
    # the vendor: data it receives, access it holds, remote support
    "TL-TP001@pump-vendor": Category.INFORMATION_DISCLOSURE,
    "TL-TP002@pump-vendor": Category.ELEVATION_OF_PRIVILEGE,
    "TL-TP003@vendor-session": Category.SPOOFING,
    # firmware the 2016 monitors cannot verify
    "TL-T005@monitor-firmware": Category.TAMPERING,
}


# the rules' findings that the team's own threats refine, and so report in their stead
REFINED = {HOSPITAL: {"TL-D011@directory": ("MT-FLEET-OUTAGE",)}}


@pytest.mark.parametrize(("path", "expected"), [(PHARMACY, PHARMACY_EXPECTED), (HOSPITAL, HOSPITAL_EXPECTED)],
                         ids=["online-pharmacy", "hospital-device-fleet"])
def test_obvious_threats_are_found(path: Path, expected: dict[str, Category],
                                   analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    _, analysis = analysed[path]
    refined = analysis.refined()
    for threat_id, category in expected.items():
        if threat_id in refined:  # the team tells this finding in its own threat, of the same category
            for manual_id in refined[threat_id]:
                team = analysis.by_id[manual_id]
                assert team.origin == "manual" and team.category is category and team.reachable, threat_id
            continue
        threat = _threat(analysis, threat_id)
        assert threat.origin == "rule" and threat.category is category, threat_id
        assert threat.reachable, threat_id
    assert refined == REFINED.get(path, {})


def test_the_plain_flows_are_recorded_as_plain(analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    pharmacy, _ = analysed[PHARMACY]
    hospital, _ = analysed[HOSPITAL]
    legacy = [pharmacy.index.flows["api-to-orders"], hospital.index.flows["vitals-hl7"],
              hospital.index.flows["ecg-results"]]
    assert all(flow.encryption.value == "none" for flow in legacy)
    assert {f.protocol for f in legacy} == {"HTTP", "HL7 MLLP over TCP"}


# -- decisions ---------------------------------------------------------------------------------------


def test_pharmacy_expired_acceptance_leaves_guest_checkout_open(
        analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    _, analysis = analysed[PHARMACY]
    threat = _threat(analysis, "TL-S001@edge-to-shop")
    assert threat.decision is not None and threat.decision.treatment is Treatment.ACCEPT
    assert threat.decision.expires == "2026-09-30" and threat.decision.approver
    assert not threat.decision.valid and "expired" in threat.decision.note
    assert threat.status is ThreatStatus.OPEN and not threat.treated
    assert threat in analysis.gaps()


def test_hospital_expired_acceptance_leaves_monitor_audit_open(
        analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    _, analysis = analysed[HOSPITAL]
    threat = _threat(analysis, "TL-R009@patient-monitors")
    assert threat.decision is not None and threat.decision.expires == "2026-10-31"
    assert not threat.decision.valid and threat.status is ThreatStatus.OPEN
    assert threat in analysis.gaps()
    invalid = [p.message for p in analysis.decision_problems if p.code == "invalid-decision"]
    assert invalid == ["decision for 'TL-R009@patient-monitors' does not count: acceptance expired on 2026-10-31"]


def test_hospital_central_station_rates_silenced_alarms_like_the_monitors_own_settings(
        analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    # nurses silence alarms at the central station, which keeps no trail: the same stake (the alarms' and
    # vitals' integrity) as a monitor that logs no change of its own settings, and nothing in place lowers it
    _, analysis = analysed[HOSPITAL]
    station, monitors = _threat(analysis, "TL-R011@central-station"), _threat(analysis, "TL-R009@patient-monitors")
    assert (station.residual.level, station.residual.score) == (monitors.residual.level, monitors.residual.score)
    assert station.residual.score == station.inherent.score == 15
    assert station.controls[0].id == "C-AUDIT-LOG" and not station.controls_in_place


def test_hospital_vendor_access_controls_count_for_the_vendor(analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    # the vendor's engineers come in through our VPN with just-in-time accounts and recorded sessions,
    # recorded on the vendor: the threats on the vendor itself count them
    _, analysis = analysed[HOSPITAL]
    for threat_id in ("TL-TP002@pump-vendor", "TL-R007@pump-vendor"):
        threat = _threat(analysis, threat_id)
        assert "session-recording" in threat.controls_in_place or "vendor-jit" in threat.controls_in_place
        assert threat.residual.score < threat.inherent.score


def _settled_by(analysis: Analysis, pattern: str) -> dict[str, ThreatStatus]:
    return {t.id: t.status for t in analysis.threats if t.decision is not None and t.decision.pattern == pattern}


def test_pharmacy_wildcards_settle_the_threats_they_name(analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    _, analysis = analysed[PHARMACY]
    assert _settled_by(analysis, "TL-P010@*") == {
        "TL-P010@orders-db": ThreatStatus.IN_PROGRESS, "TL-P010@rx-db": ThreatStatus.IN_PROGRESS,
        "TL-P010@scan-store": ThreatStatus.IN_PROGRESS}
    assert _settled_by(analysis, "TL-S010@*") == {
        "TL-S010@pharmacists": ThreatStatus.ACCEPTED, "TL-S010@support-staff": ThreatStatus.ACCEPTED}
    # one threat per service whose secrets can reach the logs, not one per log flow
    assert set(_settled_by(analysis, "TL-I002@*")) == {"TL-I002@customer-idp", "TL-I002@order-service",
                                                       "TL-I002@rx-service"}


def test_hospital_wildcards_settle_the_threats_they_name(analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    _, analysis = analysed[HOSPITAL]
    assert _settled_by(analysis, "TL-*@ecg-results") == dict.fromkeys(
        ["TL-I001@ecg-results", "TL-S006@ecg-results", "TL-T001@ecg-results"], ThreatStatus.ACCEPTED)
    assert _settled_by(analysis, "TL-*@vitals-hl7") == dict.fromkeys(
        ["TL-I001@vitals-hl7", "TL-S005@vitals-hl7", "TL-T001@vitals-hl7"], ThreatStatus.ACCEPTED)
    assert set(_settled_by(analysis, "TL-I002@*")) == {"TL-I002@device-mgmt", "TL-I002@vendor-gateway"}


def test_pharmacy_systems_are_not_taken_for_people(analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    """Prescribers' practice systems and the payment provider's webhooks are systems, not people's apps."""
    _, analysis = analysed[PHARMACY]
    ids = {t.id for t in analysis.threats}
    assert {"TL-I008@erx-intake", "TL-I008@payment-webhook", "TL-P006@erx-gateway",
            "TL-E002@payment-webhook"} & ids == set()
    # one account base, one password-guessing and one lockout threat, where the passwords are checked
    assert sorted(t for t in ids if t.startswith(("TL-S003@", "TL-D007@"))) == ["TL-D007@customer-idp",
                                                                              "TL-S003@customer-idp"]
    # the sign-in service's own controls count: its partial MFA and its rate limits
    assert set(analysis.by_id["TL-S003@customer-idp"].controls_in_place) == {"customer-mfa", "rate-limits"}


def test_hospital_noise_the_team_had_dismissed_is_gone(analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    """The team once marked these false positives; the rules no longer report them."""
    _, analysis = analysed[HOSPITAL]
    ids = {t.id for t in analysis.threats}
    # tying a clinical reading to its patient is the purpose; HL7 feeds reach no administrative function;
    # a firmware download is TL-T005's alone; an RDP session is not input to the server's queries
    assert {t for t in ids if t.startswith("TL-P004@")} == set()
    assert {"TL-E008@vitals-hl7", "TL-E008@ecg-results", "TL-S011@pump-firmware", "TL-S011@monitor-firmware",
            "TL-T002@device-mgmt"} & ids == set()
    assert {"TL-T005@pump-firmware", "TL-T005@monitor-firmware"} <= ids
    # the admin flag of the integration engine no longer raises the plain ECG feed
    reasons = [f.reason for f in analysis.by_id["TL-S006@ecg-results"].inherent.factors]
    assert not any("administrative" in r for r in reasons)


@pytest.mark.parametrize(("path", "reduce", "within", "above", "transfer", "false_positive"), [
    (PHARMACY, "TL-R001@admin-console", "TL-TP001@courier", "TL-I001@api-to-orders", "TL-TP001@payment-provider",
     "TL-P012@app-card-entry"),
    (HOSPITAL, "TL-S002@fleet-admin", "TL-D007@vendor-gateway", "TL-S005@monitor-network", "TL-TP001@pump-vendor",
     "TL-P014@backup-server"),
], ids=["online-pharmacy", "hospital-device-fleet"])
def test_each_kind_of_decision_counts(path: Path, reduce: str, within: str, above: str, transfer: str,
                                      false_positive: str, analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    model, analysis = analysed[path]
    appetite = model.system.risk_appetite.rank
    reduced = _threat(analysis, reduce)
    assert reduced.decision is not None and reduced.decision.treatment is Treatment.REDUCE
    assert reduced.decision.owner and reduced.decision.ticket and reduced.decision.due and reduced.decision.controls
    assert reduced.status is ThreatStatus.IN_PROGRESS and reduced.decision.valid
    accepted = _threat(analysis, within)
    assert accepted.residual.level.rank <= appetite and accepted.status is ThreatStatus.ACCEPTED
    signed_off = _threat(analysis, above)
    assert signed_off.residual.level.rank > appetite and signed_off.status is ThreatStatus.ACCEPTED
    assert signed_off.decision is not None and signed_off.decision.approver and signed_off.decision.expires
    assert _threat(analysis, transfer).status is ThreatStatus.TRANSFERRED
    dismissed = _threat(analysis, false_positive)
    assert dismissed.status is ThreatStatus.FALSE_POSITIVE
    assert dismissed.decision is not None and dismissed.decision.justification


@pytest.mark.parametrize("path", [PHARMACY, HOSPITAL], ids=_name)
def test_manual_threats_are_analysed_with_their_mitigations(
        path: Path, analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    model, analysis = analysed[path]
    manual = [t for t in analysis.threats if t.origin == "manual"]
    assert {t.id for t in manual} == {t.id for t in model.threats}
    assert all(t.decision is not None for t in manual)
    mitigated = [t for t in manual if t.residual.score < t.inherent.score]
    assert mitigated, "no manual threat is lowered by a control in place"


def test_pharmacy_controls_lower_only_the_threats_they_act_on(
        analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    """Found in a threat modeller's review: these controls once took high threats down to low."""
    _, analysis = analysed[PHARMACY]
    # staff signing in with MFA can still abuse their own access; nothing records what they do
    assert "staff-sso" not in analysis.by_id["TL-E009@admin-console"].controls_in_place
    # encrypting backups erases nobody from them
    assert "encryption-at-rest" not in analysis.by_id["TL-P014@backup-vault"].controls_in_place
    # nor do the store's keys stop a login with the service's password
    assert "encryption-at-rest" not in analysis.by_id["TL-S008@rx-store"].controls_in_place
    # a write-once archive prevents erasure of the logs: it lowers the chance, not only the harm
    log_store = analysis.by_id["TL-T004@log-store"]
    assert log_store.residual.likelihood < log_store.inherent.likelihood
    # our own insider hands the courier orders but cannot breach the courier
    assert "insider" not in analysis.by_id["TL-TP001@courier"].actors
    assert "fraud-crew" in analysis.by_id["TL-TP001@courier"].actors


@pytest.mark.parametrize(("path", "threat_id", "control"), [
    (PHARMACY, "TL-TP001@courier", "data-minimisation"),
    (HOSPITAL, "TL-TP001@pump-vendor", "log-pseudonymisation"),
], ids=["online-pharmacy", "hospital-device-fleet"])
def test_a_vendor_breach_counts_the_minimisation_on_what_is_sent_to_it(
        path: Path, threat_id: str, control: str, analysed: dict[Path, tuple[Model, Analysis]]) -> None:
    """The control sits on the one flow that sends the vendor data; a breach there loses only what it sent."""
    _, analysis = analysed[path]
    threat = analysis.by_id[threat_id]
    assert control in threat.controls_in_place
    assert threat.residual.score < threat.inherent.score
