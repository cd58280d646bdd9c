"""Whether a value matches its type annotation: an op's output is checked with it before
it is serialized, so a field given a value of the wrong type fails the op's step naming
the field, what it expected and what it got.

Checks follow what the annotation promises to a reader of the output (a downstream op,
a re-execution structuring the stored JSON), not Python's `isinstance` alone: a bool
passes for an int or float as type checkers allow, a list passes for a tuple or a set
(every collection is stored as a JSON list), a datetime does not pass for a date (it
would not read back as one). One checker is built per annotation and cached; a value
that matches costs no more than an `isinstance` per scalar and a call per attrs
instance, as paths are spelt out only for what is wrong.
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

#: Checks a value, adding what is wrong with it to a list, each problem starting with
#: its path below the value ("" for the value itself, ".field", "[2]"...).
_Check = Callable[[Any, list[str]], None]

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
    _checker(tp)(value, problems)
    return [path + problem for problem in problems]


def _checker(tp: Any) -> _Check:
    try:
        return _cached_checker(tp)
    except TypeError:  # an unhashable annotation (a Literal of a list, say)
        return _build(tp)


@functools.cache
def _cached_checker(tp: Any) -> _Check:
    return _build(tp)


def _build(tp: Any) -> _Check:
    classes = _instance_of(tp)
    if classes is not None:
        return _accepting(lambda v: isinstance(v, classes), _name(tp))
    if tp is dt.date:
        return _accepting(lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
                          "date")
    if isinstance(tp, type) and attrs.has(tp):
        return _attrs_checker(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return _union_checker(args)
    if origin is typing.Literal:
        return _accepting(lambda v: any(v == a and type(v) is type(a) for a in args),
                          " | ".join(map(repr, args)))
    if origin is tuple:
        return _tuple_checker(args)
    if origin in _SEQUENCES:
        return _collection_checker(args[0] if args else Any, _name(origin))
    if origin in _MAPPINGS:
        return _mapping_checker(args[1] if len(args) == 2 else Any)
    return _accept_any


def _instance_of(tp: Any) -> tuple[type, ...] | None:
    """The classes a value of `tp` is an instance of, when `isinstance` is the whole check
    (scalars, enums and unions of them), else None."""
    if tp is None or tp is type(None):
        return (type(None),)
    if tp is float:
        return (int, float)
    if isinstance(tp, type) and issubclass(tp, _SCALARS_AND_ENUMS):
        return (tp,)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        arms = [_instance_of(arg) for arg in typing.get_args(tp)]
        if all(arm is not None for arm in arms):
            return tuple(cls for arm in arms if arm is not None for cls in arm)
    return None


def _accept_any(value: Any, problems: list[str]) -> None:
    pass


def _accepting(test: Callable[[Any], bool], expected: str) -> _Check:
    def check(value: Any, problems: list[str]) -> None:
        if not test(value):
            problems.append(_mismatch(expected, value))

    return check


def _below(segment: str, check: _Check, value: Any, problems: list[str]) -> None:
    """`check(value)`, the problems found under `segment` of the path."""
    before = len(problems)
    check(value, problems)
    for index in range(before, len(problems)):
        problems[index] = segment + problems[index]


def _attrs_checker(cls: type) -> _Check:
    def check(value: Any, problems: list[str]) -> None:
        if not isinstance(value, cls):
            problems.append(_mismatch(cls.__name__, value))
            return
        actual: Any = value.__class__  # a subclass: its own fields are stored
        for name, classes, field_check in _field_checkers(actual):
            field = getattr(value, name)
            if classes is None or not isinstance(field, classes):
                _below(f".{name}", field_check, field, problems)
                if len(problems) >= MAX_MISMATCHES:
                    return

    return check


@functools.cache
def _field_checkers(cls: Any) -> tuple[tuple[str, tuple[type, ...] | None, _Check], ...]:
    """Per field of `cls`: its name, the classes that pass it at once, its checker; built
    on first use (a class may refer to itself)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations: the job's build reported them
        return ()
    fields = [(f.name, hints.get(f.name, Any)) for f in attrs.fields(cls)]
    return tuple((name, _instance_of(tp), _checker(tp)) for name, tp in fields)


def _union_checker(args: tuple[Any, ...]) -> _Check:
    arms = [_checker(arg) for arg in args]
    optional = [_checker(arg) for arg in args if arg is not type(None)]
    expected = " | ".join(_name(arg) for arg in args)

    def check(value: Any, problems: list[str]) -> None:
        if value is not None and len(optional) == 1:
            optional[0](value, problems)  # Optional[X]: say what is wrong inside X
            return
        for arm in arms:
            found: list[str] = []
            arm(value, found)
            if not found:
                return
        problems.append(_mismatch(expected, value))

    return check


def _collection_checker(item_type: Any, expected: str) -> _Check:
    item, classes = _checker(item_type), _instance_of(item_type)

    def check(value: Any, problems: list[str]) -> None:
        if not isinstance(value, _COLLECTIONS):
            problems.append(_mismatch(expected, value))
            return
        if classes is not None and all(isinstance(element, classes) for element in value):
            return
        for index, element in enumerate(value):
            before = len(problems)
            item(element, problems)
            if len(problems) > before:
                for found in range(before, len(problems)):
                    problems[found] = f"[{index}]{problems[found]}"
                if len(problems) >= MAX_MISMATCHES:
                    return

    return check


def _tuple_checker(args: tuple[Any, ...]) -> _Check:
    if not args or (len(args) == 2 and args[1] is Ellipsis):
        return _collection_checker(args[0] if args else Any, "tuple")
    items = [_checker(arg) for arg in args]

    def check(value: Any, problems: list[str]) -> None:
        if not isinstance(value, _COLLECTIONS) or len(value) != len(items):
            problems.append(_mismatch(f"a tuple of {len(items)} items", value))
            return
        for index, (item, element) in enumerate(zip(items, value, strict=True)):
            _below(f"[{index}]", item, element, problems)

    return check


def _mapping_checker(item_type: Any) -> _Check:
    item = _checker(item_type)

    def check(value: Any, problems: list[str]) -> None:
        if not isinstance(value, cabc.Mapping):
            problems.append(_mismatch("dict", value))
            return
        for key, element in value.items():
            if not isinstance(key, str):
                problems.append(" key" + _mismatch("str", key))
            else:
                _below(f"[{key!r}]", item, element, problems)
            if len(problems) >= MAX_MISMATCHES:
                return

    return check


def _mismatch(expected: str, value: Any) -> str:
    return f": expected {expected}, got {type(value).__name__} {short_repr(value)}"


def _name(tp: Any) -> str:
    if tp is None or tp is type(None):
        return "None"
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return " | ".join(_name(arg) for arg in typing.get_args(tp))
    return getattr(tp, "__name__", None) or repr(tp)
