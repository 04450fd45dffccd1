"""What threatloom keeps under `attributes.threatloom` so that its own OTM files come back exactly.

OTM has no field for a component's kind, a flow's protocol or authentication, an asset's
classification, decisions, actors or reviews. The exporter writes each of them, as the model format
spells them, under the `threatloom` key of the element's `attributes` (model-wide sections under the
project's); the importer lays them back over what it read from OTM's own fields, and checks the result
against the model schema, so a file edited by hand fails with a located error rather than a bad model.
"""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace
from pydantic import BaseModel, ValidationError

from threatloom.errors import InputError
from threatloom.interop.reading import ForeignDocument, Key
from threatloom.model.pydantic_errors import describe_validation_error

KEY = "threatloom"
FORMAT = 1  # version of what threatloom writes under the key
PLACEHOLDER_ZONE = "threatloom-no-zone"  # OTM needs a parent for every component; ours may have no zone

# fields written in OTM's own fields, so not repeated under attributes.threatloom
ZONE_NATIVE = frozenset({"id", "name", "description", "trust", "parent"})
COMPONENT_NATIVE = frozenset({"id", "name", "description", "zone", "tags", "stores", "processes"})
PARTY_NATIVE = frozenset({"id", "name", "description", "zone", "tags", "receives"})
FLOW_NATIVE = frozenset({"id", "name", "description", "source", "destination", "bidirectional", "data", "tags"})
ASSET_NATIVE = frozenset({"id", "name", "description", "confidentiality", "integrity", "availability"})
CONTROL_NATIVE = frozenset({"id", "name", "description"})
SYSTEM_NATIVE = frozenset({"name", "description", "owner"})


def dump(item: BaseModel, native: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`item` in the model format (JSON types, defaults left out), without its `native` fields."""
    data = item.model_dump(mode="json", exclude_defaults=True)
    return {key: value for key, value in data.items() if key not in native}


def carried(document: ForeignDocument, obj: dict[str, Any], keys: tuple[Key, ...]) -> dict[str, Any] | None:
    """The `attributes.threatloom` mapping of an OTM object, when it has one."""
    attributes = document.member(obj, "attributes", dict, keys)
    if not attributes or attributes.get(KEY) is None:
        return None
    return document.expect(attributes[KEY], dict, (*keys, "attributes", KEY))


def restore(document: ForeignDocument, keys: tuple[Key, ...], schema: type[BaseModel],
            item: dict[str, Any], *, at: tuple[Key, ...] | None = None) -> dict[str, Any]:
    """`item` checked against the model's `schema`; a located InputError when it does not fit (located
    in the `attributes.threatloom` of the OTM object at `keys`, or at `at`)."""
    try:
        schema.model_validate(item)
    except ValidationError as exc:
        base = at if at is not None else (*keys, "attributes", KEY)

        def locate(loc: tuple[Key, ...], at_key: bool = False) -> Any:
            return document.locate((*base, *loc))

        hint = "the threatloom attributes were edited by hand? export the model again"
        raise InputError([replace(p, hint=p.hint or hint, code="import-attributes")
                          for p in describe_validation_error(exc, locate, root=schema)]) from None
    return item


def ordered(schema: type[BaseModel], item: dict[str, Any]) -> dict[str, Any]:
    """`item` with its keys in the order the model format lists them (what people read first, first)."""
    fields = list(schema.model_fields)
    return {key: item[key] for key in sorted(item, key=lambda k: fields.index(k) if k in fields else len(fields))}
