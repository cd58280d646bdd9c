"""The RPC reference page (`/rpc/docs/`): every method of the OpenAPI description, with
its fields and an example call, rendered by daggo itself (no asset from elsewhere)."""

from __future__ import annotations

import json
from typing import Any

from attrs import frozen

__all__ = ["MethodDoc", "example_value", "method_docs"]

_REF = "#/components/schemas/"


@frozen
class FieldDoc:
    name: str
    type: str
    required: bool


@frozen
class MethodDoc:
    """One method as the page shows it."""

    name: str
    service: str
    summary: str
    fields: tuple[FieldDoc, ...]
    response: str
    example: str


def method_docs(spec: dict[str, Any], base_url: str) -> list[MethodDoc]:
    """The methods of `spec`, grouped by service, each with a curl call to `base_url`."""
    schemas = spec["components"]["schemas"]
    docs = []
    for path, item in spec["paths"].items():
        if "post" not in item:  # the GET streams (Server-Sent Events) are in docs/RPC.md
            continue
        operation = item["post"]
        name = path.removeprefix("/rpc/")
        request = _resolve(operation.get("requestBody", {}).get("content", {})
                           .get("application/json", {}).get("schema"), schemas)
        properties = request.get("properties", {}) if request else {}
        required = set(request.get("required", ())) if request else set()
        fields = tuple(FieldDoc(name=field, type=type_label(schema), required=field in required)
                       for field, schema in properties.items())
        body = {field: example_value(properties[field], schemas) for field in sorted(required)}
        data = f" -d '{json.dumps(body)}'" if body else ""
        response = operation["responses"]["200"]["content"]["application/json"]["schema"]
        docs.append(MethodDoc(name=name, service=name.split(".")[0],
                              summary=operation.get("summary", ""), fields=fields,
                              response=type_label(response),
                              example=f"curl -s -X POST {base_url}{path}{data}"))
    return sorted(docs, key=lambda doc: (doc.service, doc.name))


def type_label(schema: dict[str, Any]) -> str:
    """A short reading of a JSON Schema: `string`, `array of RunStatus values`, ..."""
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_REF)
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(type_label(option) for option in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_label(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        return f"object of {type_label(schema['additionalProperties'])}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind or "any")


def _resolve(schema: dict[str, Any] | None, schemas: dict[str, Any]) -> dict[str, Any]:
    if not schema:
        return {}
    if "$ref" in schema:
        resolved: dict[str, Any] = schemas[str(schema["$ref"]).removeprefix(_REF)]
        return resolved
    return schema


def example_value(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """A placeholder value of `schema` for an example call (`"..."` for a string)."""
    schema = _resolve(schema, schemas)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return example_value(schema["anyOf"][0], schemas)
    return {"string": "...", "integer": 1, "number": 1.0, "boolean": True, "array": [],
            "object": {}}.get(schema.get("type", ""))
