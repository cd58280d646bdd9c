"""Partition keys and the interface every partitions definition implements."""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterator
from typing import Any, ClassVar

from attrs import frozen

from daggo_core.errors import DefinitionError, InvalidArgumentError

__all__ = [
    "PARTITION_KEY_MAX",
    "RANGE_SEPARATOR",
    "PartitionKeyError",
    "PartitionKeys",
    "PartitionsDefinition",
    "TimeWindow",
    "partition_key_problem",
]

#: The longest partition key storage keeps.
PARTITION_KEY_MAX = 255
#: Joins the first and last key of a range of keys run together: "2024-01-01...2024-01-31".
RANGE_SEPARATOR = "..."

_CHUNK = 1024


def partition_key_problem(key: object) -> str | None:
    """Why `key` cannot be a partition key, or None when it can: a key is a string of 1 to
    PARTITION_KEY_MAX characters without NUL, surrounding whitespace or RANGE_SEPARATOR."""
    if not isinstance(key, str):
        return f"partition key {key!r} is a {type(key).__name__}; keys are strings"
    if not key:
        return "partition key '' is empty; give at least one character"
    if len(key) > PARTITION_KEY_MAX:
        return (f"partition key {key[:40]!r}... has {len(key)} characters; keys are at most "
                f"{PARTITION_KEY_MAX}")
    if "\x00" in key:  # not every database keeps one in a text column
        return f"partition key {key!r} holds a NUL character; remove it"
    if RANGE_SEPARATOR in key:
        return (f"partition key {key!r} contains {RANGE_SEPARATOR!r}, which joins the ends of "
                "a key range ('first...last'); use another separator")
    if key != key.strip():
        return f"partition key {key!r} starts or ends with whitespace; strip it"
    return None


class PartitionKeyError(InvalidArgumentError):
    """A partition key (or range of keys) that a set of partitions lacks; `key` is the key
    at fault."""

    def __init__(self, message: str, key: object) -> None:
        super().__init__(message)
        self.key = key


def _not_in(key: object, partitions: str, why: str | None, example: str | None
            ) -> PartitionKeyError:
    reason = f": {why}" if why else ""
    hint = f"a valid key is {example!r}" if example is not None else "it has no keys yet"
    return PartitionKeyError(
        f"partition key {key!r} is not in the partitions ({partitions}){reason}; {hint}", key)


def _reversed(first: str, last: str, partitions: str) -> PartitionKeyError:
    return PartitionKeyError(
        f"partition key range {first + RANGE_SEPARATOR + last!r} is reversed in the "
        f"partitions ({partitions}): {first!r} comes after {last!r}; give the earlier key first",
        first)


@frozen(kw_only=True)
class TimeWindow:
    """The span of a time partition: aware datetimes in the definition's timezone, `end`
    exclusive. Measure it in UTC: Python subtracts datetimes of one tzinfo as wall times."""

    start: dt.datetime
    end: dt.datetime


class PartitionKeys(abc.ABC):
    """The keys of a partitions definition at one moment, in order, indexable."""

    _description: str

    @abc.abstractmethod
    def __len__(self) -> int:
        """How many keys the set holds."""

    @abc.abstractmethod
    def index_of(self, key: str) -> int | None:
        """The position of `key`, or None when the set lacks it (malformed or out of range)."""

    @abc.abstractmethod
    def _run(self, start: int, stop: int) -> list[str]:
        """The keys from `start` to `stop`, with 0 <= start <= stop <= len."""

    def key_at(self, index: int) -> str:
        """The key at `index`; IndexError outside 0..len-1."""
        if not 0 <= index < len(self):
            raise IndexError(f"partition index {index} is out of range: the partitions "
                             f"({self._description}) hold {len(self)} keys now")
        return self._run(index, index + 1)[0]

    def slice(self, start: int, stop: int) -> list[str]:
        """The keys from `start` to `stop` (exclusive), clamped and counted like a list's."""
        first, last, _ = slice(start, stop).indices(len(self))
        return self._run(first, last) if first < last else []

    def between(self, first: str, last: str) -> list[str]:
        """The keys from `first` to `last`, both included; PartitionKeyError when either is
        not in the set or `first` comes after `last`."""
        start, stop = self._position(first), self._position(last)
        if start > stop:
            raise _reversed(first, last, self._description)
        return self._run(start, stop + 1)

    def __iter__(self) -> Iterator[str]:
        count = len(self)
        for start in range(0, count, _CHUNK):
            yield from self._run(start, min(start + _CHUNK, count))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.index_of(key) is not None

    def _position(self, key: str) -> int:
        index = self.index_of(key)
        if index is None:
            raise self._unknown(key)
        return index

    def _unknown(self, key: str) -> PartitionKeyError:
        return _not_in(key, self._description, None, self.key_at(0) if len(self) else None)


class PartitionsDefinition(abc.ABC):
    """How a job or asset is partitioned; `resolve()` gives its keys."""

    kind: ClassVar[str]

    @abc.abstractmethod
    def problems(self, label: str) -> list[str]:
        """Every problem of the definition, each prefixed by `label`
        (e.g. "asset 'orders' partitions")."""

    @abc.abstractmethod
    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready description for storage and the UI: `kind` and the fields."""

    @abc.abstractmethod
    def describe(self) -> str:
        """One line for the UI, e.g. "daily from 2024-01-01 (Europe/London)"."""

    def _require_valid(self) -> None:
        problems = self.problems("partitions")
        if problems:
            raise DefinitionError(f"partitions ({self.describe()})", problems)
