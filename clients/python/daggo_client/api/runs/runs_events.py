from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.runs_events_request import RunsEventsRequest
from ...models.runs_events_response import RunsEventsResponse
from ...types import Response


def _get_kwargs(
    *,
    body: RunsEventsRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/rpc/Runs.Events",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | RunsEventsResponse | None:
    if response.status_code == 200:
        response_200 = RunsEventsResponse.from_dict(response.json())

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

    if response.status_code == 408:
        response_408 = Error.from_dict(response.json())

        return response_408

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | RunsEventsResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: RunsEventsRequest,
) -> Response[Error | RunsEventsResponse]:
    """A page of the run's event log, oldest first (keyset pages by event id).

     A page of the run's event log, oldest first (keyset pages by event id).

    Args:
        body (RunsEventsRequest): A page of a run's event log, oldest first: from the log's start,
            from `cursor` (a
            page's `next_cursor` or `previous_cursor`), or with `tail` the newest `limit` events;
            optionally one step's, some kinds, some levels, or lines containing `search`
            (ignoring case).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | RunsEventsResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: RunsEventsRequest,
) -> Error | RunsEventsResponse | None:
    """A page of the run's event log, oldest first (keyset pages by event id).

     A page of the run's event log, oldest first (keyset pages by event id).

    Args:
        body (RunsEventsRequest): A page of a run's event log, oldest first: from the log's start,
            from `cursor` (a
            page's `next_cursor` or `previous_cursor`), or with `tail` the newest `limit` events;
            optionally one step's, some kinds, some levels, or lines containing `search`
            (ignoring case).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | RunsEventsResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: RunsEventsRequest,
) -> Response[Error | RunsEventsResponse]:
    """A page of the run's event log, oldest first (keyset pages by event id).

     A page of the run's event log, oldest first (keyset pages by event id).

    Args:
        body (RunsEventsRequest): A page of a run's event log, oldest first: from the log's start,
            from `cursor` (a
            page's `next_cursor` or `previous_cursor`), or with `tail` the newest `limit` events;
            optionally one step's, some kinds, some levels, or lines containing `search`
            (ignoring case).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | RunsEventsResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: RunsEventsRequest,
) -> Error | RunsEventsResponse | None:
    """A page of the run's event log, oldest first (keyset pages by event id).

     A page of the run's event log, oldest first (keyset pages by event id).

    Args:
        body (RunsEventsRequest): A page of a run's event log, oldest first: from the log's start,
            from `cursor` (a
            page's `next_cursor` or `previous_cursor`), or with `tail` the newest `limit` events;
            optionally one step's, some kinds, some levels, or lines containing `search`
            (ignoring case).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | RunsEventsResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
