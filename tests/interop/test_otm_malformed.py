"""OTM files that break the format end in located errors (exit 2 through the CLI), never a traceback;
odd but valid files (flows to zones, nesting, unusual states) import with notes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.interop.conftest import OTM
from threatloom.engine import analyse
from threatloom.errors import InputError
from threatloom.interop import import_file
from threatloom.interop.interface import ImportResult
from threatloom.model.loading import load_model_text
from threatloom.model.schema import Model

FIXTURES = Path(__file__).parent / "fixtures" / "otm"

# fixture, line, column, words of the message
MALFORMED = [
    ("missing-version.json", 1, 1, "missing `otmVersion`"),
    ("wrong-type.yaml", 8, 20, "trustZones[0].risk.trustRating: expected a number, found text"),
    ("unknown-flow-end.yaml", 11, 66, "dataflows[1].destination: unknown component 'redis-cache'"),
    ("components-not-a-list.json", 5, 17, "components: expected a list (array), found a mapping (object)"),
    ("unknown-threat.yaml", 12, 18, "components[0].threats[0].threat: unknown threat 'sqli'"),
]


@pytest.mark.parametrize(("name", "line", "column", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_files_are_located_errors(name: str, line: int, column: int, message: str) -> None:
    path = FIXTURES / name
    with pytest.raises(InputError) as caught:
        import_file(path, "otm")
    [problem] = caught.value.problems
    assert (problem.location.file, problem.location.line, problem.location.column) == (str(path), line, column)
    assert message in problem.message


@pytest.mark.parametrize("name", ["missing-version.json", "unknown-flow-end.yaml"])
def test_malformed_files_exit_2_through_the_cli(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    done = run_cli("import", str(FIXTURES / name), "--from", "otm", "-o", str(out))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert f"{name}:" in done.stderr + done.stdout
    assert not out.exists()


def _broken(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        import_file(path, "otm")
    return caught.value


HEAD = "otmVersion: 0.2.0\nproject: {name: P, id: p}\ntrustZones:\n  - {id: z, name: Z, risk: {trustRating: 50}}\n"


@pytest.mark.parametrize(("body", "message"), [
    ("components:\n  - {id: a, name: A, type: 7, parent: {trustZone: z}}\n", "components[0].type: expected text"),
    ("components:\n  - {id: a, name: A, type: x}\n", "missing `parent`"),
    ("components:\n  - {id: a, name: A, type: x, parent: {trustZone: nowhere}}\n", "unknown trust zone 'nowhere'"),
    ("components:\n  - {id: a, name: A, type: x, parent: {component: a}}\n", "nested inside itself"),
    ("components:\n  - {id: a, name: A, type: x, parent: {trustZone: z}, assets: {stored: [gold]}}\n",
     "unknown asset 'gold'"),
    ("components:\n  - {id: a, name: A, type: x, parent: {trustZone: z}, tags: [1]}\n", "tags[0]: expected text"),
    ("components:\n  - {id: a, name: A, type: x, parent: {trustZone: z}, threats: [{threat: t, state: exposed, "
     "mitigations: [{mitigation: m, state: implemented}]}]}\n"
     "threats:\n  - {id: t, name: T, risk: {likelihood: 1, impact: 1}}\n", "unknown mitigation 'm'"),
    ("threats:\n  - {id: t, name: T, risk: {likelihood: high, impact: 1}}\n", "risk.likelihood: expected a number"),
    ("mitigations:\n  - {id: m, name: M}\n", "missing `riskReduction`"),
    ("assets:\n  - {id: a, name: A, risk: {confidentiality: 1, integrity: 1}}\n", "missing `availability`"),
    ("dataflows:\n  - {id: f, name: F, source: z, destination: z, bidirectional: yes-please}\n",
     "bidirectional: expected true or false"),
])
def test_wrong_shapes_are_located(tmp_path: Path, body: str, message: str) -> None:
    error = _broken(tmp_path, HEAD + body)
    assert any(message in p.message for p in error.problems), error.problems
    assert all(p.location.line > 0 for p in error.problems)


def test_any_field_of_the_example_with_a_wrong_type_is_an_input_error(tmp_path: Path) -> None:
    sample = json.loads((OTM / "EXAMPLE.json").read_text())
    path = tmp_path / "mutated.json"
    tried = 0
    sections = ("representations", "assets", "components", "dataflows", "trustZones", "threats", "mitigations")
    for section, first in [("project", sample["project"]), *((name, sample[name][0]) for name in sections)]:
        for key in first:
            for wrong in ({}, [7], 7):
                mutated = copy.deepcopy(sample)
                target = mutated[section] if section == "project" else mutated[section][0]
                target[key] = wrong
                path.write_text(json.dumps(mutated))
                tried += 1
                try:
                    import_file(path, "otm")
                except InputError as exc:
                    assert all(p.code != "import-bug" for p in exc.problems), (section, key, wrong, exc)
    assert tried > 150


def test_not_an_object_at_all(tmp_path: Path) -> None:
    error = _broken(tmp_path, "- just\n- a list\n")
    assert "expected a mapping" in error.problems[0].message


# -- edge cases that import ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def edge() -> tuple[ImportResult, Model]:
    result = import_file(FIXTURES / "edge-cases.yaml", "otm")
    return result, load_model_text(result.text, "<edge>")


def test_flow_to_a_trust_zone_gets_a_stand_in(edge: tuple[ImportResult, Model]) -> None:
    result, model = edge
    stand_in = model.index.components["internet-zone"]
    assert (stand_in.name, stand_in.type.value, stand_in.zone) == ("Internet (trust zone)", "external-entity",
                                                                   "internet")
    assert model.index.flows["api-out"].destination == "internet-zone"
    assert any("ends at trust zone 'Internet'" in n.text for n in model.notes if n.about == "internet-zone")
    # the flow from the API to itself cannot be a model flow: kept as a note
    assert "loop" not in model.index.flows
    assert any("goes from api to itself" in n for n in result.report.noted["dataflow"])


def test_nesting_and_old_parent_form(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    components = model.index.components
    assert (components["api"].zone, components["api"].kind.value) == ("cloud", "service")  # inside the cluster
    assert components["cluster"].kind.value == "container-platform"  # CD-V2-AWS-EKS-CLUSTER
    assert (components["mobile"].zone, components["mobile"].kind.value) == ("internet", "mobile-app")
    assert components["bucket"].kind.value == "object-storage"
    assert any(n.about == "api" and "nested inside cluster" in n.text for n in model.notes)
    assert any(n.about == "api" and n.text == 'vendorExtension: {"team": "payments"}' for n in model.notes)
    assert any(n.about == "cloud" and n.text == "provider: aws" for n in model.notes)
    # YAML reads the date as a date; the note keeps it as written
    assert any(n.about == "token-theft-api" and n.text == "expirationDate: 2021-05-17" for n in model.notes)


def test_states_become_decisions(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    decisions = {d.threat: (d.treatment.value, d.status.value if d.status else None) for d in model.decisions}
    assert decisions == {
        "token-theft-api": ("reduce", "mitigated"),
        "token-theft-bucket": ("accept", "false-positive"),
        "no-category": ("reduce", "in-progress"),
        "auth-bypass-api": ("accept", "accepted"),
        "auth-bypass-bucket": ("reduce", "open"),  # state `wondering`: unknown, noted
    }
    assert all(d.justification for d in model.decisions)
    assert any(n.about == "auth-bypass-bucket" and "'wondering'" in n.text for n in model.notes)


def test_mitigation_states(edge: tuple[ImportResult, Model]) -> None:
    result, model = edge
    controls = {c.id: (c.status.value, c.effectiveness.value) for c in model.controls}
    assert controls == {"short-tokens": ("implemented", "high"), "pinning": ("planned", "low")}
    threats = model.index.manual_threats
    assert threats["token-theft-api"].mitigations == ("short-tokens", "pinning")
    assert threats["token-theft-bucket"].mitigations == ()  # rejected there
    assert any("is rejected for this threat" in n.text for n in model.notes if n.about == "token-theft-bucket")
    assert any("Spare mitigation" in n for n in result.report.noted["mitigation"])


def test_threat_fields_from_categories_tags_and_text(edge: tuple[ImportResult, Model]) -> None:
    result, model = edge
    threats = model.index.manual_threats
    theft = threats["token-theft-api"]
    assert (theft.category.value, theft.likelihood, theft.impact_rating) == ("spoofing", 4, 3)
    assert (theft.cwe, theft.capec, theft.attack) == ((613,), (593,), ("T1528",))
    assert threats["auth-bypass-api"].category.value == "spoofing"  # IriusRisk's `Authentication`
    replay = threats["no-category"]
    assert (replay.category.value, replay.likelihood, replay.impact_rating) == ("tampering", None, 2)
    assert any("chose tampering" in n.text for n in model.notes if n.about == "no-category")
    assert any("Never placed" in n for n in result.report.noted["threat"])
    assert result.report.mapped["threat"] == 3 and result.report.mapped["threat instance"] == 4
    assert len(result.report.noted["threat instance"]) == 1


def test_edge_model_analyses(edge: tuple[ImportResult, Model]) -> None:
    _, model = edge
    analysis = analyse(model)
    assert {t.id for t in analysis.threats if t.origin == "manual"} == set(model.index.manual_threats)
    assert analysis.by_id["token-theft-bucket"].status.value == "false-positive"
    assert any(t.origin == "rule" for t in analysis.threats)
