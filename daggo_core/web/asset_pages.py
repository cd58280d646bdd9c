"""The admin's asset pages: the catalog, searched and filtered by group in the URL
(`/assets`), and one asset (`/assets/<key>`, keys holding '/') with its lineage, checks,
partition grid (zoomed by URL into a span of its partitions) and history, materialized
from its page. They read through the services, as `daggo_core.web.pages` does."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from attrs import frozen
from quart import Quart, abort, redirect, render_template, request, url_for

from daggo_core.definitions.snapshot import InputSnapshot, JobSnapshot, OpSnapshot, Wiring
from daggo_core.errors import AssetNotFoundError, InvalidArgumentError, JobNotFoundError
from daggo_core.services import Services
from daggo_core.services.assets import (
    AssetDetail,
    AssetsGetEventsRequest,
    AssetsGetEventsResponse,
    AssetsGetGraphRequest,
    AssetsGetGraphResponse,
    AssetsGetManyRequest,
    AssetsGetPartitionsRequest,
    AssetsGetPartitionsResponse,
    AssetsGetRequest,
    AssetSummary,
)
from daggo_core.services.jobs import JobsLaunchRequest
from daggo_core.services.partition_grid import GridCell
from daggo_core.web.graph_layout import GraphLayout, lay_out

__all__ = ["AssetQuery", "CellView", "cell_views", "error_page", "install_asset_pages",
           "lineage_layout", "partition_parts"]

#: Partition statuses in the order bars and totals show them, with their status class
#: (the colours of runs: materialized as a success, failed as a failure, in progress as
#: running; missing is the bars' grey ground).
PARTITION_STATUSES = (("materialized", "ok"), ("in_progress", "live"), ("failed", "bad"),
                      ("missing", "missing"))
PARTITION_MATERIALIZED = "materialized"
CHECK_CLASS = {"pass": "ok", "warn": "wait", "fail": "bad"}
#: Cells of the partition grid, events on a page of the history, and how many edges away
#: the lineage graph shows assets.
GRID_CELLS, HISTORY_PAGE, LINEAGE_DEPTH = 200, 25, 3


@frozen
class AssetQuery:
    """An asset page's URL: the grid's span (`start`, `stop`: partition indexes), the
    history's partition filter and page."""

    start: int = 0
    stop: int | None = None
    partition: str = ""
    cursor: str = ""

    @classmethod
    def of(cls, args: Mapping[str, str]) -> AssetQuery:
        return cls(start=_index(args.get("start", ""), "start") or 0,
                   stop=_index(args.get("stop", ""), "stop"),
                   partition=args.get("partition", "").strip(),
                   cursor=args.get("cursor", ""))

    @property
    def zoomed(self) -> bool:
        return self.start > 0 or self.stop is not None

    def args(self, **extra: Any) -> dict[str, Any]:
        """The query string of this URL (and `extra`; None drops a key), for links;
        without the default start, 0."""
        values: dict[str, Any] = {"start": self.start, "stop": self.stop,
                                  "partition": self.partition or None,
                                  "cursor": self.cursor or None, **extra}
        return {k: v for k, v in values.items()
                if v is not None and not (k == "start" and v == 0)}


def _index(text: str, name: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise InvalidArgumentError(f"{name}: give a partition index (0 or more), got {text!r}")
    return int(text)


def install_asset_pages(web: Quart, services: Services) -> None:
    """The asset pages on `web` (whose error page and filters `install_pages` set up)."""
    web.jinja_env.globals.update(partition_parts=partition_parts, check_class=CHECK_CLASS,
                                 partition_statuses=PARTITION_STATUSES)

    @web.get("/assets")
    async def assets_page() -> Any:
        search = request.args.get("q", "").strip()
        group = request.args.get("group", "").strip()

        catalog = await asyncio.to_thread(services.assets.get_many, AssetsGetManyRequest(
            search=search or None, group=group or None))
        return await render_template("assets.html", catalog=catalog, search=search,
                                     group=group)

    @web.get("/assets/<path:key>")
    async def asset_page(key: str) -> Any:
        return await _asset(services, key, request.args)

    @web.post("/assets/<path:key>/materialize")
    async def asset_materialize(key: str) -> Any:
        form = await request.form
        partition = form.get("partition_key", "").strip() or None

        def launch() -> str:
            asset = services.assets.get(AssetsGetRequest(key=key)).asset
            if asset.job_name is None or not asset.active:
                raise InvalidArgumentError(
                    f"asset {key!r} is made outside daggo: no job of daggo materializes it"
                    if asset.job_name is None else f"asset {key!r} is no longer in the code")
            run = services.jobs.launch(JobsLaunchRequest(job=asset.job_name,
                                                         partition_key=partition)).run
            return run.id

        try:
            run_id = await asyncio.to_thread(launch)
        except (AssetNotFoundError, JobNotFoundError) as exc:
            abort(404, str(exc))
        except InvalidArgumentError as exc:
            return await _asset(services, key, request.args, refused=str(exc),
                                partition=partition or "")
        return redirect(url_for("run_page", run_id=run_id), 303)


@frozen
class _AssetPage:
    detail: AssetDetail
    graph: AssetsGetGraphResponse | None
    grid: AssetsGetPartitionsResponse | None
    history: AssetsGetEventsResponse


async def _asset(services: Services, key: str, args: Mapping[str, str], *,
                 refused: str | None = None, partition: str = "") -> Any:
    """An asset's page (after a refused Materialize, with why: 400)."""

    def read(query: AssetQuery) -> _AssetPage:
        detail = services.assets.get(AssetsGetRequest(key=key))
        asset = detail.asset
        graph = (services.assets.get_graph(AssetsGetGraphRequest(key=key, depth=LINEAGE_DEPTH))
                 if asset.active else None)
        grid = (services.assets.get_partitions(AssetsGetPartitionsRequest(
            key=key, start=query.start, stop=query.stop, cells=GRID_CELLS))
            if asset.partitions_description else None)
        history = services.assets.get_events(AssetsGetEventsRequest(
            key=key, partition_key=query.partition or None, cursor=query.cursor or None,
            limit=HISTORY_PAGE))
        return _AssetPage(detail=detail, graph=graph, grid=grid, history=history)

    try:
        query = AssetQuery.of(args)
        page = await asyncio.to_thread(read, query)
    except AssetNotFoundError as exc:
        abort(404, str(exc))
    except InvalidArgumentError as exc:
        return await error_page(400, "Bad request", str(exc))
    layout = lineage_layout(page.graph) if page.graph is not None else None
    span: dict[str, int] = {}
    for cell in page.grid.cells if page.grid else ():
        for status, count in cell.counts.items():
            span[status] = span.get(status, 0) + count
    body = await render_template(
        "asset.html", detail=page.detail, asset=page.detail.asset, query=query,
        layout=layout, lineage={a.key: a for a in page.graph.assets} if page.graph else {},
        graph_height=min(480, max(80, layout.height)) if layout else 0,
        grid=page.grid, cells=cell_views(page.grid) if page.grid else [], span_counts=span,
        history=page.history, refused=refused,
        partition=partition or query.partition, depth=LINEAGE_DEPTH)
    return (body, 400) if refused else body


def lineage_layout(graph: AssetsGetGraphResponse) -> GraphLayout:
    """The lineage graph laid out as a job's graph is: each asset stands as an op reading
    the assets upstream of it, through an input "reads" (it reads their values) or
    "follows" (it only follows them), which names its edges."""
    upstream: dict[str, dict[str, list[str]]] = {}
    for edge in graph.edges:
        kinds = upstream.setdefault(edge.target, {"reads": [], "follows": []})
        kinds["reads" if edge.reads else "follows"].append(edge.source)
    summaries = {a.key: a for a in graph.assets}
    ops = tuple(
        OpSnapshot(name=key, description=summaries[key].description, inputs=tuple(
            InputSnapshot(field=kind, type="", wiring=Wiring.MANY, producers=tuple(sources))
            for kind, sources in upstream.get(key, {}).items() if sources))
        for key in _upstream_first(summaries, upstream))
    return lay_out(JobSnapshot(ops=ops))


def _upstream_first(assets: Mapping[str, AssetSummary],
                    upstream: Mapping[str, Mapping[str, list[str]]]) -> list[str]:
    """The keys of `assets`, each after every asset upstream of it (the order a job's ops
    are in), else by key."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen or key not in assets:
            return
        seen.add(key)
        for sources in upstream.get(key, {}).values():
            for source in sources:
                visit(source)
        order.append(key)

    for key in sorted(assets):
        visit(key)
    return order


@frozen
class CellView:
    """A cell of the grid as drawn: its status class, what its title says, and for a
    range still missing partitions, the percentage of it materialized (its fill; at
    least a quarter, so that a few materialized of many still show)."""

    cell: GridCell
    css: str
    words: str
    done: float | None


def cell_views(grid: AssetsGetPartitionsResponse) -> list[CellView]:
    """The cells of `grid`, drawn."""
    classes = dict(PARTITION_STATUSES)
    views = []
    for cell in grid.cells:
        span = (cell.first_key if cell.count == 1 else
                f"{cell.first_key} to {cell.last_key} ({cell.count:,} partitions)")
        counts = {str(status): n for status, n in cell.counts.items()}
        tally = ", ".join(f"{n:,} {words}" for _, n, words in partition_parts(counts) if n)
        done = counts.get(PARTITION_MATERIALIZED, 0)
        partial = cell.count > 1 and classes[cell.status] == "missing" and done > 0
        views.append(CellView(cell=cell, css=classes[cell.status] + (" partial" * partial),
                              words=f"{span}: {tally}",
                              done=max(25.0, round(100 * done / cell.count, 1)) if partial
                              else None))
    return views


def partition_parts(counts: Mapping[str, int]) -> list[tuple[str, int, str]]:
    """The segments of a bar of partitions counted by status: (status class, count,
    words), in the order of PARTITION_STATUSES."""
    return [(css, counts.get(status, 0), status.replace("_", " "))
            for status, css in PARTITION_STATUSES]


async def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    """The error page (as `daggo_core.web.pages` shows it) and its status."""
    return await render_template("error.html", status=status, title=title,
                                 message=message), status
