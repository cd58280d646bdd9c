"""Asset automation: an asset marked for it is launched when an asset upstream of it
changes (materialized, or observed when made outside daggo).

Decided from what storage holds, so a restart loses nothing: an automated asset is due
when an upstream asset changed after both its own latest materialization and its latest
automation run, no upstream change came for its debounce, and none of its runs is queued
or running. A partitioned one is launched per partition: for each partition an upstream
asset partitioned alike materialized after it. A run's id derives from the change that
made it due, so no change launches it twice (nor do two servers); the reason is
recorded on the run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping

from daggo_core.errors import StorageError
from daggo_core.storage.asset_records import AssetRecord
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import (
    AUTOMATION_TAG,
    Event,
    EventKind,
    Run,
    RunStatus,
    RunTrigger,
    utcnow,
)

__all__ = ["AssetAutomation", "due_reason"]

logger = logging.getLogger("daggo.automation")

_WAITING = (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.STARTED)
#: The partitions of one asset a pass launches at most (the next pass goes on).
_PARTITIONS_PER_PASS = 500


def due_reason(record: AssetRecord, by_key: Mapping[str, AssetRecord],
               last_automation: dt.datetime | None, now: dt.datetime
               ) -> tuple[str, dt.datetime] | None:
    """Why the automated asset `record` is due at `now`, and the upstream change that
    makes it so; None when it is not (nothing changed since, or within the debounce)."""
    debounce = record.snapshot.automation_debounce_seconds
    if debounce is None:
        return None
    since = max((m for m in (record.last_materialized_at, last_automation) if m),
                default=None)
    newest: tuple[dt.datetime, str] | None = None
    for up in record.snapshot.all_upstream:
        upstream = by_key.get(up)
        if upstream is None or upstream.job_name == record.job_name:
            continue  # made by the asset's own job: its runs must not launch it again
        changed = upstream.changed_at
        if changed is not None and (since is None or changed > since) and (
                newest is None or changed > newest[0]):
            newest = (changed, up)
    if newest is None or now - newest[0] < dt.timedelta(seconds=debounce):
        return None
    return (f"upstream asset {newest[1]!r} changed at "
            f"{newest[0].isoformat(timespec='seconds')}", newest[0])


class AssetAutomation:
    """Launches the runs of automated assets that are due, a pass every `interval`."""

    def __init__(self, storage: Storage, *, interval: float = 1.0,
                 clock: Callable[[], dt.datetime] = utcnow,
                 on_launch: Callable[[], None] | None = None) -> None:
        self.storage = storage
        self.interval = interval
        self.clock = clock
        self.on_launch = on_launch

    def pass_once(self) -> list[Run]:
        """Launch what is due now; returns the runs queued."""
        records = self.storage.list_assets()
        automated = [r for r in records
                     if r.snapshot.automation_debounce_seconds is not None and r.job_name]
        if not automated:
            return []
        by_key = {r.key: r for r in records}
        now = self.clock()
        launched: list[Run] = []
        for record in automated:
            if record.snapshot.partitions is not None:
                launched.extend(self._launch_partitions(record, by_key, now))
                continue
            run = self._maybe_launch(record, by_key, now)
            if run is not None:
                launched.append(run)
        if launched and self.on_launch is not None:
            self.on_launch()
        return launched

    async def run_forever(self) -> None:
        """Pass after pass until cancelled; errors are logged and retried."""
        while True:
            try:
                await asyncio.to_thread(self.pass_once)
            except Exception:
                logger.exception("asset automation pass failed; retrying")
            await asyncio.sleep(self.interval)

    def _maybe_launch(self, record: AssetRecord, by_key: Mapping[str, AssetRecord],
                      now: dt.datetime) -> Run | None:
        """Launch an automated asset without partitions if it is due."""
        assert record.job_name is not None
        job = record.job_name
        if self.storage.list_runs(RunFilter(job_name=job, statuses=_WAITING), limit=1):
            return None
        last = self.storage.list_runs(RunFilter(job_name=job,
                                                triggers=(RunTrigger.AUTOMATION,)), limit=1)
        due = due_reason(record, by_key, last[0].created_at if last else None, now)
        if due is None:
            return None
        reason, change = due
        return self._launch(record, reason, change, None)

    def _launch_partitions(self, record: AssetRecord, by_key: Mapping[str, AssetRecord],
                           now: dt.datetime) -> list[Run]:
        """Launch the partitions of a partitioned automated asset that an upstream asset
        partitioned alike materialized after it (one run per partition and change)."""
        debounce = dt.timedelta(seconds=record.snapshot.automation_debounce_seconds or 0)
        own = self.storage.materialized_times(record.key)
        due: dict[str, tuple[dt.datetime, str]] = {}
        for up in record.snapshot.all_upstream:
            upstream = by_key.get(up)
            if (upstream is None or upstream.job_name == record.job_name
                    or upstream.snapshot.partitions != record.snapshot.partitions):
                continue
            for key, changed in self.storage.materialized_times(up).items():
                mine = own.get(key)
                if (mine is None or changed > mine) and now - changed >= debounce and (
                        key not in due or changed > due[key][0]):
                    due[key] = (changed, up)
        candidates = {_run_id(record.key, key, changed): (key, changed, up)
                      for key, (changed, up) in sorted(due.items())}
        ids = list(candidates)
        known: set[str] = set()
        for begin in range(0, len(ids), _PARTITIONS_PER_PASS):
            known.update(run.id for run in
                         self.storage.get_runs(ids[begin:begin + _PARTITIONS_PER_PASS]))
        launched: list[Run] = []
        for run_id, (key, changed, up) in candidates.items():
            if run_id in known:
                continue
            if len(launched) == _PARTITIONS_PER_PASS:
                break
            reason = (f"upstream asset {up!r} materialized partition {key!r} at "
                      f"{changed.isoformat(timespec='seconds')}")
            run = self._launch(record, reason, changed, key)
            if run is not None:
                launched.append(run)
        return launched

    def _launch(self, record: AssetRecord, reason: str, change: dt.datetime,
                partition_key: str | None) -> Run | None:
        assert record.job_name is not None
        run = Run(id=_run_id(record.key, partition_key, change), job_name=record.job_name,
                  tags={AUTOMATION_TAG: reason}, partition_key=partition_key)
        try:
            self.storage.add_run(run, [Event(run_id=run.id, kind=EventKind.RUN_QUEUED,
                                             level="INFO",
                                             message=f"run queued by automation: {reason}")])
        except StorageError:
            if self.storage.get_runs([run.id]):  # another server launched it first
                return None
            raise
        logger.info("asset %s: launched run %s (%s)", record.key, run.id, reason)
        return run


def _run_id(asset_key: str, partition_key: str | None, change: dt.datetime) -> str:
    """The id of the automation run of an asset (partition) for one upstream change."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"daggo:automation/{asset_key}/"
                                          f"{partition_key or ''}/{change.isoformat()}").hex
