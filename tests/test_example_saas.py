"""The multi-tenant SaaS example (examples/saas-platform), run through the real CLI as a user would.

What a threat modeller expects from this system must be found, by concrete ID; errors in an included
file must point into that file; and the team's decisions must settle exactly the threats they name.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, run_cli
from threatloom.engine import analyse
from threatloom.model import load_model

EXAMPLE = EXAMPLES / "saas-platform"
MODEL = EXAMPLE / "model.yaml"


@pytest.fixture(scope="module")
def threats(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("saas")
    result = run_cli("analyze", str(MODEL), "-o", str(out))
    assert result.returncode == 0, result.stderr
    document = json.loads((out / "threats.json").read_text())
    assert document["unmatched_decisions"] == []
    return {t["id"]: t for t in document["threats"]}


def test_the_example_validates_strictly() -> None:
    result = run_cli("validate", "--strict", str(MODEL))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "47 components, 85 flows, 22 assets, 15 zones; 0 warnings" in result.stdout


# What a security lead would look for first, with the category each must carry.
OBVIOUS = {
    # secrets in the CI/CD pipeline
    "TL-SC001@gh-actions": "information-disclosure",
    "TL-SC001@ci-runners": "information-disclosure",
    "TL-SC001@atlantis": "information-disclosure",
    # a poisoned dependency or build
    "TL-SC007@upstream-mirror": "tampering",
    "TL-SC007@actions-fetch": "tampering",
    "TL-SC004@ci-runners": "tampering",
    "MT-POISONED-ACTION": "tampering",
    "MT-CACHE-POISONING": "tampering",
    # unsigned artifacts deployed
    "TL-SC005@image-pull": "tampering",
    # spoofing on the one unauthenticated internet flow; password guessing where the passwords are checked
    "TL-S001@ledger-callbacks": "spoofing",
    "TL-S003@auth-service": "spoofing",
    # injection on services that query the database, also the worker that polls the job queue
    "TL-T002@invoicing-api": "tampering",
    "TL-T002@tenant-admin-api": "tampering",
    "TL-T002@job-worker": "tampering",
    # another tenant's records by changing an ID, behind the API gateway; SSRF where tenants give URLs
    "TL-E003@gw-invoicing": "elevation-of-privilege",
    "TL-I009@webhook-dispatcher": "information-disclosure",
    "TL-I009@documents-service": "information-disclosure",
    "TL-CL005@documents-service": "elevation-of-privilege",
    # repudiation where nothing is logged
    "TL-R001@tenant-admin-api": "repudiation",
    "TL-R008@search": "repudiation",
    "TL-R008@tenant-files-bucket": "repudiation",
    "TL-CL003@aws-staging": "repudiation",
    # denial of service on the public API, and on the database every service shares
    "TL-D001@api-gateway": "denial-of-service",
    "TL-D002@api-gateway": "denial-of-service",
    "TL-D003@tenant-db": "denial-of-service",
    # privilege escalation through the staff back-office
    "TL-E001@back-office": "elevation-of-privilege",
    "TL-E009@back-office": "elevation-of-privilege",
    "TL-E006@back-office": "elevation-of-privilege",
    # one tenant admin's account controls the tenant (users, SSO, API keys, webhooks)
    "TL-E014@tenant-admin-api": "elevation-of-privilege",
    # tenant data shared with vendors
    "TL-TP001@email-provider": "information-disclosure",
    "TL-TP001@accounting-platforms": "information-disclosure",
    "TL-TP001@error-tracker": "information-disclosure",
    "TL-TP001@warehouse": "information-disclosure",
    "TL-P009@send-email": "data-disclosure",
    "TL-P008@error-tracker": "data-disclosure",
    "TL-I002@invoicing-api": "information-disclosure",
    # cloud control-plane takeover
    "TL-CL001@aws-prod": "elevation-of-privilege",
    "TL-E011@console-prod": "elevation-of-privilege",
    "TL-S010@engineers": "spoofing",
    # releases out of security support (Keycloak 25, EKS 1.30 past standard support)
    "TL-E012@auth-service": "elevation-of-privilege",
    "TL-E012@eks": "elevation-of-privilege",
    # the team's own threats
    "MT-TENANT-FILTER": "information-disclosure",
    "MT-TRIAL-ABUSE": "spoofing",
}


def test_the_obvious_threats_are_found(threats: dict[str, dict[str, Any]]) -> None:
    missing = sorted(set(OBVIOUS) - set(threats))
    assert missing == []
    assert {tid: threats[tid]["category"] for tid in OBVIOUS} == OBVIOUS
    assert len(threats) == 174


def test_customers_administration_is_not_taken_for_a_staff_panel(threats: dict[str, dict[str, Any]]) -> None:
    # tenant admins must administer from anywhere: isolating the API (TL-E001's advice) is no option, so the
    # finding is the takeover of a tenant admin's account, and the team's decision follows it
    assert "TL-E001@tenant-admin-api" not in threats
    threat = threats["TL-E014@tenant-admin-api"]
    assert threat["decision"]["ticket"] == "SEC-388"
    assert threat["status"] == "in-progress"
    assert next(c["id"] for c in threat["candidate_controls"] if not c["in_place"]) == "C-MFA"
    # role checks do not stop a phished administrator, who holds the role: until step-up MFA ships, nothing
    # in place lowers it
    assert threat["controls_in_place"] == []
    assert (threat["residual"]["level"], threat["residual"]["score"]) == ("high", 15)


def test_controls_that_leave_the_cause_untouched_do_not_lower_a_threat(threats: dict[str, dict[str, Any]]) -> None:
    # malware rides an administrator's session that has passed MFA already: staff SSO with security keys
    # is no candidate there, and does not count
    staging = threats["TL-E011@console-staging"]
    assert "C-MFA" not in [c["id"] for c in staging["candidate_controls"]]
    assert "ctl-staff-sso" not in staging["controls_in_place"]
    # reviewing a vendor changes neither the fields we send it nor what people know of it: the reviews
    # count through the DPA they include, and only on the impact
    for threat_id in ("TL-P009@send-email", "TL-P012@spa-errors"):
        assert "C-VENDOR-ASSESSMENT" not in [c["id"] for c in threats[threat_id]["candidate_controls"]]
    send = threats["TL-P009@send-email"]["residual"]
    assert {f["part"] for f in send["factors"] if "ctl-vendor-reviews" in f["reason"]} == {"impact"}


def test_vendor_reviews_recorded_on_the_vendors_count_for_the_threats_on_them(
        threats: dict[str, dict[str, Any]]) -> None:
    for threat_id in ("TL-TP001@accounting-platforms", "TL-TP006@email-provider", "TL-TP001@email-provider"):
        threat = threats[threat_id]
        assert "ctl-vendor-reviews" in threat["controls_in_place"]
        assert threat["residual"]["score"] < threat["inherent"]["score"]


def test_only_the_ledger_callbacks_reach_us_unauthenticated(threats: dict[str, dict[str, Any]]) -> None:
    unauthenticated = sorted(tid for tid, t in threats.items() if t["rule"] == "TL-S001")
    assert unauthenticated == ["TL-S001@ledger-callbacks"]


def test_the_expired_acceptance_leaves_its_threat_open(threats: dict[str, dict[str, Any]]) -> None:
    threat = threats["TL-P008@error-tracker"]
    assert threat["status"] == "open"
    assert threat["decision"]["treatment"] == "accept"
    assert threat["decision"]["valid"] is False
    assert threat["decision"]["note"] == "acceptance expired on 2026-10-31"


def test_transfer_and_false_positives(threats: dict[str, dict[str, Any]]) -> None:
    assert threats["TL-TP001@payment-processor"]["status"] == "transferred"
    for tid in ("TL-I005@api-gateway", "TL-P013@accounting-platforms"):
        assert threats[tid]["status"] == "false-positive", tid
    assert threats["TL-T002@invoicing-api"]["status"] == "mitigated"


# What the team once had to mark as false positives, and the rules no longer report: GitHub's hosted
# service, a third party's repository, the public SPA bucket, vendor webhooks read as people's apps,
# CloudTrail as an application log, a sign-in and break-glass administrators as "roles to exceed", the
# replica read as data sent to the database, a static download, machine-to-machine integration.
NOISE = ["TL-SC010@gh-actions", "TL-SC008@marketplace-actions", "TL-SC003@actions-fetch", "TL-CL002@spa-bucket",
         "TL-I008@payment-events", "TL-I008@ledger-callbacks", "TL-I002@trail-prod", "TL-R010@aws-prod",
         "TL-E002@spa-sign-in", "TL-E002@break-glass-prod", "TL-E002@console-staging", "TL-D007@break-glass-backup",
         "TL-P002@replica-read", "TL-T008@cdn-serves-spa", "TL-P011@integration-api", "TL-P011@spa-sign-in",
         "TL-P006@webhook-receiver", "TL-P008@siem"]


def test_the_rules_no_longer_report_what_the_team_found_to_be_noise(threats: dict[str, dict[str, Any]]) -> None:
    assert sorted(set(NOISE) & set(threats)) == []


def test_one_finding_is_reported_once(threats: dict[str, dict[str, Any]]) -> None:
    def ids(rule: str) -> list[str]:
        return sorted(tid for tid, t in threats.items() if t["rule"] == rule)

    # one exhaustion threat per database, smuggling and costly requests and error pages once at the gateway
    assert ids("TL-D003") == ["TL-D003@search", "TL-D003@tenant-db"]
    assert ids("TL-T010") == ["TL-T010@api-gateway"]
    assert ids("TL-D002") == ["TL-D002@api-gateway"]
    assert ids("TL-I005") == ["TL-I005@api-gateway", "TL-I005@webhook-receiver"]
    # secrets that can leak: only services that hold secrets of their own, each its own
    assert ids("TL-I004") == ["TL-I004@billing-service", "TL-I004@documents-service", "TL-I004@invoicing-api",
                              "TL-I004@webhook-receiver"]
    # the logs of the SIEM are the log archive's
    assert ids("TL-P008") == ["TL-P008@error-tracker", "TL-P008@log-archive"]


# Each wildcard decision, the threats it must settle (no more, no fewer) and the status that follows.
# None: an acceptance with an expiry date, whose status depends on the day the test runs.
WILDCARDS: dict[str, tuple[set[str], str | None]] = {
    "TL-SC00?@actions-fetch": ({"TL-SC007@actions-fetch"}, "in-progress"),
    "TL-P010@*": ({"TL-P010@search", "TL-P010@staging-db", "TL-P010@tenant-db", "TL-P010@tenant-files-bucket",
                   "TL-P010@warehouse"}, "in-progress"),
    "TL-D003@*": ({"TL-D003@search", "TL-D003@tenant-db"}, "in-progress"),
    "TL-P011@spa-*": ({"TL-P011@spa-api"}, "in-progress"),
    "TL-E005@queue-to-*": ({"TL-E005@queue-to-dispatcher", "TL-E005@queue-to-worker"}, "mitigated"),
    "TL-I005@*": ({"TL-I005@api-gateway", "TL-I005@webhook-receiver"}, "false-positive"),
    "TL-*@ledger-callbacks": ({"TL-R005@ledger-callbacks", "TL-S001@ledger-callbacks"}, "in-progress"),
    "TL-CL00?@aws-staging": ({"TL-CL001@aws-staging", "TL-CL003@aws-staging", "TL-CL006@aws-staging"},
                             "accepted"),
    "TL-TP004@*": ({"TL-TP004@charge-payments", "TL-TP004@ledger-sync", "TL-TP004@send-email"}, None),
    "TL-TP008@*": ({"TL-TP008@aws-sso", "TL-TP008@backoffice-okta", "TL-TP008@staff-sign-in"}, None),
    "TL-D001@*": ({"TL-D001@api-gateway", "TL-D001@back-office", "TL-D001@cdn", "TL-D001@webhook-receiver"}, None),
}


@pytest.mark.parametrize("pattern", sorted(WILDCARDS))
def test_each_wildcard_decision_settles_the_threats_it_names(threats: dict[str, dict[str, Any]],
                                                             pattern: str) -> None:
    expected, status = WILDCARDS[pattern]
    settled = {tid for tid, t in threats.items() if t["decision"] and t["decision"]["pattern"] == pattern}
    assert settled == expected
    if status is not None:
        assert {threats[tid]["status"] for tid in settled} == {status}


def test_acceptances_above_the_appetite_count_until_they_expire() -> None:
    model = load_model(MODEL)
    before = analyse(model, today=dt.date(2027, 1, 15)).by_id
    after = analyse(model, today=dt.date(2027, 7, 1)).by_id
    # the identity provider's compromise stays above the appetite; the e-mail provider's outage (no attacker
    # needed, vendor assessed) and the CDN flood (the CDN's DDoS protection) are medium, and their dated
    # acceptances lapse all the same
    assert before["TL-TP005@okta"].residual.level.value in ("high", "critical")
    assert before["TL-TP004@send-email"].residual.level.value == before["TL-D001@cdn"].residual.level.value == "medium"
    for tid in ("TL-TP005@okta", "TL-TP004@send-email", "TL-D001@cdn"):
        assert before[tid].status.value == "accepted", tid
        assert after[tid].status.value == "open", tid
    # an acceptance within the appetite needs no expiry and keeps counting
    assert after["TL-CL003@aws-staging"].status.value == "accepted"


def _broken_copy(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, int, int]:
    """Copy the example, replace `old` (once) in file `name`; return the model and the 1-based line and
    column where `new` starts."""
    folder = tmp_path / "saas"
    shutil.copytree(EXAMPLE, folder)
    path = folder / name
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    offset = text.index(old) + old.index(old.strip().split(": ")[-1])
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)
    return folder / "model.yaml", line, column


def test_a_schema_error_in_an_included_file_points_into_that_file(tmp_path: Path) -> None:
    model, line, column = _broken_copy(tmp_path, "pipeline.yaml", "    kind: build-runner\n",
                                       "    kind: build-runer\n")
    result = run_cli("validate", str(model))
    assert result.returncode == 2
    where = f"{model.parent / 'pipeline.yaml'}:{line}:{column}: error:"
    assert where in result.stderr
    assert "'build-runer' is not an allowed value (did you mean 'build-runner'?" in result.stderr
    assert "model.yaml:" not in result.stderr


def test_a_broken_reference_in_an_included_file_points_into_that_file(tmp_path: Path) -> None:
    model, line, column = _broken_copy(tmp_path, "cloud.yaml", "    source: siem\n", "    source: siemm\n")
    result = run_cli("validate", str(model))
    assert result.returncode == 2
    assert (f"{model.parent / 'cloud.yaml'}:{line}:{column}: error: unknown element 'siemm' "
            "(did you mean 'siem'?)") in result.stderr
