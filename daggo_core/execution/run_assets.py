"""What a run does to assets: the partitions it covers, the upstream values it loads, the
states and materializations its steps record, and the checks run after them."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from typing import Any

from daggo_core.context import Context, RunPartition, check_json
from daggo_core.definitions.asset_snapshot import CheckOutcome
from daggo_core.definitions.asset_specs import AssetCheck, CheckResult
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.definitions.partitions import (
    RANGE_SEPARATOR,
    DynamicPartitions,
    PartitionKeyError,
    PartitionKeys,
    PartitionsDefinition,
    StaticPartitions,
    TimePartitions,
)
from daggo_core.errors import FailedPreconditionError
from daggo_core.execution.error_info import error_info
from daggo_core.storage.asset_records import (
    AssetEvent,
    AssetStateChange,
    AssetWrites,
    CheckResultRecord,
    PartitionState,
)
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run, StepRecord, StepStatus, utcnow

__all__ = ["AssetRecording", "CheckRun", "partition_keys_of", "resolve_partition",
           "run_checks", "sourced_outputs"]


def partition_keys_of(partitions: PartitionsDefinition, storage: Storage) -> PartitionKeys:
    """The keys `partitions` holds now (a dynamic set's from storage)."""
    if isinstance(partitions, DynamicPartitions):
        return partitions.resolve(storage.list_dynamic_partitions(partitions.name))
    if isinstance(partitions, StaticPartitions):
        return partitions.resolve()
    assert isinstance(partitions, TimePartitions)
    return partitions.resolve()


def resolve_partition(job: JobDefinition, run: Run, storage: Storage) -> RunPartition | None:
    """The partitions `run` covers. Raises PartitionKeyError for a key (or range) the
    job's partitions do not hold; a run of a job without partitions covers its queue
    item's key, if any."""
    key = run.partition_key
    if key is None:
        if job.partitions is not None:
            raise FailedPreconditionError(
                f"job {job.name!r} is partitioned ({job.partitions.describe()}) but run "
                f"{run.id} has no partition key; launch it for a partition")
        return None
    partitions = job.partitions
    if partitions is None:
        return RunPartition(key=key, keys=(key,))
    first, separator, last = key.partition(RANGE_SEPARATOR)
    if separator:
        keys = tuple(partition_keys_of(partitions, storage).between(first, last))
    else:
        if isinstance(partitions, TimePartitions):
            partitions.window(key)  # raises for a key outside the definition
        elif key not in partition_keys_of(partitions, storage):
            raise PartitionKeyError(f"partition {key!r} is not one of job {job.name!r}'s "
                                    f"partitions ({partitions.describe()})", key)
        keys = (key,)
    window = None
    if isinstance(partitions, TimePartitions):
        window = partitions.window_of_range(keys[0], keys[-1])
    return RunPartition(key=key, keys=keys, time_window=window)


def sourced_outputs(job: JobDefinition, run: Run, storage: Storage, *,
                    skip: Collection[str] = ()) -> dict[str, tuple[Any, str]]:
    """The stored output of each sourced op of the job but those in `skip` (op name ->
    (output JSON, the run it comes from)), read from its asset's latest materialization:
    of the run's partition when the asset is partitioned too. Raises
    FailedPreconditionError naming an asset with nothing to read."""
    wanted: dict[str, tuple[str, str | None]] = {}
    for op_name, asset_key in job.sourced.items():
        if op_name in skip:
            continue
        record = storage.get_asset(asset_key)
        partitioned = record is not None and record.snapshot.partitions is not None
        wanted[op_name] = (asset_key, run.partition_key if partitioned else None)
    if not wanted:
        return {}
    latest = storage.latest_materializations(set(wanted.values()))
    found: dict[str, tuple[Any, str]] = {}
    for op_name, target in wanted.items():
        event = latest.get(target)
        of = f" of partition {target[1]!r}" if target[1] is not None else ""
        if event is None or event.run_id is None or event.step_key is None:
            raise FailedPreconditionError(
                f"asset {target[0]!r} has no materialization{of} to read; materialize it "
                "first")
        step = next((s for s in storage.list_steps(event.run_id)
                     if s.step_key == event.step_key), None)
        if step is None or step.status is not StepStatus.SUCCESS:
            raise FailedPreconditionError(
                f"asset {target[0]!r}: the output of its materialization{of} (run "
                f"{event.run_id}, step {event.step_key}) is no longer stored; materialize "
                "it again")
        found[op_name] = (step.output, event.run_id)
    return found


class AssetRecording:
    """The asset writes that go with each step transition of one run."""

    def __init__(self, job: JobDefinition, run: Run, partition: RunPartition | None) -> None:
        self.run = run
        self._assets = job.asset_ops()
        self._keys: tuple[str | None, ...] = (
            partition.keys if partition is not None and job.partitions is not None else (None,))

    def writes(self, step: StepRecord, *, final: bool,
               checks: Sequence[CheckResultRecord] = ()) -> AssetWrites | None:
        """What the step's new state does to its assets (None: nothing). `final` is
        False for a failed attempt that will be retried."""
        keys = self._assets.get(step.step_key)
        if not keys:
            return None
        partitions = tuple(k for k in self._keys if k is not None)
        if step.status is StepStatus.SUCCESS:
            at = step.finished_at or step.started_at or utcnow()
            events = [AssetEvent(asset_key=asset, partition_key=key, run_id=self.run.id,
                                 step_key=step.step_key, metadata=dict(step.metadata),
                                 timestamp=at)
                      for asset in keys for key in self._keys]
            return AssetWrites(events=events, checks=checks)
        state = {StepStatus.RUNNING: PartitionState.RUNNING,
                 StepStatus.FAILURE: PartitionState.FAILED,
                 StepStatus.CANCELED: PartitionState.CANCELED}.get(step.status)
        if state is None or (state is PartitionState.FAILED and not final):
            return AssetWrites(checks=checks) if checks else None
        return AssetWrites(states=[AssetStateChange(asset_key=asset, partition_keys=partitions,
                                                    state=state, run_id=self.run.id)
                                   for asset in keys], checks=checks)


class CheckRun:
    """The results of the checks of one step's assets, and the blocking ones that failed."""

    def __init__(self, records: list[CheckResultRecord], blocking_failures: list[str]) -> None:
        self.records = records
        self.blocking_failures = blocking_failures


async def run_checks(job: JobDefinition, step_key: str, ctx: Context, value: Any,
                     run: Run) -> CheckRun | None:
    """Run the checks of the assets step `step_key` materializes, off the loop, with the
    value its op returned; None when they have none. A check that raises FAILs."""
    op = job.ops[step_key]
    pairs = [(spec.key, check) for spec in op.assets for check in spec.checks]
    if not pairs:
        return None
    records: list[CheckResultRecord] = []
    blocking: list[str] = []
    for asset_key, check in pairs:
        result = await asyncio.to_thread(_one_check, check, ctx, value)
        records.append(CheckResultRecord(
            asset_key=asset_key, check_name=check.name, outcome=result.outcome,
            partition_key=run.partition_key, run_id=run.id, step_key=step_key,
            description=result.description, metadata=dict(result.metadata)))
        if check.blocking and result.outcome is CheckOutcome.FAIL:
            blocking.append(f"{asset_key}:{check.name}"
                            + (f" ({result.description})" if result.description else ""))
    return CheckRun(records, blocking)


def _one_check(check: AssetCheck, ctx: Context, value: Any) -> CheckResult:
    try:
        result = check.fn(ctx, value)
    except Exception as exc:
        info = error_info(exc, from_user_code=True)
        return CheckResult(outcome=CheckOutcome.FAIL,
                           description=f"the check raised {info.type}: {info.message}",
                           metadata={"traceback": info.traceback or ""})
    if isinstance(result, bool):
        return CheckResult(outcome=CheckOutcome.PASS if result else CheckOutcome.FAIL)
    if isinstance(result, CheckResult):
        return _json_checked(result)
    return CheckResult(outcome=CheckOutcome.FAIL,
                       description=f"the check returned {type(result).__name__}; return a "
                                   "CheckResult or a bool")


def _json_checked(result: CheckResult) -> CheckResult:
    """The result, its metadata replaced by why when it is not JSON."""
    try:
        for key, item in result.metadata.items():
            check_json(key, item)
    except TypeError as exc:
        return CheckResult(outcome=result.outcome, description=result.description,
                           metadata={"metadata_error": str(exc)})
    return result
