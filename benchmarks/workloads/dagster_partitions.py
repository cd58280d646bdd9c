"""W14 partitions on Dagster: an hourly asset's partition status, a backfill to all queued.

    .venvs/dagster/bin/python workloads/dagster_partitions.py [-n 20] [--partitions 100000]
                                                               [--backfill 10000]

Run with the Dagster venv's python (`benchmarks/asset_speed.py --compare` builds it and runs
this). A fresh DAGSTER_HOME in a temporary directory (BENCH_TMP when set): SQLite storage
(Dagster's default for a home), telemetry off, the QueuedRunCoordinator so that submitted runs
stay QUEUED (no run-queue daemon runs). Prints one JSON line per measurement.

- grid: `events`, an HourlyPartitionsDefinition starting --partitions hours before today's
  00:00 UTC, up to the last complete hour (the keys of daggo's benchmarks/asset_app.py).
  Seeded (not timed) as daggo's is: of the first --partitions partitions, partition i is
  materialized when i % 20 < 18 and failed when i % 20 == 18; the others are missing. An
  attempted partition gets the index rows (index.db) a one-partition run of Dagster 1.13
  leaves: ASSET_MATERIALIZATION_PLANNED, then ASSET_MATERIALIZATION (with its code and data
  version tags), or for a failed one nothing more and its run stored with status FAILURE
  (how the status cache finds failures on SQLite). The rows are written with the storage's
  own statements, 5,000 partitions per transaction; the per-run shard files are not written
  (nothing measured reads them). Timed: what the webserver's `assetPartitionStatuses`
  resolver (dagster-graphql 1.13.29: `regenerate_and_check_partition_subsets`, then
  `build_partition_statuses`) computes, without graphene and JSON: `get_partition_subsets`
  of `dagster._core.storage.partition_status_cache` with a fresh loading context per request
  (the `AssetStatusCacheValue` path, `get_and_update_asset_status_cache_value`), then
  `fetch_flattened_time_window_ranges` and the start and end key of each range; and, as the
  UI's PartitionHealthQuery also asks `partitionKeysByDimension`, every partition key of the
  definition (`get_partition_keys`, what `get_partition_keys_from_snap` calls). One untimed
  request on a 48-partition asset; the first request then builds the status cache from the
  event log (cold); -n requests read it (warm); 5 more cold ones, each after
  `wipe_asset_cached_status`.
- backfill: `backfilled`, a StaticPartitionsDefinition of --backfill keys. Created as the UI's
  launchPartitionBackfill mutation does for an asset selection (`PartitionBackfill.
  from_asset_partitions(all_partitions=True)`, `instance.add_backfill`), then the backfill
  daemon's `execute_backfill_iteration` runs in this process, back to back, against a
  workspace served by a code server subprocess (the daemon's gRPC server registry, this file
  as the code location), until every run of the backfill exists. Timed: from creating the
  backfill to the end of the iteration after which all runs exist, after one untimed backfill
  of a 5-partition asset (the first one pays imports and the code server's first answers).
"""
# ruff: noqa: E402

import time

T0 = time.perf_counter()

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import logging
import os
import platform
import resource
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

FORMAT = "%Y-%m-%d-%H:%M"
BATCH = 5_000  # partitions seeded per transaction
COLD_REPEATS = 5
RESULTS = sys.stdout
WARMUP_BACKFILL = 5


def _today() -> dt.datetime:
    """Today 00:00 UTC, or W14_TODAY (the code server gets the parent's)."""
    given = os.environ.get("W14_TODAY")
    if given:
        return dt.datetime.strptime(given, FORMAT).replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def build_definitions(partitions: int, backfill: int, today: dt.datetime) -> Any:
    """The hourly asset, the static asset to backfill, and a small one of each to warm up."""
    import dagster as dg

    def hourly(hours: int) -> dg.HourlyPartitionsDefinition:
        return dg.HourlyPartitionsDefinition(
            start_date=(today - dt.timedelta(hours=hours)).strftime(FORMAT))

    @dg.asset(partitions_def=hourly(partitions))
    def events() -> int:
        return 1

    @dg.asset(partitions_def=hourly(48))
    def warmup() -> int:
        return 1

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(
        [f"k{i:06d}" for i in range(backfill)]))
    def backfilled() -> int:
        return 1

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(
        [f"w{i}" for i in range(WARMUP_BACKFILL)]))
    def backfill_warmup() -> int:
        return 1

    return dg.Definitions(assets=[events, warmup, backfilled, backfill_warmup])


if __name__ != "__main__":
    # Loaded by Dagster's code server (the backfill's workspace): the parent's sizes.
    defs = build_definitions(int(os.environ["W14_PARTITIONS"]), int(os.environ["W14_BACKFILL"]),
                             _today())


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _children_peak_rss_mb() -> float | None:
    """Largest VmHWM among this process's live children (the code server)."""
    peaks = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(os.getpid()) and "VmHWM" in fields:
            peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
    return round(max(peaks), 1) if peaks else None


def emit(version: str, workload: str, seconds: float, per_unit_ms: float, notes: str,
         **extra: Any) -> None:
    record = {"bench": 1, "engine": "dagster", "engine_version": version, "workload": workload,
              "seconds": round(seconds, 6), "per_unit_ms": round(per_unit_ms, 4),
              "rss_mb": _rss_mb(), "notes": notes, **extra,
              "script_s": round(time.perf_counter() - T0, 3),
              "python": platform.python_version()}
    print(json.dumps(record), file=RESULTS, flush=True)


def make_home(scratch: str) -> str:
    home = os.path.join(scratch, "dagster_home")
    os.makedirs(home)
    with open(os.path.join(home, "dagster.yaml"), "w") as f:
        f.write("telemetry:\n  enabled: false\n"
                "run_coordinator:\n  module: dagster._core.run_coordinator\n"
                "  class: QueuedRunCoordinator\n")
    return home


# --- (a) the partition status of the hourly asset -------------------------------------


def _planned(key: Any, partition: str, run_id: str) -> Any:
    from dagster._core.events import AssetMaterializationPlannedData, DagsterEvent
    from dagster._core.events.log import EventLogEntry

    event = DagsterEvent.build_asset_materialization_planned_event(
        "__ASSET_JOB", key.path[-1], AssetMaterializationPlannedData(key, partition=partition))
    return EventLogEntry(None, logging.DEBUG, "", run_id, time.time(), key.path[-1],
                         "__ASSET_JOB", event)


def _materialized(key: Any, partition: str, run_id: str) -> Any:
    import dagster as dg
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
    from dagster._core.events.log import EventLogEntry

    materialization = dg.AssetMaterialization(
        asset_key=key, partition=partition,
        tags={"dagster/code_version": run_id, "dagster/data_version": f"{hash(run_id):x}"})
    event = DagsterEvent(event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
                         job_name="__ASSET_JOB", step_key=key.path[-1],
                         event_specific_data=StepMaterializationData(materialization),
                         message=f"Materialized value {key.path[-1]}.")
    return EventLogEntry(None, logging.DEBUG, f"Materialized value {key.path[-1]}.", run_id,
                         time.time(), key.path[-1], "__ASSET_JOB", event)


def seed_history(instance: Any, key: Any, partition_keys: Sequence[str]) -> dict[str, int]:
    """The 90% materialized / 5% failed history of these partitions of `key`, written to
    the index shard."""
    import dagster as dg
    from dagster._core.utils import make_new_run_id

    storage = instance.event_log_storage
    failed_runs = []
    counts = {"materialized": 0, "failed": 0}
    for begin in range(0, len(partition_keys), BATCH):
        with storage.index_transaction() as conn:
            tagged, tagged_ids, last = [], [], {}
            for i in range(begin, min(begin + BATCH, len(partition_keys))):
                if i % 20 == 19:
                    continue
                partition, run_id = partition_keys[i], make_new_run_id()
                entries = [_planned(key, partition, run_id)]
                if i % 20 < 18:
                    entries.append(_materialized(key, partition, run_id))
                    counts["materialized"] += 1
                else:
                    failed_runs.append(dg.DagsterRun(
                        job_name="__ASSET_JOB", run_id=run_id, asset_selection={key},
                        status=dg.DagsterRunStatus.FAILURE,
                        tags={"dagster/partition": partition}))
                    counts["failed"] += 1
                for entry in entries:
                    event_id = conn.execute(
                        storage.prepare_insert_event(entry)).inserted_primary_key[0]
                    last[entry.dagster_event.event_type_value] = (event_id, entry)
                tagged.append(entries[-1])
                tagged_ids.append(event_id)
            storage._store_asset_event_tags(conn, tagged, tagged_ids)
            # The asset's row keeps only the latest event of each kind: store those, in order.
            for event_id, entry in sorted(last.values(), key=lambda pair: pair[0]):
                storage._store_asset_event(conn, entry, event_id)
    for run in failed_runs:
        instance.run_storage.add_run(run)
    return counts


@dataclasses.dataclass(frozen=True, kw_only=True)
class Request:
    """One PartitionHealthQuery's resolver work: seconds per phase, and the answer."""

    subsets: float
    ranges: float
    keys: float
    answer: tuple[list[Any], int]  # (start, end, start key, end key, status) ranges; keys

    @property
    def seconds(self) -> float:
        return self.subsets + self.ranges + self.keys


def status_request(instance: Any, snap: Any, key: Any,
                   loop: asyncio.AbstractEventLoop) -> Request:
    """What the webserver resolves for the UI's PartitionHealthQuery of one asset:
    `assetPartitionStatuses` (the status cache path, then the time ranges and their keys)
    and `partitionKeysByDimension` (every partition key)."""
    from dagster._core.definitions.partitions.utils.time_window import (
        PartitionRangeStatus,
        fetch_flattened_time_window_ranges,
    )
    from dagster._core.instance.types import CachingDynamicPartitionsLoader
    from dagster._core.loader import LoadingContextForTest
    from dagster._core.storage.partition_status_cache import get_partition_subsets

    start = time.perf_counter()
    context = LoadingContextForTest(instance)  # request-scoped, as the webserver's is
    loader = CachingDynamicPartitionsLoader(instance)
    materialized, failed, in_progress = loop.run_until_complete(get_partition_subsets(
        instance, context, key, loader, snap.get_partitions_definition()))
    subsets = time.perf_counter()
    partitions_def = snap.get_partitions_definition()
    flattened = fetch_flattened_time_window_ranges({
        PartitionRangeStatus.MATERIALIZED: materialized,
        PartitionRangeStatus.FAILED: failed,
        PartitionRangeStatus.MATERIALIZING: in_progress})
    ranges = [(r.time_window.start.timestamp(), r.time_window.end.timestamp(),
               partitions_def.get_partition_key_range_for_time_window(r.time_window).start,
               partitions_def.get_partition_key_range_for_time_window(r.time_window).end,
               r.status.value) for r in flattened]
    ranged = time.perf_counter()
    keys = snap.get_partitions_definition().get_partition_keys(dynamic_partitions_store=loader)
    end = time.perf_counter()
    return Request(subsets=subsets - start, ranges=ranged - subsets, keys=end - ranged,
                   answer=(ranges, len(keys)))


def seed_asset(instance: Any, definitions: Any, name: str, count: int) -> tuple[Any, int, int]:
    """Seed the first `count` partitions of asset `name`: its partitions snapshot (what the
    webserver reads the definition from), the partitions seeded, and all partitions."""
    import dagster as dg
    from dagster._core.definitions.partitions.snap.snap import PartitionsSnap

    partitions_def = definitions.get_assets_def(name).partitions_def
    started = time.perf_counter()
    keys = partitions_def.get_partition_keys()
    counts = seed_history(instance, dg.AssetKey(name), keys[:count])
    print(f"seeded {name}: {counts} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr, flush=True)
    return PartitionsSnap.from_def(partitions_def), min(count, len(keys)), len(keys)


def measure_grid(instance: Any, definitions: Any, args: argparse.Namespace,
                 version: str) -> None:
    import dagster as dg

    snaps = {"warmup": seed_asset(instance, definitions, "warmup", 48)[0]}
    snaps["events"], seeded, total = seed_asset(instance, definitions, "events", args.partitions)
    key = dg.AssetKey("events")
    loop = asyncio.new_event_loop()
    status_request(instance, snaps["warmup"], dg.AssetKey("warmup"), loop)
    cold = status_request(instance, snaps["events"], key, loop)
    warm = [status_request(instance, snaps["events"], key, loop) for _ in range(args.n)]
    recold = []
    for _ in range(COLD_REPEATS):
        instance.wipe_asset_cached_status([key])
        recold.append(status_request(instance, snaps["events"], key, loop))
    loop.close()
    ranges, keys = cold.answer
    statuses = {s: sum(1 for r in ranges if r[4] == s) for s in {r[4] for r in ranges}}
    assert cold.answer == warm[-1].answer == recold[-1].answer, "cold and warm answers differ"
    expected = {"MATERIALIZED": -(-seeded // 20), "FAILED": (seeded + 1) // 20}
    assert statuses == expected or seeded < 20, (statuses, expected)
    assert keys == total, (keys, total)
    common = {"partitions": total, "partitions_seeded": seeded, "ranges": len(ranges),
              "ranges_by_status": statuses,
              "function": "dagster._core.storage.partition_status_cache.get_partition_subsets, "
                          "fetch_flattened_time_window_ranges, get_partition_keys",
              "storage": type(instance.event_log_storage).__name__}
    notes = ("resolver work of the UI's PartitionHealthQuery in-process: assetPartitionStatuses "
             "(status cache path, then the time ranges with their keys) and "
             "partitionKeysByDimension (all keys); no GraphQL execution or JSON "
             "(dagster-graphql is not in the pinned venv); the browser draws the bar")
    emit(version, "partitions-grid-cold", cold.seconds, cold.seconds * 1000,
         notes + "; first request, no AssetStatusCacheValue stored yet: built from the event "
         "log and written", **common, **_phases([cold]),
         **_spread("recold_ms", [r.seconds for r in recold]))
    emit(version, "partitions-grid-warm", statistics.median(r.seconds for r in warm),
         statistics.median(r.seconds for r in warm) * 1000,
         notes + f"; median of {args.n} requests reading the stored AssetStatusCacheValue",
         **common, **_phases(warm), **_spread("ms", [r.seconds for r in warm]))


def _phases(requests: list[Request]) -> dict[str, float]:
    """Median milliseconds of each phase."""
    return {f"{phase}_ms": round(statistics.median(getattr(r, phase) for r in requests) * 1000,
                                 3) for phase in ("subsets", "ranges", "keys")}


def _spread(prefix: str, seconds: list[float]) -> dict[str, float]:
    return {f"{prefix}_median": round(statistics.median(seconds) * 1000, 3),
            f"{prefix}_min": round(min(seconds) * 1000, 3),
            f"{prefix}_max": round(max(seconds) * 1000, 3), f"{prefix}_n": len(seconds)}


# --- (b) a backfill of the static asset ----------------------------------------------


@contextmanager
def workspace(instance: Any) -> Iterator[Any]:
    """The daemon's view of this file as a code location, served by a code server process."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import PythonFileTarget
    from dagster._daemon.controller import create_daemon_grpc_server_registry

    target = PythonFileTarget(python_file=os.path.abspath(__file__), attribute="defs",
                              working_directory=os.path.dirname(os.path.abspath(__file__)),
                              location_name="w14")
    with create_daemon_grpc_server_registry(instance) as registry, WorkspaceProcessContext(
            instance, target, grpc_server_registry=registry) as context:
        entries = context.create_request_context().get_code_location_entries()
        errors = [e.load_error for e in entries.values() if e.load_error]
        assert not errors, f"the code location did not load: {errors}"
        yield context


def run_backfill(context: Any, asset: str, partitions: int) -> dict[str, Any]:
    """Create an asset backfill of every partition of `asset` as the UI's mutation does, then
    run the backfill daemon's iterations until all its runs exist; what it took."""
    import dagster as dg
    from dagster._core.execution.backfill import PartitionBackfill
    from dagster._core.storage.tags import BACKFILL_ID_TAG
    from dagster._core.utils import make_new_backfill_id
    from dagster._daemon.backfill import execute_backfill_iteration
    from dagster._time import datetime_from_timestamp, get_current_timestamp
    from dagster._utils.caching_instance_queryer import CachingInstanceQueryer

    instance = context.instance
    logger = logging.getLogger("dagster.daemon.BackfillDaemon")
    start = time.perf_counter()
    request = context.create_request_context()
    timestamp = get_current_timestamp()
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id=make_new_backfill_id(), asset_graph=request.asset_graph,
        partition_names=None, asset_selection=[dg.AssetKey(asset)],
        backfill_timestamp=timestamp, tags={},
        dynamic_partitions_store=CachingInstanceQueryer(
            instance=instance, asset_graph=request.asset_graph, loading_context=request,
            evaluation_time=datetime_from_timestamp(timestamp)),
        all_partitions=True, title=None, description=None, run_config=None)
    instance.add_backfill(backfill)
    created = time.perf_counter()
    runs = dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill.backfill_id})
    iterations, count = 0, 0
    while count < partitions:
        errors = [e for e in execute_backfill_iteration(context, logger) if e]
        assert not errors, f"backfill iteration failed: {errors[0]}"
        iterations += 1
        count = instance.get_runs_count(filters=runs)
        print(f"{asset}: iteration {iterations}, {count} runs after "
              f"{time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        assert iterations < 1000, "the backfill stopped submitting runs"
    seconds = time.perf_counter() - start
    queued = instance.get_runs_count(filters=dg.RunsFilter(
        tags={BACKFILL_ID_TAG: backfill.backfill_id}, statuses=[dg.DagsterRunStatus.QUEUED]))
    assert count == queued == partitions, (count, queued, partitions)
    return {"seconds": seconds, "runs": count, "runs_queued": queued, "iterations": iterations,
            "create_backfill_s": round(created - start, 4)}


def measure_backfill(instance: Any, args: argparse.Namespace, version: str) -> None:
    with workspace(instance) as context:
        warm_up = run_backfill(context, "backfill_warmup", WARMUP_BACKFILL)
        measured = run_backfill(context, "backfilled", args.backfill)
        server_rss = _children_peak_rss_mb()
    seconds = measured.pop("seconds")
    emit(version, "partitions-backfill-queued", seconds, seconds * 1000 / args.backfill,
         f"asset backfill of {args.backfill:,} static partitions created as the UI's "
         "launchPartitionBackfill does, then BackfillDaemon iterations in-process back to back "
         "(the daemon waits up to 30 s between iterations); one run per partition, "
         "QueuedRunCoordinator; code location in a code server subprocess; after an untimed "
         f"{WARMUP_BACKFILL}-partition backfill; per_unit_ms is per run", **measured,
         warmup_s=round(warm_up["seconds"], 3),
         function="PartitionBackfill.from_asset_partitions + instance.add_backfill + "
                  "dagster._daemon.backfill.execute_backfill_iteration",
         run_chunk_size=int(os.environ.get("DAGSTER_ASSET_BACKFILL_RUN_CHUNK_SIZE", "25")),
         peak_rss_server_mb=server_rss)


def main() -> None:
    global RESULTS
    # The result lines keep stdout to themselves: anything else writing to file descriptor 1
    # (the code server process, Dagster's loggers) goes to stderr.
    RESULTS = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="warm grid requests (20)")
    parser.add_argument("--partitions", type=int, default=100_000)
    parser.add_argument("--backfill", type=int, default=10_000)
    parser.add_argument("--skip", choices=("grid", "backfill"), help="measure only the other")
    args = parser.parse_args()
    given = os.environ.get("BENCH_TMP")
    scratch = given or tempfile.mkdtemp(prefix="dagster-partitions-")
    os.makedirs(scratch, exist_ok=True)
    os.environ.update({"DAGSTER_HOME": make_home(scratch), "DAGSTER_DISABLE_TELEMETRY": "1",
                       "W14_PARTITIONS": str(args.partitions),
                       "W14_BACKFILL": str(args.backfill),
                       "W14_TODAY": _today().strftime(FORMAT)})
    import dagster as dg

    instance = dg.DagsterInstance.get()
    try:
        if args.skip != "grid":
            definitions = build_definitions(args.partitions, args.backfill, _today())
            measure_grid(instance, definitions, args, dg.__version__)
        if args.skip != "backfill":
            measure_backfill(instance, args, dg.__version__)
    finally:
        instance.dispose()
        if not given:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
