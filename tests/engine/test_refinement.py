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
    elements: [api, db]
    likelihood: 4
    impact_rating: 4
    controls: [C-INPUT-VALIDATION]
    capec: [66]
REFINES
DECISIONS
"""


def _analyse(refines: str = "", decisions: str = "") -> Analysis:
    return analyse(load_model_text(MODEL.replace("REFINES", refines).replace("DECISIONS", decisions)))


def test_the_refined_threat_is_reported_once_within_the_teams() -> None:
    plain, refined = _analyse(), _analyse("    refines: [TL-T002@api]")
    generated = plain.by_id["TL-T002@api"]
    assert "TL-T002@api" not in refined.by_id
    assert len(refined.threats) == len(plain.threats) - 1
    team = refined.by_id["MT-SEARCH-SQLI"]
    assert team.refines == ("TL-T002@api",)
    assert refined.refined() == {"TL-T002@api": ("MT-SEARCH-SQLI",)}
    # its own references first, the rule's after, each once; the rule's detection hint joins it
    assert team.capec == (66, *[c for c in generated.capec if c != 66])
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
    refines: ["TL-I00?@call", TL-T002@api]"""
    analysis = _analyse("    refines: [TL-T002@api]\n" + second)
    assert analysis.by_id["MT-EXFIL"].refines == ("TL-I001@call", "TL-I008@call", "TL-T002@api")
    assert analysis.refined()["TL-T002@api"] == ("MT-EXFIL", "MT-SEARCH-SQLI")
    assert not {"TL-I001@call", "TL-I008@call", "TL-T002@api"} & set(analysis.by_id)


def test_a_refinement_that_matches_nothing_is_reported_where_the_threat_is_written() -> None:
    analysis = _analyse("    refines: [TL-T002@apj, TL-Z9*@*]")
    problems = {p.message: p for p in analysis.unmatched_decisions}
    typo = problems["threat 'MT-SEARCH-SQLI' refines 'TL-T002@apj', which matches no generated threat"]
    assert typo.code == "unmatched-refinement" and typo.severity == "warning"
    assert typo.hint == "did you mean 'TL-T002@api'?"
    assert (typo.location.line, typo.location.column) == (MODEL.splitlines().index("  - id: MT-SEARCH-SQLI") + 1, 5)
    assert "threat 'MT-SEARCH-SQLI' refines 'TL-Z9*@*', which matches no generated threat" in problems
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


def test_analyze_writes_the_refinement_to_both_files(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(MODEL.replace("REFINES", "    refines: [TL-T002@api]").replace("DECISIONS", ""))
    result = run_cli("analyze", str(model), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    threats = {t["id"]: t for t in json.loads((tmp_path / "out" / "threats.json").read_text())["threats"]}
    assert threats["MT-SEARCH-SQLI"]["refines"] == ["TL-T002@api"]
    assert threats["TL-T001@call"]["refines"] == []
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO((tmp_path / "out" / "threats.csv").read_text()))}
    assert rows["MT-SEARCH-SQLI"]["refines"] == "TL-T002@api" and "TL-T002@api" not in rows
