"""`daggo queue list | push | items | item | retry | replay | partitions`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from daggo_core.cli.common import (
    app_options,
    collect_pages,
    command_services,
    config_option,
    console,
    moment_option,
    server_options,
)
from daggo_core.cli.progress import status_style
from daggo_core.services.queues import (
    ITEMS_PAGE_MAX,
    PARTITIONS_PAGE_MAX,
    REPLAY_MAX,
    ItemSummary,
    LoaderHealth,
    PartitionInfo,
    PartitionsGetManyRequest,
    QueueItemsGetManyRequest,
    QueueItemsGetRequest,
    QueueItemsGetResponse,
    QueueItemsReplayRequest,
    QueueItemsRetryRequest,
    QueueItemStatus,
    QueuesGetRequest,
    QueuesPushRequest,
    QueuesPushResponse,
)

ITEM_STATUS_CHOICES = click.Choice([s.value for s in QueueItemStatus], case_sensitive=False)
_ITEM_STYLES = {
    QueueItemStatus.QUEUED: "yellow", QueueItemStatus.RUNNING: "cyan",
    QueueItemStatus.SUCCEEDED: "green", QueueItemStatus.FAILED: "bold red",
    QueueItemStatus.PARTIALLY_FAILED: "red", QueueItemStatus.CANCELED: "dim",
    QueueItemStatus.DEDUPLICATED: "dim",
}
#: The characters of an item id lists show (any unique prefix names an item).
_SHORT_ID = 12
#: The count columns of `queue list` and `queue partitions`, and the statuses each adds up.
_COUNT_COLUMNS = (
    ("queued", (QueueItemStatus.QUEUED,)), ("running", (QueueItemStatus.RUNNING,)),
    ("succeeded", (QueueItemStatus.SUCCEEDED,)),
    ("failed", (QueueItemStatus.FAILED, QueueItemStatus.PARTIALLY_FAILED)),
    ("canceled", (QueueItemStatus.CANCELED,)),
)


@click.group("queue")
def queue() -> None:
    """List queues, push items, inspect, retry and replay them.

    ITEM is an item id or any unique prefix of one.
    """


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _status(status: QueueItemStatus) -> str:
    return f"[{_ITEM_STYLES.get(status, '')}]{status}[/]"


def _counts(counts: Mapping[QueueItemStatus, int]) -> list[str]:
    return [str(sum(counts.get(s, 0) for s in statuses) or "")
            for _, statuses in _COUNT_COLUMNS]


def _loader(loader: LoaderHealth | None) -> Text | str:
    if loader is None:
        return ""
    every = f" every {loader.poll_every_seconds:g} s" if loader.poll_every_seconds else ""
    lag = f", lag {loader.lag}" if loader.lag is not None else ""
    if loader.healthy:
        return Text(f"{loader.mode}{every}: ok{lag}", style="green")
    return Text(f"{loader.mode}{every}: failing ({loader.failures} in a row): "
                f"{loader.last_error or ''}", style="red")


@queue.command("list")
@config_option
@server_options
@click.pass_context
def list_queues(ctx: click.Context, config_path: Path | None) -> None:
    """List the queues of the app's code with their items by status, dead letters and
    loader health."""
    with command_services(ctx, config_path) as services:
        found = services.queues.get_many().queues
    table = Table(caption=f"{len(found)} queue(s)")
    table.add_column("queue", no_wrap=True)
    table.add_column("jobs")
    for column, _ in _COUNT_COLUMNS:
        table.add_column(column, justify="right")
    table.add_column("dead-lettered", justify="right")
    table.add_column("loader")
    for summary in found:
        dead = f"[red]{summary.dead_lettered}[/]" if summary.dead_lettered else ""
        table.add_row(summary.name, ", ".join(summary.jobs), *_counts(summary.counts), dead,
                      _loader(summary.loader))
    console().print(table)


def _payloads(raw: str) -> tuple[dict[str, Any], ...]:
    """The JSON argument of `queue push` (`-`: stdin) as its payload objects."""
    text = sys.stdin.read() if raw == "-" else raw
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="JSON") from None
    items = value if isinstance(value, list) else [value]
    wrong = [i for i, item in enumerate(items) if not isinstance(item, dict)]
    if not items or wrong:
        where = f" (item {wrong[0]} is not)" if wrong and isinstance(value, list) else ""
        raise click.BadParameter("must be a JSON object or a non-empty list of objects, e.g. "
                                 f"'{{\"customer\": \"acme\"}}'{where}", param_hint="JSON")
    return tuple(items)


@queue.command("push")
@click.argument("name")
@click.argument("payload_json", metavar="JSON")
@click.option("--key", metavar="KEY", help="The item key of the (single) item, instead of "
              "the one the queue's item key function gives.")
@app_options
@server_options
@click.pass_context
def push(ctx: click.Context, name: str, payload_json: str, key: str | None,
         config_path: Path | None, app_module: str | None, app_file: str | None) -> None:
    """Push items to queue NAME: JSON is a payload object or a list of them (`-` reads it
    from stdin). Each accepted item queues a run of each of the queue's jobs.

    Items are checked against the queue's payload class, so locally the app's code is
    needed (-m/-f, or `app` in config); with --url the server checks them. Exits 1 if an
    item was refused.
    """
    request = QueuesPushRequest(queue=name, items=_payloads(payload_json), key=key)
    with command_services(ctx, config_path, app=(app_module, app_file)) as services:
        response = services.queues.push(request)
    _print_push(console(), name, response)
    if response.rejected:
        ctx.exit(1)


def _print_push(out: Console, name: str, response: QueuesPushResponse) -> None:
    for item_id in response.accepted:
        out.print(f"item {item_id} accepted by queue {name}")
    for duplicate in response.deduplicated:
        out.print(f"item {duplicate.id} deduplicated: key {duplicate.item_key!r} was "
                  f"accepted as item {duplicate.duplicate_of}", markup=False)
    for message in response.rejected:
        out.print(Text(f"rejected: {message}", style="red"))


@queue.command("items")
@click.argument("name")
@click.option("--status", "statuses", multiple=True, type=ITEM_STATUS_CHOICES,
              help="Only items with this status (repeatable).")
@click.option("--partition", "partition_key", metavar="KEY",
              help="Only items of this partition key.")
@click.option("--dead-lettered", is_flag=True, help="Only dead-lettered items.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@config_option
@server_options
@click.pass_context
def items(ctx: click.Context, name: str, statuses: tuple[str, ...], partition_key: str | None,
          dead_lettered: bool, limit: int, config_path: Path | None) -> None:
    """List the items of queue NAME, newest first."""
    with command_services(ctx, config_path) as services:
        services.queues.get(QueuesGetRequest(queue=name))  # a queue of another name fails
        def fetch(cursor: str | None, size: int) -> tuple[Sequence[ItemSummary], str | None]:
            page = services.queue_items.get_many(QueueItemsGetManyRequest(
                queue=name, statuses=tuple(QueueItemStatus(s.upper()) for s in statuses),
                partition_key=partition_key, dead_lettered=True if dead_lettered else None,
                limit=size, cursor=cursor))
            return page.items, page.next_cursor

        found = collect_pages(fetch, page_max=ITEMS_PAGE_MAX, limit=limit)
    table = Table(caption=f"{len(found)} item(s), newest first; times in UTC")
    for column in ("item", "key", "partition", "status", "attempt", "created", "note"):
        table.add_column(column, no_wrap=column in ("item", "status", "created"))
    for item in found:
        table.add_row(item.id[:_SHORT_ID], Text(item.item_key), Text(item.partition_key or ""),
                      _status(item.status), str(item.attempt), _when(item.created_at),
                      _note(item))
    console().print(table)


def _note(item: ItemSummary) -> str:
    if item.duplicate_of:
        return f"duplicate of {item.duplicate_of[:_SHORT_ID]}"
    if item.dead_lettered:
        return "[red]dead-lettered[/]"
    if item.retry_at:
        return f"retry at {_when(item.retry_at)}"
    return ""


@queue.command("item")
@click.argument("item_id", metavar="ITEM")
@config_option
@server_options
@click.pass_context
def item(ctx: click.Context, item_id: str, config_path: Path | None) -> None:
    """Show an item: its payload and metadata, the runs it started (why a queued one
    waits) and the deliveries deduplicated against it."""
    with command_services(ctx, config_path) as services:
        detail = services.queue_items.get(QueueItemsGetRequest(item_id=item_id))
    _print_item(console(), detail)


def _print_item(out: Console, detail: QueueItemsGetResponse) -> None:
    item = detail.item
    out.print(f"item {item.id} of queue {item.queue_name}: {_status(item.status)}")
    out.print(f"key: {item.item_key}", markup=False)
    if item.partition_key is not None:
        out.print(f"partition: {item.partition_key}", markup=False)
    out.print(f"source: {item.source}; attempt {item.attempt} of {item.max_retries + 1}")
    out.print(f"created: {_when(item.created_at)} UTC"
              + (f"; finished: {_when(item.finished_at)} UTC" if item.finished_at else ""))
    if item.dead_lettered:
        out.print("[red]dead-lettered[/]: no retries left (`daggo queue retry` runs it again)")
    elif item.retry_at:
        out.print(f"next retry: {_when(item.retry_at)} UTC")
    if detail.original is not None:
        out.print(f"deduplicated against item {detail.original.id} "
                  f"({detail.original.status}): it started nothing")
    out.print(f"payload: {json.dumps(detail.payload)}", markup=False)
    if detail.metadata:
        out.print(f"metadata: {json.dumps(detail.metadata)}", markup=False)
    if detail.runs:
        table = Table(title="runs", title_justify="left", caption="times in UTC")
        for column in ("run", "job", "status", "trigger", "created", "waiting / error"):
            table.add_column(column, no_wrap=column == "run")
        for run in detail.runs:
            why = run.wait_reason or (f"{run.error_type}: {run.error_message}"
                                      if run.error_type else "")
            table.add_row(run.id, run.job_name, f"[{status_style(run.status)}]{run.status}[/]",
                          run.trigger, _when(run.created_at), Text(why))
        out.print(table)
    if detail.duplicate_count:
        shown = ", ".join(d.id for d in detail.duplicates)
        more = detail.duplicate_count - len(detail.duplicates)
        out.print(f"{detail.duplicate_count} delivery(ies) deduplicated against it: {shown}"
                  + (f" and {more} more" if more else ""))


@queue.command("retry")
@click.argument("item_id", metavar="ITEM")
@app_options
@server_options
@click.pass_context
def retry(ctx: click.Context, item_id: str, config_path: Path | None,
          app_module: str | None, app_file: str | None) -> None:
    """Run the jobs of a failed, partially failed or canceled item that did not succeed
    again, each from its failed step (with the app's code: -m/-f or `app` in config;
    otherwise whole); a dead-lettered item leaves the dead letter."""
    with command_services(ctx, config_path, app=(app_module, app_file)) as services:
        response = services.queue_items.retry(QueueItemsRetryRequest(item_id=item_id))
    out = console()
    out.print(f"item {response.item.id} retried (attempt {response.item.attempt})")
    for run in response.runs:
        origin = f": re-execution of {run.parent_run_id}" if run.parent_run_id else ""
        out.print(f"run {run.id} of {run.job_name} queued{origin}")


@queue.command("replay")
@click.argument("name")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice([QueueItemStatus.FAILED.value,
                                 QueueItemStatus.PARTIALLY_FAILED.value,
                                 QueueItemStatus.CANCELED.value], case_sensitive=False),
              help="Only items with this status (repeatable; default: FAILED and "
              "PARTIALLY_FAILED).")
@click.option("--partition", "partition_key", metavar="KEY",
              help="Only items of this partition key.")
@click.option("--dead-lettered", is_flag=True, help="Only dead-lettered items.")
@click.option("--since", metavar="TIME", help="Only items created at or after TIME (UTC if "
              "no offset is given).")
@click.option("--until", metavar="TIME", help="Only items created before TIME.")
@app_options
@server_options
@click.pass_context
def replay(ctx: click.Context, name: str, statuses: tuple[str, ...], partition_key: str | None,
           dead_lettered: bool, since: str | None, until: str | None,
           config_path: Path | None, app_module: str | None, app_file: str | None) -> None:
    """Retry, oldest first, the finished items of queue NAME that did not succeed (at most
    1,000 per call), as `queue retry` does each."""
    request = QueueItemsReplayRequest(
        queue=name, statuses=tuple(QueueItemStatus(s.upper()) for s in statuses),
        partition_key=partition_key, dead_lettered=True if dead_lettered else None,
        created_after=moment_option(since, "--since"),
        created_before=moment_option(until, "--until"))
    with command_services(ctx, config_path, app=(app_module, app_file)) as services:
        response = services.queue_items.replay(request)
    out = console()
    for item_id in response.replayed:
        out.print(f"item {item_id} replayed")
    skipped = f", {response.skipped} skipped (nothing to run again)" if response.skipped else ""
    out.print(f"{len(response.replayed)} item(s) replayed{skipped}")
    if len(response.replayed) + response.skipped >= REPLAY_MAX:
        out.print(f"at most {REPLAY_MAX:,} items are replayed per call: run it again for "
                  "the rest")


@queue.command("partitions")
@click.argument("name")
@config_option
@server_options
@click.pass_context
def partitions(ctx: click.Context, name: str, config_path: Path | None) -> None:
    """List the partition keys of queue NAME with their items by status and their
    latest item."""
    with command_services(ctx, config_path) as services:
        def fetch(cursor: str | None, size: int) -> tuple[Sequence[PartitionInfo], str | None]:
            page = services.partitions.get_many(PartitionsGetManyRequest(
                queue=name, limit=size, cursor=cursor))
            return page.partitions, page.next_cursor

        found = collect_pages(fetch, page_max=PARTITIONS_PAGE_MAX)
    table = Table(caption=f"{len(found)} partition(s); times in UTC")
    table.add_column("partition")
    table.add_column("items", justify="right")
    for column, _ in _COUNT_COLUMNS:
        table.add_column(column, justify="right")
    table.add_column("latest item", no_wrap=True)
    table.add_column("latest")
    for partition in found:
        table.add_row(Text(partition.partition_key), str(partition.items),
                      *_counts(partition.counts), partition.latest_item_id,
                      f"{_status(partition.latest_status)} {_when(partition.latest_at)}")
    console().print(table)
