"""Which runs a backfill creates: the partitions selected (a set, a range or all; only the
missing and failed ones on request), chunked into ranges where the job's ops take them."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from daggo_core.definitions.partitions import (
    RANGE_SEPARATOR,
    PartitionKeyError,
    PartitionKeys,
    PartitionsDefinition,
    partitions_from_snapshot,
)
from daggo_core.errors import InvalidArgumentError
from daggo_core.execution.run_assets import partition_keys_of
from daggo_core.storage.asset_records import PartitionStatus
from daggo_core.storage.base import Storage
from daggo_core.storage.records import JobRecord

__all__ = ["BackfillPlan", "checked_run_partition", "plan_backfill"]

#: What an only-missing backfill runs again: partitions not materialized, or failed.
_TO_RUN = frozenset({PartitionStatus.MISSING, PartitionStatus.FAILED})
#: Keys an error about unknown keys names at most.
_SHOWN = 5


@frozen(kw_only=True)
class BackfillPlan:
    """`runs`: the partition key or "first...last" range of each run to create;
    `partitions` the keys they cover, `skipped` the selected keys left out because
    they are materialized or in progress (only-missing backfills)."""

    job_name: str
    partitions: int
    skipped: int
    chunk_size: int
    runs: tuple[str, ...]


def plan_backfill(storage: Storage, job: JobRecord, *, partition_keys: Sequence[str] = (),
                  first: str | None = None, last: str | None = None,
                  only_missing: bool = False, chunk_size: int | None = None) -> BackfillPlan:
    """The runs of a backfill of `job` over `partition_keys`, or the range `first` to
    `last`, or (neither given) every partition. Raises InvalidArgumentError (a
    PartitionKeyError for unknown keys) for a selection the job cannot run."""
    snapshot = job.snapshot
    if snapshot.partitions is None:
        raise InvalidArgumentError(f"job {job.name!r} is not partitioned: launch it instead "
                                   "of backfilling it")
    most = snapshot.max_partitions_per_run
    if chunk_size is None:
        chunk_size = most
    elif type(chunk_size) is not int or not 1 <= chunk_size <= most:
        raise InvalidArgumentError(f"chunk_size: job {job.name!r} takes from 1 to {most} "
                                   f"partitions per run, got {chunk_size!r}")
    partitions = partitions_from_snapshot(snapshot.partitions)
    keys = partition_keys_of(partitions, storage)
    every = keys.slice(0, len(keys))
    indexes = _selected(keys, partitions, partition_keys, first, last)
    skipped = 0
    if only_missing:
        assets = [a for op in snapshot.ops for a in op.assets]
        if not assets:
            raise InvalidArgumentError(
                f"job {job.name!r} materializes no assets, so daggo keeps no partition "
                "status for it: backfill its partitions without only_missing")
        statuses = [storage.partition_statuses(a) for a in assets]
        kept = [i for i in indexes if any(
            s.get(every[i], PartitionStatus.MISSING) in _TO_RUN for s in statuses)]
        skipped = len(indexes) - len(kept)
        indexes = kept
    return BackfillPlan(job_name=job.name, partitions=len(indexes), skipped=skipped,
                        chunk_size=chunk_size, runs=tuple(_chunks(every, indexes, chunk_size)))


def _selected(keys: PartitionKeys, partitions: PartitionsDefinition,
              partition_keys: Sequence[str], first: str | None, last: str | None) -> list[int]:
    """The indexes of the selected keys, in order, each once."""
    if partition_keys and (first is not None or last is not None):
        raise InvalidArgumentError("give partition_keys or a range (first, last), not both")
    if partition_keys:
        found = {key: keys.index_of(key) for key in partition_keys}
        unknown = [key for key, index in found.items() if index is None]
        if unknown:
            more = f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else ""
            raise PartitionKeyError(
                f"partition_keys: {', '.join(map(repr, unknown[:_SHOWN]))}{more} are not "
                f"partitions of the job ({partitions.describe()})", unknown[0])
        return sorted({i for i in found.values() if i is not None})
    if (first is None) != (last is None):
        raise InvalidArgumentError("a range needs both first and last")
    if first is not None and last is not None:
        begin, end = keys.index_of(first), keys.index_of(last)
        if begin is None or end is None or begin > end:
            keys.between(first, last)  # raises the error naming the bad end
        assert begin is not None and end is not None
        return list(range(begin, end + 1))
    return list(range(len(keys)))


def _chunks(every: Sequence[str], indexes: Sequence[int], size: int) -> list[str]:
    """Consecutive indexes grouped into ranges of at most `size` keys."""
    runs: list[str] = []
    begin = 0
    while begin < len(indexes):
        end = begin + 1
        while (end < len(indexes) and end - begin < size
               and indexes[end] == indexes[end - 1] + 1):
            end += 1
        head, tail = every[indexes[begin]], every[indexes[end - 1]]
        runs.append(head if end - begin == 1 else f"{head}{RANGE_SEPARATOR}{tail}")
        begin = end
    return runs


def checked_run_partition(storage: Storage, job_name: str,
                          partitions: PartitionsDefinition | None, most: int,
                          key: str | None) -> str | None:
    """The partition key of a launch of job `job_name` partitioned by `partitions`:
    required for a partitioned job, one of its keys, or a "first...last" range of at most
    `most` keys; refused for a job without partitions (InvalidArgumentError, a
    PartitionKeyError for unknown keys)."""
    if partitions is None:
        if key is not None:
            raise InvalidArgumentError(f"job {job_name!r} is not partitioned: launch it "
                                       "without a partition_key")
        return None
    if key is None:
        raise InvalidArgumentError(
            f"job {job_name!r} is partitioned ({partitions.describe()}): give the "
            "partition_key to launch it for (or backfill several)")
    keys = partition_keys_of(partitions, storage)
    first, separator, last = key.partition(RANGE_SEPARATOR)
    if not separator:
        if keys.index_of(key) is None:
            keys.between(key, key)  # raises the error naming the key
        return key
    count = len(keys.between(first, last))
    if count == 1:  # "k...k" is the key k
        return first
    if count > most:
        raise InvalidArgumentError(
            f"partition_key {key!r} covers {count} partitions; job {job_name!r} takes at most "
            f"{most} per run: backfill the range instead")
    return key
