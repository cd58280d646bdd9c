"""The admin's live pages in a real browser: a run's page follows its run to the end, the
runs page turns a row's status as it changes, a 100,000-line log is searched, and a
hidden tab closes its stream. Screenshots go under `test-artifacts/screenshots/`."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.services.runs import RunsEventsRequest
from daggo_core.storage.records import Event, EventKind, Run, RunStatus
from daggo_core.testing.processes import wait_for
from tests.ui_support import Site, page_of, served, shot, site_config

#: Opened by a test when the `slow` job's runs may log their lines (GATE), and end (FINISH).
GATE, FINISH = threading.Event(), threading.Event()


@frozen
class SlowParams:
    lines: int


@frozen
class Out:
    n: int


def slow(ctx: Context, inp: NoInput) -> Out:
    GATE.wait(30)
    for i in range(ctx.params.lines):
        ctx.log.info("slow line %d", i)
    FINISH.wait(30)
    return Out(ctx.params.lines)


SLOW = dag.job("slow", params=SlowParams).add(dag.op("work", slow)).build()

#: Opened by a test when the `turns` job's run of `which` 0 or 1 may end.
TURNS = (threading.Event(), threading.Event())


@frozen
class TurnParams:
    which: int


def take_turn(ctx: Context, inp: NoInput) -> Out:
    TURNS[ctx.params.which].wait(30)
    return Out(ctx.params.which)


ONE_AT_A_TIME = (dag.job("turns", params=TurnParams, max_concurrent_runs=1)
                 .add(dag.op("turn", take_turn)).build())


@pytest.fixture
def site(apps: Callable[..., daggo_core.DaggoApp], tmp_path: Path) -> Iterator[Site]:
    """A served app with the `slow` job, its runs waiting for GATE, and the `turns` job,
    its runs one at a time; its secret set."""
    app = apps(site_config(tmp_path / "live.sqlite"), SLOW, ONE_AT_A_TIME)
    with served(app, gates=[GATE, FINISH, *TURNS], name="ui-live-server") as site:
        yield site


def launch(page: Any, site: Site, lines: int) -> str:
    """Launches `slow` from its page's form; the run's id (the browser shows its page)."""
    page.goto(f"{site.url}/jobs/slow")
    page.fill("#param-lines", str(lines))
    page.get_by_role("button", name="Launch").click()
    page.wait_for_url(re.compile(rf"{site.url}/runs/[0-9a-f]{{32}}$"))
    return str(page.url.rsplit("/", 1)[1])


def test_the_run_page_follows_its_run_to_the_end(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text))
    run_id = launch(page, site, 3)
    page.wait_for_function("window.daggoLive.state().run === 'open'")
    assert page.locator("[data-live-run]").is_visible()
    assert page.locator("h1 [data-live-status]").inner_text() != "SUCCESS"
    # what the badge says, logged from this document: a reload would drop the flag
    page.evaluate("""() => {
        window.notReloaded = true;
        const badge = document.querySelector("h1 [data-live-status]");
        new MutationObserver(() => console.log("badge " + badge.textContent + " " +
            window.notReloaded)).observe(badge, {childList: true});
    }""")
    GATE.set()  # the op logs its lines, then waits for FINISH
    page.locator("#log-rows", has_text="slow line 2").wait_for()
    assert page.evaluate("window.notReloaded") is True
    shot(page, "live-run-following")
    FINISH.set()
    page.wait_for_function("document.querySelector('h1 [data-live-status]').textContent"
                           " === 'SUCCESS' && !window.notReloaded")  # then reloaded once
    assert "badge SUCCESS true" in seen
    assert site.app.storage.get_run(run_id).status is RunStatus.SUCCESS
    assert not page.locator("[data-live-run]").count()  # a finished run opens no stream
    assert page.evaluate("window.daggoLive.state()") == {}
    assert "slow line 2" in page.inner_text("table.log")
    assert page.errors == []
    shot(page, "live-run-ended")


def test_the_log_summary_counts_the_lines_as_they_arrive(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    run_id = launch(page, site, 3)
    page.wait_for_function("window.daggoLive.state().run === 'open'")
    summary = page.locator("[data-live-summary]")
    before = int(summary.get_attribute("data-count") or "0")
    page.evaluate("window.notReloaded = true")
    GATE.set()  # the op logs its lines, then waits for FINISH
    page.locator("#log-rows", has_text="slow line 2").wait_for()
    rows = page.locator("#log-rows tr").count()
    assert rows >= before + 3
    assert summary.inner_text().startswith(f"{rows} events, ")
    newest = site.app.services.runs.events(RunsEventsRequest(
        run_id=run_id, tail=True, limit=1)).events[-1]
    assert newest.message == "slow line 2"
    last = summary.locator("time").last
    assert dt.datetime.fromisoformat(last.get_attribute("datetime") or "") == newest.timestamp
    assert (last.get_attribute("title") or "").endswith(" UTC")  # shown in the local zone
    assert page.evaluate("window.notReloaded") is True
    assert page.errors == []


def test_a_filtered_run_page_shows_its_runs_status_live(browser: Any, site: Site) -> None:
    storage = site.app.storage
    first = site.app.launch("turns", {"which": 0}).id
    wait_for(lambda: storage.get_run(first).status is RunStatus.STARTED, 30,
             "the first run to start")
    second = site.app.launch("turns", {"which": 1}).id  # queued behind the first
    wait_for(lambda: storage.get_run(second).wait_reason, 30, "the second run's wait reason")
    page = page_of(browser, site)
    page.goto(f"{site.url}/runs/{second}?kind=LOG")  # no run status event passes
    badge = page.locator("h1 [data-live-status]")
    assert badge.inner_text() == "QUEUED"
    waiting = page.locator(f"[data-live-wait='{second}']")
    assert waiting.inner_text().startswith("Waiting: ")
    page.wait_for_function("window.daggoLive.state().run === 'open'"
                           " && window.daggoLive.state().status === 'open'")
    page.evaluate("window.notReloaded = true")
    TURNS[0].set()  # the first ends, so the second starts, and waits for its turn
    page.wait_for_function(
        "document.querySelector('h1 [data-live-status]').textContent === 'STARTED'")
    assert "live" in (badge.get_attribute("class") or "")
    assert waiting.is_hidden()  # it waits no more
    assert page.evaluate("window.notReloaded") is True
    shot(page, "live-run-filtered")
    TURNS[1].set()
    page.wait_for_function("document.querySelector('h1 [data-live-status]').textContent"
                           " === 'SUCCESS' && !window.notReloaded")  # then reloaded once
    assert storage.get_run(second).status is RunStatus.SUCCESS
    assert page.errors == []


def test_a_running_runs_row_turns_to_success_on_the_runs_page(browser: Any,
                                                              site: Site) -> None:
    page = page_of(browser, site)
    run_id = launch(page, site, 1)
    page.goto(f"{site.url}/runs")
    cell = page.locator(f"td[data-live-status='{run_id}']")
    assert cell.inner_text().split()[0] in {"QUEUED", "STARTING", "STARTED"}
    page.wait_for_function("window.daggoLive.state().status === 'open'")
    page.evaluate("window.notReloaded = true")
    GATE.set()
    FINISH.set()
    page.wait_for_function(
        f"document.querySelector(\"td[data-live-status='{run_id}']\").textContent === 'SUCCESS'")
    assert "ok" in (cell.get_attribute("class") or "")
    assert page.locator(f"td[data-live-duration='{run_id}']").inner_text().endswith("s")
    assert page.evaluate("window.notReloaded") is True
    shot(page, "live-runs-row")


def test_a_new_run_shows_a_notice_on_the_runs_page(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/jobs/slow/runs")
    page.wait_for_function("window.daggoLive.state().status === 'open'")
    assert page.locator("[data-live-new]").is_hidden()
    other = page.context.new_page()
    launch(other, site, 0)
    notice = page.locator("[data-live-new]")
    notice.get_by_role("link", name="1 new run — show").wait_for()
    assert page.locator("tbody tr td[data-live-status]").count() == 0  # rows stay put
    notice.get_by_role("link").click()
    page.locator("tbody td[data-live-status]").first.wait_for()


def test_a_new_run_shows_a_notice_on_the_overview(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/")
    page.wait_for_function("window.daggoLive.state().status === 'open'")
    assert page.locator("[data-live-new]").is_hidden()
    assert page.locator(".gantt-labels a", has_text="slow").count() == 0
    launch(page.context.new_page(), site, 0)
    notice = page.locator("[data-live-new]")
    notice.get_by_role("link", name="1 new run — show").click()
    page.locator(".gantt-labels a", has_text="slow").wait_for()  # its lane, reloaded
    # A window that ends in the past announces no new runs.
    page.goto(f"{site.url}/?window=1h&end=2020-01-01T00:00%2B00:00")
    assert page.locator("[data-live-new]").count() == 0


def test_a_hidden_tab_closes_its_stream_and_reopens_it_when_shown(browser: Any,
                                                                  site: Site) -> None:
    page = page_of(browser, site)
    launch(page, site, 0)
    page.wait_for_function("window.daggoLive.state().run === 'open'")

    def show(state: str) -> None:
        page.evaluate("""state => {
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""", state)

    show("hidden")
    assert page.evaluate("window.daggoLive.state()") == {"run": "none"}
    assert page.locator("[data-live-run]").is_hidden()
    page.evaluate("window.notReloaded = true")
    show("visible")
    page.wait_for_function("window.daggoLive.state().run === 'open'")
    assert page.evaluate("window.notReloaded") is True  # resumed from its cursor
    # the status stream has no cursor: a runs page shown again reloads
    page.goto(f"{site.url}/runs")
    page.wait_for_function("window.daggoLive.state().status === 'open'")
    show("hidden")
    assert page.evaluate("window.daggoLive.state()") == {"status": "none"}
    page.evaluate("window.notReloaded = true")
    show("visible")
    page.wait_for_function("!window.notReloaded && window.daggoLive.state().status === 'open'")
    assert page.errors == []


def test_a_100000_line_log_is_searched_on_the_run_page(browser: Any, site: Site) -> None:
    storage = site.app.storage
    run = storage.add_run(Run(job_name="slow", status=RunStatus.SUCCESS))
    lines, batch = 100_000, 10_000
    for start in range(0, lines, batch):
        storage.add_events([
            Event(run_id=run.id, kind=EventKind.LOG, level="INFO", step_key="work",
                  message=f"line {i} of the big log")
            for i in range(start, start + batch)])
    page = page_of(browser, site)
    page.goto(f"{site.url}/runs/{run.id}")
    assert "line 99999 of the big log" in page.inner_text("table.log")
    page.fill("input[name=q]", "line 4242 of")
    page.get_by_role("button", name="Filter").last.click()
    page.wait_for_url(re.compile(r"q=line"))
    rows = page.locator("#log-rows tr")
    assert rows.count() == 1
    assert "line 4242 of the big log" in rows.inner_text()
    assert page.evaluate("window.daggoLive.state()") == {}  # a finished run: no stream
    shot(page, "live-log-searched")
