"""What the admin's browser tests share (tests/test_ui_pages.py, tests/test_ui_live.py):
Debian's chromium driven by Playwright (`browser`, a fixture conftest.py offers every
test), an app served on a free loopback port behind SECRET, and logged-in pages."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

import daggo_core
from daggo_core.config import Config, default_config
from daggo_core.testing.processes import free_port
from daggo_core.testing.serving import app_served

__all__ = ["CHROMIUM", "SCREENSHOTS", "SECRET", "Site", "browser", "page_of", "served",
           "shot", "site_config"]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent.parent / "test-artifacts" / "screenshots"
SECRET = "s3cret-of-the-ui-tests"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, headless, for one test module (each test opens its own contexts)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make browser` (apt-get install chromium) "
                    "installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"])
        try:
            yield chromium
        finally:
            chromium.close()


@frozen
class Site:
    """A served app: its base `url`, the app, and a run of it some tests open."""

    url: str
    app: daggo_core.DaggoApp
    run_id: str = ""


def site_config(database: Path) -> Config:
    """An admin on a free loopback port behind SECRET, over the SQLite file `database`,
    its runs executed in process and no scheduler."""
    from daggo_sqlite.testing import database_config

    cfg = default_config()
    cfg.database = database_config(str(database))
    cfg.scheduler.enabled = False
    cfg.execution.executor = "in_process"
    cfg.admin.host, cfg.admin.port = "127.0.0.1", free_port()
    cfg.admin.secret_key = SECRET
    return cfg


@contextlib.contextmanager
def served(app: daggo_core.DaggoApp, *, run_id: str = "",
           gates: Sequence[threading.Event] = (), name: str = "ui-test-server",
           ) -> Iterator[Site]:
    """`app` served (its runtime too) for the block; each of the `gates` its ops wait on
    is closed before and opened at the end, before the server stops, so no run holds
    the shutdown up."""
    for gate in gates:
        gate.clear()
    with app_served(app, name=name):
        try:
            yield Site(url=f"http://127.0.0.1:{app.config.admin.port}", app=app,
                       run_id=run_id)
        finally:
            for gate in gates:
                gate.set()


def page_of(browser: Any, site: Site, *, scheme: str = "light",
            timezone: str = "UTC", locale: str = "en-GB") -> Any:
    """A logged-in page of a new browser context; fails the test on a script error.

    The locale is pinned, as times are shown in the browser's: a machine's default
    must not change what a test reads.
    """
    context = browser.new_context(color_scheme=scheme, timezone_id=timezone, locale=locale,
                                  viewport={"width": 1200, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{site.url}/login")
    page.fill("input[type=password]", SECRET)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/")
    page.errors = errors
    return page


def shot(page: Any, name: str) -> None:
    """A full-page screenshot of `page` as `test-artifacts/screenshots/<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
