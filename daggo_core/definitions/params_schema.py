"""The schema of a job's Params class: each field's JSON type, nested classes by reference.

It is stored with the job's snapshot, so that a launch made without the app's code (the
CLI on the database alone, the RPC) is checked exactly as one made with it: both go
through `daggo_core.definitions.params_check`.
"""

from __future__ import annotations

import collections.abc as cabc
import datetime as dt
import enum
import functools
import types
import typing
from typing import Any

import attrs
from attrs import frozen

from daggo_core.serde import unstructure

__all__ = ["ClassSchema", "ParamSnapshot", "ParamsSchema", "TypeKind", "TypeSchema",
           "params_schema"]


class TypeKind(enum.StrEnum):
    """What JSON value a type takes."""

    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    BYTES = "bytes"
    NONE = "none"
    DATETIME = "datetime"
    DATE = "date"
    CHOICE = "choice"  # an enum or a Literal: one of `values`
    LIST = "list"  # any homogeneous collection (list, tuple[T, ...], set ...): `args[0]`
    TUPLE = "tuple"  # a fixed-length tuple: one item per `args`
    DICT = "dict"  # string keys, values of `args[0]`
    UNION = "union"  # any of `args`
    CLASS = "class"  # an attrs class: `ref` names its ClassSchema
    ANY = "any"  # the items of a bare `typing.List` or `typing.Sequence`


@frozen(kw_only=True)
class TypeSchema:
    """One type as a launch without the code checks it; `label` is how messages name it."""

    kind: TypeKind
    label: str
    args: tuple[TypeSchema, ...] = ()
    values: tuple[Any, ...] = ()
    ref: str | None = None


@frozen(kw_only=True)
class ParamSnapshot:
    """One field of a Params class (or of a class nested in it); `default` is its JSON
    value (None if required); `schema` is None in snapshots stored before it existed."""

    name: str
    type: str
    required: bool
    default: Any = None
    schema: TypeSchema | None = None


@frozen(kw_only=True)
class ClassSchema:
    """An attrs class nested in the params, referenced by `TypeSchema.ref == key`."""

    key: str
    name: str
    fields: tuple[ParamSnapshot, ...] = ()


@frozen(kw_only=True)
class ParamsSchema:
    """The fields of a job's Params class and every attrs class nested in them."""

    fields: tuple[ParamSnapshot, ...] = ()
    classes: tuple[ClassSchema, ...] = ()

    def class_named(self, key: str | None) -> ClassSchema | None:
        """The nested class `key` refers to, or None."""
        return next((c for c in self.classes if c.key == key), None)


@functools.cache
def params_schema(params_type: type) -> ParamsSchema:
    """The schema of an attrs Params class whose types `unserializable_reasons` accepts."""
    collector = _Collector()
    fields = collector.fields_of(params_type)
    return ParamsSchema(fields=fields, classes=tuple(collector.classes.values()))


_SCALARS: tuple[tuple[type, TypeKind], ...] = (
    # bool before int and datetime before date: each is a subclass of the next.
    (bool, TypeKind.BOOL), (int, TypeKind.INT), (float, TypeKind.FLOAT), (str, TypeKind.STR),
    (bytes, TypeKind.BYTES), (type(None), TypeKind.NONE), (dt.datetime, TypeKind.DATETIME),
    (dt.date, TypeKind.DATE),
)
_SEQUENCES = (list, set, frozenset, cabc.Sequence, cabc.MutableSequence, cabc.Set,
              cabc.MutableSet)
_MAPPINGS = (dict, cabc.Mapping, cabc.MutableMapping)


class _Collector:
    """Builds type schemas, keeping each nested attrs class once, by its qualified name."""

    def __init__(self) -> None:
        self.classes: dict[str, ClassSchema] = {}
        self._building: set[str] = set()

    def fields_of(self, cls: type) -> tuple[ParamSnapshot, ...]:
        hints = typing.get_type_hints(cls)
        fields = []
        for f in attrs.fields(cls):
            if not f.init:
                continue
            schema = self.schema_of(hints.get(f.name, f.type))
            has_default = f.default is not attrs.NOTHING
            default = f.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # stubbed as a function
                default = None if default.takes_self else default.factory()
            fields.append(ParamSnapshot(
                name=f.name, type=schema.label, required=not has_default,
                default=unstructure(default) if has_default else None, schema=schema,
            ))
        return tuple(fields)

    def schema_of(self, tp: Any) -> TypeSchema:
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return TypeSchema(kind=TypeKind.CHOICE, label=tp.__name__,
                              values=tuple(unstructure(m.value) for m in tp))
        if isinstance(tp, type):
            for scalar, kind in _SCALARS:
                if issubclass(tp, scalar):
                    return TypeSchema(kind=kind, label="None" if kind is TypeKind.NONE
                                      else tp.__name__)
        if attrs.has(tp):
            return self._class(tp)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is typing.Literal:
            return TypeSchema(kind=TypeKind.CHOICE, label=f"Literal[{', '.join(map(repr, args))}]",
                              values=tuple(unstructure(a) for a in args))
        if origin in (typing.Union, types.UnionType):
            members = tuple(self.schema_of(a) for a in args)
            return TypeSchema(kind=TypeKind.UNION, label=" | ".join(m.label for m in members),
                              args=members)
        name = getattr(origin, "__name__", repr(origin))
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            items = tuple(self.schema_of(a) for a in args)
            return TypeSchema(kind=TypeKind.TUPLE, args=items,
                              label=f"tuple[{', '.join(i.label for i in items)}]")
        if origin is tuple or origin in _SEQUENCES:
            item = self.schema_of(args[0]) if args else TypeSchema(kind=TypeKind.ANY,
                                                                   label="Any")
            suffix = ", ..." if origin is tuple else ""
            return TypeSchema(kind=TypeKind.LIST, label=f"{name}[{item.label}{suffix}]",
                              args=(item,))
        if origin in _MAPPINGS:
            value = self.schema_of(args[1])
            return TypeSchema(kind=TypeKind.DICT, label=f"{name}[str, {value.label}]",
                              args=(value,))
        raise TypeError(f"params type {tp!r} has no JSON schema")  # refused at build time

    def _class(self, cls: type) -> TypeSchema:
        key = f"{cls.__module__}.{cls.__qualname__}"
        if key not in self.classes and key not in self._building:
            self._building.add(key)
            self.classes[key] = ClassSchema(key=key, name=cls.__name__,
                                            fields=self.fields_of(cls))
        return TypeSchema(kind=TypeKind.CLASS, label=cls.__name__, ref=key)
