from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    job: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["job"] = job

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/rpc/Runs.StatusStream",
        "params": params,
    }

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
    job: str | Unset = UNSET,
) -> Response[Error | str]:
    """Every run's status changes (Server-Sent Events), for live pages.

     `event: run` with the RunSummary JSON each time a run is queued, starts, is asked to cancel or ends
    (its log records the change); `: keep-alive` comments every 15 s. Open it before reading
    Runs.GetMany, so no change falls between.

    Args:
        job (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | str]
    """

    kwargs = _get_kwargs(
        job=job,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    job: str | Unset = UNSET,
) -> Error | str | None:
    """Every run's status changes (Server-Sent Events), for live pages.

     `event: run` with the RunSummary JSON each time a run is queued, starts, is asked to cancel or ends
    (its log records the change); `: keep-alive` comments every 15 s. Open it before reading
    Runs.GetMany, so no change falls between.

    Args:
        job (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | str
    """

    return sync_detailed(
        client=client,
        job=job,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    job: str | Unset = UNSET,
) -> Response[Error | str]:
    """Every run's status changes (Server-Sent Events), for live pages.

     `event: run` with the RunSummary JSON each time a run is queued, starts, is asked to cancel or ends
    (its log records the change); `: keep-alive` comments every 15 s. Open it before reading
    Runs.GetMany, so no change falls between.

    Args:
        job (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | str]
    """

    kwargs = _get_kwargs(
        job=job,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    job: str | Unset = UNSET,
) -> Error | str | None:
    """Every run's status changes (Server-Sent Events), for live pages.

     `event: run` with the RunSummary JSON each time a run is queued, starts, is asked to cancel or ends
    (its log records the change); `: keep-alive` comments every 15 s. Open it before reading
    Runs.GetMany, so no change falls between.

    Args:
        job (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | str
    """

    return (
        await asyncio_detailed(
            client=client,
            job=job,
        )
    ).parsed
