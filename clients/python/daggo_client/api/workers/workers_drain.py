from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.workers_drain_request import WorkersDrainRequest
from ...models.workers_drain_response import WorkersDrainResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: WorkersDrainRequest | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/rpc/Workers.Drain",
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | WorkersDrainResponse | None:
    if response.status_code == 200:
        response_200 = WorkersDrainResponse.from_dict(response.json())

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
) -> Response[Error | WorkersDrainResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: WorkersDrainRequest | Unset = UNSET,
) -> Response[Error | WorkersDrainResponse]:
    """Ask a worker or a pool to drain: it finishes what it runs and takes no more (its registrant sees it
    within a heartbeat interval). Draining a drained one again changes nothing.

     Ask a worker or a pool to drain: it finishes what it runs and takes no more
    (its registrant sees it within a heartbeat interval). Draining a drained one
    again changes nothing.

    Args:
        body (WorkersDrainRequest | Unset): Drain one worker (`worker`: its id, `host:pid`) or one
            pool (`pool`: its name):
            it finishes the runs it has and takes no more. Name one of them.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | WorkersDrainResponse]
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
    body: WorkersDrainRequest | Unset = UNSET,
) -> Error | WorkersDrainResponse | None:
    """Ask a worker or a pool to drain: it finishes what it runs and takes no more (its registrant sees it
    within a heartbeat interval). Draining a drained one again changes nothing.

     Ask a worker or a pool to drain: it finishes what it runs and takes no more
    (its registrant sees it within a heartbeat interval). Draining a drained one
    again changes nothing.

    Args:
        body (WorkersDrainRequest | Unset): Drain one worker (`worker`: its id, `host:pid`) or one
            pool (`pool`: its name):
            it finishes the runs it has and takes no more. Name one of them.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | WorkersDrainResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: WorkersDrainRequest | Unset = UNSET,
) -> Response[Error | WorkersDrainResponse]:
    """Ask a worker or a pool to drain: it finishes what it runs and takes no more (its registrant sees it
    within a heartbeat interval). Draining a drained one again changes nothing.

     Ask a worker or a pool to drain: it finishes what it runs and takes no more
    (its registrant sees it within a heartbeat interval). Draining a drained one
    again changes nothing.

    Args:
        body (WorkersDrainRequest | Unset): Drain one worker (`worker`: its id, `host:pid`) or one
            pool (`pool`: its name):
            it finishes the runs it has and takes no more. Name one of them.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | WorkersDrainResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: WorkersDrainRequest | Unset = UNSET,
) -> Error | WorkersDrainResponse | None:
    """Ask a worker or a pool to drain: it finishes what it runs and takes no more (its registrant sees it
    within a heartbeat interval). Draining a drained one again changes nothing.

     Ask a worker or a pool to drain: it finishes what it runs and takes no more
    (its registrant sees it within a heartbeat interval). Draining a drained one
    again changes nothing.

    Args:
        body (WorkersDrainRequest | Unset): Drain one worker (`worker`: its id, `host:pid`) or one
            pool (`pool`: its name):
            it finishes the runs it has and takes no more. Name one of them.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | WorkersDrainResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
