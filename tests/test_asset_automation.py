"""Asset automation: an automated asset is launched once its upstream changed and stayed
still for its debounce, once per change, with the reason on the run; on every backend."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.definitions.asset_specs import AssetSpec, Automation
from daggo_core.definitions.assets import asset
from daggo_core.definitions.partitions import StaticPartitions
from daggo_core.execution.local import execute
from daggo_core.scheduling.asset_automation import AssetAutomation
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.asset_records import AssetEvent, AssetEventKind
from daggo_core.storage.base import Storage
from daggo_core.storage.records import AUTOMATION_TAG, RunStatus, RunTrigger, utcnow

REGIONS = StaticPartitions(["eu", "us"])


@attrs.frozen
class Prices:
    n: int


@attrs.frozen
class PricesIn:
    prices: Prices


@attrs.frozen
class Report:
    n: int


@attrs.frozen
class Regional:
    n: int


@attrs.frozen
class RegionalIn:
    regional_prices: Regional


@asset
def prices(ctx: Context, inp: NoInput) -> Prices:
    return Prices(n=1)


@asset(automation=Automation(debounce=30), deps=["vendor_feed"])
def report(ctx: Context, inp: PricesIn) -> Report:
    return Report(n=inp.prices.n)


@asset(partitions=REGIONS)
def regional_prices(ctx: Context, inp: NoInput) -> Regional:
    return Regional(n=2)


@asset(partitions=REGIONS, automation=True)
def regional_report(ctx: Context, inp: RegionalIn) -> Report:
    return Report(n=inp.regional_prices.n)


DEFS = Definitions(assets=[prices, report, regional_prices, regional_report,
                           AssetSpec(key="vendor_feed")])


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def synced(storage: Storage) -> Storage:
    sync_definitions(storage, DEFS)
    return storage


def test_an_automated_asset_waits_for_its_debounce_then_runs_once(synced: Storage) -> None:
    clock = Clock()
    automation = AssetAutomation(synced, clock=clock)
    assert automation.pass_once() == []  # nothing upstream changed yet
    assert execute(DEFS.job("prices"), storage=synced).success
    changed = synced.get_asset("prices")
    assert changed is not None and changed.last_materialized_at is not None
    clock.now = changed.last_materialized_at + dt.timedelta(seconds=29)
    assert automation.pass_once() == []  # within the debounce
    clock.now += dt.timedelta(seconds=2)
    (run,) = automation.pass_once()
    assert run.job_name == "report" and run.trigger is RunTrigger.AUTOMATION
    assert run.tags[AUTOMATION_TAG].startswith("upstream asset 'prices' changed at ")
    assert automation.pass_once() == []  # queued: not launched again
    synced.set_run_status(run.id, RunStatus.FAILURE, expected=(RunStatus.QUEUED,))
    assert automation.pass_once() == []  # failed, but for this change it ran already


def test_two_servers_launch_an_automated_asset_once(synced: Storage) -> None:
    execute(DEFS.job("prices"), storage=synced)
    clock = Clock()
    clock.now += dt.timedelta(minutes=5)
    first = AssetAutomation(synced, clock=clock)
    second = AssetAutomation(synced, clock=clock)
    launched = [*first.pass_once(), *second.pass_once()]
    assert len(launched) == 1


def test_an_observed_external_asset_triggers_its_downstream(synced: Storage) -> None:
    clock = Clock()
    automation = AssetAutomation(synced, clock=clock)
    execute(DEFS.job("prices"), storage=synced)
    clock.now += dt.timedelta(minutes=1)
    (first,) = automation.pass_once()
    assert execute(DEFS.job("report"), storage=synced).success
    synced.set_run_status(first.id, RunStatus.CANCELED, expected=(RunStatus.QUEUED,))
    assert automation.pass_once() == []  # materialized after its upstream: not stale
    synced.add_asset_events([AssetEvent(asset_key="vendor_feed",
                                        kind=AssetEventKind.OBSERVATION)])
    clock.now = utcnow() + dt.timedelta(minutes=1)
    (second,) = automation.pass_once()
    assert "upstream asset 'vendor_feed' changed" in second.tags[AUTOMATION_TAG]


def test_a_partitioned_automated_asset_runs_the_partitions_that_changed(
        synced: Storage) -> None:
    clock = Clock()
    automation = AssetAutomation(synced, clock=clock)
    execute(DEFS.job("regional_prices"), storage=synced, partition_key="us")
    clock.now = utcnow() + dt.timedelta(minutes=1)
    (run,) = automation.pass_once()
    assert (run.job_name, run.partition_key) == ("regional_report", "us")
    assert "materialized partition 'us'" in run.tags[AUTOMATION_TAG]
    assert automation.pass_once() == []
    assert execute(DEFS.job("regional_report"), storage=synced, partition_key="us").success
    execute(DEFS.job("regional_prices"), storage=synced, partition_key="eu")
    clock.now = utcnow() + dt.timedelta(minutes=1)
    assert [r.partition_key for r in automation.pass_once()] == ["eu"]


def test_an_asset_whose_upstream_its_own_job_makes_does_not_relaunch_itself(
        storage: Storage) -> None:
    def make_x(ctx: Context, inp: NoInput) -> Prices:
        return Prices(n=1)

    def make_y(ctx: Context, inp: PricesIn) -> Report:
        raise RuntimeError("y fails")

    job = (dag.job("xy").add(dag.op("x", make_x, assets=["x"]),
                             dag.op("y", make_y, assets=[AssetSpec(
                                 key="y", automation=Automation(debounce=0))]))
           .build())
    sync_definitions(storage, Definitions(jobs=[job]))
    execute(job, storage=storage)  # x materialized, y failed
    clock = Clock()
    clock.now += dt.timedelta(minutes=1)
    assert AssetAutomation(storage, clock=clock).pass_once() == []
