"""The admin's backfill pages: the backfills with their progress, and the form that
previews a backfill of a job or an asset before launching it (`/backfills`); one
backfill with its runs by status and its planned runs, canceled from its page and
reloading itself while it goes (`/backfills/<id>`). They read through the services, as
`daggo_core.web.pages` does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from attrs import frozen
from quart import Quart, abort, redirect, render_template, request, url_for

from daggo_core.errors import BackfillNotFoundError, InvalidArgumentError, JobNotFoundError
from daggo_core.services import Services
from daggo_core.services.assets import AssetsGetManyRequest
from daggo_core.services.backfills import (
    BackfillDetail,
    BackfillInfo,
    BackfillPreview,
    BackfillsCancelRequest,
    BackfillsGetManyRequest,
    BackfillsGetManyResponse,
    BackfillsGetPartitionsRequest,
    BackfillsGetPartitionsResponse,
    BackfillsGetRequest,
    BackfillsLaunchRequest,
)
from daggo_core.services.jobs import JOBS_PAGE_MAX, JobsGetManyRequest
from daggo_core.services.runs import RunStatus
from daggo_core.web.asset_pages import error_page

__all__ = ["ACTIVE", "BackfillForm", "install_backfill_pages", "run_parts"]

#: Backfills still going: their page reloads itself every REFRESH_SECONDS.
ACTIVE = ("REQUESTED", "RUNNING", "CANCELING")
REFRESH_SECONDS = 3
#: A backfill's runs in the order its progress bar shows them.
RUN_ORDER = (RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED, RunStatus.STARTED,
             RunStatus.STARTING, RunStatus.QUEUED)
#: Planned runs on a page of a backfill's.
PLAN_PAGE = 50
_SELECTIONS = ("all", "range", "keys")


@frozen
class BackfillForm:
    """The launch form as sent: `target` is "asset:KEY" or "job:NAME"; `selection` is
    all, range (`first` to `last`) or keys (`keys`, one a line)."""

    target: str = ""
    selection: str = "all"
    first: str = ""
    last: str = ""
    keys: str = ""
    only_missing: bool = False
    chunk_size: str = ""

    @classmethod
    def of(cls, form: Mapping[str, str]) -> BackfillForm:
        return cls(target=form.get("target", ""), selection=form.get("selection", "all"),
                   first=form.get("first", "").strip(), last=form.get("last", "").strip(),
                   keys=form.get("keys", ""), only_missing=form.get("only_missing") == "on",
                   chunk_size=form.get("chunk_size", "").strip())

    def request(self) -> BackfillsLaunchRequest:
        """The service request; InvalidArgumentError names what the form lacks."""
        kind, _, name = self.target.partition(":")
        if kind not in ("asset", "job") or not name:
            raise InvalidArgumentError("choose the asset or the job to backfill")
        if self.selection not in _SELECTIONS:
            raise InvalidArgumentError(f"selection: choose among {', '.join(_SELECTIONS)}")
        keys: tuple[str, ...] = ()
        first = last = None
        if self.selection == "range":
            if not self.first or not self.last:
                raise InvalidArgumentError("give the first and the last partition of the "
                                           "range")
            first, last = self.first, self.last
        elif self.selection == "keys":
            keys = tuple(k.strip() for k in self.keys.splitlines() if k.strip())
            if not keys:
                raise InvalidArgumentError("give the partition keys to backfill, one a line")
        if self.chunk_size and not self.chunk_size.isdigit():
            raise InvalidArgumentError(f"chunk size: give a whole number of partitions per "
                                       f"run (or nothing: what the job takes), got "
                                       f"{self.chunk_size!r}")
        return BackfillsLaunchRequest(
            job=name if kind == "job" else None, asset=name if kind == "asset" else None,
            partition_keys=keys, first=first, last=last, only_missing=self.only_missing,
            chunk_size=int(self.chunk_size) if self.chunk_size else None)

    def fields(self) -> dict[str, str]:
        """The form's fields as sent, for the hidden inputs of the Launch form."""
        values = {"target": self.target, "selection": self.selection, "first": self.first,
                  "last": self.last, "keys": self.keys, "chunk_size": self.chunk_size,
                  "only_missing": "on" if self.only_missing else ""}
        return {k: v for k, v in values.items() if v}


def install_backfill_pages(web: Quart, services: Services) -> None:
    """The backfill pages on `web` (whose error page and filters `install_pages` set
    up)."""
    web.jinja_env.globals["run_parts"] = run_parts

    @web.get("/backfills")
    async def backfills_page() -> Any:
        args = request.args
        target = (f"asset:{args['asset']}" if args.get("asset")
                  else f"job:{args['job']}" if args.get("job") else "")
        return await _backfills(services, BackfillForm(target=target),
                                args.get("cursor") or None)

    @web.post("/backfills/preview")
    async def backfill_preview() -> Any:
        form = BackfillForm.of(await request.form)
        try:
            preview = await asyncio.to_thread(lambda: services.backfills.preview(
                form.request()))
        except (InvalidArgumentError, JobNotFoundError) as exc:
            return await _backfills(services, form, None, refused=str(exc))
        return await _backfills(services, form, None, preview=preview)

    @web.post("/backfills/launch")
    async def backfill_launch() -> Any:
        form = BackfillForm.of(await request.form)
        try:
            launched = await asyncio.to_thread(lambda: services.backfills.launch(
                form.request()))
        except (InvalidArgumentError, JobNotFoundError) as exc:
            return await _backfills(services, form, None, refused=str(exc))
        return redirect(url_for("backfill_page", backfill_id=launched.id), 303)

    @web.get("/backfills/<backfill_id>")
    async def backfill_page(backfill_id: str) -> Any:
        return await _backfill(services, backfill_id, request.args.get("cursor") or None)

    @web.post("/backfills/<backfill_id>/cancel")
    async def backfill_cancel(backfill_id: str) -> Any:
        try:
            await asyncio.to_thread(services.backfills.cancel,
                                    BackfillsCancelRequest(id=backfill_id))
        except BackfillNotFoundError as exc:
            abort(404, str(exc))
        except InvalidArgumentError as exc:
            return await _backfill(services, backfill_id, None, refused=str(exc))
        return redirect(url_for("backfill_page", backfill_id=backfill_id), 303)


@frozen
class _Targets:
    """What the launch form offers: partitioned assets made by daggo, and the jobs not
    made for an asset."""

    assets: tuple[str, ...]
    jobs: tuple[str, ...]


async def _backfills(services: Services, form: BackfillForm, cursor: str | None, *,
                     preview: BackfillPreview | None = None,
                     refused: str | None = None) -> Any:
    """The backfills page: its list, and its launch form as sent (with the preview, or
    why the service refused it: 400)."""

    def read() -> tuple[BackfillsGetManyResponse, _Targets]:
        page = services.backfills.get_many(BackfillsGetManyRequest(cursor=cursor))
        assets = services.assets.get_many(AssetsGetManyRequest()).assets
        made = {a.job_name for a in assets if a.job_name is not None}
        jobs = services.jobs.get_many(JobsGetManyRequest(limit=JOBS_PAGE_MAX)).jobs
        return page, _Targets(
            assets=tuple(a.key for a in assets if a.partitions_description and a.job_name),
            jobs=tuple(j.name for j in jobs if j.name not in made))

    try:
        page, targets = await asyncio.to_thread(read)
    except InvalidArgumentError as exc:
        return await error_page(400, "Bad request", str(exc))
    body = await render_template("backfills.html", page=page, targets=targets, form=form,
                                 preview=preview, refused=refused, paged=cursor is not None)
    return (body, 400) if refused else body


async def _backfill(services: Services, backfill_id: str, cursor: str | None, *,
                    refused: str | None = None) -> Any:
    """A backfill's page (after a refused Cancel, with why: 409)."""

    def read() -> tuple[BackfillDetail, BackfillsGetPartitionsResponse]:
        return (services.backfills.get(BackfillsGetRequest(id=backfill_id)),
                services.backfills.get_partitions(BackfillsGetPartitionsRequest(
                    id=backfill_id, cursor=cursor, limit=PLAN_PAGE)))

    try:
        detail, plan = await asyncio.to_thread(read)
    except BackfillNotFoundError as exc:
        abort(404, str(exc))
    except InvalidArgumentError as exc:
        return await error_page(400, "Bad request", str(exc))
    backfill = detail.backfill
    body = await render_template(
        "backfill.html", backfill=backfill, plan=plan, paged=cursor is not None,
        active=backfill.status in ACTIVE, refresh=REFRESH_SECONDS, refused=refused,
        run_order=RUN_ORDER)
    return (body, 409) if refused else body


def run_parts(backfill: BackfillInfo, classes: Callable[[str], str]
              ) -> list[tuple[str, int, str]]:
    """The segments of a backfill's progress bar: (status class by `classes`, count,
    words) of its runs by status, then of those not created yet."""
    parts = [(classes(status), backfill.run_counts.get(status, 0), status.lower())
             for status in RUN_ORDER]
    return [*parts, ("missing", backfill.unsubmitted, "not created yet")]
