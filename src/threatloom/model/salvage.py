"""Repair a model that failed the schema just enough to check its references too.

A user who mistypes a key and a zone ID should learn of both in one run. When validation fails, each
offending key is dropped (or, when required, replaced by a neutral placeholder) so that the rest of
the model can be validated and its references checked; problems that would only echo the schema
errors (they lie under a repaired key) are then filtered out by the caller with :func:`covered`.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Iterator
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from threatloom.errors import Problem
from threatloom.model.pydantic_errors import clean_loc
from threatloom.model.references import REPAIR_PREFIX
from threatloom.model.schema import Model

Loc = tuple[str | int, ...]


def salvage(merged: dict[str, Any], error: ValidationError) -> tuple[Model | None, set[str]]:
    """A valid model close to `merged`, and the dotted paths that were repaired (None: cannot repair)."""
    data = {**merged}
    repaired: set[str] = set()
    copied: set[str] = set()  # the sections whose list is already this function's own copy
    for err in error.errors(include_url=False):
        loc = clean_loc(err["loc"])
        if not loc:
            return None, repaired
        ctx_key = (err.get("ctx") or {}).get("key") if err["type"] == "cross_field" else None
        target = _repair(data, loc, ctx_key, copied)
        if target is None:
            return None, repaired
        repaired.add(_dotted(target))
    try:
        return Model.model_validate(data), repaired
    except ValidationError:
        return None, repaired


def covered(problem: Problem, repaired: set[str]) -> bool:
    """True when `problem` concerns a repaired key (the key itself, something under it, or its item's
    `id`), so it would only repeat a schema error. The path's own prefixes are looked up, not every
    repaired path tried: a file with an error on every line has as many of them as problems."""
    return any(prefix in repaired for prefix in _prefixes(problem.path)) or f"{problem.path}.id" in repaired


def _prefixes(path: str) -> Iterator[str]:
    """`path` and each part of it that ends before a `.` or a `[` (`a[1].b`: `a`, `a[1]`, `a[1].b`)."""
    for position, char in enumerate(path):
        if char in ".[":
            yield path[:position]
    yield path


def _repair(data: dict[str, Any], loc: Loc, ctx_key: str | None, copied: set[str]) -> Loc | None:
    """Fix the model at `loc` (one key deep into a section or list item); the path that was fixed. A
    section's list is copied once (in `copied`), not once per error: a file can hold one on every line."""
    section = loc[0]
    if not isinstance(section, str):
        return None
    field = Model.model_fields.get(section)
    if field is None:  # unknown top-level key
        data.pop(section, None)
        return (section,)
    item_type = _item_model(field)
    value = data.get(section)
    if isinstance(value, list) and len(loc) >= 2 and isinstance(loc[1], int):
        index = loc[1]
        if section not in copied:
            value = data[section] = list(value)
            copied.add(section)
        items = value
        if index >= len(items):
            return None
        if item_type is None:  # a list of text (rules)
            items[index] = "x"
            return loc[:2]
        fixed = _repair_mapping(items[index], item_type, loc[2:], ctx_key, f"{REPAIR_PREFIX}{section}:{index}")
        if fixed is None:
            return None
        items[index] = fixed[0]
        return (*loc[:2], *fixed[1])
    model_type = _model_of(field)
    if len(loc) >= 2 and model_type is not None and isinstance(value, dict):
        fixed = _repair_mapping(value, model_type, loc[1:], ctx_key, f"{REPAIR_PREFIX}{section}")
        if fixed is None:
            return None
        data[section] = fixed[0]
        return (section, *fixed[1])
    if field.is_required():
        if model_type is None:
            return None
        data[section] = _sample_model(model_type, f"{REPAIR_PREFIX}{section}")
    else:
        data.pop(section, None)
    return (section,)


def _repair_mapping(value: Any, cls: type[BaseModel], rest: Loc, ctx_key: str | None,
                    ident: str) -> tuple[dict[str, Any], Loc] | None:
    if not isinstance(value, dict) or not rest:
        if ctx_key and isinstance(value, dict):  # a check across fields: drop the key it names
            rest = (ctx_key,)
        else:
            return _sample_model(cls, ident), ()
    key = rest[0]
    if not isinstance(key, str):
        return None
    fixed = {**value}
    fixed.pop(key, None)
    info = cls.model_fields.get(key)
    if info is not None and info.is_required():
        fixed[key] = ident if key == "id" else _sample(info.annotation, ident)
    return fixed, (key,)


def _item_model(field: FieldInfo) -> type[BaseModel] | None:
    args = typing.get_args(field.annotation)
    inner = args[0] if args else None
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def _model_of(field: FieldInfo) -> type[BaseModel] | None:
    for candidate in (field.annotation, *typing.get_args(field.annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _sample_model(cls: type[BaseModel], ident: str) -> dict[str, Any]:
    return {name: ident if name == "id" else _sample(info.annotation, ident)
            for name, info in cls.model_fields.items() if info.is_required()}


def _sample(annotation: Any, ident: str) -> Any:
    """A neutral valid value of a field type: the first enum member, 1, an ID that names nothing."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _sample(typing.get_args(annotation)[0], ident)
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in typing.get_args(annotation) if a is not type(None)), ident)
    if origin in (tuple, list):
        return [_sample(typing.get_args(annotation)[0], ident)]
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return next(iter(annotation)).value
        if issubclass(annotation, BaseModel):
            return _sample_model(annotation, ident)
        if issubclass(annotation, bool):
            return False
        if issubclass(annotation, int | float):
            return 1
        if issubclass(annotation, dt.date):
            return "2000-01-01"
    return ident


def _dotted(loc: Loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
