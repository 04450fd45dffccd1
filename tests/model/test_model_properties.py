"""Property-based: whatever text or structure it is fed, the loader fails only with a located InputError."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threatloom.errors import InputError
from threatloom.model import Model, load_model
from threatloom.model.loading import load_model_text
from threatloom.model.schema import Strict

NAME = "fuzz.yaml"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _all_field_names() -> list[str]:
    names: set[str] = set()
    todo: list[type[Strict]] = [Model]
    seen: set[type[Strict]] = set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        names.update(cls.model_fields)
        todo.extend(sub for sub in Strict.__subclasses__() if sub not in seen)
    return sorted(names)


FIELDS = _all_field_names()
VOCABULARY = ["process", "data-store", "external-entity", "internet", "cloud", "web", "db", "high", "low",
              "medium", "critical", "restricted", "tls", "none", "accept", "reduce", "spoofing", "2025-01-31",
              "1", "0", "-1", "99", "true", "x y", ""]

TOKENS = st.sampled_from([
    "threatloom: 1\n", "system:\n  name: Shop\n", "\n", "  ", "    ", "- ", ": ", ":", ",", "{", "}", "[", "]",
    "&a ", "*a", "&b ", "*b", "!!str ", "!!python/object:os.system ", "!custom ", "<<: ", "---\n", "...\n",
    "\t", '"', "'", "# note\n", "? ", "|\n", ">\n", "%YAML 1.2\n", ".nan", ".inf", "0x1F", "~", "null",
    "\u00e9", "\ufeff", "\x00", "\x85", *(f"{f}: " for f in FIELDS[:40]), *VOCABULARY,
])


def check_failure(error: InputError, text: str) -> None:
    assert error.problems, "an InputError must say what is wrong"
    lines = re.split("\r\n|[\r\n\x85\u2028\u2029]", text)  # YAML's line breaks
    for problem in error.problems:
        loc = problem.location
        assert loc.file == NAME
        assert problem.message
        assert problem.severity == "error"
        assert loc.line >= 0 and loc.column >= 0
        if loc.line:  # a position, when given, is inside the text
            assert loc.line <= len(lines) + 1, (loc, problem.message)
            assert loc.column >= 1


def load_or_fail(text: str) -> None:
    try:
        model = load_model_text(text, NAME)
    except InputError as error:
        check_failure(error, text)
    else:
        assert isinstance(model, Model)


@SETTINGS
@given(st.lists(TOKENS, max_size=60).map("".join))
def test_yaml_ish_text_fails_only_with_located_input_errors(text: str) -> None:
    load_or_fail(text)


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text_fails_only_with_located_input_errors(text: str) -> None:
    load_or_fail(text)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 30), st.floats(allow_nan=True),
                    st.sampled_from(VOCABULARY), st.text(max_size=12))
KEYS = st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=8))
STRUCTURES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(KEYS, inner, max_size=5)),
                          max_leaves=30)


def item_for(section: str) -> st.SearchStrategy[dict[str, Any]]:
    """A list item that is nearly valid for `section`: real field names, values plausible or random."""
    cls = Model.model_fields[section].annotation.__args__[0]  # type: ignore[union-attr]
    names = list(getattr(cls, "model_fields", {"x": None}))
    values = st.one_of(st.sampled_from(VOCABULARY), SCALARS, st.lists(st.sampled_from(VOCABULARY), max_size=3),
                       STRUCTURES)
    return st.dictionaries(st.sampled_from(names), values, max_size=len(names))


MODEL_SHAPED = st.fixed_dictionaries(
    {"threatloom": st.sampled_from([1, 1, 1, 2, "1", None]),
     "system": st.one_of(st.fixed_dictionaries({"name": st.sampled_from(["Shop", "", 5])}), STRUCTURES)},
    optional={section: st.lists(item_for(section), max_size=4)
              for section in ("assets", "actors", "zones", "environment", "components", "flows", "controls",
                              "decisions", "threats", "reviews", "notes")}
    | {"risk": STRUCTURES, "rules": STRUCTURES, "unknown": STRUCTURES},
)


@SETTINGS
@given(STRUCTURES)
def test_random_structures_fail_only_with_located_input_errors(data: Any) -> None:
    load_or_fail(yaml.safe_dump(data, allow_unicode=True))


@SETTINGS
@given(MODEL_SHAPED)
def test_nearly_valid_models_fail_only_with_located_input_errors(data: dict[str, Any]) -> None:
    # these reach the schema, the repair that lets references be checked too, and the reference checks
    load_or_fail(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200), st.lists(st.sampled_from(["a.yaml", "b.yaml", "missing.yaml", "sub/../a.yaml"]),
                                         max_size=3))
def test_files_with_includes_fail_only_with_input_errors(raw: bytes, includes: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "model.yaml"
        root.write_text("threatloom: 1\nsystem: {name: Shop}\n" + (f"include: {includes}\n" if includes else ""))
        (Path(folder) / "a.yaml").write_bytes(raw)
        (Path(folder) / "b.yaml").write_text("threatloom: 1\ninclude: [a.yaml]\nzones: [{id: z, name: Z, trust: 1}]\n")
        try:
            load_model(root)
        except InputError as error:
            for problem in error.problems:
                assert Path(problem.location.file).name in {"model.yaml", "a.yaml", "b.yaml"}
                assert problem.location.line >= 0
