"""Every example (examples/*/model.yaml) through every lifecycle command, as a user would run them.

What each command must say is worked out from `threatloom analyze`'s threats.json of the same model
(statuses and residual levels), never from the command under test: the gate fails exactly on the
untreated threats at high or above, SARIF has one result per untreated threat on the line where its
element is written, the plan works on the same threats, the backlog starts with the plan's steps, and a
new flow from the internet shows in the diff as new threats on that flow. (The tracker formats, their
stability and the gh script are tested on the clinic, in test_lifecycle_backlog_export.)
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import EXAMPLES, REPO, SAMPLES, run_cli
from tests.lifecycle.workbench import failing_ids
from threatloom.model import load_model

MODELS = sorted(EXAMPLES.glob("*/model.yaml"))
SARIF_SCHEMA = json.loads((SAMPLES / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
UNTREATED = ("open", "in-progress")


@dataclass
class Run:
    model: Path
    threats: list[dict[str, Any]]
    gate: Any  # the CompletedProcess of check --fail-on high --format sarif
    sarif: dict[str, Any]
    plan: dict[str, Any]
    out: Path

    @property
    def untreated(self) -> list[dict[str, Any]]:
        return [t for t in self.threats if t["status"] in UNTREATED]


@pytest.fixture(scope="module", params=MODELS, ids=[m.parent.name for m in MODELS])
def example(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    model: Path = request.param
    out = tmp_path_factory.mktemp(model.parent.name)
    analysed = run_cli("analyze", str(model), "-o", str(out / "analysis"))
    assert analysed.returncode == 0, analysed.stderr
    threats = json.loads((out / "analysis" / "threats.json").read_text(encoding="utf-8"))["threats"]
    sarif = out / "threatloom.sarif"
    gate = run_cli("check", str(model), "--fail-on", "high", "--format", "sarif", "-o", str(sarif))
    plan = run_cli("plan", str(model), "--only", "high", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    return Run(model, threats, gate, json.loads(sarif.read_text(encoding="utf-8")), json.loads(plan.stdout), out)


def test_check_fails_exactly_on_the_untreated_high_and_critical_threats(example: Run) -> None:
    expected = [t["id"] for t in example.untreated if t["residual"]["level"] in ("high", "critical")]
    assert example.gate.returncode == (1 if expected else 0), example.gate.stderr
    assert sorted(failing_ids(example.gate.stderr)) == sorted(expected)


def test_sarif_validates_and_points_at_each_threat_line(example: Run) -> None:
    assert list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(example.sarif)) == []
    (run,) = example.sarif["runs"]
    results = {r["properties"]["threatId"]: r for r in run["results"]}
    assert sorted(results) == sorted(t["id"] for t in example.untreated) and results
    for threat in example.untreated:
        physical = results[threat["id"]]["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert uri.startswith(f"examples/{example.model.parent.name}/")  # relative to the repository root
        line = (REPO / uri).read_text(encoding="utf-8").splitlines()[physical["region"]["startLine"] - 1]
        written = threat["id"] if threat["origin"] == "manual" else threat["target"]
        assert f"id: {written}" in line, (threat["id"], line)


def test_plan_proposes_steps_for_the_same_threats(example: Run) -> None:
    considered = [t for t in example.untreated if t["residual"]["level"] in ("high", "critical")]
    plan = example.plan
    assert plan["threats_considered"] == len(considered)
    assert plan["residual_before"] == sum(t["residual"]["score"] for t in considered)
    if considered:
        assert plan["steps"], "a plan with untreated high risks proposes at least one control"
        assert plan["residual_after"] < plan["residual_before"]
    ids = {t["id"] for t in considered}
    assert {t["id"] for s in plan["steps"] for t in s["threats"]} <= ids
    # each step says where its control counts: on a component, flow or party of the model (a party's
    # `controls:` count for the threats on it, as the analysis does)
    index = load_model(example.model).index
    by_id = {t["id"]: t for t in example.threats}
    for step in plan["steps"]:
        for t in step["threats"]:
            target = by_id[t["id"]]["target"]
            if by_id[t["id"]]["origin"] == "rule" and target in index.parties:
                assert t["record_on"] == [target], t["id"]
            else:
                assert t["record_on"] and all(e in index.components or e in index.flows or e in index.parties
                                              for e in t["record_on"])


def test_backlog_export_writes_the_plan_stories_first(example: Run) -> None:
    out = example.out / "github"
    out.mkdir()
    result = run_cli("export", str(example.model), "--to", "github", "-o", str(out))
    assert result.returncode == 0, result.stderr
    issues = json.loads((out / "github-issues.json").read_text(encoding="utf-8"))
    assert issues, "an example with decisions and gaps has stories"
    keys = [i["body"].splitlines()[0] for i in issues]
    assert len(set(keys)) == len(keys)
    plan_controls = [s["control"]["id"] for s in example.plan["steps"]]
    assert [i["title"].rsplit("(", 1)[1].rstrip(")") for i in issues][:len(plan_controls)] == plan_controls
    script = (out / "github-issues.sh").read_text(encoding="utf-8")
    assert script.count("\nupsert ") == len(issues)


def test_diff_shows_a_new_flow_from_the_internet(example: Run, tmp_path: Path) -> None:
    copy = tmp_path / example.model.parent.name
    shutil.copytree(example.model.parent, copy)
    loaded = load_model(example.model)
    internet = {z.id for z in loaded.zones if z.internet}
    source = next(p.id for p in loaded.environment if p.zone in internet)
    target = next(c.id for c in loaded.components if c.type.value == "process" and c.internet_facing
                  and c.zone not in internet)
    secret = next(a.id for a in loaded.assets if a.classification is not None
                  and a.classification.value in ("confidential", "restricted"))
    (copy / "probe.yaml").write_text(
        "threatloom: 1\nflows:\n"
        f"  - {{id: tl-probe, name: Probe, source: {source}, destination: {target}, protocol: HTTP, "
        f"authentication: none, encryption: none, data: [{secret}]}}\n", encoding="utf-8")
    text = (copy / "model.yaml").read_text(encoding="utf-8")
    text = text.replace("\ninclude: [", "\ninclude: [probe.yaml, ", 1) if "\ninclude: [" in text else \
        text + "include: [probe.yaml]\n"
    (copy / "model.yaml").write_text(text, encoding="utf-8")
    result = run_cli("diff", str(example.model), str(copy / "model.yaml"), "--format", "json")
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    assert diff["new_threats"] and all(t["id"].endswith("@tl-probe") for t in diff["new_threats"])
    # confidential data in clear text across the boundary from the internet
    assert "TL-I001@tl-probe" in {t["id"] for t in diff["new_threats"]}
    assert diff["resolved_threats"] == []
