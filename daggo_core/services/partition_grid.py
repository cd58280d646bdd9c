"""The partition grid of an asset: its partitions in order, aggregated into ranges.

An asset with 100,000 partitions is shown as a few hundred cells, each a range of keys
counted by status, read from the partition status table in one query and laid over the
keys of the asset's partitions (computed, not stored, for time windows).
"""

from __future__ import annotations

import collections
import json
import threading
from collections.abc import Iterable, Sequence

from attrs import frozen

from daggo_core.definitions.partitions import (
    PartitionKeys,
    TimePartitions,
    partitions_from_snapshot,
)
from daggo_core.errors import InvalidArgumentError
from daggo_core.execution.run_assets import partition_keys_of
from daggo_core.storage.asset_records import AssetRecord, PartitionStatus
from daggo_core.storage.base import Storage

__all__ = ["MAX_CELLS", "Grid", "GridCell", "partition_grid", "worst_status"]

#: The most cells one grid may have.
MAX_CELLS = 2000

#: A cell shows its most pressing status: what needs looking at first.
_PRECEDENCE = (PartitionStatus.FAILED, PartitionStatus.IN_PROGRESS, PartitionStatus.MISSING,
               PartitionStatus.MATERIALIZED)


@frozen(kw_only=True)
class GridCell:
    """A range of `count` partitions from index `first_index` (keys `first_key` to
    `last_key`), counted by status; `status` is the most pressing of them."""

    first_index: int
    count: int
    first_key: str
    last_key: str
    counts: dict[PartitionStatus, int]
    status: PartitionStatus


@frozen(kw_only=True)
class Grid:
    total: int
    counts: dict[PartitionStatus, int]
    start: int
    stop: int
    cells: tuple[GridCell, ...]


def worst_status(counts: dict[PartitionStatus, int]) -> PartitionStatus:
    """The most pressing status present in `counts`."""
    return next((s for s in _PRECEDENCE if counts.get(s)), PartitionStatus.MISSING)


def partition_grid(storage: Storage, record: AssetRecord, *, start: int = 0,
                   stop: int | None = None, cells: int = 200) -> Grid:
    """The grid of the asset's partitions `start` to `stop` in at most `cells` cells,
    with the whole set's counts by status."""
    if type(cells) is not int or not 1 <= cells <= MAX_CELLS:
        raise InvalidArgumentError(f"cells: must be an integer from 1 to {MAX_CELLS}, "
                                   f"got {cells!r}")
    if type(start) is not int or start < 0 or (stop is not None and (
            type(stop) is not int or stop < start)):
        raise InvalidArgumentError(f"start and stop: must be integers with 0 <= start <= "
                                   f"stop, got {start!r} and {stop!r}")
    snapshot = record.snapshot.partitions
    assert snapshot is not None
    partitions = partitions_from_snapshot(snapshot)
    keys = partition_keys_of(partitions, storage)
    total = len(keys)
    statuses = storage.partition_statuses(record.key)
    every = (_time_keys(json.dumps(snapshot, sort_keys=True), total, keys)
             if isinstance(partitions, TimePartitions) else keys.slice(0, total))
    stop = total if stop is None else min(stop, total)
    start = min(start, stop)
    span = every[start:stop]
    size = -(-len(span) // cells) if span else 1
    grid = []
    for offset in range(0, len(span), size):
        chunk = span[offset:offset + size]
        tally = _count(chunk, statuses)
        grid.append(GridCell(first_index=start + offset, count=len(chunk),
                             first_key=chunk[0], last_key=chunk[-1], counts=tally,
                             status=worst_status(tally)))
    counts = _sum(c.counts for c in grid) if len(span) == total else _count(every, statuses)
    return Grid(total=total, counts=counts, start=start, stop=stop, cells=tuple(grid))


#: The keys of the time-window sets shown lately, by definition and count: making the
#: keys of 100,000 hourly windows costs more than the rest of a grid, and they only
#: change when a window ends.
_TIME_KEYS: collections.OrderedDict[tuple[str, int], Sequence[str]] = \
    collections.OrderedDict()
_TIME_KEYS_KEPT = 8
_TIME_KEYS_LOCK = threading.Lock()


def _time_keys(definition: str, total: int, keys: PartitionKeys) -> Sequence[str]:
    """Every key of a time-window set of `total` keys, kept for the next grids."""
    with _TIME_KEYS_LOCK:
        found = _TIME_KEYS.get((definition, total))
        if found is not None:
            _TIME_KEYS.move_to_end((definition, total))
            return found
    made = tuple(keys.slice(0, total))
    with _TIME_KEYS_LOCK:
        _TIME_KEYS[definition, total] = made
        while len(_TIME_KEYS) > _TIME_KEYS_KEPT:
            _TIME_KEYS.popitem(last=False)
    return made


def _sum(tallies: Iterable[dict[PartitionStatus, int]]) -> dict[PartitionStatus, int]:
    total: dict[PartitionStatus, int] = {}
    for tally in tallies:
        for status, count in tally.items():
            total[status] = total.get(status, 0) + count
    return {s: total[s] for s in PartitionStatus if s in total}


def _count(keys: Sequence[str], statuses: dict[str, PartitionStatus]
           ) -> dict[PartitionStatus, int]:
    """`keys` counted by status (MISSING for those without a stored state)."""
    tally = collections.Counter(map(statuses.get, keys))  # counted in C: no loop here
    missing = tally.pop(None, 0)
    if missing:
        tally[PartitionStatus.MISSING] += missing
    return {s: tally[s] for s in PartitionStatus if tally.get(s)}
