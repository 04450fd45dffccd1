"""`threatloom check`: the CI gate and its SARIF for code scanning, on the clinic and its hardened version.

What must fail is read from `threatloom analyze` of the same model (statuses, residual levels), so the
gate is checked against the analysis; the clinic's decisions settle threats (workbench.SETTLED),
which must never fail the gate (five, at least), and the SQL injection at its internet-facing portal (TL-T002@portal,
unauthenticated input, a capable fraudster) must.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import SAMPLES, run_cli
from tests.lifecycle.lab import CLINIC
from tests.lifecycle.workbench import (
    HARDENED,
    SETTLED,
    analysed,
    cli_json,
    commit,
    failing_ids,
    init_repo,
    line_of,
    untreated,
)
from threatloom import __version__

SARIF_SCHEMA = json.loads((SAMPLES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    threats = analysed(CLINIC, tmp_path_factory.mktemp("clinic"))
    assert {t["id"]: t["status"] for t in threats if t["id"] in SETTLED} == SETTLED
    return threats


@pytest.fixture(scope="module")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return analysed(HARDENED, tmp_path_factory.mktemp("hardened"))


def test_fail_on_high_exits_1_and_names_every_untreated_high_and_critical_threat(
        clinic: list[dict[str, Any]]) -> None:
    result = run_cli("check", str(CLINIC), "--fail-on", "high")
    assert result.returncode == 1
    ids = failing_ids(result.stdout)
    expected = untreated(clinic, "high")
    assert ids == expected and len(ids) >= 10  # in the analysis' ranking, worst first
    assert "TL-T002@portal" in ids and not set(ids) & set(SETTLED)
    assert result.stdout.splitlines()[-1] == f"check failed: {len(ids)} untreated threats at high or above"
    # each line points at the element's line in the model, so editors and CI logs jump to it
    portal = line_of(CLINIC, "{id: portal,")
    line = next(x for x in result.stdout.splitlines() if " TL-T002@portal " in x)
    level = next(t["residual"]["level"] for t in clinic if t["id"] == "TL-T002@portal")
    assert line.startswith(f"{CLINIC}:{portal}:5: {level}: TL-T002@portal ")


def test_fail_on_critical_names_only_the_critical_ones_and_default_follows_the_appetite(
        clinic: list[dict[str, Any]]) -> None:
    critical = run_cli("check", str(CLINIC), "--fail-on", "critical")
    assert critical.returncode == 1
    assert failing_ids(critical.stdout) == untreated(clinic, "critical") != []
    # no --fail-on: the gate follows the medium appetite, so it fails on high and above, like --fail-on high
    default = run_cli("check", str(CLINIC))
    assert default.returncode == 1
    assert failing_ids(default.stdout) == untreated(clinic, "high")


def test_a_model_whose_high_risks_are_all_treated_passes(hardened: list[dict[str, Any]]) -> None:
    assert untreated(hardened, "high") == [] and untreated(hardened) != []
    result = run_cli("check", str(HARDENED), "--fail-on", "high")
    assert result.returncode == 0, result.stdout
    assert result.stdout == (f"check passed: no untreated threat at high or above ({len(untreated(hardened))} "
                             "untreated below it)\n")
    # the same model fails a stricter gate, on its untreated medium risks, among them the expired acceptance
    stricter = run_cli("check", str(HARDENED), "--fail-on", "medium")
    assert stricter.returncode == 1
    assert failing_ids(stricter.stdout) == untreated(hardened, "medium")
    assert "MT-DESK-EXPORT" in failing_ids(stricter.stdout)
    assert "acceptance expired on 2020-06-30" in stricter.stdout


def test_json_verdict(clinic: list[dict[str, Any]]) -> None:
    report = cli_json("check", str(CLINIC), "--fail-on", "high", "--format", "json", expect=1)
    assert report["passed"] is False and report["fail_on"] == "high"
    assert [t["id"] for t in report["failing"]] == untreated(clinic, "high")
    assert report["untreated"] == len(untreated(clinic))
    assert report["residual_risk_untreated"] == sum(t["residual"]["score"] for t in clinic
                                                    if t["id"] in untreated(clinic))
    injection = next(t for t in report["failing"] if t["id"] == "TL-T002@portal")
    assert injection["source"]["line"] == line_of(CLINIC, "{id: portal,")
    codes = sorted(p["code"] for p in report["problems"])
    assert codes == ["invalid-decision", "unmatched-decision"]  # the expired acceptance, MT-GONE
    assert cli_json("check", str(HARDENED), "--format", "json")["passed"] is True


def test_bad_level_is_a_usage_error() -> None:
    result = run_cli("check", str(CLINIC), "--fail-on", "severe")
    assert result.returncode == 2
    assert "unknown level 'severe'" in result.stderr


# -- SARIF ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def repo_sarif(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    """The clinic committed at models/clinic.yaml of a git repository, checked from a subfolder."""
    repo = init_repo(tmp_path_factory.mktemp("sarif") / "repo")
    commit(repo, {"models/clinic.yaml": CLINIC.read_text(encoding="utf-8")}, "clinic model",
           "2026-11-02T10:00:00+00:00")
    (repo / "ci").mkdir()
    out = repo / "ci" / "threatloom.sarif"
    result = run_cli("check", "../models/clinic.yaml", "--fail-on", "high", "--format", "sarif", "-o", str(out),
                     cwd=repo / "ci")
    assert result.returncode == 1  # the gate still fails, and says so on stderr for the CI log
    assert "check failed: " in result.stderr and " untreated threats at high or above" in result.stderr
    return repo, json.loads(out.read_text(encoding="utf-8")), out


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(repo_sarif: tuple[Path, dict[str, Any], Path]) -> None:
    _, log, _ = repo_sarif
    errors = sorted(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log), key=str)
    assert errors == []
    assert log["version"] == "2.1.0"


def test_sarif_results_sit_on_the_model_lines_relative_to_the_repository_root(
        repo_sarif: tuple[Path, dict[str, Any], Path], clinic: list[dict[str, Any]]) -> None:
    repo, log, _ = repo_sarif
    (run,) = log["runs"]
    results = {r["properties"]["threatId"]: r for r in run["results"]}
    # every untreated threat is a result, also those below the gate's threshold (as warnings and notes)
    assert sorted(results) == sorted(untreated(clinic))
    assert "MT-DESK-EXPORT" in results  # its acceptance expired
    model = repo / "models" / "clinic.yaml"
    lines = model.read_text(encoding="utf-8").splitlines()
    for threat in clinic:
        if threat["id"] not in results:
            continue
        (location,) = results[threat["id"]]["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "models/clinic.yaml"
        written = threat["id"] if threat["origin"] == "manual" else threat["target"]
        assert f"id: {written}" in lines[physical["region"]["startLine"] - 1], threat["id"]
    region = results["TL-T002@portal"]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == line_of(model, "{id: portal,")
    assert results["MT-SLOT-HOARD"]["locations"][0]["physicalLocation"]["region"]["startLine"] == \
        line_of(model, "- id: MT-SLOT-HOARD")


def test_sarif_carries_what_github_code_scanning_needs(repo_sarif: tuple[Path, dict[str, Any], Path],
                                                       clinic: list[dict[str, Any]]) -> None:
    _, log, _ = repo_sarif
    (run,) = log["runs"]
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
    levels = {t["id"]: t["residual"]["level"] for t in clinic}
    sarif_level = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
    assert {tid: r["level"] for tid, r in by_threat.items()} == {tid: sarif_level[levels[tid]] for tid in by_threat}
    injection = by_threat["TL-T002@portal"]
    assert injection["ruleId"] == "TL-T002"
    text = injection["message"]["text"]
    # the explanation: where the rule starts (base 3 × 4 in tampering.yaml), once, what moved it, the 1-5 cap
    assert "Why: likelihood 3 (" in text and "; impact 4 (" in text
    assert "starts at likelihood" not in text
    assert "control 'waf' (C-WAF, high effectiveness)" in text
    # the 1-5 scale swallowing a point is part of the explanation itself now
    assert "-1 the scale stops at 5: 6 is kept at 5" in text
    sql = next(r for r in rules if r["id"] == "TL-T002")
    assert "external/cwe/cwe-89" in sql["properties"]["tags"]
    assert sql["properties"]["security-severity"] == SEVERITY[levels["TL-T002@portal"]]
    # decision problems reach the log as tool notifications, located at the decision
    notices = run["invocations"][0]["toolExecutionNotifications"]
    assert sorted(n["descriptor"]["id"] for n in notices) == ["invalid-decision", "unmatched-decision"]


def test_sarif_is_byte_identical_on_a_second_run(repo_sarif: tuple[Path, dict[str, Any], Path]) -> None:
    repo, _, out = repo_sarif
    again = repo / "ci" / "again.sarif"
    run_cli("check", "../models/clinic.yaml", "--fail-on", "high", "--format", "sarif", "-o", str(again),
            cwd=repo / "ci")
    assert again.read_bytes() == out.read_bytes()


def test_sarif_outside_git_is_relative_to_the_current_folder(tmp_path: Path,
                                                             hardened: list[dict[str, Any]]) -> None:
    (tmp_path / "threats").mkdir()
    model = tmp_path / "threats" / "clinic.yaml"
    model.write_text(HARDENED.read_text(encoding="utf-8"), encoding="utf-8")
    result = run_cli("check", "threats/clinic.yaml", "--format", "sarif", cwd=tmp_path)
    assert result.returncode == 0  # nothing untreated above the appetite
    log = json.loads(result.stdout)
    assert not list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log))
    results = log["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == \
        {"threats/clinic.yaml"}
    assert len(results) == len(untreated(hardened))  # within the appetite: warnings and notes only
    assert {r["level"] for r in results} <= {"warning", "note"}


def test_an_invalid_model_is_bad_input_not_a_failed_check(tmp_path: Path) -> None:
    broken = tmp_path / "clinic.yaml"
    broken.write_text(CLINIC.read_text(encoding="utf-8").replace("risk_appetite: medium", "risk_appetite: mild"),
                      encoding="utf-8")
    result = run_cli("check", str(broken), "--fail-on", "high", "--format", "sarif", "-o", str(tmp_path / "x.sarif"))
    assert result.returncode == 2
    assert f"{broken}:{line_of(broken, 'risk_appetite: mild')}:" in result.stderr
    assert not (tmp_path / "x.sarif").exists()
