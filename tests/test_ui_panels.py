"""Plugin panels get a `PanelContext`: the services, the page's path and query, the mount
prefix, the CSRF token for their forms, and who is signed in."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen
from markupsafe import escape

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.config import Config, default_config
from daggo_core.extensions import PanelContext, UIPanel
from daggo_core.hookspecs import hookimpl
from daggo_core.plugins import make_plugin_manager
from daggo_core.services.jobs import JobsGetRequest
from daggo_core.storage.base import RunFilter

SECRET = "s3cret-of-the-panel-tests"
PREFIX = "/daggo"


@frozen
class Out:
    n: int


def op(ctx: Context, inp: NoInput) -> Out:
    return Out(1)


NIGHTLY = dag.job("nightly", description="Loads the <day>'s numbers").add(
    dag.op("load", op)).build()


def render_job(ctx: PanelContext) -> str:
    """The job named by `?job=`: its description, and a form launching it."""
    job = ctx.services.jobs.get(JobsGetRequest(name=ctx.args["job"]))
    viewer = ctx.principal.name if ctx.principal else "nobody (the admin is open)"
    return (f"<p id='description'>{escape(job.description)}</p>"
            f"<p id='where'>{escape(ctx.path)} for {escape(viewer)}</p>"
            f"<form method='post' action='{escape(ctx.root_path)}/jobs/{escape(job.name)}/launch'>"
            f"<input type='hidden' name='csrf_token' value='{escape(ctx.csrf_token)}'>"
            "<button type='submit'>Launch</button></form>")


class JobPanel:
    @hookimpl
    def daggo_ui_panels(self) -> list[UIPanel]:
        return [UIPanel(name="job_card", title="Job card", path="/job-card", render=render_job)]


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    config = default_config()
    config.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    config.execution.executor = "in_process"
    return config


def served(apps: Callable[..., daggo_core.DaggoApp], cfg: Config) -> daggo_core.DaggoApp:
    return apps(cfg, NIGHTLY, hooks=make_plugin_manager(extra_plugins=[JobPanel()]))


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf"id='{element_id}'>(.*?)</p>", page)
    assert found, page
    return html.unescape(found.group(1))


def test_a_panel_renders_from_its_query_through_the_services(cfg: Config, apps: Any) -> None:
    app = served(apps, cfg)

    async def get() -> tuple[int, str]:
        response = await app.asgi.test_client().get("/job-card?job=nightly&job=other")
        return response.status_code, await response.get_data(as_text=True)

    status, page = asyncio.run(get())
    assert status == 200, page
    assert text_of(page, "description") == "Loads the <day>'s numbers"  # the first job=
    assert text_of(page, "where") == "/job-card for nobody (the admin is open)"
    assert "<h1>Job card</h1>" in page  # in the admin's layout


def test_a_panels_args_are_read_only() -> None:
    given = {"job": "nightly"}
    ctx = PanelContext(services=None, path="/job-card", args=given, csrf_token="t")
    given["job"] = "other"
    assert ctx.args == {"job": "nightly"}
    with pytest.raises(TypeError):
        ctx.args["job"] = "other"


def test_a_panels_form_posts_with_its_token_under_a_mount(cfg: Config, apps: Any) -> None:
    app = served(apps, cfg)

    async def launch() -> tuple[str, int, int, str]:
        client = app.asgi.test_client()
        page = await (await client.get(f"{PREFIX}/job-card?job=nightly",
                                       root_path=PREFIX)).get_data(as_text=True)
        action = re.search(r"action='([^']+)'", page)
        token = re.search(r"name='csrf_token' value='([^']+)'", page)
        assert action and token, page
        refused = await client.post(action.group(1), root_path=PREFIX, form={})
        sent = await client.post(action.group(1), root_path=PREFIX,
                                 form={"csrf_token": html.unescape(token.group(1))})
        return action.group(1), refused.status_code, sent.status_code, \
            sent.headers.get("Location", "")

    action, refused, status, location = asyncio.run(launch())
    assert action == f"{PREFIX}/jobs/nightly/launch"
    assert refused == 403  # the token is what lets the form through
    [run] = app.storage.list_runs(RunFilter())
    assert (status, location) == (303, f"{PREFIX}/runs/{run.id}")


def test_a_panel_knows_who_is_signed_in(cfg: Config, apps: Any) -> None:
    cfg.admin.secret_key = SECRET
    app = served(apps, cfg)

    async def get(headers: dict[str, str]) -> tuple[int, str]:
        response = await app.asgi.test_client().get("/job-card?job=nightly", headers=headers)
        return response.status_code, await response.get_data(as_text=True)

    status, page = asyncio.run(get({"Authorization": f"Bearer {SECRET}"}))
    assert status == 200, page
    assert text_of(page, "where") == "/job-card for admin"
    assert asyncio.run(get({}))[0] == 302  # to the login page: a panel is never open
