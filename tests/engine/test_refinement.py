"""A team's threat that refines generated ones (`refines:`) reports their weakness once, in its words."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.conftest import run_cli
from threatloom.engine import analyse
from threatloom.engine.threat import Analysis
from threatloom.lifecycle.diff import diff_analyses, diff_dict, diff_text
from threatloom.model.loading import load_model_text
from threatloom.render.digest import progress

MODEL = """\
threatloom: 1
system: {name: Shop}
assets: [{id: orders, name: Orders, classification: confidential, confidentiality: high, integrity: high,
          availability: medium}]
zones: [{id: net, name: Internet, trust: 0, internet: true}, {id: z, name: Z, trust: 5}]
environment: [{id: user, name: User, kind: customer, zone: net, trust: 0}]
components:
  - {id: api, name: API, type: process, kind: api, zone: z, internet_facing: true, processes: [orders]}
  - {id: db, name: DB, type: data-store, kind: database, zone: z, stores: [orders]}
flows:
  - {id: call, name: Call, source: user, destination: api, authentication: none, encryption: none, data: [orders]}
  - {id: query, name: Query, source: api, destination: db, authentication: password, encryption: tls,
     data: [orders]}
threats:
  - id: MT-SEARCH-SQLI
    category: tampering
    source: A shopper
    action: put SQL into the search box
    impact: every order read or changed
    elements: [api]
    likelihood: LIKELIHOOD
    impact_rating: 4
    controls: [C-INPUT-VALIDATION]
    capec: [66]
REFINES
DECISIONS
"""


def _text(refines: str = "", decisions: str = "", likelihood: int = 5) -> str:
    # at likelihood 5 the team rates the injection 20, as high as the rule's TL-T002@api
    return MODEL.replace("REFINES", refines).replace("DECISIONS", decisions).replace("LIKELIHOOD", str(likelihood))


def _analyse(refines: str = "", decisions: str = "", likelihood: int = 5) -> Analysis:
    return analyse(load_model_text(_text(refines, decisions, likelihood)))


def test_the_refined_threat_is_reported_once_within_the_teams() -> None:
    plain, refined = _analyse(), _analyse("    refines: [TL-T002@api]")
    generated = plain.by_id["TL-T002@api"]
    assert "TL-T002@api" not in refined.by_id
    assert len(refined.threats) == len(plain.threats) - 1
    team = refined.by_id["MT-SEARCH-SQLI"]
    assert team.refines == ("TL-T002@api",)
    assert refined.refined() == {"TL-T002@api": ("MT-SEARCH-SQLI",)}
    assert generated.residual.score == team.residual.score == 20
    # its own references first, the rule's after, each once; the rule's detection hint joins it, and so
    # do its elements and assets (attack trees and per-asset counts still see the finding)
    assert team.capec == (66, *[c for c in generated.capec if c != 66])
    assert team.elements == ("api",) and team.assets == generated.assets == ("orders",)
    assert team.cwe == generated.cwe and team.attack == generated.attack
    assert team.detection == generated.detection != ""
    # the team's judgement of the risk and its candidate controls do not move
    before = plain.by_id["MT-SEARCH-SQLI"]
    assert (team.inherent, team.residual, team.controls) == (before.inherent, before.residual, before.controls)
    assert refined.unmatched_decisions == ()


def test_a_wildcard_refines_every_threat_it_matches_and_two_teams_threats_may_share_one() -> None:
    second = """  - id: MT-EXFIL
    category: information-disclosure
    source: A shopper
    action: read other people's orders off the wire
    impact: orders disclosed
    elements: [call]
    likelihood: 5
    impact_rating: 5
    refines: ["TL-I00?@call", TL-T002@api]"""
    analysis = _analyse("    refines: [TL-T002@api]\n" + second)
    assert analysis.by_id["MT-EXFIL"].refines == ("TL-I001@call", "TL-I008@call", "TL-T002@api")
    assert analysis.refined()["TL-T002@api"] == ("MT-EXFIL", "MT-SEARCH-SQLI")
    assert not {"TL-I001@call", "TL-I008@call", "TL-T002@api"} & set(analysis.by_id)
    exfil = analysis.by_id["MT-EXFIL"]
    assert exfil.elements == ("call", "api", "user")
    # it is on the internet and reached by whoever reaches what it refines
    assert exfil.exposed and exfil.reachable


def test_a_refinement_that_rates_the_risk_lower_leaves_the_rules_threat_listed_and_decided() -> None:
    decisions = "decisions:\n  - {threat: TL-T002@api, treatment: reduce, owner: Ana}\n"
    analysis = _analyse("    refines: [TL-T002@api]", decisions, likelihood=2)
    assert analysis.by_id["MT-SEARCH-SQLI"].residual.score == 8 and analysis.by_id["MT-SEARCH-SQLI"].refines == ()
    kept = analysis.by_id["TL-T002@api"]
    assert kept.residual.score == 20 and kept.decision is not None and kept.status.value == "in-progress"
    [problem] = analysis.unmatched_decisions
    assert problem.code == "refinement-lowers-risk"
    assert problem.message == ("threat 'MT-SEARCH-SQLI' refines TL-T002@api but rates the residual risk lower "
                               "(medium 8 against critical 20 for TL-T002@api), so it stays listed")
    assert problem.hint.startswith("record the controls that lower it where rule TL-T002 counts them")


def test_a_wide_refinement_rated_lower_warns_once_and_keeps_every_threat_listed() -> None:
    plain, wide = _analyse(likelihood=1), _analyse("    refines: ['TL-*@api']", likelihood=1)
    on_api = sorted(t.id for t in plain.threats if t.target == "api" and t.origin == "rule")
    assert sorted(t.id for t in wide.threats if t.target == "api" and t.origin == "rule") == on_api
    assert len(on_api) > 5
    [problem] = wide.unmatched_decisions
    assert problem.code == "refinement-lowers-risk" and f"and {len(on_api) - 5} more" in problem.message


# Under the OWASP method a level comes from the likelihood and impact bands, not from the score: a team's
# threat can score higher and still sit a level lower than the rule's
OWASP = _text("    refines: [TL-D002@api]\n    mitigations: [team-ctl]",
              "controls: [{id: team-ctl, name: Team control, implements: [], effectiveness: low}]",
              likelihood=3).replace("system: {name: Shop}", "system: {name: Shop}\nrisk: {method: owasp}").replace(
    "confidentiality: high, integrity: high", "confidentiality: low, integrity: low")


def test_under_owasp_a_refinement_a_level_lower_does_not_fold() -> None:
    analysis = analyse(load_model_text(OWASP))
    kept, team = analysis.by_id["TL-D002@api"], analysis.by_id["MT-SEARCH-SQLI"]
    assert team.residual.score > kept.residual.score and team.residual.level.rank < kept.residual.level.rank
    assert team.refines == () and analysis.unmatched_decisions[0].code == "refinement-lowers-risk"


def test_a_teams_threat_marked_a_false_positive_cannot_stand_for_a_finding() -> None:
    decisions = "decisions:\n  - {threat: MT-SEARCH-SQLI, treatment: reduce, status: false-positive, " \
                "justification: the search is not SQL}\n"
    analysis = _analyse("    refines: [TL-T002@api]", decisions)
    assert analysis.by_id["MT-SEARCH-SQLI"].status.value == "false-positive"
    assert "TL-T002@api" in analysis.by_id and analysis.by_id["MT-SEARCH-SQLI"].refines == ()
    assert analysis.unmatched_decisions[0].message.startswith(
        "threat 'MT-SEARCH-SQLI' is marked a false positive, so it cannot stand for what it refines")


def test_a_refinement_never_clears_the_gate(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    for likelihood, refines in ((5, ""), (1, "    refines: ['TL-*@api']")):
        model.write_text(_text(refines, likelihood=likelihood))
        result = run_cli("check", str(model), "--fail-on", "critical")
        assert result.returncode == 1 and "TL-T002@api" in result.stdout, result.stdout


def test_a_refinement_that_matches_nothing_is_reported_where_the_threat_is_written() -> None:
    analysis = _analyse("    refines: [TL-T002@apj, TL-Z9*@*, MT-SEARCH-SQLI, MT-OTHER]")
    problems = {p.message: p for p in analysis.unmatched_decisions}
    typo = problems["threat 'MT-SEARCH-SQLI' refines 'TL-T002@apj', which matches no generated threat"]
    assert typo.code == "unmatched-refinement" and typo.severity == "warning"
    assert typo.hint == "no element or flow 'apj' is in the model; did you mean 'TL-T002@api'?"
    assert (typo.location.line, typo.location.column) == (MODEL.splitlines().index("  - id: MT-SEARCH-SQLI") + 1, 5)
    assert "threat 'MT-SEARCH-SQLI' refines 'TL-Z9*@*', which matches no generated threat" in problems
    itself = problems["threat 'MT-SEARCH-SQLI' refines 'MT-SEARCH-SQLI', which matches no generated threat"]
    assert itself.hint == "only generated threats (RULE@element) are refined; it is a threat of the team"
    other = problems["threat 'MT-SEARCH-SQLI' refines 'MT-OTHER', which matches no generated threat"]
    assert other.hint == "only generated threats (RULE@element) are refined: name the rule and the element"
    assert "TL-T002@api" in analysis.by_id  # nothing refined it


def test_a_decision_left_on_a_refined_threat_points_to_the_teams() -> None:
    decisions = "decisions:\n  - {threat: TL-T002@api, treatment: reduce, owner: Ana}\n" \
                "  - {threat: 'TL-T00?@api', treatment: accept}\n"
    analysis = _analyse("    refines: [TL-T002@api]", decisions)
    assert analysis.by_id["MT-SEARCH-SQLI"].decision is None
    [exact, wildcard] = analysis.unmatched_decisions
    assert exact.code == wildcard.code == "refined-decision"
    assert exact.message == "decision for 'TL-T002@api' matches no threat: MT-SEARCH-SQLI refines what it matched"
    assert exact.hint == "decide on MT-SEARCH-SQLI instead, and remove this decision"
    assert wildcard.message.startswith("decision for 'TL-T00?@api' matches no threat: MT-SEARCH-SQLI")


def test_a_diff_tells_a_refinement_from_a_resolution() -> None:
    before, after = _analyse(), _analyse("    refines: [TL-T002@api]")
    diff = diff_analyses(before, after)
    assert diff.resolved == ()
    assert [(r.before.id, r.by) for r in diff.refined] == [("TL-T002@api", ("MT-SEARCH-SQLI",))]
    assert diff_dict(diff)["refined_threats"][0]["refined_by"] == ["MT-SEARCH-SQLI"]
    text = diff_text(diff)
    assert "  > TL-T002@api" in text and "resolved threats" not in text
    folded = before.by_id["TL-T002@api"].residual.score
    assert f"({-folded:+d}), of which -{folded} is refined threats no longer counted on their own" in text
    since = progress(before, after)
    assert since.gone == () and [t.id for t in since.refined] == ["TL-T002@api"]


def test_the_reports_progress_counts_refined_threats_apart(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(_text())
    new.write_text(_text("    refines: [TL-T002@api]"))
    for model, refined_row in ((old, False), (new, True)):
        out = tmp_path / f"{model.stem}.md"
        result = run_cli("report", str(model), "--previous", str(old), "-o", str(out))
        assert result.returncode == 0, result.stderr
        text = out.read_text()
        row = "| Not resolved: now within a team's threat that refines it | | 1 |"
        assert (row in text) is refined_row
        assert "| Resolved: treated since | | 0 |\n" + (row + "\n" if refined_row else "") + "\n## Scope" in text


def test_analyze_writes_the_refinement_to_both_files(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(_text("    refines: [TL-T002@api]"))
    result = run_cli("analyze", str(model), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    threats = {t["id"]: t for t in json.loads((tmp_path / "out" / "threats.json").read_text())["threats"]}
    assert threats["MT-SEARCH-SQLI"]["refines"] == ["TL-T002@api"]
    assert threats["TL-T001@call"]["refines"] == []
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO((tmp_path / "out" / "threats.csv").read_text()))}
    assert rows["MT-SEARCH-SQLI"]["refines"] == "TL-T002@api" and "TL-T002@api" not in rows


def test_the_sarif_result_and_the_register_name_what_the_teams_threat_refines(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    model = tmp_path / "model.yaml"
    model.write_text(_text("    refines: [TL-T002@api]"))
    sarif = tmp_path / "out.sarif"
    run_cli("check", str(model), "--format", "sarif", "-o", str(sarif))
    results = {r["properties"]["threatId"]: r for r in json.loads(sarif.read_text())["runs"][0]["results"]}
    assert results["MT-SEARCH-SQLI"]["properties"]["refines"] == ["TL-T002@api"]
    assert "refines" not in results["TL-T001@call"]["properties"] and "TL-T002@api" not in results
    register = tmp_path / "register.xlsx"
    assert run_cli("report", str(model), "-o", str(register)).returncode == 0
    sheet = load_workbook(register, read_only=True)["Register"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    by_id = {row[header.index("ID")]: row for row in rows[1:]}
    assert by_id["MT-SEARCH-SQLI"][header.index("Refines")] == "TL-T002@api"
