"""OTM export: valid against the OTM 0.2 schema, deterministic, complete; and the exact round trip
threatloom → OTM → threatloom on every example model and the shared fixtures."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import EXAMPLES, REPO, run_cli
from tests.interop.conftest import OTM
from threatloom.catalog.loading import Catalog
from threatloom.engine import analyse
from threatloom.engine.threat import Analysis
from threatloom.errors import InputError
from threatloom.interop import export_model, import_file
from threatloom.model import load_model
from threatloom.model.loading import load_model_text
from threatloom.model.schema import Model

SCHEMA = json.loads((OTM / "otm_schema.json").read_text())
TODAY = dt.date(2026, 1, 15)
LAB = REPO / "tests" / "lifecycle" / "fixtures" / "lab.yaml"
MODELS = [
    *sorted(EXAMPLES.glob("*/model.yaml")),
    REPO / "tests" / "render" / "fixtures" / "clinic.yaml",
    REPO / "tests" / "lifecycle" / "fixtures" / "clinic.yaml",
    LAB,
    REPO / "src" / "threatloom" / "model" / "starter.yaml",
]


def _catalog(path: Path) -> Catalog | None:
    if path == LAB:  # the lab cites the test-only catalog's controls
        from tests.lifecycle.lab import lab_catalog

        return lab_catalog()
    return None


def _analysed(path: Path) -> tuple[Model, Analysis]:
    model = load_model(path)
    return model, analyse(model, _catalog(path), today=TODAY)


def _round_trip(path: Path, tmp_path: Path) -> tuple[Model, Analysis, bytes, Model, Analysis]:
    model, analysis = _analysed(path)
    data = export_model(model, analysis, "otm")
    otm = tmp_path / f"{path.parent.name}-{path.stem}.otm.json"
    otm.write_bytes(data)
    text = import_file(otm, "otm").text
    # loaded under the original's name, so that rule files it names resolve as before
    again = load_model_text(text, str(path))
    return model, analysis, data, again, analyse(again, _catalog(path), today=TODAY)


def test_every_example_is_in_the_list() -> None:
    # the examples are written by others as we go: the glob takes whatever is there, none skipped
    assert set(EXAMPLES.glob("*/model.yaml")) <= set(MODELS)
    assert len(MODELS) >= 4


@pytest.mark.parametrize("path", MODELS, ids=lambda p: str(p.relative_to(REPO)))
def test_round_trip_keeps_everything(path: Path, tmp_path: Path) -> None:
    model, analysis, data, again, re_analysed = _round_trip(path, tmp_path)
    document = json.loads(data)
    jsonschema.validate(document, SCHEMA)

    assert {c.id for c in again.components} == {c.id for c in model.components}
    assert {p.id for p in again.environment} == {p.id for p in model.environment}
    assert {f.id for f in again.flows} == {f.id for f in model.flows}
    assert {z.id for z in again.zones} == {z.id for z in model.zones}
    assert {a.id for a in again.assets} == {a.id for a in model.assets}
    # generated threats stay the engine's: only the model's own threats come back as manual threats
    assert [t.id for t in again.threats] == [t.id for t in model.threats]
    assert again.decisions == model.decisions

    def threats(a: Analysis) -> dict[str, tuple[Any, ...]]:
        return {t.id: (t.origin, t.status, t.decision, t.inherent.score, t.residual.score) for t in a.threats}

    assert threats(re_analysed) == threats(analysis)
    # and beyond what the comparison asks: the model itself is the same, field by field
    assert again.model_dump() == model.model_dump()


@pytest.mark.parametrize("path", MODELS, ids=lambda p: str(p.relative_to(REPO)))
def test_export_holds_every_element_and_threat(path: Path) -> None:
    model, analysis = _analysed(path)
    data = export_model(model, analysis, "otm")
    assert data == export_model(model, analyse(model, _catalog(path), today=TODAY), "otm")  # same bytes
    document = json.loads(data)
    zones = {z["id"] for z in document["trustZones"]}
    assert {z.id for z in model.zones} <= zones
    components = {c["id"]: c for c in document["components"]}
    assert set(components) == {c.id for c in model.components} | {p.id for p in model.environment}
    assert all(c["parent"]["trustZone"] in zones for c in components.values())
    assert {f["id"] for f in document["dataflows"]} == {f.id for f in model.flows}
    assert {a["id"] for a in document["assets"]} == {a.id for a in model.assets}
    threats = {t["id"]: t for t in document["threats"]}
    assert set(threats) == {t.id for t in analysis.threats}
    mitigations = {m["id"] for m in document["mitigations"]}
    placed: dict[str, int] = {}
    for holder in [*document["components"], *document["dataflows"]]:
        for instance in holder.get("threats", []):
            placed[instance["threat"]] = placed.get(instance["threat"], 0) + 1
            assert {m["mitigation"] for m in instance["mitigations"]} <= mitigations
    assert set(placed) == set(threats)  # every threat sits on at least one element
    for threat in analysis.threats:
        exported = threats[threat.id]
        carried = exported["attributes"]["threatloom"]
        assert carried["origin"] == threat.origin and carried["status"] == threat.status.value
        if threat.origin == "rule":
            assert carried["rule"] == threat.rule_id
        if threat.decision is not None:
            assert (carried["decision"]["pattern"], carried["decision"]["status"]) == \
                (threat.decision.pattern, threat.decision.status.value)
        assert exported["risk"]["likelihood"] == (threat.inherent.likelihood - 1) * 25
        assert exported["risk"]["impact"] == (threat.inherent.impact - 1) * 25
        assert exported.get("cwes", []) == [f"CWE-{n}" for n in threat.cwe]
        assert [f"CAPEC-{n}" for n in threat.capec] == [t for t in exported.get("tags", []) if t.startswith("CAPEC-")]


def test_import_of_an_export_reports_what_the_engine_regenerates(tmp_path: Path) -> None:
    path = REPO / "tests" / "lifecycle" / "fixtures" / "clinic.yaml"
    model, analysis = _analysed(path)
    otm = tmp_path / "clinic.otm.json"
    otm.write_bytes(export_model(model, analysis, "otm"))
    report = import_file(otm, "otm").report
    rule_threats = [t for t in analysis.threats if t.origin == "rule"]
    assert len(report.skipped["threat"]) == len(rule_threats) == len(analysis.threats) - 2
    assert all("threatloom regenerates it" in s for s in report.skipped["threat"])
    assert report.mapped["threat"] == 2 and report.mapped["decision"] == len(model.decisions) == 6
    assert report.mapped["actor"] == 2 and report.mapped["component"] == 4  # three components and a party
    assert not report.noted  # nothing of threatloom's own file needs a note


def test_export_scales_and_states_on_the_starter() -> None:
    path = REPO / "src" / "threatloom" / "model" / "starter.yaml"
    model, analysis = _analysed(path)
    document = json.loads(export_model(model, analysis, "otm"))
    zones = {z["id"]: z for z in document["trustZones"]}
    assert zones["internet"]["risk"]["trustRating"] == 0 and zones["internet"]["type"] == "internet"
    assert zones["cloud"]["risk"]["trustRating"] == 60
    asset = document["assets"][0]
    assert asset["id"] == "customer-records"
    assert asset["risk"] == {"confidentiality": 75, "integrity": 50, "availability": 50}  # high, medium, medium
    assert asset["attributes"]["threatloom"] == {"classification": "confidential", "personal_data": True,
                                                 "owner": "Jane Doe"}
    components = {c["id"]: c for c in document["components"]}
    assert components["web"]["type"] == "web-application"
    assert components["customers"]["type"] == "user"  # the environment's party
    assert components["customers"]["attributes"]["threatloom"]["element"] == "party"
    flow = next(f for f in document["dataflows"] if f["id"] == "browse")
    assert flow["attributes"]["threatloom"] == {"protocol": "HTTPS", "port": 443, "authentication": "session",
                                                "authorization": "owner-check", "encryption": "tls"}
    waf = next(m for m in document["mitigations"] if m["id"] == "waf")
    assert waf["riskReduction"] == 50 and waf["attributes"]["threatloom"]["control"]["implements"] == ["C-WAF"]
    # the model's control counts against the threats it reduces, as implemented
    states = {(i["threat"], m["mitigation"]): m["state"] for c in document["components"]
              for i in c.get("threats", []) for m in i["mitigations"]}
    assert any(k[1] == "waf" and v == "implemented" for k, v in states.items())
    assert any(k[1] == "C-WAF" and v == "implemented" for k, v in states.items())


def test_elements_without_a_zone_get_a_stand_in_zone_that_import_drops(tmp_path: Path) -> None:
    text = """threatloom: 1
system: {name: Zoneless}
components:
  - {id: app, name: App, type: process, kind: service}
  - {id: db, name: DB, type: data-store, kind: database}
flows:
  - {id: q, name: Queries, source: app, destination: db}
"""
    model = load_model_text(text, "zoneless.yaml")
    document = json.loads(export_model(model, analyse(model, today=TODAY), "otm"))
    jsonschema.validate(document, SCHEMA)
    assert [z["id"] for z in document["trustZones"]] == ["threatloom-no-zone"]
    otm = tmp_path / "zoneless.otm.json"
    otm.write_text(json.dumps(document))
    result = import_file(otm, "otm")
    again = load_model_text(result.text, "again.yaml")
    assert again.zones == () and [c.zone for c in again.components] == [None, None]
    assert any("stands in" in s for s in result.report.skipped["trust zone"])


def test_edited_threatloom_attributes_fail_with_a_location(tmp_path: Path) -> None:
    path = REPO / "src" / "threatloom" / "model" / "starter.yaml"
    model, analysis = _analysed(path)
    text = export_model(model, analysis, "otm").decode()
    assert text.count('"kind": "web-application"') == 1
    otm = tmp_path / "edited.otm.json"
    otm.write_text(text.replace('"kind": "web-application"', '"kind": "web-app"'))
    with pytest.raises(InputError) as caught:
        import_file(otm, "otm")
    problem = caught.value.problems[0]
    line = next(i for i, row in enumerate(otm.read_text().splitlines(), 1) if '"kind": "web-app"' in row)
    assert (problem.location.file, problem.location.line) == (str(otm), line)
    assert "did you mean 'web-application'?" in problem.hint


def test_references_another_tool_broke_are_mended_or_dropped_with_a_note(tmp_path: Path) -> None:
    path = REPO / "src" / "threatloom" / "model" / "starter.yaml"
    model, analysis = _analysed(path)
    document = json.loads(export_model(model, analysis, "otm"))
    # a tool that knows nothing of threatloom drops the control's attributes, and the actor's start
    # names a zone the file no longer has
    waf = next(m for m in document["mitigations"] if m["id"] == "waf")
    del waf["attributes"]
    document["project"]["attributes"]["threatloom"]["actors"][0]["starts_in"] = ["internet", "old-dmz"]
    otm = tmp_path / "edited.otm.json"
    otm.write_text(json.dumps(document))
    result = import_file(otm, "otm")
    again = load_model_text(result.text, "again.yaml")
    # the web component's control comes back from the OTM mitigation, as implemented
    assert again.index.components["web"].controls == ("waf",)
    control = again.index.controls["waf"]
    assert (control.name, control.status.value, control.effectiveness.value, control.implements) == (
        "Managed web application firewall", "implemented", "medium", ())
    assert again.actors[0].starts_in == ("internet",)
    assert result.report.noted["reference"] == [
        "actors online-attacker: starts_in named old-dmz, which the file no longer defines; dropped"]


def test_cli_export_then_import(tmp_path: Path) -> None:
    source = REPO / "tests" / "render" / "fixtures" / "clinic.yaml"
    otm = tmp_path / "clinic.otm.json"
    done = run_cli("export", str(source), "--to", "otm", "-o", str(otm))
    assert done.returncode == 0, done.stderr
    jsonschema.validate(json.loads(otm.read_text()), SCHEMA)
    back = tmp_path / "clinic.yaml"
    imported = run_cli("import", str(otm), "--from", "otm", "-o", str(back))
    assert imported.returncode == 0, imported.stderr
    validated = run_cli("validate", str(back))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert load_model(back).model_dump() == load_model(source).model_dump()
