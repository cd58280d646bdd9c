"""The admin's queue pages in a real browser: the queues with their counts and loader
health, a queue's policies, ingestion errors and items filtered by URL and paged, its
partitions, an item with its runs and why they wait, Retry and Replay end to end, and a
404 page for an unknown queue or item.

A screenshot of each page and theme is saved under `test-artifacts/screenshots/`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Batch, Context, NoInput, Queue, dag
from daggo_core.services.queues import QueueItemsGetRequest, QueueItemsRetryRequest
from daggo_core.storage.records import QueueItemStatus, RunStatus
from daggo_core.testing.processes import wait_for
from tests.ui_support import Site, page_of, served, shot, site_config


@frozen
class Order:
    customer: str
    batch: int


@frozen
class Imported:
    rows: int

    def queue_metadata(self) -> dict[str, Any]:
        return {"rows": self.rows}


@frozen
class Ping:
    n: int


#: Customers whose imports fail (cleared by the tests that retry them).
FAILING: set[str] = set()
#: Opened when the imports of customer "slow" may end.
RELEASE = threading.Event()


def import_rows(ctx: Context, inp: NoInput) -> Imported:
    order = daggo_core.queue_payload(ctx, Order)
    if order.customer in FAILING:
        raise RuntimeError(f"cannot import {order.customer}")
    while order.customer == "slow" and not RELEASE.is_set():
        if ctx.cancel_event.wait(0.02):
            raise RuntimeError("canceled")
    return Imported(rows=order.batch * 10)


@frozen
class Pong:
    n: int


def pong(ctx: Context, inp: NoInput) -> Pong:
    return Pong(daggo_core.queue_payload(ctx, Ping).n)


def load_pings(cursor: str | None) -> Batch[Ping]:
    if cursor is None:
        return Batch(items=[Ping(1), {"n": "two"}], cursor="1", lag=5)
    raise ConnectionError("the ping source is down")


IMPORT = dag.job("import").add(dag.op("import_rows", import_rows)).build()
PONG = dag.job("pong").add(dag.op("pong", pong)).build()
ORDERS = (Queue[Order]("orders", description="Orders to import, one batch each")
          .route("/ingest/orders").partition_key(lambda o: o.customer)
          .item_key(lambda o: f"{o.customer}/{o.batch}").jobs(IMPORT)
          .concurrency(per_partition=1).build())
PINGS = (Queue[Ping]("pings").loader(load_pings, poll_every=0.05).jobs(PONG).build())


@frozen
class Items:
    """The ids of the site's items, by what became of them."""

    succeeded: str
    duplicate: str
    dead: str
    running: str
    waiting: str


@pytest.fixture(autouse=True)
def _failing() -> Iterator[None]:
    FAILING.clear()
    FAILING.add("bad")
    yield
    FAILING.clear()


@pytest.fixture
def site(apps: Callable[..., daggo_core.DaggoApp], tmp_path: Path) -> Iterator[Site]:
    """A served app with the queues: orders succeeded, deduplicated, dead-lettered,
    running and waiting for its partition; a loader that failed after its first batch."""
    app = apps(site_config(tmp_path / "ui.sqlite"),
               daggo_core.Definitions(jobs=[IMPORT, PONG], queues=[ORDERS, PINGS]))
    with served(app, gates=[RELEASE]) as site:
        yield site


def items_of(site: Site) -> Items:
    """Push the site's orders and wait for each to be where the tests want it."""
    app = site.app
    succeeded = app.push("orders", {"customer": "acme", "batch": 1}).accepted[0]
    duplicate = app.push("orders", Order("acme", 1)).deduplicated[0].id
    dead = app.push("orders", Order("bad", 1)).accepted[0]
    running, waiting = app.push("orders", Order("slow", 1), Order("slow", 2)).accepted
    with pytest.raises(daggo_core.DaggoError):
        app.push("orders", {"customer": "acme", "batch": "three"})
    wait_for(lambda: status(site, succeeded) is QueueItemStatus.SUCCEEDED, 30, "acme's import")
    wait_for(lambda: item(site, dead).dead_lettered, 30, "bad's import to be dead-lettered")
    wait_for(lambda: status(site, running) is QueueItemStatus.RUNNING, 30, "slow's first import")
    wait_for(lambda: runs(site, waiting)[0].wait_reason is not None, 30,
             "slow's second import to wait")
    return Items(succeeded=succeeded, duplicate=duplicate, dead=dead, running=running,
                 waiting=waiting)


def item(site: Site, item_id: str) -> Any:
    return site.app.services.queue_items.get(QueueItemsGetRequest(item_id=item_id)).item


def status(site: Site, item_id: str) -> QueueItemStatus:
    return item(site, item_id).status  # type: ignore[no-any-return]


def runs(site: Site, item_id: str) -> Any:
    return site.app.services.queue_items.get(QueueItemsGetRequest(item_id=item_id)).runs


def loader_failed(site: Site) -> bool:
    pings = next(q for q in site.app.services.queues.get_many().queues if q.name == "pings")
    return pings.loader is not None and pings.loader.failures > 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_queue_page_opens_in_the_layout(browser: Any, site: Site, scheme: str) -> None:
    items = items_of(site)
    wait_for(lambda: loader_failed(site), 30, "the pings loader to fail")
    page = page_of(browser, site, scheme=scheme)
    pages = {"queues": "/queues", "queue": "/queues/orders",
             "queue-loader": "/queues/pings", "queue-partitions": "/queues/orders/partitions",
             "queue-no-partitions": "/queues/pings/partitions",
             "item": f"/queues/orders/items/{items.succeeded}",
             "item-dead": f"/queues/orders/items/{items.dead}",
             "item-waiting": f"/queues/orders/items/{items.waiting}",
             "item-duplicate": f"/queues/orders/items/{items.duplicate}",
             "queue-not-found": "/queues/nope"}
    for name, path in pages.items():
        page.errors.clear()
        response = page.goto(f"{site.url}{path}")
        assert response.status == (404 if name == "queue-not-found" else 200), name
        expected = ["Failed to load resource: the server responded with a status of 404 ()"
                    ] if name == "queue-not-found" else []
        assert page.errors == expected, name
        assert page.locator('header a[aria-current="page"]').count() == (
            1 if name == "queues" else 0), name
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(20, 22, 28)") == (scheme == "dark"), (name, background)
        shot(page, f"{name}-{scheme}")


def test_the_queues_page_shows_counts_jobs_routes_and_loader_health(browser: Any,
                                                                    site: Site) -> None:
    items_of(site)
    wait_for(lambda: loader_failed(site), 30, "the pings loader to fail")
    page = page_of(browser, site)
    page.goto(f"{site.url}/")
    page.locator("header").get_by_role("link", name="Queues").click()
    page.wait_for_url(f"{site.url}/queues")
    orders = page.locator("tr[data-queue=orders]")
    counts = orders.locator("p.counts").inner_text()
    for shown in ("1 queued", "1 running", "1 succeeded", "1 failed", "1 deduplicated",
                  "1 dead-lettered"):
        assert shown in counts, (shown, counts)
    assert "canceled" not in counts  # none: not shown
    assert "import" in orders.inner_text() and "/ingest/orders" in orders.inner_text()
    assert "Orders to import" in orders.inner_text()
    assert orders.locator("td").nth(4).inner_text() == "none"  # no loader
    pings = page.locator("tr[data-queue=pings]")
    loader = pings.locator("td").nth(4)
    assert loader.locator(".badge.bad").inner_text() == "unhealthy"
    assert "poll, every 50 ms" in loader.inner_text()
    assert "ConnectionError: the ping source is down" in loader.inner_text()
    assert "loaded 1" in loader.inner_text() and "lag 5" in loader.inner_text()
    assert loader.locator("time[data-local]").count() >= 1  # the last poll, and the error's
    orders.get_by_role("link", name="1 dead-lettered").click()
    page.wait_for_url(f"{site.url}/queues/orders?dead_lettered=yes")
    assert page.locator("tbody tr[data-item]").count() == 1


def test_an_app_without_queues_explains_how_to_define_one(
        browser: Any, apps: Callable[..., daggo_core.DaggoApp], tmp_path: Path) -> None:
    app = apps(site_config(tmp_path / "none.sqlite"), IMPORT)
    with served(app) as site:
        page = page_of(browser, site)
        page.goto(f"{site.url}/queues")
        empty = page.locator("td.empty").inner_text()
        assert "No queues yet" in empty and "Definitions(queues=[...])" in empty
        shot(page, "queues-empty")


def test_the_queue_page_shows_policies_and_errors_and_filters_items_in_the_url(
        browser: Any, site: Site) -> None:
    items = items_of(site)
    page = page_of(browser, site)
    page.goto(f"{site.url}/queues")
    page.get_by_role("link", name="orders", exact=True).click()
    page.wait_for_url(f"{site.url}/queues/orders")
    policies = page.locator("section:has(#policies-title)").inner_text()
    assert "none: a failed item is dead-lettered at once" in policies
    assert "at most 1 run at once" in policies and "customer, batch" in policies
    assert "a key delivered again is deduplicated" in policies
    assert "No loader" in page.locator("section:has(#loader-title)").inner_text()
    errors = page.locator("section:has(#errors-title) tbody tr")
    assert errors.count() == 1
    assert "batch" in errors.inner_text() and errors.locator("time[data-local]").count() == 1
    detail = errors.locator("details")
    assert not detail.locator("pre").is_visible()
    detail.locator("summary").click()
    assert '"three"' in detail.locator("pre").inner_text()
    assert page.locator("tbody tr[data-item]").count() == 5
    page.check("form.filters input[name=status][value=FAILED]")
    page.select_option("form.filters select[name=dead_lettered]", "yes")
    page.fill("form.filters input[name=since]", "2000-01-01")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(
        r".*/queues/orders\?status=FAILED&partition=&dead_lettered=yes&since=2000-01-01.*"))
    rows = page.locator("tbody tr[data-item]")
    assert rows.count() == 1 and rows.get_attribute("data-item") == items.dead
    assert rows.locator(".badge.bad").all_inner_texts() == ["FAILED", "dead-lettered"]
    assert page.locator("form.filters input[name=status][value=FAILED]").is_checked()  # kept
    shot(page, "queue-filtered")
    rows.get_by_role("link", name="bad").click()  # its partition, the filters kept
    page.wait_for_url(re.compile(r".*status=FAILED.*partition=bad.*"))
    assert page.locator("form.filters input[name=partition]").input_value() == "bad"
    page.goto(f"{site.url}/queues/orders?partition=slow")
    assert {page.locator("tbody tr[data-item]").nth(i).get_attribute("data-item")
            for i in range(2)} == {items.running, items.waiting}
    page.goto(f"{site.url}/queues/orders?status=SUCCEEDED&until=2000-01-01")
    assert "No item matches these filters." in page.inner_text("#items tbody")
    assert page.get_by_role("button", name="Replay").count() == 0  # nothing to replay
    bad = page.goto(f"{site.url}/queues/orders?since=yesterday")
    assert bad.status == 400 and "since: give a date" in page.inner_text("main")
    bad = page.goto(f"{site.url}/queues/orders?status=LOST")
    assert bad.status == 400 and "status: choose among QUEUED" in page.inner_text("main")


def test_items_and_partitions_are_paged(browser: Any, site: Site) -> None:
    pushed = site.app.push("orders", *({"customer": f"c{n:03}", "batch": n}
                                        for n in range(101))).accepted
    assert len(pushed) == 101
    page = page_of(browser, site)
    page.goto(f"{site.url}/queues/orders?status=QUEUED&status=RUNNING&status=SUCCEEDED")
    seen = page.locator("tbody tr[data-item]").evaluate_all(
        "rows => rows.map(r => r.dataset.item)")
    assert len(seen) == 50
    page.get_by_role("link", name="Older").click()
    assert "status=RUNNING" in page.url and "cursor=" in page.url  # the filters stay
    assert page.locator("form.filters input[name=status][value=RUNNING]").is_checked()
    seen += page.locator("tbody tr[data-item]").evaluate_all(
        "rows => rows.map(r => r.dataset.item)")
    page.get_by_role("link", name="Older").click()
    seen += page.locator("tbody tr[data-item]").evaluate_all(
        "rows => rows.map(r => r.dataset.item)")
    assert sorted(seen) == sorted(pushed)  # newest first, each once
    assert page.get_by_role("link", name="Older").count() == 0
    page.get_by_role("link", name="Newest").click()
    assert page.locator("tbody tr[data-item]").first.get_attribute("data-item") == seen[0]
    page.goto(f"{site.url}/queues/orders/partitions")
    keys = page.locator("tbody tr[data-partition]")
    assert keys.count() == 100 and keys.first.get_attribute("data-partition") == "c000"
    page.get_by_role("link", name="Next page").click()
    assert page.locator("tbody tr[data-partition]").count() == 1
    assert page.locator("tbody tr").get_attribute("data-partition") == "c100"
    page.get_by_role("link", name="First page").click()
    assert page.locator("tbody tr[data-partition]").count() == 100


def test_the_partitions_tab_shows_each_key_and_links_its_items(browser: Any,
                                                               site: Site) -> None:
    items = items_of(site)
    page = page_of(browser, site)
    page.goto(f"{site.url}/queues/orders")
    page.locator("nav.tabs").get_by_role("link", name="Partitions").click()
    page.wait_for_url(f"{site.url}/queues/orders/partitions")
    assert page.locator('nav.tabs a[aria-current="page"]').inner_text() == "Partitions"
    keys = page.locator("tbody tr[data-partition]")
    assert keys.evaluate_all("rows => rows.map(r => r.dataset.partition)") == [
        "acme", "bad", "slow"]
    slow = page.locator("tr[data-partition=slow]")
    assert slow.locator("td").nth(1).inner_text() == "2"
    assert "1 queued" in slow.inner_text() and "1 running" in slow.inner_text()
    assert "QUEUED" in slow.locator("td").nth(3).inner_text()  # the latest: the waiting one
    assert slow.locator("time[data-local]").count() == 1
    slow.locator("td").nth(3).get_by_role("link").click()
    page.wait_for_url(f"{site.url}/queues/orders/items/{items.waiting}")
    page.go_back()
    page.locator("tr[data-partition=acme]").get_by_role("link", name="acme").click()
    page.wait_for_url(f"{site.url}/queues/orders?partition=acme")
    assert page.locator("tbody tr[data-item]").count() == 2  # accepted and deduplicated
    page.goto(f"{site.url}/queues/pings/partitions")
    assert "This queue has no partition key" in page.inner_text("tbody")
    page.goto(f"{site.url}/queues/pings")  # nor a partition filter or column
    assert page.locator("form.filters input[name=partition]").count() == 0
    assert "Partition" not in page.locator("#items thead").inner_text()


def test_an_item_shows_its_runs_payload_metadata_and_deliveries(browser: Any,
                                                                site: Site) -> None:
    items = items_of(site)
    page = page_of(browser, site)
    page.goto(f"{site.url}/queues/orders?partition=acme&status=SUCCEEDED")
    page.locator("tbody tr[data-item]").get_by_role("link", name=items.succeeded[:8]).click()
    page.wait_for_url(f"{site.url}/queues/orders/items/{items.succeeded}")
    facts = page.locator(".item-facts").inner_text()
    assert "Accepted" in facts and "acme/1" in facts and "api" in facts
    assert "SUCCEEDED" in page.locator("h1").inner_text()
    assert page.get_by_role("button", name="Retry").count() == 0  # it succeeded
    assert '"customer": "acme"' in page.locator("section:has(#payload-title) pre").inner_text()
    assert '"rows": 10' in page.locator("section:has(#metadata-title) pre").inner_text()
    run = page.locator("tbody tr[data-run]")
    assert run.count() == 1 and "SUCCESS" in run.inner_text() and "queue" in run.inner_text()
    duplicates = page.locator("section:has(#duplicates-title)")
    assert "1 delivery" in duplicates.inner_text()
    duplicates.get_by_role("link", name=items.duplicate[:8]).click()
    page.wait_for_url(f"{site.url}/queues/orders/items/{items.duplicate}")
    assert "Deduplicated against" in page.locator(".item-facts").inner_text()
    assert "a deduplicated delivery starts nothing" in page.inner_text("tbody")
    page.locator(".item-facts").get_by_role("link", name=items.succeeded[:8]).click()
    page.wait_for_url(f"{site.url}/queues/orders/items/{items.succeeded}")
    page.get_by_role("link", name=run.get_attribute("data-run")[:8]).click()
    page.wait_for_url(re.compile(rf"{site.url}/runs/[0-9a-f]{{32}}$"))
    facts = page.locator(".run-facts")
    assert f"{items.succeeded[:8]} of queue orders, partition acme" in facts.inner_text()
    shot(page, "run-of-item")
    facts.get_by_role("link", name=items.succeeded[:8]).click()  # back to its item
    page.wait_for_url(f"{site.url}/queues/orders/items/{items.succeeded}")
    page.goto(f"{site.url}/queues/orders/items/{items.waiting}")  # why it waits
    reason = runs(site, items.waiting)[0].wait_reason
    assert f"waits: {reason}" in page.inner_text("tbody")
    assert "QUEUED" in page.inner_text("tbody")
    page.goto(f"{site.url}/queues/pings/items/{items.succeeded[:10]}")  # to its own queue
    assert page.url == f"{site.url}/queues/orders/items/{items.succeeded}"


def test_a_dead_lettered_item_is_retried_from_its_page(browser: Any, site: Site) -> None:
    items = items_of(site)
    page = page_of(browser, site)
    page.goto(f"{site.url}/queues/orders/items/{items.dead}")
    facts = page.locator(".item-facts").inner_text()
    assert "yes (it failed with no retries left;" in facts
    assert "StepFailure: steps failed: import_rows" in page.inner_text("tbody")
    FAILING.clear()
    page.get_by_role("button", name="Retry").click()
    page.wait_for_url(f"{site.url}/queues/orders/items/{items.dead}/retry")
    notice = page.locator("[role=status]").inner_text()
    assert notice.startswith("Retried: 1 new run (import ")
    assert page.locator("tbody tr[data-run]").count() == 2
    wait_for(lambda: status(site, items.dead) is QueueItemStatus.SUCCEEDED, 30,
             "the retried item to succeed")
    retried = runs(site, items.dead)[-1]
    assert retried.status is RunStatus.SUCCESS
    assert retried.parent_run_id == runs(site, items.dead)[0].id
    shot(page, "item-retried")
    page.goto(f"{site.url}/queues/orders/items/{items.dead}")
    assert "SUCCEEDED" in page.locator("h1").inner_text()
    assert "dead-lettered" not in page.locator("h1").inner_text()
    assert page.get_by_role("button", name="Retry").count() == 0


def test_a_retry_refused_is_shown_on_the_item_page(browser: Any, site: Site) -> None:
    items = items_of(site)
    page = page_of(browser, site)
    page.goto(f"{site.url}/queues/orders/items/{items.dead}")
    FAILING.clear()  # meanwhile, it is retried elsewhere and succeeds
    site.app.services.queue_items.retry(QueueItemsRetryRequest(item_id=items.dead))
    wait_for(lambda: status(site, items.dead) is QueueItemStatus.SUCCEEDED, 30,
             "the item retried elsewhere to succeed")
    with page.expect_response(re.compile(r".*/retry$")) as answer:
        page.get_by_role("button", name="Retry").click()
    assert answer.value.status == 409
    alert = page.locator("[role=alert]").inner_text()
    assert alert == (f"Not retried: item {items.dead} is SUCCEEDED; only a failed, "
                     "partially failed or canceled item can be retried")
    assert "Traceback" not in page.content()
    shot(page, "item-retry-refused")


def test_failed_items_are_replayed_in_bulk_with_the_filters(browser: Any, site: Site) -> None:
    items = items_of(site)
    FAILING.add("worse")
    other = site.app.push("orders", Order("worse", 1)).accepted[0]
    wait_for(lambda: item(site, other).dead_lettered, 30, "worse's import to be dead-lettered")
    page = page_of(browser, site)
    page.goto(f"{site.url}/queues/orders?partition=bad&dead_lettered=yes")
    form = page.locator("form[aria-label='Replay the matching items']")
    assert "the failed and partially failed items matching these filters" in form.inner_text()
    FAILING.clear()
    form.get_by_role("button", name="Replay").click()
    page.wait_for_url(f"{site.url}/queues/orders/replay#items")
    assert page.locator("[role=status]").inner_text().startswith("Replayed 1 item.")
    assert page.locator("form.filters input[name=partition]").input_value() == "bad"
    wait_for(lambda: status(site, items.dead) is QueueItemStatus.SUCCEEDED, 30,
             "the replayed item to succeed")
    assert item(site, other).dead_lettered  # not in the filters: left as it was
    shot(page, "queue-replayed")
    page.goto(f"{site.url}/queues/orders?dead_lettered=yes")
    page.get_by_role("button", name="Replay").click()
    assert page.locator("[role=status]").inner_text().startswith("Replayed 1 item.")
    wait_for(lambda: status(site, other) is QueueItemStatus.SUCCEEDED, 30,
             "the other replayed item to succeed")
    page.goto(f"{site.url}/queues/orders?dead_lettered=yes")
    page.get_by_role("button", name="Replay").click()
    assert page.locator("[role=status]").inner_text().startswith("Replayed 0 items.")


def test_unknown_queues_and_items_get_a_404_page(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    for path in ("/queues/nope", "/queues/nope/partitions"):
        response = page.goto(f"{site.url}{path}")
        assert response.status == 404, path
        assert page.locator("h1").inner_text() == "Not found"
        assert "no queue named 'nope' (queues: orders, pings)" in page.inner_text("main")
        assert page.locator("nav.suggest").get_by_role("link", name="Queues").count() == 1
    missing = page.goto(f"{site.url}/queues/orders/items/{'f' * 32}")
    assert missing.status == 404 and "no queue item with id" in page.inner_text("main")
    missing = page.goto(f"{site.url}/queues/orders/items/abc")
    assert missing.status == 404 and "nor one starting with it" in page.inner_text("main")
    refused = page.evaluate("fetch('/queues/orders/replay', {method: 'POST'})"
                            ".then(r => r.status)")
    assert refused == 401  # a login admits a form only with its CSRF token
