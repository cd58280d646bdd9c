"""The admin's asset and backfill pages in a real browser: the catalog searched and
filtered by group, an asset's lineage graph, checks and history, the partition grid
coloured by status and zoomed into at 100,000 partitions, Materialize, and backfills
previewed, launched, followed to their end and canceled.

A screenshot of each page and theme is saved under `test-artifacts/screenshots/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import daggo_core
from daggo_core.services.assets import (
    AssetsGetPartitionsRequest,
    AssetsReportEventRequest,
)
from daggo_core.services.backfills import BackfillsGetRequest, BackfillsLaunchRequest
from daggo_core.services.jobs import JobsLaunchRequest
from daggo_core.services.runs import RunsGetRequest
from daggo_core.storage.asset_records import AssetEventKind, PartitionStatus
from daggo_core.storage.records import RunStatus
from daggo_core.testing.processes import wait_for
from tests.asset_app import FAILING, HELD, RELEASE, definitions
from tests.conftest import BackendUnderTest
from tests.ui_support import Site, page_of, served, shot, site_config

#: The colours of daggo.css (light theme) the grid's cells take by status.
GREEN, RED, BLUE, GREY = ("rgb(22, 122, 62)", "rgb(179, 38, 30)", "rgb(29, 95, 214)",
                          "rgb(236, 238, 243)")
JANUARY = [f"2024-01-{day:02d}" for day in range(1, 32)]


@pytest.fixture(autouse=True)
def _clean_gates() -> Iterator[None]:
    FAILING.clear()
    HELD.clear()
    yield
    FAILING.clear()
    HELD.clear()


@pytest.fixture
def site(apps: Callable[..., daggo_core.DaggoApp], tmp_path: Path) -> Iterator[Site]:
    """A served app with the assets of tests/asset_app.py, nothing materialized yet."""
    app = apps(site_config(tmp_path / "assets.sqlite"), definitions())
    with served(app, gates=[RELEASE]) as site:
        yield site


@pytest.fixture
def backend_site(apps: Callable[..., daggo_core.DaggoApp], tmp_path: Path,
                 storage_backend: BackendUnderTest) -> Iterator[Site]:
    """The same app over each storage backend (for the pages whose data is most
    backend-specific: the partition grid and a backfill's progress)."""
    config = site_config(tmp_path / "unused.sqlite")
    config.database = storage_backend.database
    with served(apps(config, definitions()), gates=[RELEASE]) as site:
        yield site


def materialize(site: Site, job: str, partition_key: str | None = None) -> str:
    """Run `job` (for `partition_key`) to its end; its run id."""
    services = site.app.services
    run = services.jobs.launch(JobsLaunchRequest(job=job, partition_key=partition_key)).run
    wait_for(lambda: services.runs.get(RunsGetRequest(run_id=run.id)).run.is_finished, 30,
             f"the run of {job} {partition_key or ''}")
    return run.id


def partition_status(site: Site, key: str, partition: str) -> PartitionStatus:
    grid = site.app.services.assets.get_partitions(AssetsGetPartitionsRequest(key=key))
    (cell,) = [c for c in grid.cells if c.first_key == partition]
    return cell.status


def backfill_status(site: Site, backfill_id: str) -> str:
    return str(site.app.services.backfills.get(BackfillsGetRequest(id=backfill_id))
               .backfill.status)


def leave_run_page(page: Any) -> Any:
    """A new tab of the same session: the run page a launch opened redraws itself once its
    run ends, which could cancel a navigation started from it meanwhile. The old tab is
    left open (closed with its context): closing a tab while it reloads can hang."""
    return page.context.new_page()


def background(locator: Any) -> str:
    return locator.evaluate("el => getComputedStyle(el).backgroundColor")  # type: ignore[no-any-return]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_asset_page_opens_in_the_layout(browser: Any, site: Site, scheme: str) -> None:
    materialize(site, "raw__orders")
    materialize(site, "clean__orders")
    materialize(site, "events__raw", "2024-01-02")
    backfill = site.app.services.backfills.launch(BackfillsLaunchRequest(
        asset="events/raw", first="2024-01-03", last="2024-01-04"))
    wait_for(lambda: backfill_status(site, backfill.id) == "COMPLETED", 30, "the backfill")
    page = page_of(browser, site, scheme=scheme)
    pages = {"assets": "/assets", "asset": "/assets/clean/orders",
             "asset-partitioned": "/assets/events/raw",
             "asset-many-partitions": "/assets/sensors/readings",
             "asset-external": "/assets/crm/customers", "backfills": "/backfills",
             "backfill": f"/backfills/{backfill.id}", "asset-not-found": "/assets/no/such",
             "backfill-not-found": "/backfills/nope"}
    for name, path in pages.items():
        page.errors.clear()
        response = page.goto(f"{site.url}{path}")
        missing = name.endswith("not-found")
        assert response.status == (404 if missing else 200), name
        assert page.errors == ([
            "Failed to load resource: the server responded with a status of 404 ()"]
            if missing else []), name
        assert page.locator('header a[aria-current="page"]').count() == (
            1 if name in ("assets", "backfills") else 0), name
        ground = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (ground == "rgb(20, 22, 28)") == (scheme == "dark"), (name, ground)
        shot(page, f"{name}-{scheme}")
    page.goto(f"{site.url}/assets/no/such")
    assert "no asset 'no/such'" in page.inner_text("main")


def test_the_catalog_is_searched_and_filtered_by_group_in_the_url(browser: Any,
                                                                  site: Site) -> None:
    materialize(site, "raw__orders")
    clean_run = materialize(site, "clean__orders")
    materialize(site, "raw__orders")  # after clean/orders: that one is stale now
    page = page_of(browser, site)
    page.locator("header").get_by_role("link", name="Assets").click()
    page.wait_for_url(f"{site.url}/assets")
    rows = page.locator("tbody tr[data-asset]")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.asset)") == [
        "clean/orders", "crm/customers", "events/counts", "events/raw", "raw/orders",
        "reports/revenue", "sensors/readings"]
    groups = page.locator("nav.groups a[data-group]")
    assert groups.all_inner_texts() == ["events 2", "sales 3", "sensors 1", "sources 1"]

    clean = page.locator('tr[data-asset="clean/orders"]')
    stale = clean.locator("[data-stale]")
    assert stale.inner_text() == "stale"
    assert stale.get_attribute("title").startswith("upstream 'raw/orders' changed at ")
    assert page.locator('tr[data-asset="raw/orders"] [data-stale]').count() == 0
    assert clean.locator("td").nth(6).inner_text() == "1 pass"
    assert "ada@example.com" in clean.inner_text() and "asset" in clean.inner_text()
    assert clean.locator("td").nth(5).locator("time").inner_text().endswith(
        ("just now", "s ago"))
    assert page.locator('tr[data-asset="events/counts"] td').nth(7).inner_text() == (
        "automated")
    assert page.locator('tr[data-asset="crm/customers"] td').nth(2).inner_text() == (
        "external")
    events = page.locator('tr[data-asset="events/raw"] td').nth(4)
    assert "daily from 2024-01-01" in events.inner_text()
    assert "0 of 31 materialized" in events.inner_text()
    assert events.locator(".statusbar").get_attribute("aria-label") == (
        "31 partitions: 31 missing")
    sensors = page.locator('tr[data-asset="sensors/readings"] td').nth(4)
    assert "0 of 100,000 materialized" in sensors.inner_text()

    page.fill("input[name=q]", "orders")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(f"{site.url}/assets?q=orders&group=")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.asset)") == [
        "clean/orders", "raw/orders"]
    page.select_option("select[name=group]", "sales")
    page.fill("input[name=q]", "")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(f"{site.url}/assets?q=&group=sales")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.asset)") == [
        "clean/orders", "raw/orders", "reports/revenue"]
    assert page.locator("select[name=group]").input_value() == "sales"  # kept
    page.locator("nav.groups").get_by_role("link", name="events 2").click()
    page.wait_for_url(f"{site.url}/assets?group=events")
    assert rows.count() == 2
    assert page.locator('nav.groups a[aria-current="true"]').inner_text() == "events 2"
    page.goto(f"{site.url}/assets?q=nothing-like-it")
    assert "No asset matches." in page.inner_text("tbody")
    page.goto(f"{site.url}/assets")
    clean.locator("td").nth(5).get_by_role("link").click()
    page.wait_for_url(f"{site.url}/runs/{clean_run}")
    page.go_back()
    clean.get_by_role("link", name="clean/orders").click()
    page.wait_for_url(f"{site.url}/assets/clean/orders")


def test_an_asset_page_shows_its_lineage_with_each_node_linked(browser: Any,
                                                               site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/assets/clean/orders")
    nodes = page.locator(".lineage svg a[data-asset]")
    assert sorted(nodes.evaluate_all("ns => ns.map(n => n.dataset.asset)")) == [
        "clean/orders", "raw/orders", "reports/revenue"]
    assert page.locator(".lineage .node.current").count() == 1
    assert nodes.locator(".node.current").evaluate("n => n.parentElement.dataset.asset") == (
        "clean/orders")
    edges = page.locator(".lineage .edges path")
    assert edges.evaluate_all("es => es.map(e => [e.dataset.edge, e.classList.value])") == [
        ["raw/orders clean/orders", "reads"], ["clean/orders reports/revenue", "reads"]]
    assert edges.first.evaluate("e => getComputedStyle(e).strokeDasharray") == "none"
    svg = page.locator(".lineage svg")
    fitted = [float(v) for v in svg.get_attribute("viewBox").split()]
    node = page.locator('.lineage a[data-asset="raw/orders"] rect').bounding_box()
    page.mouse.move(node["x"] + 10, node["y"] + 10)
    page.mouse.down()
    page.mouse.move(node["x"] + 70, node["y"] + 10, steps=5)
    page.mouse.up()  # a drag that starts on a node pans, and follows no link
    panned = [float(v) for v in svg.get_attribute("viewBox").split()]
    assert panned[0] < fitted[0] and panned[1:] == pytest.approx(fitted[1:])
    assert page.url == f"{site.url}/assets/clean/orders"
    page.locator('.lineage a[data-asset="reports/revenue"]').click()
    page.wait_for_url(f"{site.url}/assets/reports/revenue")
    follows = page.locator('.lineage .edges path[data-edge="crm/customers reports/revenue"]')
    assert follows.get_attribute("class") == "follows"
    assert follows.evaluate("e => getComputedStyle(e).strokeDasharray") != "none"  # dashed
    assert page.locator('.lineage .node.external').count() == 1
    page.locator('.lineage a[data-asset="crm/customers"]').click()
    page.wait_for_url(f"{site.url}/assets/crm/customers")
    assert "Made outside daggo" in page.inner_text("#materialize")
    assert page.locator("#materialize button").count() == 0  # nothing to launch


def test_materialize_runs_the_asset_and_its_history_and_checks_show(browser: Any,
                                                                   site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/assets/raw/orders")
    assert "Never materialized yet" in page.inner_text("#history tbody")
    page.locator("#materialize").get_by_role("button", name="Materialize").click()
    page.wait_for_url(re.compile(rf"{site.url}/runs/[0-9a-f]{{32}}$"))
    run_id = page.url.rsplit("/", 1)[1]
    services = site.app.services
    wait_for(lambda: services.runs.get(RunsGetRequest(run_id=run_id)).run.status
             is RunStatus.SUCCESS, 30, "the materialization")
    page = leave_run_page(page)
    page.goto(f"{site.url}/assets/raw/orders")
    (row,) = page.locator("#history tbody tr[data-event]").all()
    assert "materialization" in row.inner_text() and "rows=3" in row.inner_text()
    assert row.get_by_role("link").inner_text() == run_id[:8]
    assert page.locator(".asset-facts").get_by_role("link", name=run_id[:8]).count() == 1

    page.goto(f"{site.url}/assets/clean/orders")
    check = page.locator('tr[data-check="no_negative_totals"]')
    assert "Not run yet" in check.inner_text()
    page.locator("#materialize").get_by_role("button", name="Materialize").click()
    page.wait_for_url(re.compile(rf"{site.url}/runs/[0-9a-f]{{32}}$"))
    clean_run = page.url.rsplit("/", 1)[1]
    wait_for(lambda: services.runs.get(RunsGetRequest(run_id=clean_run)).run.is_finished, 30,
             "clean/orders")
    page = leave_run_page(page)
    page.goto(f"{site.url}/assets/clean/orders")
    check = page.locator('tr[data-check="no_negative_totals"]')
    outcome = check.locator(".badge.ok")
    assert outcome.inner_text() == "pass"
    assert background(outcome) == "rgb(223, 243, 230)"  # --ok-bg
    assert "0 negative totals" in check.inner_text() and "checked=3" in check.inner_text()
    assert "No order has a negative total" in check.inner_text()
    assert check.get_by_role("link").inner_text() == clean_run[:8]
    shot(page, "asset-materialized")

    for n in range(30):  # a history of more than a page
        services.assets.report_event(AssetsReportEventRequest(
            key="crm/customers", metadata={"n": n}))
    services.assets.report_event(AssetsReportEventRequest(
        key="crm/customers", kind=AssetEventKind.MATERIALIZATION))
    page.goto(f"{site.url}/assets/crm/customers")
    events = page.locator("#history tbody tr[data-event]")
    assert events.count() == 25
    assert "materialization" in events.first.inner_text()  # newest first
    assert "reported" in events.first.inner_text()
    seen = events.evaluate_all("rows => rows.map(r => r.dataset.event)")
    page.locator("#history").get_by_role("link", name="Older").click()
    assert "cursor=" in page.url
    assert events.count() == 6 and "n=0" in events.last.inner_text()
    seen += events.evaluate_all("rows => rows.map(r => r.dataset.event)")
    assert len(set(seen)) == 31
    assert page.locator("#history").get_by_role("link", name="Older").count() == 0
    page.locator("#history").get_by_role("link", name="Newest").click()
    assert events.count() == 25 and events.first.get_attribute("data-event") == seen[0]


def test_a_partition_is_materialized_from_the_asset_page(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/assets/events/raw")
    form = page.locator("#materialize")
    form.locator("input[name=partition_key]").fill("2023-12-31")
    with page.expect_response(re.compile(r".*/materialize$")) as answer:
        form.get_by_role("button", name="Materialize").click()
    assert answer.value.status == 400
    assert "2023-12-31" in form.locator("[role=alert]").inner_text()
    assert form.locator("input[name=partition_key]").input_value() == "2023-12-31"  # kept
    form.locator("input[name=partition_key]").fill("2024-01-05")
    form.get_by_role("button", name="Materialize").click()
    page.wait_for_url(re.compile(rf"{site.url}/runs/[0-9a-f]{{32}}$"))
    wait_for(lambda: partition_status(site, "events/raw", "2024-01-05")
             is PartitionStatus.MATERIALIZED, 30, "partition 2024-01-05")
    page = leave_run_page(page)
    page.goto(f"{site.url}/assets/events/raw")
    assert page.locator('[data-key="2024-01-05"]').get_attribute("data-status") == (
        "materialized")
    backfill = page.locator("#materialize").get_by_role("link", name="backfill this asset")
    backfill.click()
    page.wait_for_url(f"{site.url}/backfills?asset=events/raw#launch")
    assert page.locator("select[name=target]").input_value() == "asset:events/raw"


def test_the_partition_grid_colours_cells_by_status(browser: Any, backend_site: Site) -> None:
    site = backend_site
    FAILING.add("2024-01-03")
    HELD.add("2024-01-10")
    for key in ("2024-01-01", "2024-01-02", "2024-01-03"):
        materialize(site, "events__raw", key)
    site.app.services.jobs.launch(JobsLaunchRequest(job="events__raw",
                                                    partition_key="2024-01-10"))
    wait_for(lambda: partition_status(site, "events/raw", "2024-01-10")
             is PartitionStatus.IN_PROGRESS, 30, "2024-01-10 to start")
    page = page_of(browser, site)
    page.goto(f"{site.url}/assets/events/raw")
    cells = page.locator(".partition-grid [data-cell]")
    assert cells.count() == 31
    assert cells.evaluate_all("cs => cs.map(c => c.dataset.key)") == JANUARY
    expected = {"2024-01-01": ("materialized", GREEN), "2024-01-02": ("materialized", GREEN),
                "2024-01-03": ("failed", RED), "2024-01-10": ("in_progress", BLUE),
                "2024-01-04": ("missing", GREY)}
    for key, (status, colour) in expected.items():
        cell = page.locator(f'.partition-grid [data-key="{key}"]')
        assert cell.get_attribute("data-status") == status, key
        assert background(cell) == colour, key
        assert cell.get_attribute("title") == f"{key}: 1 {status.replace('_', ' ')}"
    totals = page.locator("#partitions p.counts [data-status]").all_inner_texts()
    assert totals == ["2 materialized", "1 in progress", "1 failed", "27 missing"]
    shot(page, "asset-grid")
    page.locator('.partition-grid [data-key="2024-01-03"]').click()
    page.wait_for_url(f"{site.url}/assets/events/raw?partition=2024-01-03#history")
    assert page.locator("#history tbody tr[data-event]").count() == 0
    assert "Nothing recorded for partition 2024-01-03" in page.inner_text("#history")
    assert page.locator("input[name=partition_key]").input_value() == "2024-01-03"
    page.locator('.partition-grid [data-key="2024-01-01"]').click()
    page.wait_for_url(f"{site.url}/assets/events/raw?partition=2024-01-01#history")
    (row,) = page.locator("#history tbody tr[data-event]").all()
    assert "2024-01-01" in row.inner_text()
    page.get_by_role("link", name="Every partition").click()
    assert page.locator("#history tbody tr[data-event]").count() == 2


def test_the_grid_of_100000_partitions_is_zoomed_into_by_clicking_a_range(
        browser: Any, site: Site) -> None:
    for key in ("2015-01-01-01:00", "2015-01-01-02:00"):
        materialize(site, "sensors__readings", key)
    page = page_of(browser, site)
    page.goto(f"{site.url}/assets/sensors/readings")
    cells = page.locator(".partition-grid [data-cell]")
    assert cells.count() == 200
    assert set(cells.evaluate_all("cs => cs.map(c => c.dataset.count)")) == {"500"}
    first = cells.first
    assert first.get_attribute("title") == (
        "2015-01-01-00:00 to 2015-01-21-19:00 (500 partitions): 2 materialized, 498 missing")
    assert "partial" in first.get_attribute("class")  # a few materialized: partly filled
    assert "partial" not in cells.nth(1).get_attribute("class")
    totals = page.locator("#partitions p.counts [data-status]").all_inner_texts()
    assert totals == ["2 materialized", "0 in progress", "0 failed", "99,998 missing"]
    first.click()
    page.wait_for_url(f"{site.url}/assets/sensors/readings?stop=500#partitions")
    assert cells.count() == 167  # 500 partitions, 3 a cell
    assert "Partitions 1 to 500 (2015-01-01-00:00 to 2015-01-21-19:00)" in page.inner_text(
        ".grid-span")
    cells.first.click()
    page.wait_for_url(f"{site.url}/assets/sensors/readings?stop=3#partitions")
    assert cells.evaluate_all("cs => cs.map(c => [c.dataset.key, c.dataset.status])") == [
        ["2015-01-01-00:00", "missing"], ["2015-01-01-01:00", "materialized"],
        ["2015-01-01-02:00", "materialized"]]
    assert background(cells.nth(1)) == GREEN
    shot(page, "asset-grid-zoomed")
    page.goto(f"{site.url}/assets/sensors/readings?start=99990&stop=100000")
    assert cells.count() == 10 and cells.last.get_attribute("data-key") == "2026-05-29-15:00"
    page.get_by_role("link", name="All partitions").click()
    page.wait_for_url(f"{site.url}/assets/sensors/readings#partitions")
    assert cells.count() == 200
    bad = page.goto(f"{site.url}/assets/sensors/readings?start=ten")
    assert bad.status == 400 and "start: give a partition index" in page.inner_text("main")


def test_a_backfill_is_previewed_then_launched_and_followed_to_its_end(
        browser: Any, backend_site: Site) -> None:
    site = backend_site
    FAILING.add("2024-01-12")
    page = page_of(browser, site)
    page.goto(f"{site.url}/backfills?asset=events/raw")
    assert "No backfills yet" in page.inner_text("table.backfills")
    form = page.locator("form.backfill-form")
    with page.expect_response(re.compile(r".*/backfills/preview$")) as answer:
        form.locator("input[name=selection][value=range]").check()
        form.locator("input[name=first]").fill("2023-12-30")
        form.locator("input[name=last]").fill("2024-01-12")
        form.get_by_role("button", name="Preview").click()
    assert answer.value.status == 400
    assert "2023-12-30" in form.locator("[role=alert]").inner_text()
    assert form.locator("input[name=first]").input_value() == "2023-12-30"  # kept
    assert page.get_by_role("button", name="Launch").count() == 0
    form.locator("input[name=first]").fill("2024-01-01")
    form.locator("input[name=chunk_size]").fill("5")
    form.get_by_role("button", name="Preview").click()
    preview = page.locator(".preview")
    assert ("12 partitions of asset events/raw (job events__raw) in 3 runs of up to 5 "
            "partitions.") in preview.inner_text()
    assert preview.locator("ol.first-runs li").all_inner_texts() == [
        "2024-01-01...2024-01-05", "2024-01-06...2024-01-10", "2024-01-11...2024-01-12"]
    assert "No backfills yet" in page.inner_text("table.backfills")  # nothing launched yet
    shot(page, "backfill-preview")
    preview.get_by_role("button", name="Launch").click()
    page.wait_for_url(re.compile(rf"{site.url}/backfills/[0-9a-f]{{32}}$"))
    backfill_id = page.url.rsplit("/", 1)[1]
    status = page.locator("[data-backfill-status]")
    # The page reloads itself while the backfill goes: nothing here reloads it.
    expect(status).to_have_text("COMPLETED", timeout=60_000)
    assert page.locator("[data-refresh]").count() == 0  # no longer reloading
    assert page.get_by_role("button", name="Cancel").count() == 0
    counts = page.locator("p.counts [data-count]").all_inner_texts()
    assert counts == ["2 success", "1 failure"]
    assert page.locator(".statusbar.wide").get_attribute("aria-label") == (
        "3 runs: 2 success, 1 failure")
    plan = page.locator("table.plan tbody tr[data-seq]")
    assert plan.count() == 3
    assert plan.nth(2).locator("td").nth(3).inner_text() == "FAILURE"
    shot(page, "backfill-completed")
    plan.nth(0).get_by_role("link").click()
    page.wait_for_url(re.compile(rf"{site.url}/runs/[0-9a-f]{{32}}$"))
    page.goto(f"{site.url}/backfills")
    row = page.locator(f'tr[data-backfill="{backfill_id}"]')
    assert "COMPLETED" in row.inner_text() and "events/raw" in row.inner_text()
    assert "3 of 3 runs created, 2 succeeded, 1 failed" in row.inner_text()

    form.locator("select[name=target]").select_option("asset:events/raw")
    form.locator("input[name=only_missing]").check()
    form.get_by_role("button", name="Preview").click()
    assert ("21 partitions of asset events/raw (job events__raw) in 5 runs of up to 5 "
            "partitions; 10 skipped as materialized or in progress.") in preview.inner_text()
    form.locator("input[name=selection][value=keys]").check()
    form.locator("textarea[name=keys]").fill("2024-01-12\n2024-01-20\n")
    form.get_by_role("button", name="Preview").click()
    assert "2 partitions" in preview.inner_text() and "in 2 runs" in preview.inner_text()
    assert preview.locator("ol.first-runs li").all_inner_texts() == ["2024-01-12",
                                                                     "2024-01-20"]
    FAILING.clear()
    preview.get_by_role("button", name="Launch").click()
    page.wait_for_url(re.compile(rf"{site.url}/backfills/[0-9a-f]{{32}}$"))
    expect(status).to_have_text("COMPLETED", timeout=60_000)
    assert "2 chosen partitions, only missing and failed" in page.inner_text("main")
    page.goto(f"{site.url}/assets/events/raw")
    assert page.locator('[data-key="2024-01-12"]').get_attribute("data-status") == (
        "materialized")


def test_a_launch_form_without_a_target_says_so(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/backfills")
    form = page.locator("form.backfill-form")
    options = form.locator("select[name=target] option").all_inner_texts()
    assert options == ["choose…", "events/counts", "events/raw", "sensors/readings"]
    with page.expect_response(re.compile(r".*/backfills/preview$")) as answer:
        form.get_by_role("button", name="Preview").click()
    assert answer.value.status == 400
    assert form.locator("[role=alert]").inner_text() == (
        "choose the asset or the job to backfill")


def test_a_backfill_is_canceled_from_its_page(browser: Any, site: Site) -> None:
    HELD.update(JANUARY)  # every run waits: the backfill cannot end by itself
    backfill = site.app.services.backfills.launch(BackfillsLaunchRequest(
        asset="events/raw", chunk_size=1))
    wait_for(lambda: backfill_status(site, backfill.id) == "RUNNING", 30,
             "the backfill's runs to be created")
    page = page_of(browser, site)
    page.goto(f"{site.url}/backfills/{backfill.id}")
    assert page.locator("[data-refresh]").count() == 1
    assert page.locator("table.plan tbody tr[data-seq]").count() == 31
    shot(page, "backfill-running")
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(f"{site.url}/backfills/{backfill.id}")
    status = page.locator("[data-backfill-status]")
    expect(status).to_have_text("CANCELED", timeout=60_000)
    assert page.get_by_role("button", name="Cancel").count() == 0
    assert page.locator("[data-refresh]").count() == 0
    # The backfill is CANCELED once its runs are canceled or asked to stop: those that
    # were running end a moment later.
    wait_for(lambda: site.app.services.backfills.get(BackfillsGetRequest(id=backfill.id))
             .backfill.run_counts == {RunStatus.CANCELED: 31}, 30, "every run to end")
    page.reload()
    assert page.locator("p.counts [data-count]").all_inner_texts() == ["31 canceled"]
    assert page.locator(".statusbar.wide").get_attribute("aria-label") == (
        "31 runs: 31 canceled")


def test_backfills_and_their_planned_runs_are_paged(browser: Any, site: Site) -> None:
    services = site.app.services
    hours = [f"2015-01-0{1 + h // 24}-{h % 24:02d}:00" for h in range(60)]
    for key in hours[:10]:
        materialize(site, "sensors__readings", key)
    for _ in range(50):  # nothing left to run: each is COMPLETED at once
        services.backfills.launch(BackfillsLaunchRequest(
            asset="sensors/readings", partition_keys=tuple(hours[:10]), only_missing=True))
    backfill = services.backfills.launch(BackfillsLaunchRequest(
        asset="sensors/readings", first=hours[0], last=hours[-1], chunk_size=1))
    page = page_of(browser, site)
    page.goto(f"{site.url}/backfills")
    rows = page.locator("table.backfills tbody tr[data-backfill]")
    assert rows.count() == 50
    assert rows.first.get_attribute("data-backfill") == backfill.id  # newest first
    assert "No runs" not in rows.nth(1).inner_text()
    assert rows.nth(1).locator(".statusbar").get_attribute("aria-label") == "0 runs: none"
    page.get_by_role("link", name="Older").click()
    assert rows.count() == 1
    page.get_by_role("link", name="Newest").click()
    rows.first.get_by_role("link", name=backfill.id[:8]).click()
    page.wait_for_url(f"{site.url}/backfills/{backfill.id}")
    plan = page.locator("table.plan tbody tr[data-seq]")
    assert plan.count() == 50 and plan.first.locator("code").first.inner_text() == hours[0]
    page.get_by_role("link", name="Next page").click()
    assert plan.evaluate_all("rows => rows.map(r => r.querySelector('code').textContent)") == (
        hours[50:])
    page.get_by_role("link", name="First page").click()
    assert plan.count() == 50
    wait_for(lambda: backfill_status(site, backfill.id) == "COMPLETED", 60,
             "the backfill of 60 runs")
