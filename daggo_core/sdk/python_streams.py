"""`daggo_client/streams.py` of the Python client: the API's event streams, read as they
arrive.

openapi-python-client reads a `text/event-stream` answer (`GET /rpc/Runs.Stream`) as one
text, once the server has ended it. The module rendered here adds, for each such method,
a function that yields its Server-Sent Events one by one: its arguments are the method's
parameters, handed to the generated endpoint module's `_get_kwargs`, so they are encoded
as the generated calls encode them.
"""

from __future__ import annotations

import re
from typing import Any

from attrs import frozen

__all__ = ["render_streams"]

_RPC_PATH = re.compile(r"^/rpc/([A-Z][A-Za-z0-9]*)\.([A-Z][A-Za-z0-9]*)$")
_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


@frozen
class _Stream:
    module: str  # the generated endpoint module, e.g. "runs.runs_stream"
    function: str  # e.g. "runs_stream"
    rpc: str  # e.g. "Runs.Stream"
    summary: str
    required: tuple[tuple[str, str], ...]  # (python name, annotation)
    optional: tuple[tuple[str, str], ...]


def render_streams(spec: dict[str, Any]) -> str | None:
    """The module's text, or None when the spec has no event stream."""
    streams = list(_streams(spec))
    if not streams:
        return None
    imports = "".join(f"from .api.{s.module.split('.')[0]} import {s.function} as _{s.function}\n"
                      for s in streams)
    return (_PRELUDE.format(imports=imports, names=", ".join(
        f'"{name}"' for name in sorted(["ServerSentEvent", "StreamError",
                                        *(s.function for s in streams)])))
            + "".join(_function(s) for s in streams) + _READER)


def _streams(spec: dict[str, Any]) -> list[_Stream]:
    found = []
    for path, item in spec.get("paths", {}).items():
        match = _RPC_PATH.match(path)
        operation = item.get("get", {})
        content = operation.get("responses", {}).get("200", {}).get("content", {})
        if match is None or "text/event-stream" not in content:
            continue
        service, name = match[1], match[2]
        function = f"{_snake(service)}_{_snake(name)}"
        parameters = [p for p in operation.get("parameters", [])
                      if p.get("in") in ("query", "header")]
        found.append(_Stream(
            module=f"{_snake(service)}.{function}", function=function,
            rpc=f"{service}.{name}", summary=operation.get("summary", ""),
            required=tuple(_argument(p) for p in parameters if p.get("required")),
            optional=tuple(_argument(p) for p in parameters if not p.get("required"))))
    return found


def _argument(parameter: dict[str, Any]) -> tuple[str, str]:
    kind = parameter.get("schema", {}).get("type")
    return _snake(parameter["name"]), _TYPES.get(kind, "Any") if isinstance(kind, str) else "Any"


def _snake(name: str) -> str:
    """`Runs` → `runs`, `StatusStream` → `status_stream`, `Last-Event-ID` →
    `last_event_id` (as openapi-python-client names them)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").lower()


def _function(stream: _Stream) -> str:
    signature = "".join(f"    {name}: {annotation},\n" for name, annotation in stream.required)
    signature += "".join(f"    {name}: {annotation} | Unset = UNSET,\n"
                         for name, annotation in stream.optional)
    passed = ", ".join(f"{name}={name}" for name, _ in (*stream.required, *stream.optional))
    return (f"\n\ndef {stream.function}(\n    *,\n    client: AuthenticatedClient | Client,\n"
            f"{signature}) -> Iterator[ServerSentEvent]:\n"
            f'    """`{stream.rpc}`: {stream.summary}\n\n'
            "    Yields each message as it arrives, until the server ends the stream; raises\n"
            '    StreamError when the server refuses it. Stopping early closes the connection.\n'
            '    """\n'
            f"    return _events(client, _{stream.function}._get_kwargs({passed}))\n")


_PRELUDE = '''\
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

{imports}from .client import AuthenticatedClient, Client
from .models.error import Error
from .types import UNSET, Unset

__all__ = [{names}]

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
        super().__init__(f"HTTP {{status_code}}: {{detail}}")
'''

_READER = '''

def _events(client: AuthenticatedClient | Client,
            kwargs: dict[str, Any]) -> Iterator[ServerSentEvent]:
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
                    yield ServerSentEvent(event=event or "message", id=last_id,
                                          data=json.loads("\\n".join(data)))
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
'''
