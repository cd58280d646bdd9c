"""Example calls of the asset, backfill and dynamic partition methods (see examples.py).

The assets are real definitions: their snapshots (kind, lineage, output type, partitions,
checks) come from the app graph they make, their partition keys from the real daily
partitions as of the examples' moment, and the stale asset's reasons from the service's
own rule.
"""

from __future__ import annotations

import datetime as dt

from attrs import evolve, frozen

from daggo_core.context import Context
from daggo_core.definitions.asset_snapshot import CheckOutcome
from daggo_core.definitions.asset_specs import (
    AssetSpec,
    Automation,
    CheckResult,
    asset_check,
    asset_name,
)
from daggo_core.definitions.assets import asset
from daggo_core.definitions.definitions import Definitions
from daggo_core.definitions.ops import NoInput
from daggo_core.definitions.partitions import RANGE_SEPARATOR, DailyPartitions
from daggo_core.extensions import MethodExample
from daggo_core.services.assets import (
    AssetCheckInfo,
    AssetDetail,
    AssetEdge,
    AssetEventInfo,
    AssetsGetEventsRequest,
    AssetsGetEventsResponse,
    AssetsGetGraphRequest,
    AssetsGetGraphResponse,
    AssetsGetManyRequest,
    AssetsGetManyResponse,
    AssetsGetPartitionsRequest,
    AssetsGetPartitionsResponse,
    AssetsGetRequest,
    AssetsReportEventRequest,
    AssetSummary,
    CheckResultInfo,
    GroupSummary,
    stale_reasons,
)
from daggo_core.services.backfills import (
    BackfillDetail,
    BackfillInfo,
    BackfillPreview,
    BackfillRunInfo,
    BackfillsCancelRequest,
    BackfillsGetManyRequest,
    BackfillsGetManyResponse,
    BackfillsGetPartitionsRequest,
    BackfillsGetPartitionsResponse,
    BackfillsGetRequest,
    BackfillsLaunchRequest,
)
from daggo_core.services.cursors import encode_cursor
from daggo_core.services.dynamic_partitions import (
    DynamicPartitionsAddRequest,
    DynamicPartitionsAddResponse,
    DynamicPartitionsDeleteRequest,
    DynamicPartitionsDeleteResponse,
    DynamicPartitionsGetManyRequest,
    DynamicPartitionsGetManyResponse,
)
from daggo_core.services.partition_grid import GridCell, worst_status
from daggo_core.storage.asset_records import (
    AssetEventKind,
    AssetRecord,
    BackfillStatus,
    PartitionStatus,
)
from daggo_core.storage.records import RunStatus

__all__ = ["ASSET_EXAMPLES"]


@frozen
class Orders:
    day: str
    totals: tuple[int, ...]


@frozen
class OrdersIn:
    orders: Orders


@frozen
class Revenue:
    day: str
    total: int


@asset_check(description="No order has a negative total")
def no_negative_totals(ctx: Context, value: Orders) -> CheckResult:
    negative = [t for t in value.totals if t < 0]
    return CheckResult(outcome=CheckOutcome.FAIL if negative else CheckOutcome.PASS,
                       description=f"{len(negative)} negative totals",
                       metadata={"checked": len(value.totals)})


DAYS = DailyPartitions("2025-01-01")


@asset(key="shop/orders", group="sales", owners=["ada@example.com", "team:sales"],
       partitions=DAYS, checks=[no_negative_totals], max_partitions_per_run=7)
def orders(ctx: Context, inp: NoInput) -> Orders:
    """A day of the shop's orders, as it exports them."""
    return Orders(day=ctx.partition_keys[0], totals=(12, 30, 7))


@asset(key="reports/revenue", group="sales", partitions=DAYS, deps=["crm/customers"],
       automation=Automation(debounce=600))
def revenue(ctx: Context, inp: OrdersIn) -> Revenue:
    """Revenue per day."""
    return Revenue(day=inp.orders.day, total=sum(inp.orders.totals))


CUSTOMERS = AssetSpec(key="crm/customers", group="sources", owners=["team:crm"],
                      description="Customers, kept in the CRM")

_NODES = Definitions(assets=[orders, revenue, CUSTOMERS]).asset_graph.nodes
_AT = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
_KEYS = DAYS.resolve(_AT)  # 2025-01-01 to 2026-01-04: 369 days
_ORDERS_JOB = asset_name("shop/orders")
_RUN_ID = "6e1f0a4c9d2b4e83a7c5f9d1b3e2a047"  # shop/orders 2026-01-03
_REVENUE_RUN_ID = "c2d9e4a71b5f4c06d8e3a9f2b7c14d5e"  # reports/revenue 2026-01-03
_BACKFILL_ID = "a91c5e2d7f3b4a68c0d4e9b1f6a27c35"
_BACKFILL_RUNS = ("4b7e2c9f1a6d4e30b8c5d2a9f7e14b63", "e5d3a8c1f9b24d76a0e6c3b8d2f15a94")
_MISSING = ("2025-03-08", "2025-03-09")
_FAILED = "2025-12-14"
_RUNNING = "2026-01-04"


def _minutes(n: float) -> dt.datetime:
    return _AT + dt.timedelta(minutes=n)


def _record(key: str, *, event_id: int | None = None, at: dt.datetime | None = None,
            run_id: str | None = None, observed_at: dt.datetime | None = None
            ) -> AssetRecord:
    """The asset as storage keeps it: its latest materialization (`event_id`, `at`,
    `run_id`) and observation."""
    node = _NODES[key]
    return AssetRecord(key=key, description=node.spec.description, group=node.spec.group,
                       job_name=node.job_name, op_name=node.op_name,
                       snapshot=node.snapshot(), last_event_id=event_id,
                       last_materialized_at=at, last_run_id=run_id,
                       last_observed_at=observed_at)


_RECORDS = {r.key: r for r in (
    _record("crm/customers", observed_at=_minutes(-5)),
    _record("reports/revenue", event_id=90311, at=_minutes(-47), run_id=_REVENUE_RUN_ID),
    _record("shop/orders", event_id=90310, at=_minutes(-48), run_id=_RUN_ID))}


def _summary(key: str, *, downstream: tuple[str, ...] = (),
             partition_counts: dict[PartitionStatus, int] | None = None,
             check_counts: dict[CheckOutcome, int] | None = None) -> AssetSummary:
    record = _RECORDS[key]
    snapshot = record.snapshot
    reasons = stale_reasons(record, _RECORDS)
    return AssetSummary(
        key=key, group=record.group, description=record.description, kind=snapshot.kind,
        owners=snapshot.owners, job_name=record.job_name, active=True,
        upstream=snapshot.all_upstream, downstream=downstream,
        partitions_description=snapshot.partitions_description,
        partition_total=None if snapshot.partitions is None else len(_KEYS),
        partition_counts=partition_counts or {},
        last_materialized_at=record.last_materialized_at, last_run_id=record.last_run_id,
        last_observed_at=record.last_observed_at, stale=bool(reasons),
        stale_reasons=reasons, check_counts=check_counts or {},
        automation=snapshot.automation_debounce_seconds is not None)


_ORDER_COUNTS = {PartitionStatus.MISSING: len(_MISSING), PartitionStatus.IN_PROGRESS: 1,
                 PartitionStatus.MATERIALIZED: len(_KEYS) - len(_MISSING) - 2,
                 PartitionStatus.FAILED: 1}
_ORDERS = _summary("shop/orders", downstream=("reports/revenue",),
                   partition_counts=_ORDER_COUNTS, check_counts={CheckOutcome.PASS: 1})
_REVENUE = _summary("reports/revenue",
                    partition_counts={PartitionStatus.MATERIALIZED: len(_KEYS) - 3})
_CUSTOMERS = _summary("crm/customers", downstream=("reports/revenue",))
_CHECKED = CheckResultInfo(check_name="no_negative_totals", outcome=CheckOutcome.PASS,
                           description="0 negative totals", metadata={"checked": 1204},
                           partition_key="2026-01-03", run_id=_RUN_ID,
                           timestamp=_minutes(-48))
_MATERIALIZED = tuple(
    AssetEventInfo(id=90310 - n, kind=AssetEventKind.MATERIALIZATION,
                   partition_key=_KEYS.key_at(len(_KEYS) - 2 - n),
                   run_id=run_id, step_key=_ORDERS_JOB, timestamp=_minutes(-48 - 60 * 24 * n),
                   metadata={"rows": rows})
    for n, (run_id, rows) in enumerate(((_RUN_ID, 1204),
                                        ("0d8a3f6b2c9e4d17a5b1e7c4f9d26a38", 1187))))


def _cell(first: int, stop: int) -> GridCell:
    """The grid cell of partitions `first` to `stop` (exclusive), counted as stored."""
    keys = _KEYS.slice(first, stop)
    odd = {**dict.fromkeys(_MISSING, PartitionStatus.MISSING),
           _FAILED: PartitionStatus.FAILED, _RUNNING: PartitionStatus.IN_PROGRESS}
    tally: dict[PartitionStatus, int] = {}
    for key in keys:
        status = odd.get(key, PartitionStatus.MATERIALIZED)
        tally[status] = tally.get(status, 0) + 1
    counts = {s: tally[s] for s in PartitionStatus if s in tally}
    return GridCell(first_index=first, count=len(keys), first_key=keys[0],
                    last_key=keys[-1], counts=counts, status=worst_status(counts))


_CELL = -(-len(_KEYS) // 3)
_LAUNCH = BackfillsLaunchRequest(job=_ORDERS_JOB, first="2025-03-01", last="2025-12-31",
                                 only_missing=True, tags={"team": "data"})
_SELECTED = len(_KEYS.between("2025-03-01", "2025-12-31"))
_PLANNED = (f"{_MISSING[0]}{RANGE_SEPARATOR}{_MISSING[1]}", _FAILED)
_BACKFILL = BackfillInfo(
    id=_BACKFILL_ID, job_name=_ORDERS_JOB, asset_key=None, status=BackfillStatus.REQUESTED,
    description=f"partitions 2025-03-01 to 2025-12-31, only missing and failed "
                f"({_SELECTED - 3} skipped): 3 partitions in 2 runs",
    partitions=3, planned=2, submitted=0, chunk_size=7, only_missing=True, created_at=_AT,
    updated_at=_AT, error=None, run_counts={}, unsubmitted=2)
_RUNNING_BACKFILL = evolve(_BACKFILL, status=BackfillStatus.RUNNING, submitted=2,
                           updated_at=_minutes(0.1), unsubmitted=0,
                           run_counts={RunStatus.STARTED: 1, RunStatus.SUCCESS: 1})

#: The example call of each asset, backfill and dynamic partition method.
ASSET_EXAMPLES: dict[str, dict[str, MethodExample]] = {
    "Assets": {
        "GetMany": MethodExample(
            request=AssetsGetManyRequest(group="sales"),
            response=AssetsGetManyResponse(
                assets=(_REVENUE, _ORDERS),
                groups=(GroupSummary(name="sales", assets=2),
                        GroupSummary(name="sources", assets=1)))),
        "Get": MethodExample(
            request=AssetsGetRequest(key="shop/orders"),
            response=AssetDetail(
                asset=_ORDERS, output_type=_RECORDS["shop/orders"].snapshot.output_type,
                max_partitions_per_run=7, automation_debounce_seconds=None,
                checks=(AssetCheckInfo(name="no_negative_totals",
                                       description="No order has a negative total",
                                       blocking=False, latest=_CHECKED),),
                recent=_MATERIALIZED, tags={})),
        "GetGraph": MethodExample(
            request=AssetsGetGraphRequest(key="reports/revenue", depth=1),
            response=AssetsGetGraphResponse(
                assets=(_CUSTOMERS, _REVENUE, _ORDERS),
                edges=(AssetEdge(source="shop/orders", target="reports/revenue", reads=True),
                       AssetEdge(source="crm/customers", target="reports/revenue",
                                 reads=False)))),
        "GetPartitions": MethodExample(
            request=AssetsGetPartitionsRequest(key="shop/orders", cells=3),
            response=AssetsGetPartitionsResponse(
                key="shop/orders", total=len(_KEYS),
                counts=_ORDER_COUNTS, start=0,
                stop=len(_KEYS),
                cells=tuple(_cell(first, min(first + _CELL, len(_KEYS)))
                            for first in range(0, len(_KEYS), _CELL)))),
        "GetEvents": MethodExample(
            request=AssetsGetEventsRequest(key="shop/orders",
                                           kind=AssetEventKind.MATERIALIZATION, limit=2),
            response=AssetsGetEventsResponse(
                events=_MATERIALIZED,
                next_cursor=encode_cursor("asset_events", _MATERIALIZED[-1].id))),
        "ReportEvent": MethodExample(
            request=AssetsReportEventRequest(
                key="crm/customers",
                metadata={"rows": 48210, "exported_at": "2026-01-05T08:55:00Z"}),
            response=AssetEventInfo(
                id=90402, kind=AssetEventKind.OBSERVATION, partition_key=None, run_id=None,
                step_key=None, timestamp=_minutes(-5),
                metadata={"rows": 48210, "exported_at": "2026-01-05T08:55:00Z"})),
    },
    "Backfills": {
        "Preview": MethodExample(
            request=evolve(_LAUNCH, tags={}),
            response=BackfillPreview(job_name=_ORDERS_JOB, asset_key=None, partitions=3,
                                     runs=2, skipped=_SELECTED - 3, chunk_size=7,
                                     first_runs=_PLANNED)),
        "Launch": MethodExample(request=_LAUNCH, response=_BACKFILL),
        "GetMany": MethodExample(
            request=BackfillsGetManyRequest(job=_ORDERS_JOB, limit=1),
            response=BackfillsGetManyResponse(
                backfills=(_RUNNING_BACKFILL,),
                next_cursor=encode_cursor("backfills", _AT.isoformat(), _BACKFILL_ID))),
        "Get": MethodExample(request=BackfillsGetRequest(id=_BACKFILL_ID),
                             response=BackfillDetail(backfill=_RUNNING_BACKFILL)),
        "GetPartitions": MethodExample(
            request=BackfillsGetPartitionsRequest(id=_BACKFILL_ID),
            response=BackfillsGetPartitionsResponse(
                runs=(BackfillRunInfo(seq=0, partition_key=_PLANNED[0],
                                      run_id=_BACKFILL_RUNS[0], run_status=RunStatus.SUCCESS),
                      BackfillRunInfo(seq=1, partition_key=_PLANNED[1],
                                      run_id=_BACKFILL_RUNS[1], run_status=RunStatus.STARTED)),
                next_cursor=None)),
        "Cancel": MethodExample(
            request=BackfillsCancelRequest(id=_BACKFILL_ID),
            response=evolve(_RUNNING_BACKFILL, status=BackfillStatus.CANCELING,
                            updated_at=_minutes(2))),
    },
    "DynamicPartitions": {
        "Add": MethodExample(
            request=DynamicPartitionsAddRequest(name="customers", keys=("initech", "acme")),
            response=DynamicPartitionsAddResponse(added=("initech",))),
        "Delete": MethodExample(
            request=DynamicPartitionsDeleteRequest(name="customers", keys=("initech",)),
            response=DynamicPartitionsDeleteResponse(deleted=1)),
        "GetMany": MethodExample(
            request=DynamicPartitionsGetManyRequest(name="customers", limit=2),
            response=DynamicPartitionsGetManyResponse(
                keys=("acme", "globex"), total=3,
                next_cursor=encode_cursor("dynamic_partitions", 2))),
    },
}
