"""The assets the admin's asset and backfill pages are tested with (tests/test_ui_assets.py).

Group "sales": `raw/orders` -> `clean/orders` (reads its value; check
`no_negative_totals`) -> `reports/revenue` (reads it, and follows the external
`crm/customers` of group "sources" without reading it). Group "events": `events/raw`,
daily for January 2024 (its partitions in `FAILING` fail; those in `HELD` wait for
`RELEASE`), read by `events/counts`, partitioned alike and automated (after an hour's
quiet, so not within a test). Group "sensors": `sensors/readings`, 100,000 hourly
partitions.
"""

from __future__ import annotations

import threading

from attrs import frozen

from daggo_core import Context, NoInput
from daggo_core.definitions.asset_specs import AssetSpec, Automation, CheckResult, asset_check
from daggo_core.definitions.assets import asset
from daggo_core.definitions.definitions import Definitions
from daggo_core.definitions.partitions import DailyPartitions, HourlyPartitions

__all__ = ["ASSETS", "FAILING", "HELD", "RELEASE", "definitions"]

#: Partition keys of `events/raw` whose materialization fails.
FAILING: set[str] = set()
#: Partition keys of `events/raw` whose materialization waits for RELEASE.
HELD: set[str] = set()
RELEASE = threading.Event()


@frozen
class Orders:
    totals: tuple[int, ...]


@frozen
class CleanOrders:
    totals: tuple[int, ...]


@frozen
class Revenue:
    total: int


@frozen
class RawEvents:
    day: str
    count: int


@frozen
class EventCounts:
    day: str
    count: int


@frozen
class Readings:
    hour: str


@asset(key="raw/orders", group="sales", owners=["ada@example.com", "team:sales"])
def raw_orders(ctx: Context, inp: NoInput) -> Orders:
    """Orders as the shop exports them."""
    ctx.add_metadata(rows=3)
    return Orders(totals=(12, 30, 7))


@asset_check(description="No order has a negative total")
def no_negative_totals(ctx: Context, value: CleanOrders) -> CheckResult:
    negative = [t for t in value.totals if t < 0]
    return CheckResult(outcome="fail" if negative else "pass",
                       description=f"{len(negative)} negative totals",
                       metadata={"checked": len(value.totals)})


@frozen
class RawOrdersIn:
    orders: Orders


@asset(key="clean/orders", group="sales", owners=["ada@example.com"],
       checks=[no_negative_totals])
def clean_orders(ctx: Context, inp: RawOrdersIn) -> CleanOrders:
    """Orders with their totals checked."""
    return CleanOrders(totals=inp.orders.totals)


@frozen
class CleanOrdersIn:
    orders: CleanOrders


@asset(key="reports/revenue", group="sales", deps=["crm/customers"])
def revenue(ctx: Context, inp: CleanOrdersIn) -> Revenue:
    """Revenue over every order."""
    return Revenue(total=sum(inp.orders.totals))


CUSTOMERS = AssetSpec(key="crm/customers", group="sources", owners=["team:crm"],
                      description="Customers, kept in the CRM")

JANUARY = DailyPartitions("2024-01-01", end="2024-02-01")


@asset(key="events/raw", group="events", partitions=JANUARY, max_partitions_per_run=5)
def raw_events(ctx: Context, inp: NoInput) -> RawEvents:
    """The day's events, as logged."""
    keys = ctx.partition_keys
    if FAILING.intersection(keys):
        raise RuntimeError(f"no events logged for {', '.join(sorted(FAILING & set(keys)))}")
    while HELD.intersection(keys) and not RELEASE.is_set():
        if ctx.cancel_event.wait(0.02):
            raise RuntimeError("canceled")
    return RawEvents(day=keys[0], count=len(keys))


@frozen
class RawEventsIn:
    events: RawEvents


@asset(key="events/counts", group="events", partitions=JANUARY,
       automation=Automation(debounce=3600))
def event_counts(ctx: Context, inp: RawEventsIn) -> EventCounts:
    """Events per day."""
    return EventCounts(day=inp.events.day, count=inp.events.count)


@asset(key="sensors/readings", group="sensors",
       partitions=HourlyPartitions("2015-01-01", end="2026-05-29T16:00"))
def readings(ctx: Context, inp: NoInput) -> Readings:
    """An hour of sensor readings."""
    return Readings(hour=ctx.partition_key or "")


ASSETS = (raw_orders, clean_orders, revenue, CUSTOMERS, raw_events, event_counts, readings)


def definitions() -> Definitions:
    """The app's definitions: every asset above."""
    return Definitions(assets=list(ASSETS))
