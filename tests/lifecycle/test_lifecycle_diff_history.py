"""`threatloom diff` (two files, or two revisions with --git) and `threatloom history`, in real git
repositories made in tmp_path, with commit dates fixed so that acceptances judge the same every run.

The change reviewed in the pull request: a patient upload flow over plain HTTP from the internet (new
threats on it, among them clear text and no authentication; its privacy threats accepted at once by the
model's TL-P* wildcard); parameterised queries at the portal (lower risk for the SQL injection there);
a reduce decision that puts TL-I001@lookup in progress; the front desk export threat and its lapsed
acceptance removed. What the diff must report is read from `threatloom analyze` of both versions.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.lifecycle.lab import CLINIC
from tests.lifecycle.workbench import HARDENED, analysed, cli_json, clinic_text, commit, init_repo, write_model

MODEL = "models/clinic.yaml"
UPLOAD = ("  - {id: lookup,", "  - {id: upload, name: Upload referral letter, source: patient, destination: portal, "
          "protocol: HTTP, authentication: none, encryption: none, data: [bookings]}\n  - {id: lookup,")
MFA = "  - {id: mfa-rollout, name: MFA for staff, implements: [C-MFA], status: planned}\n"


def control(cid: str, name: str, catalog: str) -> str:
    return f"  - {{id: {cid}, name: {name}, implements: [{catalog}], effectiveness: high}}\n"


PARAM = ((MFA, MFA + control("param-queries", "Parameterised queries", "C-PARAM-QUERIES")),
         ("controls: [waf]}", "controls: [waf, param-queries]}"))
LOOKUP_DECISION = ("  - threat: MT-GONE\n", "  - threat: TL-I001@lookup\n    treatment: reduce\n    controls: [C-TLS]\n"
                   "    owner: Clinic IT\n    ticket: CLINIC-77\n    due: 2099-01-31\n  - threat: MT-GONE\n")
DESK_THREAT = CLINIC.read_text(encoding="utf-8").split("  - id: MT-DESK-EXPORT\n")[1].split("decisions:\n")[0]
DESK_DECISION = CLINIC.read_text(encoding="utf-8").split("  - threat: MT-DESK-EXPORT\n")[1].split("  - threat:")[0]
NO_DESK = (("  - id: MT-DESK-EXPORT\n" + DESK_THREAT, ""), ("  - threat: MT-DESK-EXPORT\n" + DESK_DECISION, ""))


NEW_TEXT = clinic_text(UPLOAD, *PARAM, LOOKUP_DECISION, *NO_DESK)


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = init_repo(tmp_path_factory.mktemp("diff") / "repo")
    commit(repo, {MODEL: clinic_text()}, "Clinic booking model", "2026-09-01T09:00:00+00:00")
    commit(repo, {MODEL: NEW_TEXT}, "Referral upload; parameterised queries; TLS planned for the desk",
           "2026-09-08T09:00:00+00:00")
    return repo


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both versions as `threatloom analyze` sees them, by threat ID: what the diff must report."""
    folder = tmp_path_factory.mktemp("versions")
    new = write_model(folder / "new" / "clinic.yaml", NEW_TEXT)
    return ({t["id"]: t for t in analysed(CLINIC, folder / "old-out")},
            {t["id"]: t for t in analysed(new, folder / "new-out")})


def _residual(threats: dict[str, Any]) -> int:
    return sum(t["residual"]["score"] for t in threats.values() if t["status"] in ("open", "in-progress"))


def test_git_diff_lists_new_and_resolved_threats_risk_and_decision_changes(
        pull_request: Path, versions: tuple[dict[str, Any], dict[str, Any]]) -> None:
    old, new = versions
    result = run_cli("diff", "--git", "HEAD~1..HEAD", MODEL, "--format", "json", cwd=pull_request)
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    assert diff["old"].startswith("HEAD~1 (") and diff["new"].startswith("HEAD (")
    added = [t["id"] for t in diff["new_threats"]]
    assert sorted(added) == sorted(set(new) - set(old))
    assert all(i.endswith("@upload") for i in added)
    assert {"TL-I001@upload", "TL-T001@upload", "TL-S001@upload"} <= set(added)  # cleartext, unauthenticated
    # privacy threats on the new flow are accepted at once by the model's TL-P* wildcard
    assert {t["id"]: t["status"] for t in diff["new_threats"]} == \
        {i: ("accepted" if i.startswith("TL-P") else "open") for i in added}
    assert [t["id"] for t in diff["resolved_threats"]] == ["MT-DESK-EXPORT"]
    risk = {c["id"]: (c["residual"]["score_from"], c["residual"]["score_to"]) for c in diff["risk_changes"]}
    assert risk == {i: (old[i]["residual"]["score"], new[i]["residual"]["score"]) for i in set(old) & set(new)
                    if old[i]["residual"]["score"] != new[i]["residual"]["score"]}
    assert "TL-T002@portal" in risk and all(b < a for a, b in risk.values())  # queries only lower risk
    assert all(new[i]["target"] == "portal" or "portal" in new[i]["elements"] for i in risk)
    (decided,) = diff["decision_changes"]
    assert decided["id"] == "TL-I001@lookup"
    assert decided["status"] == {"from": "open", "to": "in-progress"}
    assert decided["decision"] == {"from": "no decision",
                                   "to": "reduce; owner Clinic IT; ticket CLINIC-77; due 2099-01-31; controls C-TLS"}
    assert (diff["residual_before"], diff["residual_after"]) == (_residual(old), _residual(new))


def test_git_diff_as_text_and_as_a_pull_request_comment(pull_request: Path) -> None:
    diff = cli_json("diff", "--git", "HEAD~1..HEAD", MODEL, "--format", "json", cwd=pull_request)
    before, after = diff["residual_before"], diff["residual_after"]
    text = run_cli("diff", "--git", "HEAD~1..HEAD", MODEL, cwd=pull_request).stdout
    assert f"residual risk of untreated threats: {before} → {after} ({after - before:+d})" in text
    assert f"new threats ({len(diff['new_threats'])}):\n  + {diff['new_threats'][0]['id']} " in text
    assert "resolved threats (1):\n  - MT-DESK-EXPORT Front desk exports the patient list (was medium)" in text
    change = next(c for c in diff["risk_changes"] if c["id"] == "TL-T002@portal")
    injection, before = change["residual"], change["inherent"]
    assert before["score_from"] == before["score_to"]  # parameterised queries lower the residual risk only
    assert (f"  ~ TL-T002@portal: inherent {before['to']} ({before['score_to']}), residual "
            f"{injection['from']} ({injection['score_from']}) → {injection['to']} ({injection['score_to']})") in text
    assert "decision changes (1):\n  ~ TL-I001@lookup: open → in-progress (reduce; owner Clinic IT" in text
    markdown = run_cli("diff", "--git", "HEAD~1..HEAD", MODEL, "--format", "markdown", cwd=pull_request).stdout
    sections = {part.split("\n", 1)[0]: part for part in markdown.split("#### ")[1:]}
    counts = {"New threats": len(diff["new_threats"]), "Resolved threats": 1,
              "Risk changes": len(diff["risk_changes"]), "Decision changes": 1}
    assert set(sections) == {f"{name} ({n})" for name, n in counts.items()}
    unauthenticated = next(t for t in diff["new_threats"] if t["id"] == "TL-S001@upload")
    assert (f"| `TL-S001@upload` | Unauthenticated access to Booking portal from the internet | "
            f"{unauthenticated['residual']['level']} ({unauthenticated['residual']['score']}) | open |"
            ) in sections[f"New threats ({counts['New threats']})"]
    assert "| `MT-DESK-EXPORT` |" in sections["Resolved threats (1)"]
    assert "| `TL-T002@portal` |" in sections[f"Risk changes ({counts['Risk changes']})"]
    assert "| `TL-I001@lookup` | open → in-progress |" in sections["Decision changes (1)"]
    assert markdown.startswith("### threatloom: Clinic Booking, HEAD\\~1 (")
    # one revision alone compares it with the work tree: unchanged here
    same = run_cli("diff", "--git", "HEAD", MODEL, cwd=pull_request)
    assert same.returncode == 0 and "no change in threats, risk levels or decisions" in same.stdout


def test_diff_of_two_files(tmp_path: Path) -> None:
    diff = cli_json("diff", str(CLINIC), str(HARDENED), "--format", "json")
    old = {t["id"]: t for t in analysed(CLINIC, tmp_path / "old")}
    new = {t["id"]: t for t in analysed(HARDENED, tmp_path / "new")}
    assert (diff["residual_before"], diff["residual_after"]) == (_residual(old), _residual(new))
    assert diff["residual_after"] < diff["residual_before"] / 3
    resolved = {t["id"] for t in diff["resolved_threats"]}
    assert resolved == set(old) - set(new)
    # TLS on both flows makes the clear-text rules stop firing on them
    assert {"TL-I001@book", "TL-T001@book", "TL-I001@lookup", "TL-T001@lookup"} <= resolved
    assert [t["id"] for t in diff["new_threats"]] == sorted(set(new) - set(old), key=list(new).index)
    injection = next(c for c in diff["risk_changes"] if c["id"] == "TL-T002@portal")
    assert injection["residual"]["score_to"] == new["TL-T002@portal"]["residual"]["score"] < \
        injection["residual"]["score_from"]
    assert diff["levels_after"]["critical"] == diff["levels_after"]["high"] == 0
    same = run_cli("diff", str(CLINIC), str(CLINIC))
    assert "no change in threats, risk levels or decisions" in same.stdout


def test_diff_usage_errors(pull_request: Path, tmp_path: Path) -> None:
    both = run_cli("diff", str(CLINIC))
    assert both.returncode == 2 and "give two model files" in both.stderr
    dots = run_cli("diff", "--git", "HEAD~1...HEAD", MODEL, cwd=pull_request)
    assert dots.returncode == 2 and "use two dots" in dots.stderr
    unknown = run_cli("diff", "--git", "nope..HEAD", MODEL, cwd=pull_request)
    assert unknown.returncode == 2 and "unknown revision 'nope'" in unknown.stderr
    option = run_cli("diff", "--git", "--output=x..HEAD", MODEL, cwd=pull_request)
    assert option.returncode == 2 and not (pull_request / "x").exists()
    outside = tmp_path / "clinic.yaml"
    outside.write_text(CLINIC.read_text())
    assert run_cli("diff", "--git", "HEAD~1..HEAD", str(outside)).returncode == 2


# -- history ------------------------------------------------------------------------------------------

LANDINGS = [
    ("Clinic booking model", "2026-09-01T09:00:00+00:00", ()),
    ("Parameterised queries and schema validation at the portal", "2026-09-15T09:00:00+00:00",
     ((MFA, MFA + control("param-queries", "Parameterised queries", "C-PARAM-QUERIES")
       + control("input-checks", "Schema validation", "C-INPUT-VALIDATION")),
      ("controls: [waf]}", "controls: [waf, param-queries, input-checks]}"))),
    ("TLS on the booking and front desk flows", "2026-10-01T09:00:00+00:00",
     (("protocol: HTTP, authentication: none, encryption: none, data: [bookings]}",
       "protocol: HTTPS, authentication: none, encryption: tls, data: [bookings]}"),
      ("protocol: SQL, authentication: password, encryption: none, data: [bookings]}",
       "protocol: SQL, authentication: password, encryption: tls, data: [bookings]}"))),
    ("Rate limits and alerting at the portal", "2026-10-20T09:00:00+00:00",
     ((MFA, MFA + control("rate-limit", "Booking rate limits", "C-RATE-LIMIT")
       + control("alerting", "Alerting", "C-SIEM-MONITORING")),
      ("input-checks]}", "input-checks, rate-limit, alerting]}"))),
]


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository where the clinic's controls land one commit at a time (each builds on the last)."""
    repo = init_repo(tmp_path_factory.mktemp("history") / "repo")
    text = clinic_text()
    for subject, date, replacements in LANDINGS:
        for old, new in replacements:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        commit(repo, {MODEL: text}, subject, date)
    commit(repo, {"README.md": "not the model\n"}, "Docs only", "2026-10-21T09:00:00+00:00")
    return repo


def test_history_shows_residual_risk_falling_as_controls_land(landed: Path) -> None:
    history = cli_json("history", MODEL, "--format", "json", cwd=landed)
    commits = history["commits"]
    assert [c["subject"] for c in commits] == [s for s, _, _ in LANDINGS]  # oldest first; the docs commit is not one
    residual = [c["residual"] for c in commits]
    assert residual[0] == cli_json("check", str(CLINIC), "--format", "json", expect=1)["residual_risk_untreated"]
    assert all(a > b for a, b in itertools.pairwise(residual)), residual
    critical = [c["levels"]["critical"] for c in commits]
    assert critical == sorted(critical, reverse=True) and critical[-1] < critical[0]  # criticals go away
    assert all(c["error"] is None and c["date"].startswith(d[:10]) for c, (_, d, _) in zip(commits, LANDINGS,
                                                                                           strict=True))
    table = run_cli("history", MODEL, cwd=landed).stdout
    for (subject, date, _), value in zip(LANDINGS, residual, strict=True):
        line = next(x for x in table.splitlines() if date[:10] in x)
        assert subject.split()[0] in line and f" {value} " in line
    markdown = run_cli("history", MODEL, "--format", "markdown", cwd=landed).stdout
    assert f"| TLS on the booking and front desk flows | {residual[2]} | {residual[2] - residual[1]} |" in markdown
    limited = cli_json("history", MODEL, "--format", "json", "--limit", "2", cwd=landed)
    assert [c["subject"] for c in limited["commits"]] == [s for s, _, _ in LANDINGS[2:]]


def test_history_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    model = tmp_path / "clinic.yaml"
    model.write_text(CLINIC.read_text())
    result = run_cli("history", str(model))
    assert result.returncode == 2 and "not in a git repository" in result.stderr


def test_history_reads_a_model_that_includes_files_from_elsewhere_in_its_repository(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "mono")
    zones = "threatloom: 1\nzones:\n  - {id: dmz, name: DMZ, trust: 2, internet: true}\n"
    model = ("threatloom: 1\nsystem: {name: Shop}\ninclude: [../../shared/zones.yaml]\n"
             "components:\n  - {id: web, name: Web, type: process, zone: dmz, internet_facing: true}\n")
    commit(repo, {"shared/zones.yaml": zones, "services/shop/model.yaml": model}, "Shop model",
           "2026-11-02T10:00:00+00:00")
    history = cli_json("history", "services/shop/model.yaml", "--format", "json", cwd=repo)
    [only] = history["commits"]
    assert only["error"] is None and only["subject"] == "Shop model"
    # a commit whose include leaves the repository is reported as such, not as a temporary folder
    commit(repo, {"services/shop/model.yaml": model.replace("../../shared/", "../../../")}, "Escape",
           "2026-11-03T10:00:00+00:00")
    escaped = run_cli("diff", "--git", "HEAD~1..HEAD", "services/shop/model.yaml", cwd=repo)
    assert escaped.returncode == 2
    assert "HEAD:services/shop/model.yaml:3:11: error: included file '../../../zones.yaml' is outside the " \
           "repository at HEAD" in escaped.stderr, escaped.stderr
    # outside the repository, the same include is refused
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "model.yaml").write_text(model.replace("../../shared/", "../mono/shared/"))
    result = run_cli("validate", str(tmp_path / "loose" / "model.yaml"))
    assert result.returncode == 2 and "is outside the model's folder" in result.stderr
