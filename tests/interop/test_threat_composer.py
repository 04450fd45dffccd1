"""threat-composer import: the public ThreatComposer example workspace and small fixtures of our own.

Counts and names below were read from ThreatComposer.tc.json by hand (20 threats numbered 1-9 and
12-22, all `threatResolved`; 18 mitigations numbered 1, 2 and 4-19, all `mitigationResolved`; 5
assumptions; 36 mitigation links of which 4 point to threats not in the file; 21 assumption links of
which 10 have an end that is not in the file; two embedded PNG pictures).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.interop.conftest import THREAT_COMPOSER, imported
from threatloom.engine import analyse
from threatloom.errors import InputError
from threatloom.interop import import_file
from threatloom.interop.draft import ModelDraft
from threatloom.interop.interface import ImportReport, ImportResult
from threatloom.interop.reading import ForeignDocument, read_foreign
from threatloom.interop.threat_composer import importer
from threatloom.model.schema import Model

SAMPLE = THREAT_COMPOSER / "ThreatComposer.tc.json"
FIXTURES = Path(__file__).parent / "fixtures" / "threat-composer"
THREAT_NUMBERS = [*range(1, 10), *range(12, 23)]
MITIGATION_NUMBERS = [1, 2, *range(4, 20)]


def _imported(path: Path) -> tuple[ImportResult, Model]:
    return imported(path, "threat-composer")


@pytest.fixture(scope="module")
def sample() -> tuple[ImportResult, Model]:
    return _imported(SAMPLE)


@pytest.fixture(scope="module")
def edge() -> tuple[ImportResult, Model]:
    return _imported(FIXTURES / "edge-cases.tc.json")


def test_the_sample_is_recognised_and_other_json_is_not() -> None:
    assert importer.sniff(read_foreign(SAMPLE))
    assert not importer.sniff(read_foreign(THREAT_COMPOSER / "threat-composer-v1.schema.json"))


def test_every_threat_keeps_its_number_grammar_and_priority(sample: tuple[ImportResult, Model]) -> None:
    result, model = sample
    threats = {t.id: t for t in model.threats}
    assert sorted(threats, key=lambda i: int(i[2:])) == [f"T-{n}" for n in THREAT_NUMBERS]
    assert result.report.mapped["threat"] == 20
    t22 = threats["T-22"]
    assert t22.source == "A threat actor"
    assert t22.prerequisites.startswith("that is able to trick a user into installing a malicous userscript")
    assert t22.action == "read the contents of local browser storage"
    assert t22.impact == "the exfiltration of the contents of browser storage to an endpoint controlled by the actor"
    assert [g.value for g in t22.goals] == ["confidentiality"]
    assert t22.assets == ("application-metadata", "assumptions", "mitigations", "threats")
    assert t22.category.value == "information-disclosure"
    assert (t22.likelihood, t22.impact_rating) == (3, 3)  # Priority Medium
    # Priority High (T-4) and Low (T-1) land on either side of Medium
    assert (threats["T-4"].likelihood, threats["T-4"].impact_rating) == (4, 4)
    assert (threats["T-1"].likelihood, threats["T-1"].impact_rating) == (2, 2)
    # every threat concerns the one component standing for the application
    assert {t.elements for t in model.threats} == {("threat-composer-application",)}


def test_missing_impact_is_built_from_goals_and_assets(sample: tuple[ImportResult, Model]) -> None:
    _, model = sample
    threats = {t.id: t for t in model.threats}
    # T-17 has no threatImpact; its goal is availability and its asset "threat composer"
    assert threats["T-17"].impact == "reduced availability of threat composer"
    # T-13's impact starts "to them finding…": the grammar's "which leads to" is not doubled
    assert threats["T-13"].impact.startswith("them finding and demonstrating an XSS vulnerability")


def test_several_stride_letters_take_the_first_and_note_the_rest(sample: tuple[ImportResult, Model]) -> None:
    _, model = sample
    threats = {t.id: t for t in model.threats}
    assert threats["T-1"].category.value == "tampering"  # STRIDE [T, I]
    assert threats["T-14"].category.value == "information-disclosure"  # STRIDE [I, T]
    note = next(n.text for n in model.notes if n.about == "T-1" and "threat-composer threat T-1" in n.text)
    assert "also files it under information-disclosure" in note
    assert "fb2ff978-1311-4061-a299-0a7f3421e037" in note  # the tool's ID stays traceable


def test_goal_that_is_not_a_security_property_is_noted(sample: tuple[ImportResult, Model]) -> None:
    _, model = sample
    t8 = next(t for t in model.threats if t.id == "T-8")
    assert t8.goals == ()  # impactedGoal ["economy"]
    assert any(n.about == "T-8" and "Impacted goal 'economy'" in n.text for n in model.notes)


def test_resolved_threats_are_mitigated_by_their_linked_mitigations(sample: tuple[ImportResult, Model]) -> None:
    result, model = sample
    decisions = {d.threat: d for d in model.decisions}
    assert sorted(decisions, key=lambda i: int(i[2:])) == [f"T-{n}" for n in THREAT_NUMBERS]
    assert {(d.treatment.value, d.status.value if d.status else None) for d in decisions.values()} == \
        {("reduce", "mitigated")}
    threats = {t.id: t for t in model.threats}
    # mitigationLinks: T-4 <- M-1 (S3 Block Public Access), M-2 (CloudFront OAI/OAC), M-18 (S3 access logging)
    assert threats["T-4"].mitigations == ("s3-block-public-access", "cloudfront-oai-oac", "amazon-s3-access-logging")
    assert decisions["T-4"].justification == "Resolved in threat-composer by mitigations M-1, M-2, M-18."
    assert threats["T-22"].mitigations == ()
    assert result.report.mapped["mitigation link"] == 32
    assert len(result.report.noted["mitigation link"]) == 4


def test_mitigations_become_implemented_controls(sample: tuple[ImportResult, Model]) -> None:
    result, model = sample
    controls = {c.id: c for c in model.controls}
    assert len(controls) == 18 == result.report.mapped["mitigation"]
    assert {c.status.value for c in controls.values()} == {"implemented"}
    numbers = sorted(int(c.description.split("mitigation M-")[1].split(" ")[0]) for c in controls.values())
    assert numbers == MITIGATION_NUMBERS
    assert controls["schema-validation-on-data-import"].name == "Schema validation on data import"
    assert "Import and data validation" in controls["schema-validation-on-data-import"].description


def test_assumptions_keep_their_numbers_and_links(sample: tuple[ImportResult, Model]) -> None:
    result, model = sample
    assumptions = model.system.scope.assumptions
    assert [a.split(":")[0] for a in assumptions] == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert assumptions[0].startswith("A-1: TLS 1.2 is an adequate mitigation")
    assert "(Linked to threat T-1.)" in assumptions[0]
    # A-3 "We cannot protect against threats on the client endpoint" is linked to four threats
    assert "(Linked to threats T-2, T-17, T-18, T-22.)" in assumptions[2]
    assert result.report.mapped["assumption link"] == 11
    assert len(result.report.noted["assumption link"]) == 10


def test_descriptions_are_kept_and_pictures_left_out(sample: tuple[ImportResult, Model]) -> None:
    result, model = sample
    assert model.system.name == "Threat composer"
    assert model.system.description.startswith("**Motivation for externalizing this threat model:**")
    texts = [n.text for n in model.notes]
    assert any(t.startswith("Architecture (threat-composer):") and "CloudFront distribution" in t for t in texts)
    assert any(t.startswith("Dataflow (threat-composer):") and "A1 - User device browser" in t for t in texts)
    assert len(result.report.skipped["image"]) == 2
    assert "base64" not in result.text and "iVBORw0KGgo" not in result.text


def test_impacted_assets_are_rated_from_their_threats(sample: tuple[ImportResult, Model]) -> None:
    _, model = sample
    assets = {a.id: a for a in model.assets}
    assert sorted(a.name for a in assets.values()) == [
        "application configuration", "application metadata", "assumptions", "code running in the user's browser",
        "mitigations", "threat composer", "threats"]
    # "threats" loses confidentiality in 9 threats, two of them High priority (T-4, T-12)
    assert (assets["threats"].classification.value, assets["threats"].confidentiality.value) == \
        ("confidential", "high")
    # the asset named like the application is the software itself; the component then says "application"
    assert assets["threat-composer"].kind.value == "software"
    assert [c.id for c in model.components] == ["threat-composer-application"]


def test_analysis_keeps_the_decisions_and_says_which_do_not_count(sample: tuple[ImportResult, Model]) -> None:
    _, model = sample
    analysis = analyse(model)
    manual = {t.id: t for t in analysis.threats if t.origin == "manual"}
    assert len(manual) == 20
    assert manual["T-12"].status.value == "mitigated"
    # T-9 (High) has one implemented mitigation of medium strength: still high, so "mitigated" cannot count
    assert manual["T-9"].residual.level.value == "high"
    assert manual["T-9"].status.value == "in-progress"
    # no diagram, no flows, no internet: threatloom's rules find nothing to add on this workspace
    assert [t.id for t in analysis.threats if t.origin == "rule"] == []


def test_edge_cases_category_inference_and_states(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    threats = {t.id: t for t in model.threats}
    assert threats["T-1"].category.value == "denial-of-service"  # from its only goal, availability
    assert threats["T-2"].category.value == "elevation-of-privilege"  # first of "Elevation of privilege", "I"
    assert threats["T-4"].category.value == "information-disclosure"  # from the word "sniff"
    assert threats["T-3"].category.value == "tampering"  # placeholder, said so in its note
    notes = {n.about: n.text for n in model.notes if n.about in threats}
    assert "inferred by threatloom from the impacted goal (availability)" in notes["T-1"]
    assert "inferred by threatloom from the words 'sniff'" in notes["T-4"]
    assert "as a placeholder: set the right category" in notes["T-3"]
    assert threats["T-2"].action == "read private recipes"  # the leading "can" is the grammar's
    assert threats["T-4"].impact == "account takeover"
    decisions = {d.threat: d for d in model.decisions}
    assert sorted(decisions) == ["T-2", "T-3"]  # T-1 is threatIdentified, T-4 has no status
    assert decisions["T-3"].status.value == "false-positive"
    assert "nobody can post without an invitation" in decisions["T-3"].justification
    assert "severity (not in threat-composer's format)" in notes["T-4"] and "custom:jira: RB-12" in notes["T-4"]


def test_edge_cases_mitigation_statuses(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    status = {c.name: c.status.value for c in model.controls}
    assert status == {"Rate limiting on the API": "partial", "Signed share links that expire": "planned",
                      "Manual moderation of every recipe": "planned", "TLS everywhere": "planned"}
    assert any(n.about == "manual-moderation-of-every-recipe" and "will not action" in n.text for n in model.notes)
    assert {t.id: t.mitigations for t in model.threats}["T-2"] == ("signed-share-links-that-expire",
                                                                   "tls-everywhere")
    assert model.system.scope.assumptions == (
        "A-1: Friends are invited by email only (Linked to threat T-2 and mitigation M-2.) Tags: access. "
        "custom:owner: product team",)


def test_edge_cases_internet_source_lets_rules_fire(edge: tuple[ImportResult, Model]) -> None:
    result, model = edge
    assert model.components[0].internet_facing  # T-1's source is "internet-based threat actor"
    assert any(n.text.startswith("threat-composer brainstorm, threatSources:\n- bored teenager") for n in model.notes)
    assert result.report.noted["unknown content"] == ["exportedBy"]
    analysis = analyse(model)
    assert sorted(t.id for t in analysis.threats if t.origin == "manual") == ["T-1", "T-2", "T-3", "T-4"]
    assert [t for t in analysis.threats if t.origin == "rule"], "an internet-facing application gets rule threats"


def test_cli_imports_with_and_without_from_then_validates_and_analyses(tmp_path: Path) -> None:
    detected, named = tmp_path / "detected.yaml", tmp_path / "named.yaml"
    done = run_cli("import", str(SAMPLE), "-o", str(detected))
    assert done.returncode == 0, done.stderr
    assert "import from threat-composer" in done.stdout
    assert run_cli("import", str(SAMPLE), "--from", "threat-composer", "-o", str(named)).returncode == 0
    assert named.read_text() == detected.read_text()
    assert run_cli("validate", str(detected)).returncode == 0
    analysed = run_cli("analyze", str(detected), "-o", str(tmp_path / "out"))
    assert analysed.returncode == 0, analysed.stderr
    threats = json.loads((tmp_path / "out" / "threats.json").read_text())["threats"]
    assert sorted(t["id"] for t in threats if t["origin"] == "manual") == sorted(f"T-{n}" for n in THREAT_NUMBERS)


@pytest.mark.parametrize(("name", "where", "says"), [
    ("wrong-numeric-id.tc.json", ":6:31:", "threats[1].numericId: expected a number, found text"),
    ("mitigations-not-a-list.tc.json", ":4:18:", "mitigations: expected a list (array), found a mapping"),
    ("metadata-value-number.tc.json", ":9:49:", "threats[0].metadata[0].value: expected text, found a whole number"),
    ("newer-schema.tc.json", ":1:12:", "schema version 2; threatloom reads version 1"),
])
def test_malformed_files_are_located_errors(name: str, where: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        import_file(FIXTURES / name, "threat-composer")
    assert says in str(caught.value)
    assert f"{name}{where}" in str(caught.value)


def test_empty_texts_still_make_a_valid_model(tmp_path: Path) -> None:
    path = tmp_path / "empty.tc.json"
    path.write_text(json.dumps({"schema": 1, "mitigations": [{"id": "m1", "numericId": 3, "content": ""}],
                                "assumptions": [{"id": "a1", "numericId": 1, "content": " "}],
                                "threats": [{"id": "t1", "numericId": 1}],
                                "mitigationLinks": [{"mitigationId": "m1", "linkedId": "t1"}]}))
    _, model = _imported(path)  # the import validates the model it writes
    assert [(c.id, c.name) for c in model.controls] == [("mitigation-m-3", "Mitigation M-3")]
    assert model.system.scope.assumptions == ("A-1: (threat-composer gives this assumption no text)",)
    threat = model.threats[0]
    assert (threat.id, threat.source, threat.mitigations) == ("T-1", "An unnamed threat source", ("mitigation-m-3",))
    assert threat.impact == "consequences the threat-composer file does not state"


def test_a_number_javascript_cannot_count_to_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.tc.json"
    path.write_text('{"schema": 1, "threats": [{"id": "t1", "numericId": 1e308, "threatAction": "x"}]}')
    with pytest.raises(InputError, match=r"huge.tc.json:1:\d+: error: threats\[0\].numericId: expected a whole "
                                         r"number from 0 to 9,007,199,254,740,991, found 1e\+308"):
        import_file(path, "threat-composer")


def test_cli_malformed_file_exits_2_without_traceback(tmp_path: Path) -> None:
    done = run_cli("import", str(FIXTURES / "wrong-numeric-id.tc.json"), "-o", str(tmp_path / "m.yaml"))
    assert done.returncode == 2
    assert "wrong-numeric-id.tc.json:6:31" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "m.yaml").exists()


def _paths(value: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


def test_any_value_of_the_wrong_type_is_an_input_error_never_a_crash() -> None:
    path = FIXTURES / "edge-cases.tc.json"
    original = json.loads(path.read_text())
    checked = 0
    for where in _paths(original):
        for wrong in (7, "x", [], {"key": 1}):
            data = json.loads(path.read_text())
            holder = data
            for key in where[:-1]:
                holder = holder[key]
            holder[where[-1]] = wrong
            document = ForeignDocument(path, "json", data, json.dumps(data, indent=1))
            try:
                importer.read(document, ModelDraft("fuzz", "threat-composer (fuzz)"), ImportReport("threat-composer"))
            except InputError as exc:
                assert exc.problems[0].location.file == str(path)
            checked += 1
    assert checked == 4 * len(_paths(original)) > 400
