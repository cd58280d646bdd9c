"""The private cattrs converter daggo uses for outputs, params, config and records."""

from __future__ import annotations

import base64
import collections.abc as cabc
import datetime as dt
import enum
import functools
import json
import pathlib
import types
import typing
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.preconf.json import make_converter

__all__ = [
    "converter",
    "dumps",
    "json_text",
    "loads",
    "structure",
    "structure_strict",
    "unserializable_reasons",
    "unstructure",
    "unstructure_as",
]

T = TypeVar("T")

_COLLECTIONS = (list, tuple, set, frozenset, cabc.Sequence, cabc.MutableSequence, cabc.Set,
                cabc.MutableSet)
_SCALARS: tuple[type, ...] = (str, int, float, bool, bytes, type(None), dt.datetime, dt.date)
_NOT_PLAIN: tuple[type, ...] = (str, bytes, pathlib.PurePath, dt.date, enum.Enum)


def _make_converter(*, strict: bool = False) -> cattrs.Converter:
    """Structures (validating): generated per class, strict about unknown keys; with
    `strict`, about scalar types too (no "5" for an int, no 5.7 or true for one either)."""
    conv = make_converter(forbid_extra_keys=True)
    if strict:
        for kind, accepted in _STRICT_SCALARS.items():
            conv.register_structure_hook(kind, _strict_scalar(kind, accepted))
        # Enums by their members' values only (an enum of str or int values is a str or
        # int too: the scalar hooks above hand those over, else any string would do).
        conv.register_structure_hook_func(
            lambda kind: isinstance(kind, type) and issubclass(kind, enum.Enum), _strict_enum)
    conv.register_unstructure_hook(dt.datetime, lambda v: v.isoformat())
    # Datetimes and dates are ISO 8601 text, or already the object (params filled in from
    # Python).
    conv.register_structure_hook(
        dt.datetime, lambda v, _: v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(v))
    conv.register_unstructure_hook(dt.date, lambda v: v.isoformat())
    conv.register_structure_hook(
        dt.date, lambda v, _: v if isinstance(v, dt.date) else dt.date.fromisoformat(v))
    return conv


#: What JSON values a strictly structured scalar takes: an int never from a bool, a float
#: from an int too (JSON writes 1.0 as 1).
_STRICT_SCALARS: dict[type, tuple[type, ...]] = {
    int: (int,), float: (int, float), str: (str,), bool: (bool,)}


def _strict_enum(value: Any, kind: type[enum.Enum]) -> enum.Enum:
    """The member of `kind` whose value is `value`, of the members' own type."""
    plain = tuple({type(member.value) for member in kind})
    if isinstance(value, bool) or not isinstance(value, plain):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}"[:120])
    return kind(value)


def _strict_scalar(kind: type, accepted: tuple[type, ...]) -> typing.Callable[[Any, Any], Any]:
    def structure(value: Any, target: Any) -> Any:
        if isinstance(target, type) and issubclass(target, enum.Enum):
            return _strict_enum(value, target)  # `class X(str, Enum)`: str first in its MRO
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, accepted):
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} "
                            f"{value!r}"[:120])
        return kind(value)

    return structure


@functools.cache
def _is_plain_attrs(cls: type) -> bool:
    """Whether `cls` is an attrs class that unstructures to a dict of its fields.

    `unstructure` calls its dumper directly, skipping the dispatch's first lookup of each
    new class (a singledispatch MRO walk, ~40 us: a job's outputs are often of as many
    types as ops). Classes that are also strings, bytes, paths, dates, enums or iterable
    keep the dispatch.
    """
    return attrs.has(cls) and not hasattr(cls, "__iter__") and not issubclass(cls, _NOT_PLAIN)


def _is_collection(kind: object) -> bool:
    """Whether `kind` (a class or a generic alias such as `list[int]`) is a collection."""
    return (typing.get_origin(kind) or kind) in _COLLECTIONS


def _make_dumper() -> cattrs.BaseConverter:
    """Unstructures the same way as `converter`, by reflection instead of generated code.

    Outputs are unstructured once or twice per type; generating and compiling a function
    per class would cost far more than the reflection it saves. Fields are unstructured
    by the type of their value, not by their annotation: annotations may be strings
    (`from __future__ import annotations`) and a field may hold a subclass.
    """
    conv = cattrs.BaseConverter()
    # Every collection becomes a JSON list, whatever Python type it was.
    conv.register_unstructure_hook_func(
        _is_collection, lambda v: [conv.unstructure(x) for x in v]
    )
    conv.register_unstructure_hook(bytes, lambda v: base64.b85encode(v).decode("ascii"))
    conv.register_unstructure_hook(dt.datetime, lambda v: v.isoformat())
    conv.register_unstructure_hook(dt.date, lambda v: v.isoformat())
    conv.register_unstructure_hook_factory(_is_plain_attrs, _attrs_dumper)
    return conv


@functools.cache
def _attrs_dumper(cls: type) -> typing.Callable[[Any], dict[str, Any]]:
    """A dict of the fields of an instance of `cls`, each unstructured by its value's type."""
    names = tuple(field.name for field in attrs.fields(cls))

    def dump(value: Any) -> dict[str, Any]:
        unstructure_field = _dumper.unstructure
        return {name: unstructure_field(getattr(value, name)) for name in names}

    return dump


converter = _make_converter()
_strict_converter = _make_converter(strict=True)
_dumper = _make_dumper()


def unstructure(value: Any) -> Any:
    """Turn an attrs instance (or any supported value) into JSON-ready primitives."""
    cls = value.__class__
    if _is_plain_attrs(cls):
        return _attrs_dumper(cls)(value)
    return _dumper.unstructure(value)


def unstructure_as(value: T, cls: type[T]) -> Any:
    """`unstructure(value)` for an instance of `cls` whose fields hold exactly their
    annotated types (API messages): through a function cattrs generates once for `cls`
    and caches, for types that are unstructured again and again."""
    return converter.unstructure(value, cls)


def structure(data: Any, cls: type[T]) -> T:
    """Build an instance of `cls` from primitives; raises cattrs' ClassValidationError."""
    return converter.structure(data, cls)


def structure_strict(data: Any, cls: type[T]) -> T:
    """Like `structure`, but a scalar of another JSON type is refused rather than
    converted (what an API request body must match); raises ClassValidationError."""
    return _strict_converter.structure(data, cls)


def dumps(value: Any) -> str:
    """Serialize a value to compact JSON through the converter."""
    return json.dumps(unstructure(value), separators=(",", ":"))


#: Compact JSON text of JSON-ready primitives, non-ASCII kept as is: what storage writes.
json_text = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def loads(text: str, cls: type[T]) -> T:
    """Parse JSON text into an instance of `cls`."""
    return converter.structure(json.loads(text), cls)


def unserializable_reasons(tp: Any, path: str = "") -> list[str]:
    """Return why `tp` cannot round-trip through JSON, one reason per bad field path.

    An empty list means the type is supported: scalars, datetimes, enums, attrs classes
    whose fields are supported, and list/tuple/set/frozenset/dict[str, ...]/Optional/Union
    of supported types.
    """
    return _check(tp, path or getattr(tp, "__name__", repr(tp)), set())


def _check(tp: Any, path: str, seen: set[Any]) -> list[str]:
    if tp is Any:
        return [f"{path}: typing.Any cannot be serialized safely; use a concrete type"]
    if isinstance(tp, type) and issubclass(tp, _SCALARS):
        return []
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return []
    if attrs.has(tp):
        if tp in seen:
            return []
        seen = seen | {tp}
        try:
            hints = typing.get_type_hints(tp)
        except Exception as exc:
            return [f"{path}: field annotations of {tp.__name__} cannot be resolved ({exc})"]
        problems: list[str] = []
        for field in attrs.fields(tp):
            ftype = hints.get(field.name, field.type)
            if ftype is None:
                problems.append(f"{path}.{field.name}: field has no type annotation")
                continue
            problems.extend(_check(ftype, f"{path}.{field.name}", seen))
        return problems
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        problems = [p for arg in args for p in _check(arg, path, seen)]
        if not problems:
            # Unions of look-alike attrs classes cannot be told apart when structuring.
            try:
                converter.get_structure_hook(tp)
            except Exception as exc:
                problems.append(f"{path}: union {tp!r} cannot be structured ({exc})")
        return problems
    # typing.Sequence[int] and friends report their collections.abc origin.
    if origin in (list, tuple, set, frozenset, cabc.Sequence, cabc.MutableSequence, cabc.Set,
                  cabc.MutableSet):
        return [p for arg in args if arg is not Ellipsis for p in _check(arg, f"{path}[]", seen)]
    if origin in (dict, cabc.Mapping, cabc.MutableMapping):
        key, value = args if args else (Any, Any)
        if key is not str:
            return [f"{path}: dict keys must be str to serialize as JSON, not {key!r}"]
        return _check(value, f"{path}{{}}", seen)
    if origin is typing.Literal:
        return []
    name = getattr(tp, "__name__", repr(tp))
    return [f"{path}: type {name} cannot be serialized; use attrs classes and plain types"]
