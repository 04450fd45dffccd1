"""docs/model.md and the schema cannot drift apart: same sections, same fields, same allowed values, valid examples."""

from __future__ import annotations

import re
import typing
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from threatloom.errors import InputError
from threatloom.model import schema
from threatloom.model.json_schema import model_json_schema
from threatloom.model.lint import lint
from threatloom.model.loading import load_model_text
from threatloom.model.vocabulary import Category, ComponentKind
from threatloom.model.yamlsource import parse_yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"
TEXT = DOC.read_text(encoding="utf-8")
HEADING = re.compile(r"^#{2,4} .*\(`([A-Z][A-Za-z]+)`\)\s*$")


def schema_classes() -> dict[str, type[BaseModel]]:
    return {name: cls for name, cls in vars(schema).items()
            if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == schema.__name__
            and cls is not schema.Strict}


def documented_tables() -> dict[str, list[list[str]]]:
    """Rows of the first table under each heading that names a schema class, by class name."""
    tables: dict[str, list[list[str]]] = {}
    current: str | None = None
    for line in TEXT.splitlines():
        heading = HEADING.match(line)
        if heading:
            current = heading.group(1)
            assert current not in tables, f"docs/model.md documents `{current}` twice"
            tables[current] = []
            continue
        if line.startswith("#"):
            current = None
        elif current is not None and line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if cells[0] in ("Field", "---"):
                continue
            tables[current].append(cells)
        elif current is not None and tables[current] and not line.strip():
            current = None  # the table ended
    return tables


TABLES = documented_tables()


def field_name(cell: str) -> str:
    match = re.fullmatch(r"`([a-z_]+)`", cell)
    assert match, f"docs/model.md: a field cell must be one `name`, got {cell!r}"
    return match.group(1)


def test_every_schema_class_has_a_table() -> None:
    missing = sorted(set(schema_classes()) - set(TABLES))
    assert not missing, f"docs/model.md has no section (heading ending in (`Name`)) for: {', '.join(missing)}"
    unknown = sorted(set(TABLES) - set(schema_classes()))
    assert not unknown, f"docs/model.md documents classes the schema does not have: {', '.join(unknown)}"


@pytest.mark.parametrize("name", sorted(schema_classes()))
def test_table_lists_exactly_the_fields(name: str) -> None:
    fields = list(schema_classes()[name].model_fields)
    documented = [field_name(row[0]) for row in TABLES.get(name, [])]
    missing = [f for f in fields if f not in documented]
    extra = [f for f in documented if f not in fields]
    assert not missing, f"docs/model.md, `{name}`: field(s) not documented: {', '.join(missing)}"
    assert not extra, f"docs/model.md, `{name}`: documents field(s) that do not exist: {', '.join(extra)}"
    assert documented == fields, f"docs/model.md, `{name}`: fields out of the schema's order"
    for row in TABLES[name]:
        assert len(row) == 4 and all(row), f"docs/model.md, `{name}`.{row[0]}: needs type, default and meaning"


def enum_of(annotation: Any) -> type[Enum] | None:
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, Enum):
            return arg
    return None


@pytest.mark.parametrize("name", sorted(schema_classes()))
def test_allowed_values_match_the_vocabularies(name: str) -> None:
    rows = {field_name(row[0]): row for row in TABLES.get(name, [])}
    for field, info in schema_classes()[name].model_fields.items():
        vocabulary = enum_of(info.annotation)
        if vocabulary is None or field not in rows:
            continue
        type_cell, default_cell = rows[field][1], rows[field][2]
        if vocabulary in (ComponentKind, Category):
            assert "](#" in type_cell, f"`{name}`.{field}: link to the vocabulary list"
            continue
        listed = re.findall(r"`([a-z-]+)`", type_cell)
        assert listed == [m.value for m in vocabulary], (
            f"docs/model.md, `{name}`.{field}: allowed values {listed} differ from {[m.value for m in vocabulary]}")
        if isinstance(info.default, Enum):
            assert default_cell == f"`{info.default.value}`", f"`{name}`.{field}: default is {info.default.value}"


def test_long_vocabularies_are_listed_in_full() -> None:
    kinds = TEXT.split("### Component kinds", 1)[1].split("###", 1)[0]
    assert re.findall(r"`([a-z-]+)`", kinds) == [k.value for k in ComponentKind]
    categories = TEXT.split("### Threat categories", 1)[1].split("##", 1)[0]
    assert re.findall(r"`([a-z-]+)`", categories) == [c.value for c in Category]


def test_every_lint_warning_is_documented() -> None:
    source = (Path(schema.__file__).parent / "lint.py").read_text()
    codes = set(re.findall(r'"([a-z]+(?:-[a-z]+)+|isolated)"', source)) - {"components", "flows", "assets"}
    table = TEXT.split("## Lint warnings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", table, re.MULTILINE))
    assert documented == codes, f"lint codes not documented: {codes - documented}; unknown: {documented - codes}"


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", TEXT, re.DOTALL)


def test_every_yaml_example_parses() -> None:
    for block in yaml_blocks():
        try:
            parse_yaml(block, "docs/model.md")
        except InputError as error:  # pragma: no cover - the message is the point
            pytest.fail(f"a YAML example in docs/model.md does not parse: {error}\n{block}")


def test_section_examples_together_form_a_valid_model() -> None:
    merged: dict[str, Any] = {"threatloom": 1}
    for block in yaml_blocks():
        data = parse_yaml(block, "docs/model.md").data
        if "threatloom" in data:
            if "system" in data and "include" not in data:  # a whole model of its own
                assert lint(load_model_text(block, "docs/model.md")) == []
            continue
        for key, value in data.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                assert key not in merged, f"two examples of `{key}`"
                merged[key] = value
    import yaml

    model = load_model_text(yaml.safe_dump(merged, sort_keys=False), "docs/model.md (examples)")
    assert {s for s in merged if s != "threatloom"} >= {"system", "risk", "assets", "actors", "zones", "environment",
                                                        "components", "flows", "controls", "decisions", "threats",
                                                        "reviews", "notes"}
    assert len(model.components) >= 3
    from threatloom.engine import analyse

    # each example decision names a threat the examples really have (an element rule's ID on an element)
    unmatched = [p.message for p in analyse(model).unmatched_decisions]
    assert unmatched == []


def test_editor_settings_are_named_exactly() -> None:
    assert "# yaml-language-server: $schema=./threatloom.schema.json" in TEXT
    assert '"yaml.schemas": {' in TEXT
    assert "threatloom schema -o threatloom.schema.json" in TEXT


DRAFT7_KEYWORDS = {"$schema", "$id", "$ref", "$defs", "title", "description", "type", "properties", "required",
                   "additionalProperties", "items", "enum", "const", "anyOf", "allOf", "oneOf", "default", "format",
                   "pattern", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"}


def test_schema_uses_only_keywords_draft7_editors_understand() -> None:
    found: set[str] = set()

    def walk(node: Any, in_properties: bool = False) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not in_properties:
                    found.add(key)
                walk(value, in_properties=(key in ("properties", "$defs")) and not in_properties)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(model_json_schema())
    assert found - DRAFT7_KEYWORDS == set()
