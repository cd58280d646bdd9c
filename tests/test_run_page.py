"""The run page shows a run's newest events and pages through all of them, never stopping
silently."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.config import Config, default_config
from daggo_core.storage.records import RunStatus

LINES = 2500  # two and a half pages of the run page's 1,000 events


@frozen
class Done:
    n: int


def chatty(ctx: Context, inp: NoInput) -> Done:
    for i in range(LINES):
        print(f"line {i}")
    return Done(LINES)


JOB = dag.job("chatty").add(dag.op("chatty", chatty)).build()


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.scheduler.enabled = False
    return cfg


def get(app: daggo_core.DaggoApp, path: str) -> tuple[int, str]:
    async def fetch() -> tuple[int, str]:
        response = await app.asgi.test_client().get(path)
        return response.status_code, await response.get_data(as_text=True)

    return asyncio.run(fetch())


def printed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="message">line (\d+)</td>', page)]


def link(page: str, text: str) -> str | None:
    found = re.search(r'<a href="([^"#]+)(#[^"]*)?">' + re.escape(text) + "</a>", page)
    return html.unescape(found[1]) if found else None  # a browser sends no #fragment


def test_run_page_shows_the_newest_events_and_pages_through_every_one(
    cfg: Config, apps: Callable[..., daggo_core.DaggoApp],
) -> None:
    app = apps(cfg, JOB)
    result = daggo_core.execute(JOB, storage=app.storage)
    assert result.run.status is RunStatus.SUCCESS
    status, page = get(app, f"/runs/{result.run_id}")
    assert status == 200
    # The end of the run is on its page: its last lines and its final event.
    shown = printed(page)
    assert shown[-1] == LINES - 1 and "RUN_SUCCESS" in page
    assert "End of the log" in page and link(page, "Later events →") is None
    assert "1000 events" in page
    # Earlier events are one click away, page by page, back to the log's start.
    seen = shown
    earlier = link(page, "← Earlier events")
    pages = 1
    while earlier is not None:
        status, page = get(app, earlier)
        assert status == 200 and link(page, "Newest events") is not None
        assert link(page, "Later events →") is not None
        seen = printed(page) + seen
        earlier = link(page, "← Earlier events")
        pages += 1
    assert pages == 3 and "Start of the log" in page and "RUN_STARTED" in page
    assert seen == list(range(LINES))
    # And forward again from the start, to the end.
    forward = printed(page)
    later = link(page, "Later events →")
    while later is not None:
        status, page = get(app, later)
        forward += printed(page)
        later = link(page, "Later events →")
    assert forward == list(range(LINES)) and "End of the log" in page


def test_a_running_run_says_its_newest_events_are_shown(
    cfg: Config, apps: Callable[..., daggo_core.DaggoApp],
) -> None:
    app = apps(cfg, JOB)
    run = app.launch("chatty")  # queued: nothing executes it here
    status, page = get(app, f"/runs/{run.id}")
    assert status == 200 and "Newest events shown; the run is still going" in page


def test_run_page_refuses_a_bad_cursor_saying_why(
    cfg: Config, apps: Callable[..., daggo_core.DaggoApp],
) -> None:
    app = apps(cfg, JOB)
    result = daggo_core.execute(dag.job("chatty").add(dag.op("chatty", quiet)).build(),
                                storage=app.storage)
    status, page = get(app, f"/runs/{result.run_id}?cursor=garbage")
    assert status == 400 and "is not a cursor of this list" in html.unescape(page)


def quiet(ctx: Context, inp: NoInput) -> Done:
    return Done(0)
