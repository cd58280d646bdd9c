"""The admin's queue pages: every queue with its items by status and its loader's health
(`/queues`), a queue's policies, ingestion errors and items, filtered by URL and replayed
in bulk (`/queues/<name>`), its partition keys (`/queues/<name>/partitions`) and one
item with what it started, retried from its page (`/queues/<name>/items/<item_id>`).
They read through the services, as `daggo_core.web.pages` does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from attrs import frozen
from quart import Quart, abort, redirect, render_template, request, url_for

from daggo_core.errors import (
    DaggoError,
    InvalidArgumentError,
    QueueItemNotFoundError,
    QueueNotFoundError,
)
from daggo_core.services import Services
from daggo_core.services.queues import (
    QUEUE_TAG,
    REPLAY_MAX,
    PartitionsGetManyRequest,
    PartitionsGetManyResponse,
    QueueItemsGetManyRequest,
    QueueItemsGetManyResponse,
    QueueItemsGetRequest,
    QueueItemsReplayRequest,
    QueueItemsReplayResponse,
    QueueItemsRetryRequest,
    QueueItemsRetryResponse,
    QueueItemStatus,
    QueuesGetRequest,
    QueuesGetResponse,
)
from daggo_core.services.runs import RunSummary
from daggo_core.web.page_queries import utc_moment

__all__ = ["ItemsQuery", "install_queue_pages"]

#: The item statuses a retry or a replay takes.
RETRYABLE = (QueueItemStatus.FAILED, QueueItemStatus.PARTIALLY_FAILED,
             QueueItemStatus.CANCELED)
#: What a replay retries when no status is chosen (as the service does).
REPLAYED_BY_DEFAULT = (QueueItemStatus.FAILED, QueueItemStatus.PARTIALLY_FAILED)
_DEAD_LETTERED = {"": None, "yes": True, "no": False}


@frozen
class ItemsQuery:
    """A queue page's item filters, as its URL's query string (or its Replay form) has
    them."""

    statuses: tuple[str, ...] = ()
    partition: str = ""
    dead: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def of(cls, args: Mapping[str, Any]) -> ItemsQuery:
        getlist = getattr(args, "getlist", lambda key: [args[key]] if key in args else [])
        return cls(statuses=tuple(s for s in getlist("status") if s),
                   partition=args.get("partition", "").strip(),
                   dead=args.get("dead_lettered", "").strip(),
                   since=args.get("since", "").strip(), until=args.get("until", "").strip())

    def request(self, queue: str, cursor: str | None) -> QueueItemsGetManyRequest:
        """The service request of these filters; InvalidArgumentError names a bad one."""
        return QueueItemsGetManyRequest(queue=queue, statuses=self._statuses(),
                                        cursor=cursor, **self._common())

    def replay(self, queue: str) -> QueueItemsReplayRequest:
        """The Replay request of the items these filters match that it can retry."""
        return QueueItemsReplayRequest(queue=queue, statuses=self.replayed,
                                       limit=REPLAY_MAX, **self._common())

    @property
    def replayed(self) -> tuple[QueueItemStatus, ...]:
        """The statuses a Replay of these filters retries (none: nothing to replay)."""
        if not self.statuses:
            return REPLAYED_BY_DEFAULT
        return tuple(s for s in RETRYABLE if s.value in self.statuses)

    @property
    def any(self) -> bool:
        return any((self.statuses, self.partition, self.dead, self.since, self.until))

    def args(self, **extra: Any) -> dict[str, Any]:
        """The query string of these filters (and `extra`), for links and forms."""
        values: dict[str, Any] = {"status": list(self.statuses), "partition": self.partition,
                                  "dead_lettered": self.dead, "since": self.since,
                                  "until": self.until, **extra}
        return {k: v for k, v in values.items() if v}

    def _statuses(self) -> tuple[QueueItemStatus, ...]:
        try:
            return tuple(QueueItemStatus(s) for s in self.statuses)
        except ValueError:
            known = ", ".join(QueueItemStatus)
            raise InvalidArgumentError(f"status: choose among {known}, got "
                                       f"{', '.join(self.statuses)}") from None

    def _common(self) -> dict[str, Any]:
        if self.dead not in _DEAD_LETTERED:
            raise InvalidArgumentError(f"dead_lettered: give yes or no, got {self.dead!r}")
        return {"partition_key": self.partition or None,
                "dead_lettered": _DEAD_LETTERED[self.dead],
                "created_after": utc_moment(self.since, "since"),
                "created_before": utc_moment(self.until, "until")}


def install_queue_pages(web: Quart, services: Services) -> None:
    """The queue pages on `web` (whose error page `install_pages` set up), and
    `queue_of(run)` for its templates."""
    web.jinja_env.globals["queue_of"] = queue_of

    @web.get("/queues")
    async def queues_page() -> Any:
        page = await asyncio.to_thread(services.queues.get_many)
        return await render_template("queues.html", queues=page.queues,
                                     statuses=list(QueueItemStatus))

    @web.get("/queues/<name>")
    async def queue_page(name: str) -> Any:
        return await _queue_items(services, name, ItemsQuery.of(request.args),
                                  request.args.get("cursor") or None)

    @web.post("/queues/<name>/replay")
    async def queue_replay(name: str) -> Any:
        query = ItemsQuery.of(await request.form)
        if not query.replayed:
            return await _queue_items(services, name, query, None, refused=(
                "Nothing to replay: only failed, partially failed and canceled items are "
                "replayed; choose one of those statuses."))
        try:
            replayed = await asyncio.to_thread(services.queue_items.replay, query.replay(name))
        except QueueNotFoundError as exc:
            abort(404, str(exc))
        except DaggoError as exc:
            return await _queue_items(services, name, query, None, refused=str(exc))
        return await _queue_items(services, name, query, None, replayed=replayed)

    @web.get("/queues/<name>/partitions")
    async def queue_partitions_page(name: str) -> Any:
        cursor = request.args.get("cursor") or None

        def read() -> tuple[QueuesGetResponse, PartitionsGetManyResponse]:
            return (services.queues.get(QueuesGetRequest(queue=name)),
                    services.partitions.get_many(PartitionsGetManyRequest(queue=name,
                                                                          cursor=cursor)))

        try:
            detail, partitions = await asyncio.to_thread(read)
        except QueueNotFoundError as exc:
            abort(404, str(exc))
        except InvalidArgumentError as exc:
            return await _refusal(400, "Bad request", str(exc))
        return await render_template(
            "queue_partitions.html", detail=detail.queue, queue=detail.queue.queue,
            partitions=partitions, paged=cursor is not None, tab="partitions",
            statuses=list(QueueItemStatus))

    @web.get("/queues/<name>/items/<item_id>")
    async def queue_item_page(name: str, item_id: str) -> Any:
        return await _item(services, name, item_id)

    @web.post("/queues/<name>/items/<item_id>/retry")
    async def queue_item_retry(name: str, item_id: str) -> Any:
        try:
            retried = await asyncio.to_thread(services.queue_items.retry,
                                              QueueItemsRetryRequest(item_id=item_id))
        except QueueItemNotFoundError as exc:
            abort(404, str(exc))
        except DaggoError as exc:
            return await _item(services, name, item_id, refused=str(exc))
        return await _item(services, name, retried.item.id, retried=retried)


async def _queue_items(services: Services, name: str, query: ItemsQuery, cursor: str | None,
                       *, replayed: QueueItemsReplayResponse | None = None,
                       refused: str | None = None) -> Any:
    """The queue page's Items tab (with what a Replay did, or why it did nothing: 409)."""

    def read() -> tuple[QueuesGetResponse, QueueItemsGetManyResponse]:
        detail = services.queues.get(QueuesGetRequest(queue=name))
        return detail, services.queue_items.get_many(query.request(name, cursor))

    try:
        detail, items = await asyncio.to_thread(read)
    except QueueNotFoundError as exc:
        abort(404, str(exc))
    except InvalidArgumentError as exc:
        return await _refusal(400, "Bad request", str(exc))
    page = await render_template(
        "queue.html", detail=detail.queue, queue=detail.queue.queue, items=items,
        query=query, statuses=list(QueueItemStatus), paged=cursor is not None, tab="items",
        replayed=replayed, refused=refused, replay_max=REPLAY_MAX)
    return (page, 409) if refused else page


async def _item(services: Services, name: str, item_id: str, *,
                retried: QueueItemsRetryResponse | None = None,
                refused: str | None = None) -> Any:
    """An item's page (with what a Retry did, or why it did nothing: 409); at its own
    queue's URL when `name` is another queue."""
    try:
        detail = await asyncio.to_thread(services.queue_items.get,
                                         QueueItemsGetRequest(item_id=item_id))
    except QueueItemNotFoundError as exc:
        abort(404, str(exc))
    except InvalidArgumentError as exc:
        return await _refusal(400, "Bad request", str(exc))
    item = detail.item
    if item.queue_name != name:
        return redirect(url_for("queue_item_page", name=item.queue_name, item_id=item.id), 301)
    page = await render_template(
        "queue_item.html", detail=detail, item=item, retried=retried, refused=refused,
        retryable=item.status in RETRYABLE, payload=_json(detail.payload),
        metadata=_json(detail.metadata) if detail.metadata else None)
    return (page, 409) if refused else page


def queue_of(run: RunSummary) -> str | None:
    """The queue of the item `run` executes, or None for a run not started by an item."""
    return run.tags.get(QUEUE_TAG) if run.queue_item_id is not None else None


def _json(value: Mapping[str, Any]) -> str:
    """`value` as indented JSON text, keys in their order."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


async def _refusal(status: int, title: str, message: str) -> tuple[str, int]:
    """The error page (as `daggo_core.web.pages` shows it) and its status."""
    return await render_template("error.html", status=status, title=title,
                                 message=message), status
