"""`threatloom diff` (two files, or two revisions with --git) and `threatloom history`, in real git
repositories made in tmp_path, with commit dates fixed so that acceptances judge the same every run.

The change reviewed in the pull request (worked from the rules): a patient upload flow over plain HTTP
from the internet brings TL-I001@upload, TL-T001@upload and TL-S001@upload (open) and TL-P011@upload
(accepted at once by the model's TL-P* wildcard); parameterised queries (strength 3 on likelihood) at
the portal take TL-T002@portal from 5×4 to 2×4 and TL-E004@portal from 3×4 to 1×4; a reduce decision
puts TL-I001@lookup in progress; the front desk export threat and its lapsed acceptance are removed.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.lifecycle.lab import CLINIC
from tests.lifecycle.workbench import HARDENED, cli_json, clinic_text, commit, init_repo

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


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = init_repo(tmp_path_factory.mktemp("diff") / "repo")
    commit(repo, {MODEL: clinic_text()}, "Clinic booking model", "2026-09-01T09:00:00+00:00")
    commit(repo, {MODEL: clinic_text(UPLOAD, *PARAM, LOOKUP_DECISION, *NO_DESK)},
           "Referral upload; parameterised queries; TLS planned for the desk", "2026-09-08T09:00:00+00:00")
    return repo


def test_git_diff_lists_new_and_resolved_threats_risk_and_decision_changes(pull_request: Path) -> None:
    result = run_cli("diff", "--git", "HEAD~1..HEAD", MODEL, "--format", "json", cwd=pull_request)
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    assert diff["old"].startswith("HEAD~1 (") and diff["new"].startswith("HEAD (")
    assert [t["id"] for t in diff["new_threats"]] == ["TL-I001@upload", "TL-T001@upload", "TL-S001@upload",
                                                      "TL-P011@upload"]
    assert [t["status"] for t in diff["new_threats"]] == ["open", "open", "open", "accepted"]
    assert [t["id"] for t in diff["resolved_threats"]] == ["MT-DESK-EXPORT"]
    risk = {c["id"]: c["residual"] for c in diff["risk_changes"]}
    assert risk == {"TL-T002@portal": {"from": "critical", "to": "medium", "score_from": 20, "score_to": 8},
                    "TL-E004@portal": {"from": "high", "to": "low", "score_from": 12, "score_to": 4}}
    (decided,) = diff["decision_changes"]
    assert decided["id"] == "TL-I001@lookup"
    assert decided["status"] == {"from": "open", "to": "in-progress"}
    assert decided["decision"] == {"from": "no decision",
                                   "to": "reduce; owner Clinic IT; ticket CLINIC-77; due 2099-01-31; controls C-TLS"}
    # 241 before; then +20 +20 +16 for the new open flow threats, -12 and -8 for the queries, -9 for the
    # removed desk threat (the in-progress lookup still counts as untreated)
    assert (diff["residual_before"], diff["residual_after"]) == (241, 241 + 56 - 20 - 9)


def test_git_diff_as_text_and_as_a_pull_request_comment(pull_request: Path) -> None:
    text = run_cli("diff", "--git", "HEAD~1..HEAD", MODEL, cwd=pull_request).stdout
    assert "residual risk of untreated threats: 241 → 268 (+27)" in text
    assert "new threats (4):\n  + TL-I001@upload " in text
    assert "resolved threats (1):\n  - MT-DESK-EXPORT Front desk exports the patient list (was medium)" in text
    assert "  ~ TL-T002@portal: inherent critical (20), residual critical (20) → medium (8)" in text
    assert "decision changes (1):\n  ~ TL-I001@lookup: open → in-progress (reduce; owner Clinic IT" in text
    markdown = run_cli("diff", "--git", "HEAD~1..HEAD", MODEL, "--format", "markdown", cwd=pull_request).stdout
    sections = {part.split("\n", 1)[0]: part for part in markdown.split("#### ")[1:]}
    assert set(sections) == {"New threats (4)", "Resolved threats (1)", "Risk changes (2)", "Decision changes (1)"}
    assert "| `TL-S001@upload` | Unauthenticated access to Booking portal from the internet | high (16) | open |" \
        in sections["New threats (4)"]
    assert "| `MT-DESK-EXPORT` |" in sections["Resolved threats (1)"]
    assert "| `TL-E004@portal` |" in sections["Risk changes (2)"]
    assert "high (12) → low (4)" in sections["Risk changes (2)"]
    assert "| `TL-I001@lookup` | open → in-progress |" in sections["Decision changes (1)"]
    assert markdown.startswith("### threatloom: Clinic Booking, HEAD\\~1 (")
    # one revision alone compares it with the work tree: unchanged here
    same = run_cli("diff", "--git", "HEAD", MODEL, cwd=pull_request)
    assert same.returncode == 0 and "no change in threats, risk levels or decisions" in same.stdout


def test_diff_of_two_files(tmp_path: Path) -> None:
    diff = cli_json("diff", str(CLINIC), str(HARDENED), "--format", "json")
    before = cli_json("check", str(CLINIC), "--format", "json", expect=1)["residual_risk_untreated"]
    after = cli_json("check", str(HARDENED), "--format", "json")["residual_risk_untreated"]
    assert (diff["residual_before"], diff["residual_after"]) == (before, after) == (241, 39)
    # TLS on both flows, encrypted volumes and audit logging make these rules stop firing
    assert {t["id"] for t in diff["resolved_threats"]} == {
        "TL-I001@book", "TL-T001@book", "TL-I001@lookup", "TL-T001@lookup", "TL-I003@db", "TL-R004@db",
        "TL-R002@portal"}
    assert diff["new_threats"] == []
    injection = next(c for c in diff["risk_changes"] if c["id"] == "TL-T002@portal")
    assert injection["residual"] == {"from": "critical", "to": "low", "score_from": 20, "score_to": 4}
    assert diff["levels_after"] == {"critical": 0, "high": 0, "medium": 2, "low": 8}
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
    assert residual[0] == 241  # the clinic as committed (see test_lifecycle_plan_cli)
    assert all(a > b for a, b in itertools.pairwise(residual)), residual
    assert [c["levels"]["critical"] for c in commits] == [4, 3, 1, 1]  # queries, then TLS, take criticals away
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
