"""An op's return value, checked against its output type and serialized in the step's
attempt, where the op ran.

Storage would otherwise find out only when it writes the step, far from the op: the
write would fail the worker and lose the run's events. Here a value of the wrong type,
or one JSON cannot hold, fails its step with an `OutputError` naming the op, the field,
what was expected and what was got.
"""

from __future__ import annotations

from typing import Any

from daggo_core.definitions.ops import OpDefinition
from daggo_core.errors import OutputError
from daggo_core.serde import json_text, unstructure
from daggo_core.value_types import short_repr, type_mismatches

__all__ = ["SERIALIZABLE_HINT", "serialize_output"]

SERIALIZABLE_HINT = (
    "return a value cattrs can serialize to JSON: an attrs class whose fields are str, "
    "int, float, bool, None, bytes, datetimes, dates, enums, other such attrs classes, "
    "or lists, tuples, sets and dict[str, ...] of them"
)


def serialize_output(op: OpDefinition, value: Any) -> Any:
    """`value`, returned by `op`, as the JSON-ready primitives storage writes; raises
    OutputError if it is not an instance of the op's output type, a field does not match
    its annotation, or the value cannot be stored as JSON."""
    out = op.output_type
    label = f"op {op.name!r} ({op.location})"
    if not isinstance(value, out):
        raise OutputError(
            f"{label} returned a {type(value).__name__}, expected a {out.__name__}: "
            f"{short_repr(value)}",
            hint=f"return an instance of {out.__name__}, the op's return annotation, or "
                 "annotate the op with the class it returns")
    try:
        problems = type_mismatches(value, out, out.__name__)
    except RecursionError:
        raise OutputError(f"{label}: its {out.__name__} output contains itself (or is "
                          "nested too deeply)",
                          hint=SERIALIZABLE_HINT) from None
    if problems:
        raise OutputError(
            f"{label}: its {out.__name__} output does not match its annotations: "
            f"{'; '.join(problems)}",
            hint=f"give each field a value of its annotated type, or change the "
                 f"annotations of {out.__qualname__} to what the op returns")
    try:
        data = unstructure(value)
    except Exception as exc:
        raise _unserializable(label, out, f"{type(exc).__name__}: {exc}") from exc
    try:
        json_text(data).encode("utf-8")
    except Exception as exc:
        where = _unstorable(data, out.__name__) or f"{type(exc).__name__}: {exc}"
        raise _unserializable(label, out, where) from exc
    return data


def _unserializable(label: str, out: type, reason: str) -> OutputError:
    return OutputError(f"{label}: its {out.__name__} output cannot be serialized: {reason}",
                       hint=SERIALIZABLE_HINT)


def _unstorable(data: Any, path: str) -> str | None:
    """The first value in `data` (unstructured) that JSON text in storage cannot hold."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return f"{path}: text {short_repr(data)} is not valid Unicode (a lone surrogate)"
        return None
    if data is None or isinstance(data, bool | int | float):
        return None
    if isinstance(data, list | tuple):
        return next((p for i, v in enumerate(data) if (p := _unstorable(v, f"{path}[{i}]"))),
                    None)
    if isinstance(data, dict):
        return next((p for k, v in data.items() if (p := _unstorable(v, f"{path}[{k!r}]"))),
                    None)
    return f"{path}: {type(data).__name__} {short_repr(data)} is not a JSON value"
