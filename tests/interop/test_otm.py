"""OTM import of the public samples: what each holds (counted by hand from the files) comes back as
zones, components, flows, assets, manual threats, controls, decisions and notes; analysis adds the
rules' own threats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.interop.conftest import OTM
from threatloom.engine import analyse
from threatloom.interop import import_file
from threatloom.interop.interface import ImportResult
from threatloom.interop.otm import importer
from threatloom.interop.reading import read_foreign
from threatloom.model.loading import load_model_text
from threatloom.model.schema import Model

EXAMPLE_JSON = OTM / "EXAMPLE.json"
EXAMPLE_YAML = OTM / "EXAMPLE.yaml"
MANUAL = OTM / "startleft-manual_threat_model.yaml"
TERRAFORM = OTM / "startleft-tf_example.yaml"


def _load(result: ImportResult) -> Model:
    return load_model_text(result.text, "<imported>")


@pytest.fixture(scope="module")
def example() -> tuple[ImportResult, Model]:
    result = import_file(EXAMPLE_JSON, "otm")
    return result, _load(result)


def test_every_sample_is_recognised_as_otm() -> None:
    for path in (EXAMPLE_JSON, EXAMPLE_YAML, MANUAL, TERRAFORM):
        assert importer.sniff(read_foreign(path)), path


def test_example_zones_keep_trust_on_our_scale(example: tuple[ImportResult, Model]) -> None:
    _, model = example
    zones = {z.id: z for z in model.zones}
    assert sorted(zones) == ["internet", "private"]
    assert (zones["internet"].name, zones["internet"].trust, zones["internet"].internet) == ("Internet", 2, True)
    assert (zones["private"].name, zones["private"].trust, zones["private"].internet) == ("Private", 10, False)


def test_example_components_get_types_and_kinds_rules_know(example: tuple[ImportResult, Model]) -> None:
    _, model = example
    found = {c.id: (c.name, c.type.value, c.kind.value, c.zone) for c in model.components}
    assert found == {
        "web-client": ("Web Client", "external-entity", "browser", "internet"),
        "web-service": ("Web Service", "process", "web-application", "private"),
        "customer-database": ("Customer Database", "data-store", "database", "private"),
        "class-customerdatabase": ("Class CustomerDatabase", "process", "other", "private"),
    }
    web = model.index.components["web-service"]
    assert (web.processes, web.stores, web.tags) == (("cc-data", "public-info"), ("public-info",), ("tomcat",))


def test_example_flows_and_assets(example: tuple[ImportResult, Model]) -> None:
    _, model = example
    flows = {f.id: (f.source, f.destination, f.bidirectional, f.data, f.tags) for f in model.flows}
    assert flows == {
        "webclient-to-webservice": ("web-client", "web-service", True, (), ()),
        "cc-store-in-db": ("web-service", "customer-database", True, ("cc-data",), ("tag1-df", "tag2-df")),
    }
    assets = {a.id: (a.name, a.confidentiality.value, a.integrity.value, a.availability.value,
                     a.classification.value) for a in model.assets}
    assert assets == {"cc-data": ("Credit Card Data", "critical", "critical", "critical", "restricted"),
                      "public-info": ("Public Info", "low", "critical", "medium", "public")}


def test_example_threat_on_two_elements_becomes_two_manual_threats(example: tuple[ImportResult, Model]) -> None:
    _, model = example
    threats = {t.id: t for t in model.threats}
    assert sorted(threats) == ["threat-1-cc-store-in-db", "threat-1-web-service"]
    on_service, on_flow = threats["threat-1-web-service"], threats["threat-1-cc-store-in-db"]
    assert on_service.elements == ("web-service",) and on_flow.elements == ("cc-store-in-db",)
    for threat in threats.values():
        # Spoofing is the first of its categories; 50 and 100 on OTM's scale are 3 and 5 on ours
        assert (threat.title, threat.category.value, threat.likelihood, threat.impact_rating) == \
            ("Threat 1", "spoofing", 3, 5)
        assert threat.cwe == (79, 123, 787)  # CWE-79, CWE-787 and the tag cwe-123
        assert threat.action == "Description fo the threat number 1"
        assert threat.prerequisites.startswith("It is reasonable to think this might happen")
        assert threat.impact.startswith("If this threat becomes a rallity")


def test_example_mitigation_instances_become_controls_by_state(example: tuple[ImportResult, Model]) -> None:
    _, model = example
    controls = {c.id: (c.name, c.status.value, c.effectiveness.value) for c in model.controls}
    # one OTM mitigation, implemented on the web service and required on the flow: two controls
    assert controls == {
        "this-is-the-name-of-mitigation-1": ("This is the name of mitigation 1", "implemented", "medium"),
        "this-is-the-name-of-mitigation-1-planned": ("This is the name of mitigation 1", "planned", "medium"),
    }
    threats = model.index.manual_threats
    assert threats["threat-1-web-service"].mitigations == ("this-is-the-name-of-mitigation-1",)
    assert threats["threat-1-cc-store-in-db"].mitigations == ("this-is-the-name-of-mitigation-1-planned",)


def test_example_states_become_decisions(example: tuple[ImportResult, Model]) -> None:
    _, model = example
    decisions = {d.threat: (d.treatment.value, d.status.value if d.status else None) for d in model.decisions}
    assert decisions == {"threat-1-web-service": ("reduce", "open"), "threat-1-cc-store-in-db": ("reduce", "open")}


def test_example_report_accounts_for_every_item(example: tuple[ImportResult, Model]) -> None:
    result, _ = example
    report = result.report
    assert report.mapped["trust zone"] == 2
    assert report.mapped["component"] == 4
    assert report.mapped["dataflow"] == 2
    assert report.mapped["asset"] == 2
    assert report.mapped["threat"] == 1 and report.mapped["threat instance"] == 2
    assert report.mapped["mitigation"] == 1 and report.mapped["mitigation instance"] == 2
    # Mitigation 2 is used by no threat: kept as a note, not lost
    assert any("Mitigation 2" in n for n in report.noted["mitigation"])
    # the architecture diagram and five shapes on it are layout; the code repository and the class's
    # place in the code are notes
    assert len(report.skipped["representation"]) == 6
    assert report.skipped["representation"][0].startswith("Architecture Diagram: diagram 1000×1100")
    assert len(report.noted["representation"]) == 2
    assert any("https://github.com/my-project" in n for n in report.noted["representation"])
    assert any("OTMClass.java" in n and "324" in n for n in report.noted["representation"])
    assert any("cmdbId: MyApp123" in n for n in report.noted["attribute"])


def test_example_notes_say_what_had_no_field(example: tuple[ImportResult, Model]) -> None:
    _, model = example
    texts = {(n.about, n.text) for n in model.notes}
    assert (None, "OTM project ID: test-project") in texts
    assert ("private", "OTM zone type: private") in texts
    assert any(about == "cc-data" and text.startswith("We have decided that the values are a 100")
               for about, text in texts)
    assert any(about == "threat-1-web-service" and text == "OTM threat ID 22724267-be7e-44c0-8b1f-d7d33e9a34ec, on "
               "2 elements: threat-1-web-service, threat-1-cc-store-in-db" for about, text in texts)
    assert any(about == "threat-1-web-service" and "Tampering" in text for about, text in texts)
    assert model.system.owner == "John Doe <john.doe@example.com>"


def test_json_and_yaml_examples_import_alike() -> None:
    from_json = import_file(EXAMPLE_JSON, "otm").text
    from_yaml = import_file(EXAMPLE_YAML, "otm").text
    assert from_json.replace("EXAMPLE.json", "EXAMPLE.yaml") == from_yaml


def test_startleft_manual_model() -> None:
    result = import_file(MANUAL, "otm")
    model = _load(result)
    assert [(z.id, z.name, z.trust, z.internet) for z in model.zones] == [
        ("internet", "Internet", 0, True), ("public", "Public", 0, False),
        ("private-secured", "Private Secured", 10, False)]
    assert [(c.id, c.type.value, c.kind.value, c.zone) for c in model.components] == [
        ("user", "external-entity", "user", "internet"),
        ("web-server", "process", "web-application", "public"),
        ("database", "data-store", "database", "private-secured")]
    assert model.index.components["database"].technology is not None
    assert model.index.components["database"].technology.name == "PostgreSQL"
    assert [(f.id, f.source, f.destination) for f in model.flows] == [
        ("client-connection", "user", "web-server"), ("database-connection", "web-server", "database")]
    assert not model.threats and not model.controls


def test_startleft_terraform_model_flattens_nesting_into_zones() -> None:
    result = import_file(TERRAFORM, "otm")
    model = _load(result)
    assert len(model.zones) == 2 and len(model.components) == 29 and len(model.flows) == 22
    by_name: dict[str, list[str]] = {}
    for comp in model.components:
        by_name.setdefault(comp.name, []).append(comp.kind.value)
    assert by_name["db"] == ["database"]
    assert by_name["alb"] == ["load-balancer"]
    assert by_name["ServiceLB"] == ["load-balancer", "load-balancer"]
    assert by_name["Canary"] == ["monitoring", "monitoring"]  # empty-component, told by its tag
    assert by_name["ServiceTaskDefinition"] == ["service", "service"]  # docker-container
    assert by_name["Systems Manager from VPCEndpoint (grouped)"] == ["admin-console"]  # CD-SYSTEMS-MANAGER
    ids = {c.id for c in model.components}
    # StartLeft repeats names per subnet: the enclosing component tells them apart
    assert {"vpcssm-in-privatesubnet1", "vpcssm-in-privatesubnet2"} <= ids
    # 19 components sit inside other components (service in mongo, 4 subnets, 6 endpoints, 2 × Service,
    # ServiceTaskDefinition, ServiceLB and Canary); each keeps its nearest zone and a note of its nesting
    nested = [n for n in model.notes if "nested inside" in n.text]
    assert len(nested) == 19
    assert all(c.zone == "public-cloud" for c in model.components if c.name == "PrivateSubnet1")
    assert result.report.mapped["dataflow"] == 22 and result.report.mapped["component"] == 29


def test_cli_import_validate_analyze(tmp_path: Path) -> None:
    out = tmp_path / "example.yaml"
    done = run_cli("import", str(EXAMPLE_JSON), "--from", "otm", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "threat instance" in done.stdout and "wrote" in done.stdout
    validated = run_cli("validate", str(out))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    analysed = run_cli("analyze", str(out), "-o", str(tmp_path / "analysis"))
    assert analysed.returncode == 0, analysed.stderr
    threats = json.loads((tmp_path / "analysis" / "threats.json").read_text())["threats"]
    manual = {t["id"]: t for t in threats if t["origin"] == "manual"}
    assert sorted(manual) == ["threat-1-cc-store-in-db", "threat-1-web-service"]
    assert all(t["decision"]["treatment"] == "reduce" for t in manual.values())
    generated = [t for t in threats if t["origin"] == "rule"]
    assert generated, "the rules find threats of their own on the imported model"
    assert {t["target"] for t in generated} & {"web-service", "webclient-to-webservice", "cc-store-in-db"}


def test_imported_samples_analyse_with_rule_threats() -> None:
    for path in (EXAMPLE_YAML, MANUAL, TERRAFORM):
        model = _load(import_file(path, "otm"))
        analysis = analyse(model)
        rule_threats = [t for t in analysis.threats if t.origin == "rule"]
        assert rule_threats, path
        assert len([t for t in analysis.threats if t.origin == "manual"]) == len(model.threats)
