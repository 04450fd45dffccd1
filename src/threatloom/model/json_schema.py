"""The JSON Schema of the model format, for editors and other tools."""

from __future__ import annotations

from typing import Any

from threatloom.model.schema import Model

SCHEMA_ID = "https://threatloom.dev/schema/model-v1.json"


def model_json_schema() -> dict[str, Any]:
    schema = Model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "threatloom model (format version 1)"
    # `include:` is resolved by the loader before validation, so the schema lists it too.
    schema["properties"]["include"] = {"type": "array", "items": {"type": "string"},
                                       "description": "Other model files whose sections join this one."}
    # a component's technology may also be written as plain text (`technology: PostgreSQL 16`)
    technology = schema["$defs"]["Component"]["properties"]["technology"]
    technology["anyOf"] = [{"type": "string", "minLength": 1, "maxLength": 300}, *technology["anyOf"]]
    return schema
