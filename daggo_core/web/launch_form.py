"""The job page's launch form, made from the job's params schema: a field per param
(text, number, checkbox, choice, date, or JSON for lists, maps and classes), its
default filled in; what a submitted form means as launch params; and the launch's
errors placed next to their fields.

The form converts only what a browser cannot say otherwise (a number typed as text, a
checkbox, JSON); a value it cannot convert is launched as typed, so that the job's own
check (`daggo_core.definitions.params_check`) words its error, as it does for the RPC
and the CLI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from daggo_core.definitions.params_schema import ParamSnapshot, ParamsSchema, TypeKind
from daggo_core.errors import InvalidArgumentError, ParamsError

__all__ = ["FormField", "field_errors", "form_fields", "params_of"]

_INPUTS = {TypeKind.STR: "text", TypeKind.INT: "number", TypeKind.FLOAT: "number",
           TypeKind.BOOL: "checkbox", TypeKind.CHOICE: "select", TypeKind.DATE: "date",
           TypeKind.DATETIME: "text", TypeKind.BYTES: "text"}
_FIELD_NAME = re.compile(r"[A-Za-z_]\w*")


@frozen
class FormField:
    """One input of the form: `input` is the HTML input type ("json": a textarea)."""

    name: str
    type_label: str
    input: str
    required: bool
    value: str
    checked: bool = False
    options: tuple[tuple[str, str], ...] = ()  # (value sent, label)
    hint: str = ""


def form_fields(schema: ParamsSchema, submitted: Mapping[str, str] | None = None
                ) -> list[FormField]:
    """The form's fields, showing `submitted` values (after a refused launch) or the
    defaults."""
    return [_field(param, submitted) for param in schema.fields]


def _field(param: ParamSnapshot, submitted: Mapping[str, str] | None) -> FormField:
    kind = param.schema.kind if param.schema is not None else TypeKind.ANY
    form_input = _INPUTS.get(kind, "json")
    default = None if param.required else param.default
    if form_input == "checkbox":
        checked = (submitted.get(param.name) == "on" if submitted is not None
                   else bool(default))
        return FormField(name=param.name, type_label=param.type, input="checkbox",
                         required=False, value="on", checked=checked)
    if submitted is not None:
        value = submitted.get(param.name, "")
    elif default is None:
        value = ""
    elif form_input == "json":
        value = json.dumps(default)
    else:
        value = str(default)
    options: tuple[tuple[str, str], ...] = ()
    if form_input == "select" and param.schema is not None:
        options = tuple((json.dumps(v), str(v)) for v in param.schema.values)
        if submitted is None and default is not None:
            value = json.dumps(default)
    hint = {TypeKind.DATETIME: "ISO 8601 with its offset, e.g. 2026-01-31T09:30:00+00:00",
            TypeKind.BYTES: "base85 text"}.get(kind, "JSON" if form_input == "json" else "")
    return FormField(name=param.name, type_label=param.type, input=form_input,
                     required=param.required, value=value, options=options, hint=hint)


def params_of(schema: ParamsSchema, form: Mapping[str, str]) -> dict[str, Any]:
    """The launch params a submitted form means: an empty optional field takes its
    default (it is left out); raises ParamsError for JSON that does not parse."""
    params: dict[str, Any] = {}
    problems = []
    for param in schema.fields:
        kind = param.schema.kind if param.schema is not None else TypeKind.ANY
        form_input = _INPUTS.get(kind, "json")
        if form_input == "checkbox":
            params[param.name] = form.get(param.name) == "on"
            continue
        text = form.get(param.name, "")
        if text == "":
            continue  # its default, or "required field missing" from the check
        if form_input == "select":
            params[param.name] = _json_or_text(text)
        elif kind is TypeKind.INT:
            params[param.name] = int(text) if re.fullmatch(r"[+-]?\d+", text) else text
        elif kind is TypeKind.FLOAT:
            params[param.name] = _number_or_text(text)
        elif form_input == "json":
            try:
                params[param.name] = json.loads(text)
            except ValueError as exc:
                problems.append(f"{param.name}: not JSON ({exc.args[0]})")
        else:
            params[param.name] = text
    if problems:
        raise ParamsError("; ".join(problems), problems=tuple(problems))
    return params


def field_errors(error: InvalidArgumentError, names: list[str]
                 ) -> tuple[dict[str, list[str]], list[str]]:
    """The messages of `error` by the form field at fault, and those of no field."""
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    problems = error.problems if isinstance(error, ParamsError) else ()
    for problem in problems:
        found = _FIELD_NAME.match(problem)
        if found and found[0] in names:
            by_field.setdefault(found[0], []).append(problem)
        else:
            general.append(problem)
    if not problems:
        general.append(str(error))
    return by_field, general


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _number_or_text(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text
