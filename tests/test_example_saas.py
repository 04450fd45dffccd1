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
    # spoofing on the one unauthenticated internet flow
    "TL-S001@ledger-callbacks": "spoofing",
    # injection on services that query the database
    "TL-T002@invoicing-api": "tampering",
    "TL-T002@tenant-admin-api": "tampering",
    # repudiation where nothing is logged
    "TL-R001@tenant-admin-api": "repudiation",
    "TL-R008@search": "repudiation",
    "TL-R008@tenant-files-bucket": "repudiation",
    "TL-CL003@aws-staging": "repudiation",
    # denial of service on the public API
    "TL-D001@api-gateway": "denial-of-service",
    "TL-D002@invoicing-api": "denial-of-service",
    # privilege escalation through the staff back-office
    "TL-E001@back-office": "elevation-of-privilege",
    "TL-E009@back-office": "elevation-of-privilege",
    "TL-E006@back-office": "elevation-of-privilege",
    # tenant data shared with vendors
    "TL-TP001@email-provider": "information-disclosure",
    "TL-TP001@accounting-platforms": "information-disclosure",
    "TL-P009@send-email": "data-disclosure",
    "TL-P008@error-tracker": "data-disclosure",
    "TL-I002@api-errors": "information-disclosure",
    # cloud control-plane takeover
    "TL-CL001@aws-prod": "elevation-of-privilege",
    "TL-E011@console-prod": "elevation-of-privilege",
    "TL-S010@engineers": "spoofing",
    # the team's own threats
    "MT-TENANT-FILTER": "information-disclosure",
    "MT-TRIAL-ABUSE": "spoofing",
}


def test_the_obvious_threats_are_found(threats: dict[str, dict[str, Any]]) -> None:
    missing = sorted(set(OBVIOUS) - set(threats))
    assert missing == []
    assert {tid: threats[tid]["category"] for tid in OBVIOUS} == OBVIOUS
    assert len(threats) == 194


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
    for tid in ("TL-SC010@gh-actions", "TL-SC008@marketplace-actions", "TL-CL002@spa-bucket"):
        assert threats[tid]["status"] == "false-positive", tid
    assert threats["TL-T002@invoicing-api"]["status"] == "mitigated"


# Each wildcard decision, the threats it must settle (no more, no fewer) and the status that follows.
# None: an acceptance with an expiry date, whose status depends on the day the test runs.
WILDCARDS: dict[str, tuple[set[str], str | None]] = {
    "TL-SC00?@actions-fetch": ({"TL-SC003@actions-fetch", "TL-SC007@actions-fetch"}, "in-progress"),
    "TL-P010@*": ({"TL-P010@search", "TL-P010@staging-db", "TL-P010@tenant-db", "TL-P010@tenant-files-bucket",
                   "TL-P010@warehouse"}, "in-progress"),
    "TL-I002@*-errors": ({"TL-I002@api-errors", "TL-I002@worker-errors"}, "in-progress"),
    "TL-D003@*": ({"TL-D003@admin-db", "TL-D003@auth-db", "TL-D003@backoffice-db", "TL-D003@billing-db",
                   "TL-D003@invoicing-db", "TL-D003@invoicing-search"}, "in-progress"),
    "TL-P011@spa-*": ({"TL-P011@spa-api", "TL-P011@spa-sign-in"}, "in-progress"),
    "TL-E005@queue-to-*": ({"TL-E005@queue-to-dispatcher", "TL-E005@queue-to-worker"}, "mitigated"),
    "TL-I008@*": ({"TL-I008@ledger-callbacks", "TL-I008@payment-events"}, "false-positive"),
    "TL-E002@break-glass-*": ({"TL-E002@break-glass-backup", "TL-E002@break-glass-prod"}, "false-positive"),
    "TL-I002@trail-*": ({"TL-I002@trail-backup", "TL-I002@trail-prod"}, "false-positive"),
    "TL-I005@*": ({"TL-I005@billing-service", "TL-I005@documents-service", "TL-I005@invoicing-api",
                   "TL-I005@tenant-admin-api", "TL-I005@webhook-receiver"}, "false-positive"),
    # written after TL-I008@*, so TL-I008@ledger-callbacks goes to that one (the first wildcard wins)
    "TL-*@ledger-callbacks": ({"TL-R005@ledger-callbacks", "TL-S001@ledger-callbacks"}, "in-progress"),
    "TL-CL00?@aws-staging": ({"TL-CL001@aws-staging", "TL-CL003@aws-staging", "TL-CL006@aws-staging"},
                             "accepted"),
    "TL-TP004@*": ({"TL-TP004@aws-sso", "TL-TP004@backoffice-okta", "TL-TP004@charge-payments",
                    "TL-TP004@ledger-sync", "TL-TP004@send-email", "TL-TP004@staff-sign-in"}, None),
    "TL-D001@*": ({"TL-D001@api-gateway", "TL-D001@back-office", "TL-D001@cdn", "TL-D001@webhook-receiver"}, None),
    "TL-T010@gw-*": ({"TL-T010@gw-auth", "TL-T010@gw-billing", "TL-T010@gw-documents", "TL-T010@gw-invoicing",
                      "TL-T010@gw-tenant-admin"}, None),
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
    for tid in ("TL-TP005@okta", "TL-TP004@send-email", "TL-D001@cdn"):
        assert before[tid].residual.level.value in ("high", "critical"), tid
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
