"""The RPC reference page (`/rpc/docs/`): every method of the OpenAPI description, with
its fields, an example request and response, and every message, rendered by daggo itself
(no asset from elsewhere)."""

from __future__ import annotations

import json
from typing import Any

from attrs import frozen

__all__ = ["FieldDoc", "MessageDoc", "MethodDoc", "call_body", "message_docs",
           "method_docs", "type_label"]

_REF = "#/components/schemas/"


@frozen
class FieldDoc:
    """One field of a message: its type, whether a request must give it, its default
    (as JSON, None without one) and the values an enum takes."""

    name: str
    type: str
    ref: str | None
    required: bool
    default: str | None
    values: tuple[str, ...]
    description: str


@frozen
class MessageDoc:
    """A message class of the API with its fields, or an enum with its values."""

    name: str
    description: str
    fields: tuple[FieldDoc, ...]
    values: tuple[str, ...]


@frozen
class MethodDoc:
    """One method as the page shows it."""

    name: str
    service: str
    summary: str
    plugin: str | None
    request: str | None
    fields: tuple[FieldDoc, ...]
    response: str
    call: str
    example_request: str | None
    example_response: str | None


def method_docs(spec: dict[str, Any], base_url: str) -> list[MethodDoc]:
    """The methods of `spec`, grouped by service, each with a curl call to `base_url`
    (carrying its example request, or its required fields)."""
    schemas = spec["components"]["schemas"]
    docs = []
    for path, item in spec["paths"].items():
        if "post" not in item:  # the GET streams (Server-Sent Events) are in docs/RPC.md
            continue
        operation = item["post"]
        name = path.removeprefix("/rpc/")
        media = operation.get("requestBody", {}).get("content", {}).get("application/json")
        request = _resolve(media["schema"], schemas) if media else {}
        example = call_body(media, request, schemas) if request else None
        data = f" -d '{json.dumps(example)}'" if example else ""
        answer = operation["responses"]["200"]["content"]["application/json"]
        docs.append(MethodDoc(
            name=name, service=name.split(".")[0], summary=operation.get("summary", ""),
            plugin=operation.get("x-daggo-plugin"),
            request=_ref_name(media["schema"]) if media else None,
            fields=_fields(request, schemas),
            response=type_label(answer["schema"]),
            call=f"curl -s -X POST {base_url}{path}{data}",
            example_request=None if example is None else json.dumps(example, indent=2),
            example_response=_pretty(_example_value(answer))))
    return sorted(docs, key=lambda doc: (doc.service, doc.name))


def message_docs(spec: dict[str, Any]) -> list[MessageDoc]:
    """Every message class of `spec`, by name."""
    schemas = spec["components"]["schemas"]
    return [MessageDoc(name=name, description=schema.get("description", ""),
                       fields=_fields(schema, schemas),
                       values=tuple(str(value) for value in schema.get("enum", ())))
            for name, schema in sorted(schemas.items())]


def type_label(schema: dict[str, Any]) -> str:
    """A short reading of a JSON Schema: `string`, `array of RunSummary`, ..."""
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_REF)
    if "enum" in schema:
        return "enum"
    if "anyOf" in schema:
        return " | ".join(type_label(option) for option in schema["anyOf"])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_label(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_label(schema['additionalProperties'])}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind or "any")


def _fields(schema: dict[str, Any], schemas: dict[str, Any]) -> tuple[FieldDoc, ...]:
    required = set(schema.get("required", ()))
    return tuple(
        FieldDoc(name=name, type=type_label(field), ref=_first_ref(field),
                 required=name in required,
                 default=json.dumps(field["default"]) if "default" in field else None,
                 values=tuple(str(v) for v in _enum_values(field, schemas)),
                 description=_range(field))
        for name, field in schema.get("properties", {}).items())


def _range(field: dict[str, Any]) -> str:
    if "maximum" in field:
        return f"{field.get('minimum', 0)} to {field['maximum']}"
    return ""


def _enum_values(schema: dict[str, Any], schemas: dict[str, Any]) -> list[Any]:
    """The enum values of a field: of itself, its items or its non-null options."""
    schema = _resolve(schema, schemas)
    if "enum" in schema:
        return list(schema["enum"])
    if "items" in schema:
        return _enum_values(schema["items"], schemas)
    return [value for option in schema.get("anyOf", ())
            for value in _enum_values(option, schemas)]


def _first_ref(schema: dict[str, Any]) -> str | None:
    if "$ref" in schema:
        return _ref_name(schema)
    for inner in (schema.get("items"), schema.get("additionalProperties"),
                  *schema.get("anyOf", ())):
        if isinstance(inner, dict) and (found := _first_ref(inner)):
            return found
    return None


def _ref_name(schema: dict[str, Any]) -> str | None:
    return str(schema["$ref"]).removeprefix(_REF) if "$ref" in schema else None


def _example_value(media: dict[str, Any] | None) -> Any:
    examples = (media or {}).get("examples", {})
    return next(iter(examples.values()))["value"] if examples else None


def _pretty(value: Any) -> str | None:
    return None if value is None else json.dumps(value, indent=2)


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        resolved: dict[str, Any] = schemas[str(schema["$ref"]).removeprefix(_REF)]
        return resolved
    return schema


def call_body(media: dict[str, Any] | None, request: dict[str, Any],
              schemas: dict[str, Any], *, required_only: bool = False) -> dict[str, Any]:
    """The body of an example call of a method whose request schema is `request`: its
    example request (with `required_only`, just its required fields), and each required
    field the example lacks (a plugin method may declare none) valued by its type."""
    example: dict[str, Any] = _example_value(media) or {}
    required = request.get("required", [])
    body = {field: value for field, value in example.items()
            if not required_only or field in required}
    properties = request.get("properties", {})
    for field in required:
        body.setdefault(field, _typed_value(properties.get(field, {}), schemas))
    return body


def _typed_value(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """A value of `schema`'s type for a field no example gives (`"..."` for a string)."""
    schema = _resolve(schema, schemas)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _typed_value(schema["anyOf"][0], schemas)
    return {"string": "...", "integer": 1, "number": 1.0, "boolean": True, "array": [],
            "object": {}}.get(schema.get("type", ""))
