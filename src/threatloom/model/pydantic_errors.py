"""Turn pydantic's validation errors into located, human problems with "did you mean" hints."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from threatloom.errors import Problem, SourceLocation

Locator = Callable[..., SourceLocation]


def describe_validation_error(exc: ValidationError, locate: Locator,
                              root: type[BaseModel] | None = None) -> list[Problem]:
    from threatloom.model.schema import Model

    root_model = root or Model
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        kind = error["type"]
        dotted = _dotted(loc)
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = sorted(_fields_at(root_model, loc[:-1]))
            close = difflib.get_close_matches(key, allowed, 1, 0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            problems.append(Problem(locate(loc, at_key=True), f"unknown key {key!r}", hint,
                                    "unknown-key", path=dotted))
        elif kind == "missing":
            parent = _dotted(loc[:-1]) or "the model"
            problems.append(Problem(locate(loc[:-1]), f"{parent} is missing required key {loc[-1]!r}",
                                    f"add `{loc[-1]}:`", "missing-key", path=dotted))
        elif kind == "enum":
            expected = _enum_values(root_model, loc)
            given = str(error.get("input"))
            close = difflib.get_close_matches(given, expected, 1, 0.5)
            hint = f"did you mean {close[0]!r}?" if close else f"one of: {', '.join(expected)}"
            problems.append(Problem(locate(loc), f"{dotted}: {given!r} is not an allowed value", hint,
                                    "bad-value", path=dotted))
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(Problem(locate(loc), f"{dotted or 'model'}: {message}", _hint_for(kind),
                                    "bad-value", path=dotted))
    return problems


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the chosen union member's name into loc (e.g. "function-before[...]")
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "bool"})


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _hint_for(kind: str) -> str:
    return {
        "string_pattern_mismatch": "IDs start with a letter and use letters, digits, `_ . : -`",
        "string_type": "write text",
        "int_type": "write a whole number",
        "int_parsing": "write a whole number",
        "bool_type": "write true or false",
        "bool_parsing": "write true or false",
        "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
        "date_parsing": "write a date as YYYY-MM-DD",
        "tuple_type": "write a list, e.g. `[a, b]`",
        "list_type": "write a list, e.g. `[a, b]`",
        "model_type": "write a mapping of keys",
        "model_attributes_type": "write a mapping of keys",
        "too_short": "add at least one item",
        "greater_than_equal": "use a larger number",
        "less_than_equal": "use a smaller number",
        "string_too_long": "shorten the text",
        "string_too_short": "write some text",
    }.get(kind, "")


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/tuple/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, tuple, list):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            if arg is not Ellipsis and arg is not type(None):
                out.extend(_unwrap(arg))
        return out
    return [annotation]


def _class_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[Any] | None:
    current: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        candidates = _unwrap(field.annotation)
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel | Enum)),
                       candidates[0] if candidates else None)
    return current if isinstance(current, type) else None


def _fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    cls = _class_at(root, loc)
    if cls is not None and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    return []


def _enum_values(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    cls = _class_at(root, loc)
    if cls is not None and issubclass(cls, Enum):
        return [str(member.value) for member in cls]
    return []
