"""threats.json follows its published JSON Schema (src/threatloom/render/schemas/threats-v1.schema.json)."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema

from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = json.loads(files("threatloom.render").joinpath("schemas/threats-v1.schema.json").read_text())


def test_analyze_output_is_valid_against_the_schema(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text((FIXTURES / "shop.yaml").read_text() + """
decisions:
  - {threat: "MT-REFUND", treatment: reduce, owner: Ann, due: 2027-02-01, controls: [C-RATE-LIMIT]}
  - {threat: "NOPE-1@web", treatment: avoid}
""")
    result = run_cli("analyze", str(model), "-o", str(tmp_path / "out"), "--rules", str(FIXTURES / "rules"))
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "out" / "threats.json").read_text())
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["unmatched_decisions"][0]["code"] == "unmatched-decision"
    refund = next(t for t in document["threats"] if t["id"] == "MT-REFUND")
    assert refund["decision"]["treatment"] == "reduce"
    assert refund["status"] == "in-progress"


def test_schema_rejects_a_document_missing_its_version() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert not validator.is_valid({"format": "threatloom-analysis", "system": "x"})
