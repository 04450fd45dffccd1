"""Threat Dragon v2 export: valid against the v2 schema for every example and fixture model, the same
bytes on every run, laid out so that each element sits in its zone's box, every threat on its cell
(the round trip back to threatloom is in test_threat_dragon_round_trip.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import EXAMPLES, REPO, run_cli
from tests.interop.conftest import THREAT_DRAGON
from threatloom.engine import analyse
from threatloom.engine.threat import Analysis
from threatloom.interop import export_model, import_file
from threatloom.interop.threat_dragon.geometry import Rect, innermost
from threatloom.lifecycle.decisions import DEFAULT_STATUS
from threatloom.model import load_model
from threatloom.model.loading import load_model_text
from threatloom.model.schema import Model

MODELS = [
    *sorted(EXAMPLES.glob("*/model.yaml")),
    REPO / "tests" / "render" / "fixtures" / "clinic.yaml",
    REPO / "tests" / "lifecycle" / "fixtures" / "clinic.yaml",
    REPO / "src" / "threatloom" / "model" / "starter.yaml",
]
SCHEMA = json.loads((THREAT_DRAGON / "threat-dragon-v2.schema.json").read_text())
LIFECYCLE_CLINIC = REPO / "tests" / "lifecycle" / "fixtures" / "clinic.yaml"
TD_STATUS = {"open": "Open", "in-progress": "Open", "mitigated": "Mitigated", "false-positive": "NA",
             "accepted": "Accepted", "transferred": "Transferred", "avoided": "Avoided"}


@pytest.fixture(scope="module", params=MODELS, ids=lambda p: str(p.relative_to(REPO)))
def exported(request: pytest.FixtureRequest) -> tuple[Model, Analysis, bytes]:
    model = load_model(request.param)
    analysis = analyse(model)
    return model, analysis, export_model(model, analysis, "threat-dragon")


def _cells(data: bytes) -> list[dict[str, Any]]:
    document = json.loads(data)
    assert len(document["detail"]["diagrams"]) == 1
    cells: list[dict[str, Any]] = document["detail"]["diagrams"][0]["cells"]
    return cells


def test_examples_exist() -> None:
    assert len(MODELS) >= 4  # the fixtures always; the examples as other engineers add them


def test_export_is_valid_threat_dragon_v2(exported: tuple[Model, Analysis, bytes]) -> None:
    _, _, data = exported
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(json.loads(data)), key=str)
    assert not errors, errors[0].message


def test_export_is_deterministic(exported: tuple[Model, Analysis, bytes]) -> None:
    model, _, data = exported
    assert export_model(model, analyse(model), "threat-dragon") == data
    assert data.endswith(b"\n")


def test_every_element_flow_zone_and_threat_is_drawn(exported: tuple[Model, Analysis, bytes]) -> None:
    model, analysis, data = exported
    cells = {c["id"]: c for c in _cells(data)}
    shapes = {"process": "process", "data-store": "store", "external-entity": "actor"}
    for element in model.index.elements.values():
        assert cells[element.id]["shape"] == shapes[element.type.value]
        assert cells[element.id]["data"]["name"] == element.name
    for flow in model.flows:
        edge = cells[flow.id]
        ends = (edge["source"]["cell"], edge["target"]["cell"])
        assert (edge["shape"], ends) == ("flow", (flow.source, flow.destination))
        assert edge["labels"][0]["attrs"]["labelText"]["text"] == flow.name
        assert edge["data"]["isBidirectional"] == flow.bidirectional
    for zone in model.zones:
        assert cells[zone.id]["shape"] == "trust-boundary-box" and cells[zone.id]["attrs"]["label"]["text"] == zone.name
    written = {t["id"]: (cell_id, t) for cell_id, c in cells.items() for t in c["data"].get("threats", [])}
    assert len(written) == len(analysis.threats)
    for threat in analysis.threats:
        cell_id, td = written[threat.id]
        assert cell_id == threat.target
        assert td["title"] == threat.title
        assert td["severity"] == threat.residual.level.value.capitalize()
        decision = model.decisions[threat.decision.index] if threat.decision else None
        declared = (decision.status or DEFAULT_STATUS[decision.treatment]).value if decision else "open"
        assert td["status"] == TD_STATUS[declared]
        assert all(f"- {c.id} " in td["mitigation"] for c in threat.controls)


def test_layout_puts_each_element_in_its_own_zone_box(exported: tuple[Model, Analysis, bytes]) -> None:
    model, _, data = exported
    cells = {c["id"]: c for c in _cells(data)}

    def rect(cell: dict[str, Any]) -> Rect:
        return Rect(cell["position"]["x"], cell["position"]["y"], cell["size"]["width"], cell["size"]["height"])

    zone_ids = [z.id for z in model.zones]
    boxes = [rect(cells[z]) for z in zone_ids]
    for element in model.index.elements.values():
        found = innermost(boxes, rect(cells[element.id]))
        assert (zone_ids[found] if found is not None else None) == element.zone, element.id
    for zone in model.zones:  # a child's box lies inside its parent's
        if zone.parent:
            outer, inner = rect(cells[zone.parent]), rect(cells[zone.id])
            assert outer.holds(inner), zone.id
    nodes = [rect(cells[e]) for e in model.index.elements]
    for i, a in enumerate(nodes):  # no two elements overlap
        for b in nodes[i + 1:]:
            assert a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y


def test_round_trip_of_a_threat_dragon_sample_keeps_its_threats(tmp_path: Path) -> None:
    """Threat Dragon -> threatloom -> Threat Dragon: the demo's 14 threats come back with their texts."""
    model = load_model_text(import_file(THREAT_DRAGON / "v1-demo-threat-model.json", "threat-dragon").text, "<v1>")
    cells = _cells(export_model(model, analyse(model), "threat-dragon"))
    threats = [t for c in cells for t in c["data"].get("threats", []) if t["id"].startswith("TD-")]
    assert len(threats) == 14
    accessing = next(t for t in threats if t["title"] == "Accessing DB credentials")
    assert accessing["description"].startswith("The Background Worker configuration stores the credentials")
    assert accessing["mitigation"].startswith("Encrypt the DB credentials in the configuration file.\n\n"
                                              "Expire and replace the DB credentials regularly.")
    assert sorted(t["status"] for t in threats).count("Mitigated") == 4


def test_manual_threat_with_cvss_keeps_its_vector() -> None:
    model = load_model(LIFECYCLE_CLINIC)
    cells = _cells(export_model(model, analyse(model), "threat-dragon"))
    portal = next(c for c in cells if c["id"] == "portal")
    hoard = next(t for t in portal["data"]["threats"] if t["id"] == "MT-SLOT-HOARD")
    assert hoard["score"] == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    assert (hoard["type"], hoard["modelType"], hoard["title"]) == (
        "Denial of service", "STRIDE", "Bots hoard every free appointment slot")


def test_cli_export(tmp_path: Path) -> None:
    out = tmp_path / "clinic.json"
    result = run_cli("export", str(LIFECYCLE_CLINIC), "--to", "threat-dragon", "-o", str(out))
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    assert document["summary"]["title"] == "Clinic Booking"
    assert {c["id"] for c in _cells(out.read_bytes()) if c["shape"] == "trust-boundary-box"} == {
        "internet", "cloud", "clinic"}
