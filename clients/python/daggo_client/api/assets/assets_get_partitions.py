from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.assets_get_partitions_request import AssetsGetPartitionsRequest
from ...models.assets_get_partitions_response import AssetsGetPartitionsResponse
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    *,
    body: AssetsGetPartitionsRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/rpc/Assets.GetPartitions",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AssetsGetPartitionsResponse | Error | None:
    if response.status_code == 200:
        response_200 = AssetsGetPartitionsResponse.from_dict(response.json())

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
) -> Response[AssetsGetPartitionsResponse | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AssetsGetPartitionsRequest,
) -> Response[AssetsGetPartitionsResponse | Error]:
    """The partition grid of an asset, its spans aggregated into cells.

     The partition grid of an asset, its spans aggregated into cells.

    Args:
        body (AssetsGetPartitionsRequest): The partition grid of a partitioned asset: its
            partitions from index `start` to
            `stop` (None: the last), aggregated into at most `cells` ranges of equal size.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AssetsGetPartitionsResponse | Error]
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
    body: AssetsGetPartitionsRequest,
) -> AssetsGetPartitionsResponse | Error | None:
    """The partition grid of an asset, its spans aggregated into cells.

     The partition grid of an asset, its spans aggregated into cells.

    Args:
        body (AssetsGetPartitionsRequest): The partition grid of a partitioned asset: its
            partitions from index `start` to
            `stop` (None: the last), aggregated into at most `cells` ranges of equal size.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AssetsGetPartitionsResponse | Error
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AssetsGetPartitionsRequest,
) -> Response[AssetsGetPartitionsResponse | Error]:
    """The partition grid of an asset, its spans aggregated into cells.

     The partition grid of an asset, its spans aggregated into cells.

    Args:
        body (AssetsGetPartitionsRequest): The partition grid of a partitioned asset: its
            partitions from index `start` to
            `stop` (None: the last), aggregated into at most `cells` ranges of equal size.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AssetsGetPartitionsResponse | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: AssetsGetPartitionsRequest,
) -> AssetsGetPartitionsResponse | Error | None:
    """The partition grid of an asset, its spans aggregated into cells.

     The partition grid of an asset, its spans aggregated into cells.

    Args:
        body (AssetsGetPartitionsRequest): The partition grid of a partitioned asset: its
            partitions from index `start` to
            `stop` (None: the last), aggregated into at most `cells` ranges of equal size.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AssetsGetPartitionsResponse | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
