"""`threatloom init` writes a starter that passes --strict, never overwriting; `schema` is valid JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REPO, run_cli
from threatloom.model.json_schema import model_json_schema
from threatloom.model.yamlsource import read_yaml

STARTER = REPO / "src/threatloom/model/starter.yaml"


def test_init_writes_the_commented_starter_that_validates_strictly(tmp_path: Path) -> None:
    folder = tmp_path / "my-service"
    result = run_cli("init", str(folder))
    assert result.returncode == 0, result.stderr
    written = folder / "threatmodel.yaml"
    assert written.read_text() == STARTER.read_text()
    assert written.read_text().startswith("# A threatloom model.")
    check = run_cli("validate", "--strict", str(written))
    assert check.returncode == 0, check.stderr
    assert "0 warnings" in check.stdout


def test_init_in_the_current_folder_with_another_name(tmp_path: Path) -> None:
    result = run_cli("init", "--name", "model.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "model.yaml").read_text() == STARTER.read_text()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    existing = tmp_path / "threatmodel.yaml"
    existing.write_text("my own work\n")
    result = run_cli("init", str(tmp_path))
    assert result.returncode == 2
    assert "already exists" in result.stderr and "nothing was overwritten" in result.stderr
    assert existing.read_text() == "my own work\n"


def test_init_into_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run_cli("init", str(tmp_path / "file"))
    assert result.returncode == 2
    assert "is a file, not a folder" in result.stderr


@pytest.fixture(scope="module")
def printed_schema() -> dict[str, Any]:
    result = run_cli("schema")
    assert result.returncode == 0, result.stderr
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


def test_schema_is_valid_draft_2020_12(printed_schema: dict[str, Any]) -> None:
    assert printed_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(printed_schema)
    assert printed_schema == model_json_schema()


def test_schema_accepts_the_starter_and_rejects_an_unknown_key(printed_schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(printed_schema)
    starter = read_yaml(STARTER).data
    assert list(validator.iter_errors(starter)) == []
    starter["components"][0]["zon"] = "cloud"
    [error] = validator.iter_errors(starter)
    assert error.validator == "additionalProperties"
    assert list(error.absolute_path) == ["components", 0]
    assert "'zon'" in error.message


def test_schema_rejects_bad_values_the_loader_rejects(printed_schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(printed_schema)
    starter = read_yaml(STARTER).data
    starter["zones"][0]["trust"] = 11
    starter["assets"][0]["classification"] = "secret"
    starter["components"][0]["id"] = "web server"
    del starter["system"]
    found = sorted((list(e.absolute_path), e.validator) for e in validator.iter_errors(starter))
    assert found == [([], "required"), (["assets", 0, "classification"], "enum"),
                     (["components", 0, "id"], "pattern"), (["zones", 0, "trust"], "maximum")]


def test_schema_written_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "threatloom.schema.json"
    result = run_cli("schema", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert json.loads(target.read_text()) == model_json_schema()
