from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    run_id: str,
    cursor: str | Unset = UNSET,
    step_key: str | Unset = UNSET,
    kinds: str | Unset = UNSET,
    levels: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["Last-Event-ID"] = last_event_id

    params: dict[str, Any] = {}

    params["run_id"] = run_id

    params["cursor"] = cursor

    params["step_key"] = step_key

    params["kinds"] = kinds

    params["levels"] = levels

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/rpc/Runs.Stream",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    run_id: str,
    cursor: str | Unset = UNSET,
    step_key: str | Unset = UNSET,
    kinds: str | Unset = UNSET,
    levels: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Response[Error | str]:
    """A run's events as they are stored (Server-Sent Events), resumable.

     Sends what is stored after `cursor` (or the `Last-Event-ID` header, which wins), then each event as
    it is stored: `id:` the events cursor after it (a `Runs.Events` `next_cursor`), `event: event`,
    `data:` the EventInfo JSON. Once the run ended and every event was sent: `event: end` with the
    RunSummary JSON, and the response ends. `: keep-alive` comments every 15 s; `event: error` with the
    Error JSON when the server ends the stream early (it is stopping, or the client read too slowly):
    reconnect with Last-Event-ID to resume.

    Args:
        run_id (str):
        cursor (str | Unset):
        step_key (str | Unset):
        kinds (str | Unset):
        levels (str | Unset):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | str]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        cursor=cursor,
        step_key=step_key,
        kinds=kinds,
        levels=levels,
        last_event_id=last_event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    run_id: str,
    cursor: str | Unset = UNSET,
    step_key: str | Unset = UNSET,
    kinds: str | Unset = UNSET,
    levels: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Error | str | None:
    """A run's events as they are stored (Server-Sent Events), resumable.

     Sends what is stored after `cursor` (or the `Last-Event-ID` header, which wins), then each event as
    it is stored: `id:` the events cursor after it (a `Runs.Events` `next_cursor`), `event: event`,
    `data:` the EventInfo JSON. Once the run ended and every event was sent: `event: end` with the
    RunSummary JSON, and the response ends. `: keep-alive` comments every 15 s; `event: error` with the
    Error JSON when the server ends the stream early (it is stopping, or the client read too slowly):
    reconnect with Last-Event-ID to resume.

    Args:
        run_id (str):
        cursor (str | Unset):
        step_key (str | Unset):
        kinds (str | Unset):
        levels (str | Unset):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | str
    """

    return sync_detailed(
        client=client,
        run_id=run_id,
        cursor=cursor,
        step_key=step_key,
        kinds=kinds,
        levels=levels,
        last_event_id=last_event_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    run_id: str,
    cursor: str | Unset = UNSET,
    step_key: str | Unset = UNSET,
    kinds: str | Unset = UNSET,
    levels: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Response[Error | str]:
    """A run's events as they are stored (Server-Sent Events), resumable.

     Sends what is stored after `cursor` (or the `Last-Event-ID` header, which wins), then each event as
    it is stored: `id:` the events cursor after it (a `Runs.Events` `next_cursor`), `event: event`,
    `data:` the EventInfo JSON. Once the run ended and every event was sent: `event: end` with the
    RunSummary JSON, and the response ends. `: keep-alive` comments every 15 s; `event: error` with the
    Error JSON when the server ends the stream early (it is stopping, or the client read too slowly):
    reconnect with Last-Event-ID to resume.

    Args:
        run_id (str):
        cursor (str | Unset):
        step_key (str | Unset):
        kinds (str | Unset):
        levels (str | Unset):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | str]
    """

    kwargs = _get_kwargs(
        run_id=run_id,
        cursor=cursor,
        step_key=step_key,
        kinds=kinds,
        levels=levels,
        last_event_id=last_event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    run_id: str,
    cursor: str | Unset = UNSET,
    step_key: str | Unset = UNSET,
    kinds: str | Unset = UNSET,
    levels: str | Unset = UNSET,
    last_event_id: str | Unset = UNSET,
) -> Error | str | None:
    """A run's events as they are stored (Server-Sent Events), resumable.

     Sends what is stored after `cursor` (or the `Last-Event-ID` header, which wins), then each event as
    it is stored: `id:` the events cursor after it (a `Runs.Events` `next_cursor`), `event: event`,
    `data:` the EventInfo JSON. Once the run ended and every event was sent: `event: end` with the
    RunSummary JSON, and the response ends. `: keep-alive` comments every 15 s; `event: error` with the
    Error JSON when the server ends the stream early (it is stopping, or the client read too slowly):
    reconnect with Last-Event-ID to resume.

    Args:
        run_id (str):
        cursor (str | Unset):
        step_key (str | Unset):
        kinds (str | Unset):
        levels (str | Unset):
        last_event_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | str
    """

    return (
        await asyncio_detailed(
            client=client,
            run_id=run_id,
            cursor=cursor,
            step_key=step_key,
            kinds=kinds,
            levels=levels,
            last_event_id=last_event_id,
        )
    ).parsed
