"""Helpers for tests and benchmarks of the streams: read Server-Sent Events, and time
an event from `add_events` to its arrival at a `Runs.Stream` client."""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
from attrs import frozen

from daggo_core.storage.base import EventStorage
from daggo_core.storage.records import Event, EventKind

__all__ = ["SseMessage", "read_sse", "stream_latencies"]


@frozen
class SseMessage:
    """One message of an event stream: its `event` name, JSON `data` and `id` (if any)."""

    event: str
    data: Any
    id: str | None = None


def read_sse(lines: Iterable[str]) -> Iterator[SseMessage]:
    """The messages of an event stream's lines (comments, such as keep-alives, skipped),
    each with the fields it carries itself (its own `id:`, unlike an EventSource, which
    carries the last id on): what the server wrote, for tests of the wire format."""
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield SseMessage(event=fields.get("event", "message"),
                                 data=json.loads("\n".join(data)), id=fields.get("id"))
            fields, data = {}, []
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            if name == "data":  # a message's data may span lines, joined by newlines
                data.append(value.removeprefix(" "))
            else:
                fields[name] = value.removeprefix(" ")


def stream_latencies(base_url: str, storage: EventStorage, run_id: str, *,
                     samples: int = 20, spacing: float = 0.06,
                     timeout: float = 10.0) -> list[float]:
    """Seconds from calling `storage.add_events` to the event's arrival at a client of
    `GET {base_url}/rpc/Runs.Stream?run_id=...`, for `samples` log events added one at a
    time to the run (which must not end meanwhile), a random 0 to `spacing` seconds
    apart (so they fall anywhere in the feed's poll cycle, not just after a read). With
    the server's own storage this is the path of events the server stores; with another
    storage (of another process, as workers are) the path of the feed's polling."""
    arrivals: queue.Queue[tuple[str, float]] = queue.Queue()
    ready = threading.Event()
    done = threading.Event()

    def follow() -> None:
        with httpx.Client(base_url=base_url, timeout=timeout) as client, client.stream(
                "GET", "/rpc/Runs.Stream",
                params={"run_id": run_id, "kinds": "LOG"},
                headers={"Last-Event-ID": _latest_cursor(client, run_id)}) as response:
            ready.set()
            for message in read_sse(response.iter_lines()):
                if message.event == "event":
                    arrivals.put((message.data["message"], time.perf_counter()))
                if done.is_set() or message.event != "event":
                    return

    reader = threading.Thread(target=follow, name="daggo-latency-probe", daemon=True)
    reader.start()
    if not ready.wait(timeout):
        raise AssertionError(f"the stream of run {run_id} did not open within {timeout} s")
    latencies = []
    try:
        for i in range(samples):
            time.sleep(random.uniform(0, spacing))
            probe = f"latency probe {i} {time.time_ns()}"
            started = time.perf_counter()
            storage.add_events([Event(run_id=run_id, kind=EventKind.LOG, level="INFO",
                                      message=probe)])
            while True:
                message, arrived = arrivals.get(timeout=timeout)
                if message == probe:
                    latencies.append(arrived - started)
                    break
    finally:
        done.set()
        storage.add_events([Event(run_id=run_id, kind=EventKind.LOG, level="INFO",
                                  message="latency probe done")])
        reader.join(timeout)
    return latencies


def _latest_cursor(client: httpx.Client, run_id: str) -> str:
    """The cursor after the run's last event, so the probe skips its history."""
    page = client.post("/rpc/Runs.Events", json={"run_id": run_id, "tail": True, "limit": 1})
    page.raise_for_status()
    return str(page.json()["next_cursor"])
