"""Partition definitions of jobs and assets: static, dynamic and time-window keys."""

from __future__ import annotations

import collections
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from attrs import field, frozen

from daggo_core.definitions.ops import name_problem
from daggo_core.definitions.partition_keys import (
    PARTITION_KEY_MAX,
    RANGE_SEPARATOR,
    PartitionKeyError,
    PartitionKeys,
    PartitionsDefinition,
    TimeWindow,
    partition_key_problem,
)
from daggo_core.definitions.time_partitions import (
    DailyPartitions,
    HourlyPartitions,
    MonthlyPartitions,
    TimePartitions,
    WeeklyPartitions,
)

__all__ = [
    "PARTITION_KEY_MAX",
    "RANGE_SEPARATOR",
    "DailyPartitions",
    "DynamicPartitions",
    "HourlyPartitions",
    "MonthlyPartitions",
    "PartitionKeyError",
    "PartitionKeys",
    "PartitionsDefinition",
    "StaticPartitions",
    "TimePartitions",
    "TimeWindow",
    "WeeklyPartitions",
    "partition_key_problem",
    "partitions_from_snapshot",
]


class _ListKeys(PartitionKeys):
    """Keys listed one by one: static keys, or dynamic keys as stored."""

    def __init__(self, keys: tuple[str, ...], description: str) -> None:
        self._keys = keys
        self._index = {key: index for index, key in enumerate(keys)}
        self._description = description

    def __len__(self) -> int:
        return len(self._keys)

    def index_of(self, key: str) -> int | None:
        return self._index.get(key) if isinstance(key, str) else None

    def _run(self, start: int, stop: int) -> list[str]:
        return list(self._keys[start:stop])

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)


def _key_tuple(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(keys)


@frozen
class StaticPartitions(PartitionsDefinition):
    """A fixed list of keys, in the order given."""

    kind: ClassVar[str] = "static"
    keys: tuple[str, ...] = field(converter=_key_tuple)

    def resolve(self) -> PartitionKeys:
        """The keys; DefinitionError when the definition has problems."""
        return self._resolved

    @functools.cached_property
    def _resolved(self) -> PartitionKeys:
        self._require_valid()
        return _ListKeys(self.keys, self.describe())

    def problems(self, label: str) -> list[str]:
        problems = [f"{label}: {p}" for p in map(partition_key_problem, self.keys) if p]
        if not self.keys:
            problems.append(f"{label}: static partitions have no keys; give at least one")
        counts = collections.Counter(key for key in self.keys if isinstance(key, str))
        repeated = [key for key, count in counts.items() if count > 1]
        if repeated:
            more = f" and {len(repeated) - 5} more" if len(repeated) > 5 else ""
            problems.append(f"{label}: partition keys appear more than once: "
                            f"{', '.join(map(repr, repeated[:5]))}{more}; give each key once")
        return problems

    def snapshot(self) -> dict[str, Any]:
        return {"kind": self.kind, "keys": list(self.keys)}

    def describe(self) -> str:
        return f"{len(self.keys)} static key{'' if len(self.keys) == 1 else 's'}"


@frozen
class DynamicPartitions(PartitionsDefinition):
    """Keys kept in the database under `name` and added at runtime."""

    kind: ClassVar[str] = "dynamic"
    name: str

    def resolve(self, keys: Sequence[str]) -> PartitionKeys:
        """The set of `keys` as stored, in the order given."""
        self._require_valid()
        return _ListKeys(tuple(keys), self.describe())

    def problems(self, label: str) -> list[str]:
        problem = name_problem("dynamic partitions", self.name)
        return [f"{label}: {problem}"] if problem else []

    def snapshot(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name}

    def describe(self) -> str:
        return f"dynamic {self.name!r}"


def partitions_from_snapshot(snapshot: Mapping[str, Any]) -> PartitionsDefinition:
    """The definition a `snapshot()` describes (as stored with a job or an asset)."""
    fields = {name: value for name, value in snapshot.items() if name != "kind"}
    kind = snapshot.get("kind")
    if kind == StaticPartitions.kind:
        return StaticPartitions(tuple(fields["keys"]))
    if kind == DynamicPartitions.kind:
        return DynamicPartitions(fields["name"])
    if kind == TimePartitions.kind:
        return TimePartitions(**fields)
    raise ValueError(f"unknown kind of partitions {kind!r} in a stored snapshot")
