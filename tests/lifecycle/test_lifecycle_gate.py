"""`threatloom check`: the CI gate and its SARIF for code scanning, on the clinic and its hardened version.

The clinic's untreated threats at high or above (worked out from the rules and the model; see
test_lifecycle_ranking for the scores): 4 critical (TL-D003@store, TL-I001@book, TL-T001@book,
TL-T002@portal) and 10 high. Its treated ones stay out: TL-P010@db, TL-P011@book, TL-P006@portal
(accepted by the wildcard TL-P*), TL-D001@portal and TL-D002@portal (transferred by TL-D*@portal),
TL-R004@db (a justified false positive).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import SAMPLES, run_cli
from tests.lifecycle.lab import CLINIC
from tests.lifecycle.workbench import CRITICAL, HARDENED, HIGH, cli_json, commit, failing_ids, init_repo, line_of
from threatloom import __version__

SARIF_SCHEMA = json.loads((SAMPLES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def test_fail_on_high_exits_1_and_names_every_untreated_high_and_critical_threat() -> None:
    result = run_cli("check", str(CLINIC), "--fail-on", "high")
    assert result.returncode == 1
    ids = failing_ids(result.stdout)
    assert set(ids) == CRITICAL | HIGH and len(ids) == 14
    assert ids[:4] == sorted(CRITICAL)  # the four 20s first (equal scores: by ID)
    assert result.stdout.splitlines()[-1] == "check failed: 14 untreated threats at high or above"
    # each line points at the element's line in the model, so editors and CI logs jump to it
    portal = line_of(CLINIC, "{id: portal,")
    line = next(x for x in result.stdout.splitlines() if " TL-T002@portal " in x)
    assert line.startswith(f"{CLINIC}:{portal}:5: critical: TL-T002@portal ")


def test_fail_on_critical_names_only_the_critical_ones_and_default_follows_the_appetite() -> None:
    critical = run_cli("check", str(CLINIC), "--fail-on", "critical")
    assert critical.returncode == 1
    assert set(failing_ids(critical.stdout)) == CRITICAL
    # no --fail-on: the gate follows the medium appetite, so it fails on high and above, like --fail-on high
    default = run_cli("check", str(CLINIC))
    assert default.returncode == 1
    assert set(failing_ids(default.stdout)) == CRITICAL | HIGH


def test_a_model_whose_high_risks_are_all_treated_passes() -> None:
    result = run_cli("check", str(HARDENED), "--fail-on", "high")
    assert result.returncode == 0, result.stdout
    assert result.stdout == "check passed: no untreated threat at high or above (10 untreated below it)\n"
    # the same model fails a stricter gate, on its two untreated medium risks
    stricter = run_cli("check", str(HARDENED), "--fail-on", "medium")
    assert stricter.returncode == 1
    assert failing_ids(stricter.stdout) == ["MT-DESK-EXPORT", "TL-D003@store"]
    assert "acceptance expired on 2020-06-30" in stricter.stdout


def test_json_verdict() -> None:
    report = cli_json("check", str(CLINIC), "--fail-on", "high", "--format", "json", expect=1)
    assert report["passed"] is False and report["fail_on"] == "high"
    assert {t["id"] for t in report["failing"]} == CRITICAL | HIGH
    # 14 untreated at high or above, plus the two medium ones below the threshold
    assert report["untreated"] == 16
    first = report["failing"][0]
    assert first["source"]["line"] == line_of(CLINIC, "{id: store,")  # TL-D003@store is about the flow
    codes = sorted(p["code"] for p in report["problems"])
    assert codes == ["invalid-decision", "unmatched-decision"]
    assert cli_json("check", str(HARDENED), "--format", "json")["passed"] is True


def test_bad_level_is_a_usage_error() -> None:
    result = run_cli("check", str(CLINIC), "--fail-on", "severe")
    assert result.returncode == 2
    assert "unknown level 'severe'" in result.stderr


# -- SARIF ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def repo_sarif(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object], Path]:
    """The clinic committed at models/clinic.yaml of a git repository, checked from a subfolder."""
    repo = init_repo(tmp_path_factory.mktemp("sarif") / "repo")
    commit(repo, {"models/clinic.yaml": CLINIC.read_text(encoding="utf-8")}, "clinic model",
           "2026-11-02T10:00:00+00:00")
    (repo / "ci").mkdir()
    out = repo / "ci" / "threatloom.sarif"
    result = run_cli("check", "../models/clinic.yaml", "--fail-on", "high", "--format", "sarif", "-o", str(out),
                     cwd=repo / "ci")
    assert result.returncode == 1  # the gate still fails, and says so on stderr for the CI log
    assert "check failed: 14 untreated threats at high or above" in result.stderr
    return repo, json.loads(out.read_text(encoding="utf-8")), out


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(repo_sarif: tuple[Path, dict[str, object], Path]) -> None:
    _, log, _ = repo_sarif
    errors = sorted(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log), key=str)
    assert errors == []
    assert log["version"] == "2.1.0"


def test_sarif_results_sit_on_the_model_lines_relative_to_the_repository_root(
        repo_sarif: tuple[Path, dict[str, object], Path]) -> None:
    repo, log, _ = repo_sarif
    (run,) = log["runs"]  # type: ignore[index]
    results = {r["properties"]["threatId"]: r for r in run["results"]}
    # every untreated threat is a result: the 14 failing ones and the two medium ones (MT-DESK-EXPORT, whose
    # acceptance expired, and TL-I005@portal)
    assert set(results) == CRITICAL | HIGH | {"MT-DESK-EXPORT", "TL-I005@portal"}
    model = repo / "models" / "clinic.yaml"
    for threat_id, needle in (("TL-T002@portal", "{id: portal,"), ("TL-I001@lookup", "{id: lookup,"),
                              ("TL-T003@db", "{id: db,"), ("MT-SLOT-HOARD", "- id: MT-SLOT-HOARD")):
        (location,) = results[threat_id]["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "models/clinic.yaml"
        assert physical["region"]["startLine"] == line_of(model, needle), threat_id


def test_sarif_carries_what_github_code_scanning_needs(repo_sarif: tuple[Path, dict[str, object], Path]) -> None:
    _, log, _ = repo_sarif
    (run,) = log["runs"]  # type: ignore[index]
    driver = run["tool"]["driver"]
    assert driver["name"] == "threatloom"
    assert driver["informationUri"].startswith("https://")
    assert driver["semanticVersion"] == driver["version"] == __version__
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        # the stable threat ID is the fingerprint: alerts follow a threat across edits of the file
        assert result["partialFingerprints"] == {"threatloom/threatId/v1": result["properties"]["threatId"]}
        assert result["message"]["text"]
        assert 0 <= float(rule["properties"]["security-severity"]) <= 10
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
    by_threat = {r["properties"]["threatId"]: r for r in run["results"]}
    injection = by_threat["TL-T002@portal"]
    assert injection["ruleId"] == "TL-T002" and injection["level"] == "error"
    assert "control 'waf' (C-WAF, high effectiveness)" in injection["message"]["text"]  # the explanation
    assert by_threat["MT-DESK-EXPORT"]["level"] == "warning"  # medium
    sql = next(r for r in rules if r["id"] == "TL-T002")
    assert "external/cwe/cwe-89" in sql["properties"]["tags"]
    assert sql["properties"]["security-severity"] == "9.5"  # its worst result is critical
    assert sql["defaultConfiguration"]["level"] == "error"
    # decision problems reach the log as tool notifications, located at the decision
    notices = run["invocations"][0]["toolExecutionNotifications"]
    assert sorted(n["descriptor"]["id"] for n in notices) == ["invalid-decision", "unmatched-decision"]


def test_sarif_is_byte_identical_on_a_second_run(repo_sarif: tuple[Path, dict[str, object], Path]) -> None:
    repo, _, out = repo_sarif
    again = repo / "ci" / "again.sarif"
    run_cli("check", "../models/clinic.yaml", "--fail-on", "high", "--format", "sarif", "-o", str(again),
            cwd=repo / "ci")
    assert again.read_bytes() == out.read_bytes()


def test_sarif_outside_git_is_relative_to_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "threats").mkdir()
    model = tmp_path / "threats" / "clinic.yaml"
    model.write_text(HARDENED.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("check", "threats/clinic.yaml", "--format", "sarif", cwd=tmp_path)
    assert result.returncode == 0  # nothing untreated above the appetite
    log = json.loads(result.stdout)
    assert not list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"threats/clinic.yaml"}
    assert len(log["runs"][0]["results"]) == 10  # the untreated threats within the appetite, as warnings/notes
    assert {r["level"] for r in log["runs"][0]["results"]} <= {"warning", "note"}
