"""Turn pydantic's validation errors into located, human problems with "did you mean" hints."""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from threatloom.errors import Problem, SourceLocation
from threatloom.model.schema import CURRENCY_PATTERN, ID_PATTERN, RESULT_PATTERN, THREAT_PATTERN
from threatloom.nearest import Nearest

Locator = Callable[..., SourceLocation]


def describe_validation_error(exc: ValidationError, locate: Locator,
                              root: type[BaseModel] | None = None) -> list[Problem]:
    from threatloom.model.schema import Model

    root_model = root or Model
    whole = "the model" if root_model is Model else "the file"  # a rule, controls or end-of-life file
    problems: list[Problem] = []
    nearest = Nearest()  # a generated file repeats one mistake on many lines: each answer is remembered
    for error in exc.errors(include_url=False):
        loc = clean_loc(error["loc"])
        kind = error["type"]
        dotted = _dotted(loc)
        given = error.get("input")
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = sorted(_fields_at(root_model, loc[:-1]))
            close = nearest.closest(key, allowed, 0.6)
            hint = f"did you mean {close!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            where = _dotted(loc[:-1]) or "the top level"
            problems.append(Problem(locate(loc, at_key=True), f"unknown key {key!r} in {where}", hint,
                                    "unknown-key", path=dotted))
        elif kind == "missing":
            parent = _dotted(loc[:-1]) or whole
            problems.append(Problem(locate(loc[:-1]), f"{parent} is missing required key {loc[-1]!r}",
                                    f"add `{loc[-1]}:`", "missing-key", path=dotted))
        elif kind == "enum":
            values = _enum_values(root_model, loc)
            listed = f"allowed: {', '.join(values)}"
            if isinstance(given, str):
                near = nearest.closest(given, values, 0.5)
                hint = f"did you mean {near!r}? {listed}" if near else listed
                message = f"{dotted}: {given!r} is not an allowed value"
            else:
                hint, message = f"write one value; {listed}", f"{dotted}: expected one value, got {_kind(given)}"
            problems.append(Problem(locate(loc), message, hint, "bad-value", path=dotted))
        elif kind == "cross_field":
            ctx = error.get("ctx") or {}
            key = str(ctx.get("key", ""))
            at = (*loc, key) if key else loc
            problems.append(Problem(locate(at), str(ctx.get("message", error["msg"])), str(ctx.get("hint", "")),
                                    "bad-value", path=_dotted(at)))
        else:
            message, hint = _wording(kind, error)
            shown = dotted or whole.removeprefix("the ")
            problems.append(Problem(locate(loc), f"{shown}: {message}", hint, "bad-value", path=dotted))
    return problems


def clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """An error's location as keys and indexes of the document, without pydantic's union-member tags."""
    # a tag is never last: it names the union member whose own error location follows it
    return tuple(part for i, part in enumerate(loc) if i == len(loc) - 1 or not _is_union_tag(part))


def _is_union_tag(part: Any) -> bool:
    # e.g. "function-before[_technology_shorthand(), Technology]"; a key of the document never looks so
    # in the middle of a location, because every key before the last one is a field of the schema
    return isinstance(part, str) and _UNION_TAG.fullmatch(part) is not None


_UNION_TAG = re.compile(r"[a-z][a-z-]*\[.*\]", re.DOTALL)


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _kind(value: Any) -> str:
    """What a YAML value is, in the words of someone who wrote it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_PATTERNS = {
    ID_PATTERN: ("is not a valid ID",
                 "IDs start with a letter and use letters, digits, `_ . : -`, at most 128 characters"),
    THREAT_PATTERN: ("is not a threat ID or pattern", "use letters, digits, `_ . : @ -` and the wildcards `*` `?`"),
    CURRENCY_PATTERN: ("is not a currency code", "write an ISO 4217 code in capitals, e.g. EUR or USD"),
    RESULT_PATTERN: ("is not an allowed result", "allowed: pass, fail, partial"),
}


def _wording(kind: str, error: Any) -> tuple[str, str]:
    """Message and hint for one pydantic error type, naming the value that was given."""
    given = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        message, hint = _PATTERNS.get(str(ctx.get("pattern")), ("does not have the expected form", ""))
        return f"{_shown(given)} {message}", hint
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, got {_kind(given)}", "write a whole number, e.g. 3"
    if kind in ("float_parsing", "float_type"):
        return f"expected a number, got {_kind(given)}", "write a number, e.g. 1200.50"
    if kind == "literal_error":
        return f"{_shown(given)} is not an allowed value", f"allowed: {ctx.get('expected', '')}"
    if kind == "finite_number":
        return f"{_shown(given)} is not a finite number", "write an ordinary number, e.g. 1200.50"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false, got {_kind(given)}", "write true or false"
    if kind == "string_type":
        if isinstance(given, bool):  # YAML reads yes, no, on, off, true and false as booleans
            hint = "quote it, e.g. \"yes\" or \"on\""
        elif isinstance(given, int | float):  # an example: YAML has already read 1.10 as 1.1, 0755 as 493
            hint = "quote it, e.g. \"5.1\""
        else:
            hint = "write text"
        return f"expected text, got {_kind(given)}", hint
    if kind in ("tuple_type", "list_type"):
        return f"expected a list, got {_kind(given)}", "write a list, e.g. `[a, b]` or one `- item` per line"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys, got {_kind(given)}", "write `key: value` lines indented under it"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"):
        return f"{_shown(given)} is not a date", "write a date as YYYY-MM-DD"
    if kind == "greater_than_equal":
        return f"{given} is below the minimum of {ctx.get('ge')}", f"use a number from {ctx.get('ge')} up"
    if kind == "less_than_equal":
        return f"{given} is above the maximum of {ctx.get('le')}", f"use a number up to {ctx.get('le')}"
    if kind == "too_short":
        need = ctx.get("min_length", 1)
        return f"needs at least {need} item{'s' if need != 1 else ''}", "add an item"
    if kind == "string_too_short":
        return "must not be empty", "write some text"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters", "shorten the text"
    if kind == "too_long":
        return f"has more than {ctx.get('max_length')} items", "shorten the list"
    return str(error["msg"]).removeprefix("Value error, "), ""


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
    # list positions do not change the class: items of one list share it, and many errors share one
    return _class_at_keys(root, tuple(part for part in loc if not isinstance(part, int)))


@functools.lru_cache(maxsize=1024)
def _class_at_keys(root: type[BaseModel], keys: tuple[Any, ...]) -> type[Any] | None:
    current: Any = root
    for part in keys:
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
        return [f.alias or name for name, f in cls.model_fields.items()]  # as written: `threatloom-rules`
    return []


def _enum_values(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    cls = _class_at(root, loc)
    if cls is not None and issubclass(cls, Enum):
        return [str(member.value) for member in cls]
    return []
