"""Calls to a daggo server's RPC API over HTTP: each answer back as its response message,
or as the daggo error the server's service raised."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import cattrs
import httpx
from httpx_sse import ServerSentEvent, SSEError, connect_sse

from daggo_core.errors import DaggoError, ServerError, ServerUnreachableError
from daggo_core.rpc.errors import error_of_code
from daggo_core.rpc.registry import RpcMethod
from daggo_core.serde import structure, unstructure

__all__ = ["RpcClient"]

#: Seconds a stream may stay silent before it counts as dropped (servers send a
#: keep-alive comment every 15 s).
STREAM_READ_TIMEOUT = 45.0


class RpcClient:
    """An HTTP client of the RPC API at `url`, sending `token` (if any) as
    `Authorization: Bearer <token>`; the token never appears in its errors."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ServerError(f"server URL {url!r} is not an http:// or https:// URL; give "
                              "one like http://127.0.0.1:8000 with --url or DAGGO_URL")
        self.url = url.strip().rstrip("/")
        self.has_token = bool(token)
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def call(self, method: RpcMethod, request: Any = None) -> Any:
        """`POST /rpc/<method>` with `request` as its body; the response message."""
        body = {} if request is None else unstructure(request)
        with self._transport_errors():
            response = self._http.post(f"/rpc/{method.name}", json=body)
        if response.status_code != 200:
            raise self._refusal(response, f"POST /rpc/{method.name}")
        try:
            return structure(response.json(), method.response)
        except (ValueError, TypeError, cattrs.BaseValidationError) as exc:
            raise ServerError(
                f"the server at {self.url} answered {method.name} with a message this "
                f"client cannot read ({exc}); are the client and the server the same "
                "daggo version?") from None

    @contextlib.contextmanager
    def events(self, path: str, params: Mapping[str, str], *,
               last_event_id: str | None = None) -> Iterator[Iterator[ServerSentEvent]]:
        """The Server-Sent Events of `GET <path>`, resumed after `last_event_id`; a
        connection lost while reading raises ServerUnreachableError."""
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        timeout = httpx.Timeout(self.timeout, read=STREAM_READ_TIMEOUT)
        with self._transport_errors(), connect_sse(self._http, "GET", path, params=params,
                                                   headers=headers,
                                                   timeout=timeout) as source:
            response = source.response
            if response.status_code != 200:
                response.read()
                raise self._refusal(response, f"GET {path}")
            try:  # errors of the caller's reading are thrown in here
                yield source.iter_sse()
            except SSEError as exc:
                raise ServerError(f"the server at {self.url} answered GET {path} with no "
                                  f"event stream ({exc}); is it an older daggo?") from None

    @contextlib.contextmanager
    def _transport_errors(self) -> Iterator[None]:
        """httpx's errors of reaching the server as ServerUnreachableError."""
        try:
            yield
        except httpx.ConnectError as exc:
            raise ServerUnreachableError(
                f"cannot reach the daggo server at {self.url} ({exc}): check that it runs "
                "(`daggo run`) and that --url or DAGGO_URL names it") from None
        except httpx.TimeoutException:
            raise ServerUnreachableError(
                f"the daggo server at {self.url} did not answer in time; try again, or "
                "check its log") from None
        except httpx.TransportError as exc:
            raise ServerUnreachableError(
                f"lost the connection to the daggo server at {self.url} ({exc}); try "
                "again") from None

    def _refusal(self, response: httpx.Response, what: str) -> DaggoError:
        """The error an answer other than 200 stands for."""
        status = response.status_code
        if status == 401:
            refused = "refused the token" if self.has_token else "requires a token"
            return ServerError(f"the server at {self.url} {refused} (401 unauthenticated): "
                               "set DAGGO_TOKEN or --token to its admin.secret_key")
        code, message = _error_body(response)
        if code is None:
            answer = f"{status} {httpx.codes.get_reason_phrase(status)}".strip()
            then = ", or look at its log" if status >= 500 else ""
            return ServerError(f"the server at {self.url} answered {what} with HTTP {answer}, "
                               f"not a daggo answer: check that --url or DAGGO_URL names a "
                               f"daggo server{then}")
        error = error_of_code(code, message)
        if error is not None:
            return error
        if status >= 500:
            return ServerError(f"the server at {self.url} failed: {message}")
        return ServerError(f"the server at {self.url} refused {what} ({code}): {message}")


def _error_body(response: httpx.Response) -> tuple[str | None, str]:
    """The code and message of a daggo error answer; (None, "") for any other body."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None, ""
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return None, ""
    return error["code"], str(error.get("message", ""))
