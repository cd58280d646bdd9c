"""Launch params checked against a job's params schema: JSON types exactly, no coercion.

A launch with the app's code and one without it (checked against the schema stored with
the job) go through `check_params`, so both accept the same values and word their errors
the same way. The one widening allowed is an integer for a float field: JSON writes 1.0
as 1 as often as not.
"""

from __future__ import annotations

import base64
import datetime as dt
import difflib
import enum
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from daggo_core.definitions.params_schema import (
    ParamSnapshot,
    ParamsSchema,
    TypeKind,
    TypeSchema,
)
from daggo_core.errors import ParamsError
from daggo_core.serde import structure

__all__ = ["check_fields", "check_params", "describe_fields", "structure_checked",
           "takes_no_params"]

T = TypeVar("T")

#: How much of a wrong value an error message quotes.
_QUOTE_LIMIT = 60
#: Values JSON can carry (and the Python values taken for them): anything else was filled
#: in from Python.
_JSON_TYPES = (str, int, float, bool, type(None), list, tuple, dict, enum.Enum, dt.date)


def check_params(job_name: str, schema: ParamsSchema, params: Mapping[Any, Any]) -> None:
    """Raise ParamsError naming every field of `params` that `schema` does not accept (its
    path, the type expected and the value given) and listing the expected fields."""
    if not schema.fields and params:
        raise takes_no_params(job_name, params)
    check_fields(f"params of job {job_name!r}", schema, params)


def check_fields(subject: str, schema: ParamsSchema, value: Mapping[Any, Any],
                 error: type[ParamsError] = ParamsError) -> None:
    """Raise `error`, its message starting with `subject`, naming every field of `value`
    that `schema` does not accept and listing the expected fields."""
    problems = _fields_problems(schema, schema.fields, value, "")
    if problems:
        raise error(f"{subject}: {'; '.join(problems)}. "
                    f"Expected fields: {describe_fields(schema)}",
                    problems=tuple(problems))


def structure_checked(subject: str, value: Mapping[str, Any], cls: type[T],
                      error: type[ParamsError] = ParamsError) -> T:
    """`value` (passed by `check_fields`) as an instance of `cls`; raises `error`, its
    message starting with `subject`, when the class's own validators refuse a value."""
    try:
        return structure(value, cls)
    except Exception as exc:  # an attrs validator, or the class's __attrs_post_init__
        raise error(f"{subject}: {_describe_structure_error(exc)}") from exc


def _describe_structure_error(exc: Exception) -> str:
    """`path: reason` for each error cattrs collected (`$.inner` becomes `inner`), the
    reason being the exception's own message (an attrs validator's, say)."""
    from cattrs import transform_error

    lines = []
    for line in transform_error(exc, path="$",
                                format_exception=lambda e, _: str(e) or type(e).__name__):
        reason, _, where = line.rpartition(" @ ")
        where = where.removeprefix("$").removeprefix(".")
        lines.append(f"{where}: {reason}" if where else reason)
    return "; ".join(lines)


def takes_no_params(job_name: str, given: object) -> ParamsError:
    """The error for params given to a job that declares none."""
    return ParamsError(f"params of job {job_name!r}: the job takes no params, got "
                       f"{_quote(given)}")


def describe_fields(schema: ParamsSchema) -> str:
    """The fields as a signature, `n: int, label: str = 'all'`, with the fields of each
    nested class after the first field that uses it."""
    return _signature(schema, schema.fields, set()) or "none"


def _signature(schema: ParamsSchema, fields: tuple[ParamSnapshot, ...], shown: set[str]) -> str:
    parts = []
    for f in fields:
        text = f"{f.name}: {f.type}" + ("" if f.required else f" = {f.default!r}")
        for ref in _refs(f.schema):
            nested = schema.class_named(ref)
            if nested is not None and ref not in shown:
                shown.add(ref)
                text += f" ({nested.name}: {{{_signature(schema, nested.fields, shown)}}})"
        parts.append(text)
    return ", ".join(parts)


def _refs(tp: TypeSchema | None) -> Iterator[str]:
    if tp is None:
        return
    if tp.ref is not None:
        yield tp.ref
    for arg in tp.args:
        yield from _refs(arg)


def _fields_problems(schema: ParamsSchema, fields: tuple[ParamSnapshot, ...],
                     value: Mapping[Any, Any], path: str) -> list[str]:
    by_name = {f.name: f for f in fields}
    problems = []
    for key in value:
        if key not in by_name:
            close = difflib.get_close_matches(str(key), list(by_name), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{_join(path, key)}: unknown field{hint}")
    for f in fields:
        if f.name not in value:
            if f.required:
                problems.append(f"{_join(path, f.name)}: required field missing ({f.type})")
        elif f.schema is not None:  # None: stored before schemas were, names only
            problems.extend(_problems(schema, f.schema, value[f.name], _join(path, f.name)))
    return problems


def _problems(schema: ParamsSchema, tp: TypeSchema, value: Any, path: str) -> list[str]:
    kind = tp.kind
    if kind is TypeKind.ANY:
        return []
    if kind is TypeKind.UNION:
        return _union_problems(schema, tp, value, path)
    if kind is TypeKind.CHOICE:
        given = value.value if isinstance(value, enum.Enum) else value
        if any(type(choice) is type(given) and choice == given for choice in tp.values):
            return []
        return [_mismatch(path, tp, value)]
    if kind in _SCALARS:
        return [] if _SCALARS[kind](value) else [_mismatch(path, tp, value)]
    if kind is TypeKind.CLASS:
        if not isinstance(value, Mapping):
            return [_mismatch(path, tp, value)]
        nested = schema.class_named(tp.ref)
        return [] if nested is None else _fields_problems(schema, nested.fields, value, path)
    if kind is TypeKind.DICT:
        if not isinstance(value, Mapping):
            return [_mismatch(path, tp, value)]
        return [p for key, item in value.items()
                for p in ([f"{path}: keys must be strings, got {_given(key)}"]
                          if not isinstance(key, str)
                          else _problems(schema, tp.args[0], item, f"{path}[{key!r}]"))]
    if not isinstance(value, list | tuple):
        return [_mismatch(path, tp, value)]
    if kind is TypeKind.TUPLE:
        if len(value) != len(tp.args):
            return [f"{path}: expected {tp.label} (a list of {len(tp.args)} items), got "
                    f"{_given(value)} ({len(value)} items)"]
        return [p for i, (item_type, item) in enumerate(zip(tp.args, value, strict=True))
                for p in _problems(schema, item_type, item, f"{path}[{i}]")]
    return [p for i, item in enumerate(value)
            for p in _problems(schema, tp.args[0], item, f"{path}[{i}]")]


def _union_problems(schema: ParamsSchema, tp: TypeSchema, value: Any, path: str) -> list[str]:
    """None if any member accepts `value`; else the problems inside the one member of the
    value's shape (an object, a list) when there is one, else a mismatch of the union."""
    attempts = [(member, _problems(schema, member, value, path)) for member in tp.args]
    if any(not problems for _, problems in attempts):
        return []
    shaped = [problems for member, problems in attempts if _shape_fits(member, value)]
    return shaped[0] if len(shaped) == 1 else [_mismatch(path, tp, value)]


def _shape_fits(tp: TypeSchema, value: Any) -> bool:
    if tp.kind in (TypeKind.CLASS, TypeKind.DICT):
        return isinstance(value, Mapping)
    return tp.kind in (TypeKind.LIST, TypeKind.TUPLE) and isinstance(value, list | tuple)


def _parses(parse: Callable[[str], object], value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse(value)
    except ValueError:
        return False
    return True


# Datetimes and dates are also taken as the objects themselves, from Python callers.
_SCALARS: dict[TypeKind, Callable[[Any], bool]] = {
    TypeKind.STR: lambda v: isinstance(v, str),
    TypeKind.INT: lambda v: isinstance(v, int) and not isinstance(v, bool),
    TypeKind.FLOAT: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    TypeKind.BOOL: lambda v: isinstance(v, bool),
    TypeKind.NONE: lambda v: v is None,
    TypeKind.BYTES: lambda v: _parses(base64.b85decode, v),
    TypeKind.DATETIME: lambda v: (isinstance(v, dt.datetime)
                                  or _parses(dt.datetime.fromisoformat, v)),
    TypeKind.DATE: lambda v: ((isinstance(v, dt.date) and not isinstance(v, dt.datetime))
                              or _parses(dt.date.fromisoformat, v)),
}

#: What text a field of these types takes, said when it got something else.
_TEXT_FORMS = {
    TypeKind.BYTES: "base85 text",
    TypeKind.DATETIME: "ISO 8601 text, e.g. '2026-01-31T09:30:00+00:00'",
    TypeKind.DATE: "ISO 8601 text, e.g. '2026-01-31'",
}


def _mismatch(path: str, tp: TypeSchema, value: Any) -> str:
    members = tp.args if tp.kind is TypeKind.UNION else (tp,)
    forms = [f"one of {', '.join(map(repr, m.values))}" if m.kind is TypeKind.CHOICE
             else _TEXT_FORMS[m.kind] for m in members
             if m.kind is TypeKind.CHOICE or m.kind in _TEXT_FORMS]
    expected = tp.label + (f" ({'; '.join(forms)})" if forms else "")
    hint = "" if isinstance(value, _JSON_TYPES) else (
        " (params given as a mapping take JSON values; pass an instance of the Params "
        "class to give Python objects)")
    return f"{path}: expected {expected}, got {_given(value)}{hint}"


def _given(value: Any) -> str:
    return "None" if value is None else f"{type(value).__name__} {_quote(value)}"


def _quote(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 3] + "..."


def _join(path: str, name: object) -> str:
    key = name if isinstance(name, str) else repr(name)
    return f"{path}.{key}" if path else key
