"""The admin's pages in a real browser (Playwright driving Debian's chromium): every page
opens in the one layout, in the light and the dark theme, times show in the browser's
zone, the keyboard reaches the content, an unknown URL gets a page to navigate on.

A screenshot of each page and theme is saved under `test-artifacts/screenshots/`.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from attrs import Factory, frozen
from click.testing import CliRunner

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.cli.main import cli
from daggo_core.storage.base import RunFilter
from daggo_core.storage.records import Run, RunStatus
from daggo_core.testing.processes import wait_for
from tests.ui_support import SECRET, Site, page_of, served, shot, site_config


@frozen
class Out:
    n: int


def op(ctx: Context, inp: NoInput) -> Out:
    return Out(1)


def failing(ctx: Context, inp: NoInput) -> Out:
    raise ValueError("no numbers today <script>window.hacked = 1</script><b>bold</b>")


class Mode(enum.StrEnum):
    FULL = "full"
    QUICK = "quick"


@frozen
class IngestParams:
    limit: int
    label: str = "all"
    mode: Mode = Mode.QUICK
    dry_run: bool = False
    sources: list[str] = Factory(lambda: ["a", "b"])


@frozen
class Upper:
    text: str


def fetch(ctx: Context, inp: NoInput) -> Out:
    ctx.log.info("fetching %d (%s, %s)", ctx.params.limit, ctx.params.mode, ctx.params.label)
    return Out(ctx.params.limit)


@frozen
class ShapeIn:
    fetched: Out


def shape(ctx: Context, inp: ShapeIn) -> Upper:
    return Upper(str(inp.fetched.n))


#: True once a run's page drawn after the run ended has loaded: one that followed the
#: run reloads itself at its end, so a test navigating before that would race it.
ENDED_PAGE = "document.readyState === 'complete' && !document.querySelector('[data-live-run]')"

#: Opened by a test when the `held` job's runs may end (they end when canceled too).
RELEASE = threading.Event()


def hold(ctx: Context, inp: NoInput) -> Out:
    while not RELEASE.is_set():
        if ctx.cancel_event.wait(0.02):
            raise RuntimeError("canceled")
    return Out(0)


JOB = (dag.job("nightly", description="Loads the day's numbers").add(dag.op("load", op))
       .schedule("0 3 * * *").build())
REPORT = dag.job("hourly_report").add(dag.op("report", failing)).schedule("0 * * * *").build()
INGEST = (dag.job("ingest", params=IngestParams)
          .add(dag.op("fetch", fetch), dag.op("shape", shape)).build())
HELD = dag.job("held", max_concurrent_runs=2).add(dag.op("hold", hold)).build()


@pytest.fixture
def site(apps: Callable[..., daggo_core.DaggoApp], tmp_path: Path) -> Iterator[Site]:
    """A served app with a job and one run of it, its secret set."""
    app = apps(site_config(tmp_path / "ui.sqlite"), JOB, REPORT, INGEST, HELD)
    run = daggo_core.execute(JOB, storage=app.storage)
    daggo_core.execute(REPORT, storage=app.storage)
    with served(app, run_id=run.run_id, gates=[RELEASE]) as site:
        yield site


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_opens_in_the_layout(browser: Any, site: Site, scheme: str) -> None:
    page = page_of(browser, site, scheme=scheme)
    pages = {"overview": "/", "jobs": "/jobs", "job": "/jobs/ingest", "runs": "/runs",
             "schedules": "/schedules", "workers": "/workers",
             "job-schedules": "/jobs/nightly", "job-runs": "/jobs/nightly/runs",
             "settings": "/settings", "plugins": "/plugins", "run": f"/runs/{site.run_id}",
             "not-found": "/no/such/page"}
    for name, path in pages.items():
        page.errors.clear()
        response = page.goto(f"{site.url}{path}")
        assert response.status == (404 if name == "not-found" else 200), name
        # (HTTP/1.1 as Hypercorn speaks it has no reason phrase: "404 ()")
        expected = ["Failed to load resource: the server responded with a status of 404 ()"
                    ] if name == "not-found" else []
        assert page.errors == expected, name
        assert page.locator("header nav a").count() >= 2, name  # the menu of every page
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(20, 22, 28)") == (scheme == "dark"), (name, background)
        shot(page, f"{name}-{scheme}")


def test_the_page_shown_marks_its_menu_entry(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/settings")
    assert page.locator('header a[aria-current="page"]').inner_text() == "Settings"


def test_an_unknown_url_gets_a_page_to_navigate_on(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/jobs/nope/extra")
    assert page.locator("h1").inner_text() == "Not found"
    assert "Nothing is at /jobs/nope/extra." in page.inner_text("main")
    page.locator("nav.suggest").get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{site.url}/settings")
    missing = page.goto(f"{site.url}/runs/{'f' * 32}")
    assert missing.status == 404
    assert f"There is no run {'f' * 32}." in page.inner_text("main")


def test_jobs_show_their_last_runs_schedules_in_words_and_next_run(browser: Any,
                                                                    site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/jobs")
    rows = page.locator("tbody tr")
    assert rows.count() == 4
    report, nightly = rows.nth(1), rows.nth(3)  # by name
    assert "hourly_report" in report.inner_text() and "Every hour" in report.inner_text()
    assert "At 03:00 AM" in nightly.inner_text()
    assert report.locator("a.tile.bad").count() == 1  # its one run failed
    assert nightly.locator("time[data-local]").count() == 1  # the next run
    nightly.locator("a.tile.ok").click()
    page.wait_for_url(f"{site.url}/runs/{site.run_id}")


def test_jobs_are_found_by_part_of_their_name(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/jobs")
    page.fill("#job-search", "NIGHT")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/jobs?q=NIGHT")
    assert page.locator("tbody tr").count() == 1
    assert "nightly" in page.locator("tbody").inner_text()
    shot(page, "jobs-search")
    page.goto(f"{site.url}/jobs?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "No job's name contains “<script>alert(1)</script>”" in page.inner_text("main")
    assert page.locator("main script").count() == 0  # shown, never run


def test_settings_show_the_configuration_with_secrets_redacted(browser: Any,
                                                               site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/settings")
    text = page.inner_text("main")
    assert "admin.secret_key" in text and '"********"' in text
    assert SECRET not in page.content()
    assert "execution.executor" in text and '"in_process"' in text
    assert "bearer" in text  # the plugins, by name


@pytest.mark.parametrize(("locale", "clock"), [("en-GB", "%H:%M:%S"), ("en-US", "%I:%M:%S %p")])
def test_times_show_in_the_browsers_zone_and_locale_with_utc_on_hover(
        browser: Any, site: Site, locale: str, clock: str) -> None:
    page = page_of(browser, site, timezone="Asia/Tokyo", locale=locale)
    created = site.app.storage.get_run(site.run_id).created_at
    page.goto(f"{site.url}/runs")
    shown = page.locator(f"tr:has(a[href='/runs/{site.run_id}']) time[data-local]")
    assert shown.get_attribute("title") == created.strftime("%Y-%m-%d %H:%M:%S UTC")
    tokyo = created.astimezone(ZoneInfo("Asia/Tokyo"))
    # ICU puts a narrow no-break space before the day period.
    assert tokyo.strftime(clock) in shown.inner_text().replace("\u202f", " ")


def test_the_overview_draws_each_jobs_runs_on_a_time_axis(browser: Any, site: Site) -> None:
    storage, now = site.app.storage, dt.datetime.now(dt.UTC)

    def run(job: str, hours_ago: float, status: RunStatus, **fields: Any) -> Run:
        began = now - dt.timedelta(hours=hours_ago)
        return storage.add_run(Run(
            job_name=job, status=status, created_at=began,
            started_at=None if status is RunStatus.QUEUED else began,
            finished_at=began + dt.timedelta(minutes=20) if status in (
                RunStatus.SUCCESS, RunStatus.FAILURE) else None, **fields))

    lone = run("ingest", 20, RunStatus.SUCCESS, params={"limit": 1})
    for minutes in (0, 1, 2):  # three runs a minute apart: one bar at 24 h
        run("ingest", 10 + minutes / 60, RunStatus.FAILURE if minutes == 1 else RunStatus.SUCCESS,
            params={"limit": 1})
    held = [site.app.launch("held").id for _ in range(3)]
    running, waiting = held[0], held[2]
    wait_for(lambda: site.app.storage.get_run(waiting).wait_reason is not None, 30,
             "the third held run to wait")
    page = page_of(browser, site, timezone="Asia/Tokyo")
    page.goto(f"{site.url}/")
    lanes = page.locator(".timeline .gantt-labels li")
    assert lanes.all_inner_texts() == ["held", "hourly_report", "ingest", "nightly"]
    counts = page.locator("p.counts").inner_text()
    assert "2 success" not in counts and "4 success" in counts and "2 failure" in counts
    assert "2 started" in counts and "1 queued" in counts
    merged = page.locator(".timeline rect.bad:not([data-run])")
    assert merged.count() == 1
    assert "ingest: 3 runs, 1 failed, 2 succeeded" in merged.locator("title").text_content()
    lone_bar = page.locator(f".timeline rect[data-run='{lone.id}']")
    assert lone_bar.get_attribute("class") == "bar ok"
    live = page.locator(".timeline rect.live")  # runs at once share a bar
    assert "held: 3 runs, 2 running, 1 queued" in live.locator("title").text_content()
    axis = page.locator(".timeline .axis time").first
    assert axis.get_attribute("title").endswith(" UTC")  # and shown in Tokyo's time
    active = page.locator("section:has(h2:text('Running and queued')) tbody").inner_text()
    assert "job 'held' limit reached (2 of 2 running)" in active and waiting[:8] in active
    assert running[:8] in active
    assert "At 03:00 AM" in page.locator("section:has(h2:text('Next ticks'))").inner_text()
    shot(page, "overview-timeline")
    merged.click()  # a bar of several runs lists them on the runs page
    page.wait_for_url(re.compile(r"/runs\?job=ingest&since="))
    assert page.locator("tbody tr").count() == 3
    page.goto(f"{site.url}/")
    page.get_by_role("link", name="1h", exact=True).click()
    page.wait_for_url(f"{site.url}/?window=1h")
    assert page.locator(".timeline .gantt-labels li").all_inner_texts() == [
        "held", "hourly_report", "nightly"]  # not ingest's runs, 10 hours ago
    page.get_by_role("link", name="← Earlier").click()
    page.wait_for_url(re.compile(r"/\?window=1h&end="))
    assert "No runs in this window." in page.inner_text("main")
    page.get_by_role("link", name="Later →").click()
    page.wait_for_url(f"{site.url}/?window=1h")
    page.goto(f"{site.url}/")
    page.locator(f".timeline rect[data-run='{lone.id}']").click()
    page.wait_for_url(f"{site.url}/runs/{lone.id}")
    assert page.goto(f"{site.url}/?window=2h").status == 400
    assert page.goto(f"{site.url}/?window=30d&end=0001-01-20T00:00%2B00:00").status == 400
    assert "end: out of range" in page.inner_text("main")


def test_logging_out_ends_the_session(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{site.url}/login")
    page.goto(f"{site.url}/settings")
    assert page.url == f"{site.url}/login?next=/settings"
    shot(page, "login")


def test_the_keyboard_reaches_the_content_first(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/settings")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#content"


def test_the_job_page_draws_the_graph_with_types_on_hover_and_zooms(browser: Any,
                                                                     site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/jobs")
    page.get_by_role("link", name="ingest").click()
    page.wait_for_url(f"{site.url}/jobs/ingest")
    nodes = page.locator("svg g.node")
    assert nodes.count() == 2 and page.locator("svg g.edges path").count() == 1
    title = page.locator('svg g.node[data-op="shape"] title').text_content()
    assert "input: ShapeIn" in title and "output: Upper" in title
    box = page.locator("[data-graph] svg")
    fitted = box.get_attribute("viewBox")
    page.get_by_role("button", name="Zoom in").click()
    zoomed = box.get_attribute("viewBox")
    assert float(zoomed.split()[2]) < float(fitted.split()[2])
    box.focus()
    page.keyboard.press("0")
    assert [float(v) for v in box.get_attribute("viewBox").split()] == [
        float(v) for v in fitted.split()]


def test_a_run_launched_from_the_job_page_succeeds(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/jobs/ingest")
    assert page.locator("#param-label").input_value() == "all"  # the defaults
    assert page.locator("#param-sources").input_value() == '["a", "b"]'
    page.fill("#param-limit", "7")
    page.select_option("#param-mode", label="full")
    page.check("#param-dry_run")
    page.get_by_role("button", name="Launch").click()
    page.wait_for_url(re.compile(rf"{site.url}/runs/[0-9a-f]{{32}}$"))
    run_id = page.url.rsplit("/", 1)[1]
    run = wait_for(lambda: (r := site.app.storage.get_run(run_id)).is_finished and r, 30,
                   "the launched run to finish")
    assert run.status is RunStatus.SUCCESS
    assert run.params == {"limit": 7, "label": "all", "mode": "full", "dry_run": True,
                          "sources": ["a", "b"]}
    page.wait_for_function(ENDED_PAGE)
    assert "SUCCESS" in page.inner_text("main")


def test_a_params_error_is_shown_next_to_its_field(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/jobs/ingest")
    page.fill("#param-limit", "seven")
    page.fill("#param-sources", '["a", 2]')
    page.get_by_role("button", name="Launch").click()
    page.wait_for_load_state()
    assert page.url == f"{site.url}/jobs/ingest/launch"
    assert page.evaluate("document.activeElement.id") == "param-limit"  # the first error
    limit = page.locator("#error-limit").inner_text()
    assert limit.startswith("limit: expected int") and "'seven'" in limit
    assert "sources[1]: expected str" in page.locator("#error-sources").inner_text()
    assert page.locator("#param-limit").input_value() == "seven"  # as it was sent
    assert page.locator("#param-limit").get_attribute("aria-invalid") == "true"
    shot(page, "job-launch-error")
    assert site.app.storage.list_runs(RunFilter(job_name="ingest")) == []


def test_a_schedule_toggled_on_the_job_page_is_off_for_the_cli(browser: Any, site: Site,
                                                                tmp_path: Path) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/jobs/nightly")
    switch = page.get_by_role("switch")
    assert switch.get_attribute("aria-checked") == "true"
    switch.click()
    page.wait_for_url(f"{site.url}/jobs/nightly#schedules")
    assert page.get_by_role("switch").get_attribute("aria-checked") == "false"
    assert "set here or by the CLI" in page.inner_text("#schedules")
    listed = CliRunner().invoke(cli, ["schedule", "list"], env={
        "DAGGO_DATABASE_DRIVER": "sqlite",
        "DAGGO_SQLITE_PATH": site.app.config.database.sqlite.path})
    assert listed.exit_code == 0, listed.output
    nightly = next(line for line in listed.output.splitlines() if "nightly" in line)
    assert "off" in nightly.lower() and "hourly_report" not in nightly


def test_the_runs_tab_lists_the_jobs_runs(browser: Any, site: Site) -> None:
    page = page_of(browser, site)
    page.goto(f"{site.url}/jobs/nightly")
    page.locator("nav.tabs").get_by_role("link", name="Runs").click()
    page.wait_for_url(f"{site.url}/jobs/nightly/runs")
    assert page.locator('nav.tabs a[aria-current="page"]').inner_text() == "Runs"
    assert page.locator("tbody tr").count() == 1
    assert site.run_id[:8] in page.inner_text("tbody")
    page.goto(f"{site.url}/jobs/ingest/runs")
    assert "No runs of ingest yet" in page.inner_text("tbody")


def test_an_error_message_with_html_is_shown_as_text(browser: Any, site: Site) -> None:
    failed = site.app.storage.list_runs(RunFilter(job_name="hourly_report"))[0]
    page = page_of(browser, site)
    page.goto(f"{site.url}/runs/{failed.id}")
    assert "<script>window.hacked = 1</script><b>bold</b>" in page.inner_text("main")
    assert page.evaluate("window.hacked") is None
    assert page.locator("main b").count() == 0


def test_runs_are_filtered_with_the_filters_in_the_url_and_paged(browser: Any,
                                                                 site: Site) -> None:
    for _ in range(55):
        site.app.storage.add_run(Run(job_name="nightly", status=RunStatus.SUCCESS,
                                     tags={"team": "data"}))
    page = page_of(browser, site)
    page.goto(f"{site.url}/runs")
    page.select_option("select[name=job]", "nightly")
    page.check("input[name=status][value=SUCCESS]")
    page.fill("input[name=tag]", "team=data")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*/runs\?job=nightly&status=SUCCESS.*tag=team%3Ddata.*"))
    assert page.locator("tbody tr").count() == 50  # a page
    shot(page, "runs-filtered")
    page.get_by_role("link", name="Older").click()
    assert page.locator("tbody tr").count() == 5
    assert "job=nightly" in page.url and "cursor=" in page.url  # the filters stay
    assert page.locator("select[name=job]").input_value() == "nightly"
    page.goto(f"{site.url}/runs?status=FAILURE")
    assert page.locator("tbody tr").count() == 1
    assert "StepFailure: steps failed: report" in page.inner_text("tbody")
    bad = page.goto(f"{site.url}/runs?since=yesterday")
    assert bad.status == 400 and "since: give a date" in page.inner_text("main")


def test_runs_are_canceled_and_re_executed_in_bulk(browser: Any, site: Site) -> None:
    held = [site.app.launch("held").id for _ in range(2)]
    wait_for(lambda: all(site.app.storage.get_run(r).status is RunStatus.STARTED
                         for r in held), 30, "the held runs to start")
    failed = site.app.storage.list_runs(RunFilter(job_name="hourly_report"))[0].id
    page = page_of(browser, site)
    page.goto(f"{site.url}/runs?job=held")
    page.check("thead input[data-select-all]")
    page.get_by_role("button", name="Cancel").click()
    assert page.locator("tbody tr").count() == 2
    assert "cancellation requested" in page.inner_text("tbody")
    for run_id in held:
        wait_for(lambda r=run_id: site.app.storage.get_run(r).status is RunStatus.CANCELED,
                 30, "the held run to be canceled")
    page.get_by_role("link", name="Back to the runs").click()
    page.wait_for_url(f"{site.url}/runs?job=held")
    page.goto(f"{site.url}/runs?status=FAILURE")
    page.check(f"input[name=run][value='{failed}']")
    page.get_by_role("button", name="Re-execute from failure").click()
    shot(page, "runs-bulk")
    assert "re-executed from failure as run" in page.inner_text("tbody")
    again = site.app.storage.list_runs(RunFilter(job_name="hourly_report"))[0]
    assert again.parent_run_id == failed


def test_schedules_list_every_schedule_and_each_its_ticks(browser: Any, site: Site) -> None:
    scheduler = site.app.start_scheduler()
    start = dt.datetime.now(dt.UTC)
    scheduler.tick(start)
    scheduler.tick(start + dt.timedelta(hours=1, seconds=1))  # the hourly one is due
    page = page_of(browser, site)
    page.goto(f"{site.url}/schedules")
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    assert "Every hour" in rows.nth(0).inner_text() and "At 03:00 AM" in rows.nth(1).inner_text()
    rows.nth(1).get_by_role("switch").click()  # turned off from this page: back to it
    page.wait_for_url(f"{site.url}/schedules")
    assert page.locator("tbody tr").nth(1).get_by_role("switch").get_attribute(
        "aria-checked") == "false"
    page.locator("tbody tr").nth(0).locator("td").nth(1).get_by_role("link").click()
    page.wait_for_url(re.compile(rf"{site.url}/schedules/hourly_report/.+"))
    ticks = page.locator("tbody tr")
    assert ticks.count() == 1 and "LAUNCHED" in ticks.inner_text()
    shot(page, "schedule-ticks")
    ticks.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"{site.url}/runs/[0-9a-f]{{32}}"))
    assert "hourly_report" in page.inner_text("main")


def test_the_run_page_shows_its_gantt_facts_and_filters_its_log(browser: Any,
                                                               site: Site) -> None:
    launched = site.app.launch("ingest", {"limit": 3})
    run = wait_for(lambda: (r := site.app.storage.get_run(launched.id)).is_finished and r,
                   30, "the ingest run to finish")
    page = page_of(browser, site)
    page.goto(f"{site.url}/runs/{run.id}")
    assert page.locator(".gantt rect.bar.ok").count() == 2  # fetch and shape
    assert page.locator(".gantt rect.bar.wait").count() == 1  # its time in the queue
    facts = page.inner_text(".run-facts")
    assert "manual" in facts and '"limit": 3' in facts
    shot(page, "run-detail")
    page.select_option("select[name=kind]", "LOG")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*kind=LOG.*"))
    rows = page.locator("table.log tbody tr")
    assert rows.count() == 1 and "fetching 3 (quick, all)" in rows.inner_text()
    page.goto(f"{site.url}/runs/{run.id}?q=FETCHING")
    assert page.locator("table.log tbody tr").count() == 1  # any case
    page.goto(f"{site.url}/runs/{run.id}?step=shape")
    assert set(page.locator("table.log tbody tr td:nth-child(2)").all_inner_texts()) == {
        "shape"}


def test_a_run_is_canceled_and_re_executed_from_its_page(browser: Any, site: Site) -> None:
    held = site.app.launch("held").id
    wait_for(lambda: site.app.storage.get_run(held).status is RunStatus.STARTED, 30,
             "the held run to start")
    page = page_of(browser, site)
    page.goto(f"{site.url}/runs/{held}")
    page.get_by_role("button", name="Cancel").click()
    wait_for(lambda: site.app.storage.get_run(held).status is RunStatus.CANCELED, 30,
             "the run to be canceled")
    page.wait_for_function(ENDED_PAGE)
    page.goto(f"{site.url}/runs/{held}")
    assert page.get_by_role("button", name="Cancel").count() == 0  # finished: no Cancel
    RELEASE.set()  # the re-execution runs to its end
    page.get_by_role("button", name="Re-execute").click()
    page.wait_for_url(re.compile(rf"{site.url}/runs/[0-9a-f]{{32}}$"))
    again = page.url.rsplit("/", 1)[1]
    assert again != held and site.app.storage.get_run(again).parent_run_id == held
    assert f"of run {held[:8]}" in page.inner_text(".run-facts")
    wait_for(lambda: site.app.storage.get_run(again).status is RunStatus.SUCCESS, 30,
             "the re-execution to succeed")
