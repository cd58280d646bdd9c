"""The asset, backfill and dynamic partition methods over a served app, on each backend:
`Assets.*`, `Backfills.*`, `DynamicPartitions.*` and the partitioned `Jobs.Launch` called
over HTTP while the app's runtime (in_process executor, backfill runner) runs the runs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from attrs import frozen

from daggo_core import Context, NoInput
from daggo_core.app import DaggoApp
from daggo_core.config import default_config
from daggo_core.definitions.asset_specs import AssetSpec
from daggo_core.definitions.assets import asset
from daggo_core.definitions.definitions import Definitions
from daggo_core.definitions.partitions import DailyPartitions, DynamicPartitions
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import app_served
from tests.conftest import BackendUnderTest

FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
#: Ten days: 2024-01-01 to 2024-01-10.
DAYS = DailyPartitions("2024-01-01", end="2024-01-11")
#: Partition keys of `events/daily` whose materialization fails.
FAILING: set[str] = set()
#: Set at the end of each test: `slow/daily` runs wait for it (or for their cancel).
RELEASE = threading.Event()


@frozen
class Orders:
    totals: tuple[int, ...]


@frozen
class OrdersIn:
    orders: Orders


@frozen
class Clean:
    total: int


@frozen
class Report:
    rows: int


@frozen
class Day:
    day: str


@asset(key="raw/orders")
def raw_orders(ctx: Context, inp: NoInput) -> Orders:
    ctx.add_metadata(rows=3)
    return Orders(totals=(12, 30, 7))


@asset(key="clean/orders")
def clean_orders(ctx: Context, inp: OrdersIn) -> Clean:
    return Clean(total=sum(inp.orders.totals))


@asset(key="reports/customers", deps=["crm/customers"])
def customer_report(ctx: Context, inp: NoInput) -> Report:
    return Report(rows=1)


@asset(key="events/daily", partitions=DAYS)
def daily_events(ctx: Context, inp: NoInput) -> Day:
    if ctx.partition_key in FAILING:
        raise RuntimeError(f"no events logged on {ctx.partition_key}")
    return Day(day=ctx.partition_key or "")


@asset(key="slow/daily", partitions=DAYS)
def slow_daily(ctx: Context, inp: NoInput) -> Day:
    while not RELEASE.is_set():
        if ctx.cancel_event.wait(0.02):
            raise RuntimeError("canceled")
    return Day(day=ctx.partition_key or "")


@asset(key="customers/report", partitions=DynamicPartitions("customers"))
def per_customer(ctx: Context, inp: NoInput) -> Report:
    return Report(rows=1)


DEFS = Definitions(assets=[raw_orders, clean_orders, customer_report, daily_events,
                           slow_daily, per_customer,
                           AssetSpec(key="crm/customers", description="Kept in the CRM")])


class Served:
    """The app served on a loopback port, and an HTTP client of it."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def call(self, method: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = self.http.post(f"/rpc/{method}", json=body or {})
        return response.status_code, response.json()

    def ok(self, method: str, body: dict[str, Any] | None = None) -> Any:
        status, answer = self.call(method, body)
        assert status == 200, (method, answer)
        return answer

    def refused(self, method: str, body: dict[str, Any], code: str) -> str:
        """The message of the call's error answer, which must have `code`."""
        status, answer = self.call(method, body)
        assert status != 200 and answer["error"]["code"] == code, (method, answer)
        return str(answer["error"]["message"])

    def materialize(self, job: str, partition_key: str | None = None) -> Any:
        """Launch a run of `job` and return it once finished."""
        body: dict[str, Any] = {"job": job}
        if partition_key is not None:
            body["partition_key"] = partition_key
        run_id = self.ok("Jobs.Launch", body)["run"]["id"]
        return wait_for(lambda: self._finished(run_id), 30, f"run {run_id} of {job} to end")

    def _finished(self, run_id: str) -> Any:
        run = self.ok("Runs.Get", {"run_id": run_id})["run"]
        return run if run["status"] in FINISHED else None

    def assets(self) -> dict[str, Any]:
        return {a["key"]: a for a in self.ok("Assets.GetMany")["assets"]}


@pytest.fixture
def server(storage_backend: BackendUnderTest,
           apps: Callable[..., DaggoApp]) -> Iterator[Served]:
    FAILING.clear()
    RELEASE.clear()
    config = default_config()
    config.database = storage_backend.database
    config.scheduler.enabled = False
    config.scheduler.backfill_batch_size = 3  # a backfill's runs come in several batches
    config.scheduler.backfill_interval_seconds = 0.05
    config.execution.executor = "in_process"
    config.execution.poll_interval_seconds = 0.05
    config.admin.port = free_port()
    app = apps(config, DEFS)
    try:
        with app_served(app, name="assets-rpc-test"), \
                httpx.Client(base_url=app.url, timeout=20) as http:
            wait_for(lambda: _healthy(http), 20, "the server to answer")
            yield Served(http)
            RELEASE.set()
    finally:
        RELEASE.set()
        FAILING.clear()


def _healthy(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def test_an_asset_is_stale_once_its_upstream_materializes_after_it(server: Served) -> None:
    assert server.materialize("raw__orders")["status"] == "SUCCESS"
    assert server.materialize("clean__orders")["status"] == "SUCCESS"
    clean = server.assets()["clean/orders"]
    assert (clean["stale"], clean["stale_reasons"], clean["upstream"]) == (
        False, [], ["raw/orders"])
    assert clean["last_materialized_at"] is not None
    assert server.assets()["raw/orders"]["downstream"] == ["clean/orders"]

    server.materialize("raw__orders")
    clean = server.assets()["clean/orders"]
    assert clean["stale"] is True
    (reason,) = clean["stale_reasons"]
    assert reason.startswith("upstream 'raw/orders' changed at ")
    assert server.assets()["raw/orders"]["stale"] is False
    detail = server.ok("Assets.Get", {"key": "clean/orders"})
    assert detail["asset"]["stale_reasons"] == [reason]
    assert [e["kind"] for e in detail["recent"]] == ["materialization"]

    graph = server.ok("Assets.GetGraph", {"key": "clean/orders", "depth": 1})
    assert sorted(a["key"] for a in graph["assets"]) == ["clean/orders", "raw/orders"]
    assert graph["edges"] == [{"source": "raw/orders", "target": "clean/orders",
                               "reads": True}]
    raw = server.ok("Assets.GetEvents", {"key": "raw/orders"})["events"]
    assert [e["metadata"] for e in raw] == [{"rows": 3}, {"rows": 3}]
    assert raw[0]["id"] > raw[1]["id"]  # newest first


def test_the_partition_grid_counts_the_partitions_run(server: Served) -> None:
    FAILING.add("2024-01-03")
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        server.materialize("events__daily", day)
    grid = server.ok("Assets.GetPartitions", {"key": "events/daily", "cells": 5})
    counts = {"missing": 7, "materialized": 2, "failed": 1}
    assert (grid["total"], grid["counts"], grid["start"], grid["stop"]) == (10, counts, 0, 10)
    assert [(c["first_key"], c["last_key"], c["counts"], c["status"])
            for c in grid["cells"]] == [
        ("2024-01-01", "2024-01-02", {"materialized": 2}, "materialized"),
        ("2024-01-03", "2024-01-04", {"missing": 1, "failed": 1}, "failed"),
        *[(f"2024-01-{d:02d}", f"2024-01-{d + 1:02d}", {"missing": 2}, "missing")
          for d in (5, 7, 9)]]
    span = server.ok("Assets.GetPartitions", {"key": "events/daily", "start": 1, "stop": 3})
    assert [(c["first_key"], c["counts"]) for c in span["cells"]] == [
        ("2024-01-02", {"materialized": 1}), ("2024-01-03", {"failed": 1})]
    # The catalog counts every partition, those never run as missing.
    summary = server.assets()["events/daily"]
    assert (summary["partition_total"], summary["partition_counts"]) == (10, counts)

    pages, body = [], {"key": "events/daily", "limit": 1}
    while True:
        page = server.ok("Assets.GetEvents", body)
        pages.append(page["events"])
        if page["next_cursor"] is None:
            break
        body["cursor"] = page["next_cursor"]
    assert [len(p) for p in pages] == [1, 1]
    assert {p[0]["partition_key"] for p in pages} == {"2024-01-01", "2024-01-02"}
    one = server.ok("Assets.GetEvents", {"key": "events/daily", "partition_key": "2024-01-02"})
    assert [e["partition_key"] for e in one["events"]] == ["2024-01-02"]


def test_an_observation_reported_of_an_external_asset_makes_its_downstream_stale(
        server: Served) -> None:
    server.materialize("reports__customers")
    catalog = server.assets()
    assert catalog["crm/customers"]["kind"] == "external"
    assert catalog["crm/customers"]["job_name"] is None
    assert catalog["reports/customers"]["stale"] is False

    event = server.ok("Assets.ReportEvent", {"key": "crm/customers",
                                             "metadata": {"rows": 48210, "source": "crm"}})
    assert (event["kind"], event["metadata"], event["run_id"]) == (
        "observation", {"rows": 48210, "source": "crm"}, None)
    catalog = server.assets()
    assert catalog["crm/customers"]["last_observed_at"] is not None
    report = catalog["reports/customers"]
    assert report["stale"] is True
    assert [r.split(" changed at ")[0] for r in report["stale_reasons"]] == [
        "upstream 'crm/customers'"]
    observed = server.ok("Assets.GetEvents", {"key": "crm/customers",
                                              "kind": "observation"})["events"]
    assert [e["id"] for e in observed] == [event["id"]]


def test_bad_asset_requests_are_refused_naming_what_is_wrong(server: Served) -> None:
    message = server.refused("Assets.Get", {"key": "nope/missing"}, "not_found")
    assert "no asset 'nope/missing'" in message and "raw/orders" in message
    for method, body in (("Assets.GetEvents", {"key": "nope/missing"}),
                         ("Assets.GetPartitions", {"key": "nope/missing"}),
                         ("Assets.GetGraph", {"key": "nope/missing"}),
                         ("Assets.ReportEvent", {"key": "nope/missing"})):
        assert "no asset 'nope/missing'" in server.refused(method, body, "not_found")
    status, answer = server.call("Assets.ReportEvent", {"key": "crm/customers",
                                                        "metadata": [1, 2]})
    assert (status, answer["error"]["code"]) == (400, "invalid_argument")
    assert "@ $.metadata" in answer["error"]["message"]
    response = server.http.post("/rpc/Assets.ReportEvent", content=(
        '{"key": "crm/customers", "metadata": {"ratio": NaN}}'))
    assert response.status_code == 400
    assert "metadata 'ratio': nan is not a JSON number" in response.json()["error"]["message"]
    assert "is not partitioned" in server.refused(
        "Assets.ReportEvent", {"key": "crm/customers", "partition_key": "2024-01-01"},
        "invalid_argument")
    assert "asset 'raw/orders' is not partitioned" in server.refused(
        "Assets.GetPartitions", {"key": "raw/orders"}, "invalid_argument")
    assert "give the partition_key" in server.refused(
        "Assets.ReportEvent", {"key": "events/daily"}, "invalid_argument")
    assert "'2099-01-01'" in server.refused(
        "Assets.ReportEvent", {"key": "events/daily", "partition_key": "2099-01-01"},
        "invalid_argument")
    assert "cells: must be an integer from 1 to 2000" in server.refused(
        "Assets.GetPartitions", {"key": "events/daily", "cells": 0}, "invalid_argument")
    assert "not a cursor of this list" in server.refused(
        "Assets.GetEvents", {"key": "raw/orders", "cursor": "bogus"}, "invalid_argument")
    assert server.ok("Assets.GetEvents", {"key": "crm/customers"})["events"] == []


def test_an_only_missing_backfill_runs_what_is_missing_in_batches(server: Served) -> None:
    FAILING.add("2024-01-02")
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        server.materialize("events__daily", day)
    request = {"asset": "events/daily", "only_missing": True}
    preview = server.ok("Backfills.Preview", request)
    assert (preview["job_name"], preview["partitions"], preview["runs"],
            preview["skipped"]) == ("events__daily", 8, 8, 2)
    assert preview["first_runs"][:2] == ["2024-01-02", "2024-01-04"]  # the failed one too
    FAILING.clear()

    launched = server.ok("Backfills.Launch", {**request, "tags": {"team": "data"}})
    assert (launched["status"], launched["planned"], launched["unsubmitted"]) == (
        "REQUESTED", 8, 8)
    assert "(2 skipped)" in launched["description"]

    def settled() -> Any:
        backfill = server.ok("Backfills.Get", {"id": launched["id"]})["backfill"]
        done = (backfill["submitted"] == backfill["planned"]
                and backfill["status"] == "COMPLETED")
        return backfill if done else None

    backfill = wait_for(settled, 60, "the backfill's runs to be created and to finish")
    assert backfill["run_counts"] == {"SUCCESS": 8} and backfill["unsubmitted"] == 0
    plan = server.ok("Backfills.GetPartitions", {"id": launched["id"], "limit": 5})
    rest = server.ok("Backfills.GetPartitions", {"id": launched["id"],
                                                 "cursor": plan["next_cursor"]})
    runs = plan["runs"] + rest["runs"]
    assert rest["next_cursor"] is None
    assert [r["seq"] for r in runs] == list(range(8))
    assert [r["partition_key"] for r in runs] == [
        "2024-01-02", *[f"2024-01-{d:02d}" for d in range(4, 11)]]
    assert {r["run_status"] for r in runs} == {"SUCCESS"}
    tags = {server.ok("Runs.Get", {"run_id": r["run_id"]})["run"]["tags"]["team"]
            for r in runs}
    assert tags == {"data"}
    grid = server.ok("Assets.GetPartitions", {"key": "events/daily"})
    assert grid["counts"] == {"materialized": 10}

    listed = server.ok("Backfills.GetMany", {"job": "events__daily"})["backfills"]
    assert [b["id"] for b in listed] == [launched["id"]]
    # Nothing is missing any more: a plan without runs is complete at once.
    nothing = server.ok("Backfills.Launch", request)
    assert (nothing["status"], nothing["planned"]) == ("COMPLETED", 0)
    assert "only a backfill still going can be canceled" in server.refused(
        "Backfills.Cancel", {"id": nothing["id"]}, "failed_precondition")


def test_a_canceled_backfill_cancels_its_queued_and_running_runs(server: Served) -> None:
    launched = server.ok("Backfills.Launch", {"asset": "slow/daily"})

    def started() -> Any:
        backfill = server.ok("Backfills.Get", {"id": launched["id"]})["backfill"]
        return backfill if backfill["run_counts"].get("STARTED") else None

    wait_for(started, 30, "a run of the backfill to start")  # its runs wait for RELEASE
    canceling = server.ok("Backfills.Cancel", {"id": launched["id"]})
    assert canceling["status"] == "CANCELING"
    again = server.ok("Backfills.Cancel", {"id": launched["id"]})
    assert again["status"] in ("CANCELING", "CANCELED")

    def canceled() -> Any:
        backfill = server.ok("Backfills.Get", {"id": launched["id"]})["backfill"]
        ended = set(backfill["run_counts"]) <= FINISHED
        return backfill if backfill["status"] == "CANCELED" and ended else None

    # CANCELED once every run was canceled or asked to stop; the running ones end after.
    backfill = wait_for(canceled, 30, "the backfill to be canceled and its runs to end")
    assert 1 <= backfill["submitted"] <= backfill["planned"] == 10
    assert backfill["run_counts"] == {"CANCELED": backfill["submitted"]}
    runs = server.ok("Backfills.GetPartitions", {"id": launched["id"]})["runs"]
    assert {r["run_status"] for r in runs if r["run_id"]} == {"CANCELED"}
    assert server.ok("Assets.GetPartitions", {"key": "slow/daily"})["counts"].get(
        "materialized") is None
    assert "no backfill with id 'nosuchbackfill'" in server.refused(
        "Backfills.Cancel", {"id": "nosuchbackfill"}, "not_found")


def test_bad_backfills_are_refused_naming_the_problem(server: Served) -> None:
    assert "one of them" in server.refused("Backfills.Preview", {}, "invalid_argument")
    assert "'raw__orders' is not partitioned" in server.refused(
        "Backfills.Preview", {"job": "raw__orders"}, "invalid_argument")
    assert "'2023-12-31'" in server.refused(
        "Backfills.Preview", {"job": "events__daily", "partition_keys": ["2023-12-31"]},
        "invalid_argument")
    assert "made outside daggo" in server.refused(
        "Backfills.Launch", {"asset": "crm/customers"}, "invalid_argument")
    assert "no job named 'nope'" in server.refused("Backfills.Launch", {"job": "nope"},
                                                   "not_found")
    assert server.ok("Backfills.GetMany")["backfills"] == []


def test_dynamic_partitions_are_added_listed_and_deleted(server: Served) -> None:
    added = server.ok("DynamicPartitions.Add", {"name": "customers",
                                                "keys": ["acme", "globex"]})
    assert added == {"added": ["acme", "globex"]}
    again = server.ok("DynamicPartitions.Add", {"name": "customers",
                                                "keys": ["globex", "zen", "zen"]})
    assert again == {"added": ["zen"]}  # those held already, and repeats, are left
    page = server.ok("DynamicPartitions.GetMany", {"name": "customers", "limit": 2})
    assert (page["keys"], page["total"]) == (["acme", "globex"], 3)
    rest = server.ok("DynamicPartitions.GetMany", {"name": "customers",
                                                   "cursor": page["next_cursor"]})
    assert (rest["keys"], rest["next_cursor"]) == (["zen"], None)

    for bad in (" padded", "a...b", ""):
        message = server.refused("DynamicPartitions.Add",
                                 {"name": "customers", "keys": ["initech", bad]},
                                 "invalid_argument")
        assert f"partition key {bad!r}" in message
    assert "initech" not in server.ok("DynamicPartitions.GetMany",
                                      {"name": "customers"})["keys"]
    assert "dynamic partitions" in server.refused(
        "DynamicPartitions.Add", {"name": "bad name!", "keys": ["x"]}, "invalid_argument")

    assert server.materialize("customers__report", "acme")["status"] == "SUCCESS"
    deleted = server.ok("DynamicPartitions.Delete", {"name": "customers",
                                                     "keys": ["globex", "nope"]})
    assert deleted == {"deleted": 1}
    assert server.ok("DynamicPartitions.GetMany", {"name": "customers"})["keys"] == [
        "acme", "zen"]
    assert "'globex'" in server.refused(
        "Jobs.Launch", {"job": "customers__report", "partition_key": "globex"},
        "invalid_argument")
    grid = server.ok("Assets.GetPartitions", {"key": "customers/report"})
    assert (grid["total"], grid["counts"]) == (2, {"materialized": 1, "missing": 1})


def test_a_partitioned_job_launches_only_for_one_of_its_keys(server: Served) -> None:
    message = server.refused("Jobs.Launch", {"job": "events__daily"}, "invalid_argument")
    assert "'events__daily' is partitioned" in message and "partition_key" in message
    message = server.refused("Jobs.Launch", {"job": "events__daily",
                                             "partition_key": "2023-12-31"},
                             "invalid_argument")
    assert "partition key '2023-12-31' is not in the partitions" in message
    message = server.refused("Jobs.Launch", {"job": "events__daily",
                                             "partition_key": "2024-01-01...2024-01-03"},
                             "invalid_argument")
    assert "'2024-01-01...2024-01-03' covers 3 partitions" in message
    assert "'raw__orders' is not partitioned" in server.refused(
        "Jobs.Launch", {"job": "raw__orders", "partition_key": "2024-01-01"},
        "invalid_argument")
    run = server.materialize("events__daily", "2024-01-05")
    assert (run["status"], run["partition_key"]) == ("SUCCESS", "2024-01-05")
    grid = server.ok("Assets.GetPartitions", {"key": "events/daily", "start": 4, "stop": 5})
    assert [c["counts"] for c in grid["cells"]] == [{"materialized": 1}]
