"""Streams: a run's events as they are stored, and every run's status changes, fed by the
server's `EventFeed` (one shared tail of the events table), never a query per client.

A run's stream first sends what is stored after its cursor (pages of `Runs.Events`),
then the events the feed releases, skipping those the pages sent; each event comes with
the events cursor after it (what `Runs.Events` returns as `next_cursor` for a page ending
there), so a client resumes from any event, by streaming or by paging. An event that
arrives after a higher id (its transaction committed later, see `EventFeed`) is sent
too, with the cursor after the highest id sent, so resuming never repeats an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from attrs import frozen

from daggo_core.errors import FailedPreconditionError, InvalidArgumentError
from daggo_core.execution.event_feed import EventFeed, FeedEnded, Subscription
from daggo_core.services.context import ServiceContext, unknown_job
from daggo_core.services.runs import (
    EVENTS_PAGE_MAX,
    FINAL_EVENTS,
    EventInfo,
    RunsEventsRequest,
    RunsGetRequest,
    RunsService,
    RunSummary,
    event_cursor,
    event_position,
    events_filter,
)
from daggo_core.storage.records import TERMINAL_RUN_STATUSES, Event, EventKind

__all__ = [
    "KeepAlive",
    "RunChanged",
    "RunStream",
    "RunsStatusStreamRequest",
    "RunsStreamRequest",
    "StatusStream",
    "StreamEnd",
    "StreamStopped",
    "StreamedEvent",
    "StreamsService",
]

#: The kinds of the events that end a run's log.
FINAL_KINDS = frozenset(FINAL_EVENTS.kinds or ())



@frozen(kw_only=True)
class RunsStreamRequest:
    """A run's events as they are stored, after `cursor` (a `Runs.Events` page's
    `next_cursor`, or a streamed event's cursor; none: from the log's start), optionally
    one step's, some kinds or some levels."""

    run_id: str
    cursor: str | None = None
    step_key: str | None = None
    kinds: tuple[EventKind, ...] = ()
    levels: tuple[str, ...] = ()


@frozen(kw_only=True)
class RunsStatusStreamRequest:
    """Every run's status changes, or only those of job `job`'s runs."""

    job: str | None = None


@frozen(kw_only=True)
class StreamedEvent:
    """An event of the run; `cursor` continues after it."""

    cursor: str
    event: EventInfo


@frozen(kw_only=True)
class StreamEnd:
    """The run ended and every event of it was sent; the stream ends."""

    run: RunSummary


@frozen(kw_only=True)
class RunChanged:
    """A run's status changed (it was queued, started, asked to cancel, ended ...)."""

    run: RunSummary


@frozen(kw_only=True)
class StreamStopped:
    """The stream ends early: the server is stopping (`unavailable`) or the client read
    too slowly (`resource_exhausted`); `cursor`, if any, resumes after the last event
    sent."""

    code: str
    message: str
    cursor: str | None


@frozen
class KeepAlive:
    """Nothing happened for a while; the stream is still open."""


RunStreamMessage = StreamedEvent | StreamEnd | StreamStopped | KeepAlive
StatusStreamMessage = RunChanged | StreamStopped | KeepAlive


class StreamsService:
    """Opens streams over the server's event feed."""

    def __init__(self, context: ServiceContext, runs: RunsService) -> None:
        self.context = context
        self.runs = runs

    def run_stream(self, request: RunsStreamRequest) -> RunStream:
        """A stream of the run's events (checked now: an unknown run or a bad cursor
        raises before anything is sent)."""
        feed = self._feed()
        run_id = self.runs.resolve_id(request.run_id)
        after = 0
        if request.cursor is not None:
            direction, after = event_position(request.cursor)
            if direction != "after":
                raise InvalidArgumentError(
                    "cursor: a stream continues after an event: pass a next_cursor of "
                    "Runs.Events or the id of a streamed event, not a previous_cursor")
        return RunStream(feed, self.runs, run_id, after, request)

    def status_stream(self, request: RunsStatusStreamRequest) -> StatusStream:
        """A stream of every run's status changes (of job `job`'s runs, if given)."""
        feed = self._feed()
        storage = self.context.storage
        if request.job is not None and storage.get_job(request.job) is None:
            raise unknown_job(storage, request.job)
        return StatusStream(feed, request.job)

    def _feed(self) -> EventFeed:
        feed = self.context.feed
        if feed is None:
            raise FailedPreconditionError("streams are served by a daggo server (daggo run, "
                                          "or the .asgi of daggo_core.open())")
        return feed


class RunStream:
    """One client's stream of a run's events (see the module doc)."""

    def __init__(self, feed: EventFeed, runs: RunsService, run_id: str, after: int,
                 request: RunsStreamRequest) -> None:
        self.feed = feed
        self.runs = runs
        self.run_id = run_id
        self.after = self.last = after
        self.sent: int | None = None
        #: Ids the pages sent that the feed may deliver too (so they are not sent twice).
        self.paged: set[int] = set()
        self.request = request
        self.where = events_filter(request.step_key, request.kinds, request.levels)

    async def messages(self, keep_alive: float) -> AsyncIterator[RunStreamMessage]:
        """The stream's messages, ending with StreamEnd (or StreamStopped); a KeepAlive
        after each `keep_alive` seconds without one."""
        try:
            subscription = await self.feed.subscribe(self.run_id)
        except FeedEnded as exc:
            yield self._stopped(exc.reason)
            return
        try:
            async for message in self._follow(subscription, keep_alive):
                yield message
        finally:
            subscription.close()

    async def _follow(self, subscription: Subscription,
                      keep_alive: float) -> AsyncIterator[RunStreamMessage]:
        ended = False
        while True:  # what is stored already, page by page
            page = await asyncio.to_thread(self.runs.events, RunsEventsRequest(
                run_id=self.run_id, cursor=event_cursor(self.last), limit=EVENTS_PAGE_MAX,
                step_key=self.request.step_key, kinds=self.request.kinds,
                levels=self.request.levels))
            for info in page.events:
                self.last = self.sent = info.id
                if subscription.may_receive(info.id):
                    self.paged.add(info.id)
                yield StreamedEvent(cursor=event_cursor(info.id), event=info)
            if not page.has_later:
                # The status was read before the page: a run ended then has all its
                # events in the pages.
                ended = page.run_status in TERMINAL_RUN_STATUSES
                break
        if ended:
            detail = await asyncio.to_thread(self.runs.get, RunsGetRequest(run_id=self.run_id))
            yield StreamEnd(run=detail.run)
            return
        final_event = False
        while True:  # then what the feed releases
            try:
                item = await subscription.get(keep_alive)
            except FeedEnded as exc:
                yield self._stopped(exc.reason)
                return
            if item is None:
                yield KeepAlive()
            elif isinstance(item, Event):
                event_id = item.id or 0
                final_event = final_event or item.kind in FINAL_KINDS
                if event_id in self.paged:
                    self.paged.discard(event_id)
                elif event_id > self.after and self.where.matches(item):
                    self.last = self.sent = max(self.last, event_id)
                    yield StreamedEvent(cursor=event_cursor(self.last), event=EventInfo.of(item))
            elif final_event and item.is_finished:
                yield StreamEnd(run=RunSummary.of(item))
                return

    def _stopped(self, reason: str) -> StreamStopped:
        cursor = None if self.sent is None else event_cursor(self.sent)
        resume = ("reconnect with the Last-Event-ID header (or ?cursor=) set to the id of "
                  "the last event received to resume after it")
        if reason == "overflow":
            return StreamStopped(
                code="resource_exhausted", cursor=cursor,
                message=f"this client read too slowly ({self.feed.capacity} events were "
                        f"waiting for it); {resume}")
        return StreamStopped(code="unavailable", cursor=cursor,
                             message=f"the server is stopping; {resume}")


class StatusStream:
    """One client's stream of run status changes."""

    def __init__(self, feed: EventFeed, job: str | None) -> None:
        self.feed = feed
        self.job = job

    async def messages(self, keep_alive: float) -> AsyncIterator[StatusStreamMessage]:
        """RunChanged messages until the server stops (or the client reads too slowly)."""
        try:
            subscription = await self.feed.subscribe(job=self.job)
        except FeedEnded as exc:
            yield _status_stopped(exc.reason)
            return
        try:
            while True:
                try:
                    item = await subscription.get(keep_alive)
                except FeedEnded as exc:
                    yield _status_stopped(exc.reason)
                    return
                if item is None:
                    yield KeepAlive()
                elif not isinstance(item, Event):
                    yield RunChanged(run=RunSummary.of(item))
        finally:
            subscription.close()


def _status_stopped(reason: str) -> StreamStopped:
    if reason == "overflow":
        return StreamStopped(code="resource_exhausted", cursor=None,
                             message="this client read too slowly; reconnect, then read "
                                     "Runs.GetMany again for what changed meanwhile")
    return StreamStopped(code="unavailable", cursor=None,
                         message="the server is stopping; reconnect when it is back")
