"""The API's event streams (Server-Sent Events), read as they arrive.

The endpoint modules of these methods wait for the whole answer; each function here
yields its messages one by one instead, e.g.:

    for message in runs_stream(client=client, run_id=run_id):
        if message.event == "end":
            break
        print(message.data["kind"], message.data["message"])

A message's `id` resumes the stream after it (`cursor=`, or `last_event_id=`).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from .api.runs import runs_status_stream as _runs_status_stream
from .api.runs import runs_stream as _runs_stream
from .client import AuthenticatedClient, Client
from .models.error import Error
from .types import UNSET, Unset

__all__ = ["ServerSentEvent", "StreamError", "runs_status_stream", "runs_stream"]

#: Longest silence before a stream is taken for dead: the server sends a keep-alive
#: comment every 15 s.
READ_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class ServerSentEvent:
    """One message of a stream: its `event:` type ("message" when it names none), its
    `id:` (where to resume after it) and its `data:` read as JSON."""

    event: str
    id: str | None
    data: Any


class StreamError(Exception):
    """The server refused the stream: its HTTP status and, from a daggo server, its
    error (`error.error.code`, `error.error.message`)."""

    def __init__(self, status_code: int, error: Error | None, content: bytes) -> None:
        self.status_code = status_code
        self.error = error
        self.content = content
        detail = error.error.message if error is not None else content.decode(errors="replace")
        super().__init__(f"HTTP {status_code}: {detail}")


def runs_stream(
    *,
    client: AuthenticatedClient | Client,
    run_id: str,
    cursor: str | Unset = UNSET,
    step_key: str | Unset = UNSET,
    kinds: str | Unset = UNSET,
    levels: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Iterator[ServerSentEvent]:
    """`Runs.Stream`: A run's events as they are stored (Server-Sent Events), resumable.

    Yields each message as it arrives, until the server ends the stream; raises
    StreamError when the server refuses it. Stopping early closes the connection.
    """
    return _events(
        client,
        _runs_stream._get_kwargs(
            run_id=run_id, cursor=cursor, step_key=step_key, kinds=kinds, levels=levels, last_event_id=last_event_id
        ),
    )


def runs_status_stream(
    *,
    client: AuthenticatedClient | Client,
    job: str | Unset = UNSET,
) -> Iterator[ServerSentEvent]:
    """`Runs.StatusStream`: Every run's status changes (Server-Sent Events), for live pages.

    Yields each message as it arrives, until the server ends the stream; raises
    StreamError when the server refuses it. Stopping early closes the connection.
    """
    return _events(client, _runs_status_stream._get_kwargs(job=job))


def _events(client: AuthenticatedClient | Client, kwargs: dict[str, Any]) -> Iterator[ServerSentEvent]:
    http = client.get_httpx_client()
    headers = {**kwargs.pop("headers", {}), "Accept": "text/event-stream"}
    timeout = httpx.Timeout(READ_TIMEOUT_SECONDS, connect=http.timeout.connect)
    with http.stream(**kwargs, headers=headers, timeout=timeout) as response:
        if response.status_code != 200:
            content = response.read()
            try:
                error: Error | None = Error.from_dict(json.loads(content))
            except (ValueError, KeyError, TypeError):
                error = None
            raise StreamError(response.status_code, error, content)
        event = ""
        data: list[str] = []
        last_id: str | None = None
        for line in response.iter_lines():
            if line == "":
                if data:
                    yield ServerSentEvent(event=event or "message", id=last_id, data=json.loads("\n".join(data)))
                event, data = "", []
                continue
            if line.startswith(":"):  # a comment: keep-alive
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                last_id = value
