"""Whether a value matches its type annotation: an op's output is checked with it before
it is serialized, so a field given a value of the wrong type fails the op's step naming
the field, what it expected and what it got.

Checks follow what the annotation promises to a reader of the output (a downstream op,
a re-execution structuring the stored JSON), not Python's `isinstance` alone: a bool
passes for an int or float as type checkers allow, a list passes for a tuple or a set
(every collection is stored as a JSON list), a datetime does not pass for a date (it
would not read back as one). One checker is built per annotation and cached.
"""

from __future__ import annotations

import collections.abc as cabc
import datetime as dt
import enum
import functools
import reprlib
import types
import typing
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["MAX_MISMATCHES", "short_repr", "type_mismatches"]

#: At most this many wrong values are reported (and looked for) per check.
MAX_MISMATCHES = 5

#: Checks a value found at a path, adding what is wrong with it to a list.
_Check = Callable[[Any, str, list[str]], None]

_SCALARS_AND_ENUMS = (bool, int, str, bytes, dt.datetime, enum.Enum)
_COLLECTIONS = (list, tuple, set, frozenset)
_SEQUENCES = (list, cabc.Sequence, cabc.MutableSequence, set, frozenset, cabc.Set,
              cabc.MutableSet)
_MAPPINGS = (dict, cabc.Mapping, cabc.MutableMapping)
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother = 40, 60
_repr.maxlist = _repr.maxdict = _repr.maxtuple = _repr.maxset = 3


def short_repr(value: Any) -> str:
    """`repr(value)`, shortened to fit in an error message."""
    return _repr.repr(value)


def type_mismatches(value: Any, tp: Any, path: str) -> list[str]:
    """What is wrong with `value` as a `tp`, one line per wrong value (`path.field[2]:
    expected int, got str 'x'`), at most MAX_MISMATCHES; empty when it matches.

    Annotations daggo cannot serialize (refused when a job is built) are not checked.
    """
    problems: list[str] = []
    _checker(tp)(value, path, problems)
    return problems


def _checker(tp: Any) -> _Check:
    try:
        return _cached_checker(tp)
    except TypeError:  # an unhashable annotation (a Literal of a list, say)
        return _build(tp)


@functools.cache
def _cached_checker(tp: Any) -> _Check:
    return _build(tp)


def _build(tp: Any) -> _Check:
    if tp is None or tp is type(None):
        return _accepting(lambda v: v is None, "None")
    if tp is float:
        return _accepting(lambda v: isinstance(v, int | float), "float")
    if tp is dt.date:
        return _accepting(lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
                          "date")
    if isinstance(tp, type) and (attrs.has(tp) or issubclass(tp, _SCALARS_AND_ENUMS)):
        return _attrs_checker(tp) if attrs.has(tp) else _accepting(
            lambda v: isinstance(v, tp), tp.__name__)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return _union_checker(args)
    if origin is typing.Literal:
        return _accepting(lambda v: any(v == a and type(v) is type(a) for a in args),
                          " | ".join(map(repr, args)))
    if origin is tuple:
        return _tuple_checker(args)
    if origin in _SEQUENCES:
        return _collection_checker(_checker(args[0]) if args else _accept_any,
                                   _name(origin))
    if origin in _MAPPINGS:
        return _mapping_checker(_checker(args[1]) if len(args) == 2 else _accept_any)
    return _accept_any


def _accept_any(value: Any, path: str, problems: list[str]) -> None:
    pass


def _accepting(test: Callable[[Any], bool], expected: str) -> _Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if not test(value):
            problems.append(_mismatch(path, expected, value))

    return check


def _attrs_checker(cls: type) -> _Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, cls):
            problems.append(_mismatch(path, cls.__name__, value))
            return
        actual: Any = value.__class__  # a subclass: its own fields are stored
        for name, field_check in _field_checkers(actual):
            field_check(getattr(value, name), f"{path}.{name}", problems)
            if len(problems) >= MAX_MISMATCHES:
                return

    return check


@functools.cache
def _field_checkers(cls: Any) -> tuple[tuple[str, _Check], ...]:
    """A checker per field of `cls`, built on first use (a class may refer to itself)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations: the job's build reported them
        return ()
    return tuple((f.name, _checker(hints.get(f.name, Any))) for f in attrs.fields(cls))


def _union_checker(args: tuple[Any, ...]) -> _Check:
    arms = [_checker(arg) for arg in args]
    optional = [_checker(arg) for arg in args if arg is not type(None)]
    expected = " | ".join(_name(arg) for arg in args)

    def check(value: Any, path: str, problems: list[str]) -> None:
        if value is not None and len(optional) == 1:
            optional[0](value, path, problems)  # Optional[X]: say what is wrong inside X
            return
        for arm in arms:
            found: list[str] = []
            arm(value, path, found)
            if not found:
                return
        problems.append(_mismatch(path, expected, value))

    return check


def _collection_checker(item: _Check, expected: str) -> _Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, _COLLECTIONS):
            problems.append(_mismatch(path, expected, value))
            return
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]", problems)
            if len(problems) >= MAX_MISMATCHES:
                return

    return check


def _tuple_checker(args: tuple[Any, ...]) -> _Check:
    if not args or (len(args) == 2 and args[1] is Ellipsis):
        return _collection_checker(_checker(args[0]) if args else _accept_any, "tuple")
    items = [_checker(arg) for arg in args]

    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, _COLLECTIONS) or len(value) != len(items):
            problems.append(_mismatch(path, f"a tuple of {len(items)} items", value))
            return
        for index, (item, element) in enumerate(zip(items, value, strict=True)):
            item(element, f"{path}[{index}]", problems)

    return check


def _mapping_checker(item: _Check) -> _Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, cabc.Mapping):
            problems.append(_mismatch(path, "dict", value))
            return
        for key, element in value.items():
            if not isinstance(key, str):
                problems.append(_mismatch(f"{path} key", "str", key))
            else:
                item(element, f"{path}[{key!r}]", problems)
            if len(problems) >= MAX_MISMATCHES:
                return

    return check


def _mismatch(path: str, expected: str, value: Any) -> str:
    return f"{path}: expected {expected}, got {type(value).__name__} {short_repr(value)}"


def _name(tp: Any) -> str:
    if tp is type(None):
        return "None"
    return getattr(tp, "__name__", None) or repr(tp)
