from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.queue_items_retry_request import QueueItemsRetryRequest
from ...models.queue_items_retry_response import QueueItemsRetryResponse
from ...types import Response


def _get_kwargs(
    *,
    body: QueueItemsRetryRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/rpc/QueueItems.Retry",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | QueueItemsRetryResponse | None:
    if response.status_code == 200:
        response_200 = QueueItemsRetryResponse.from_dict(response.json())

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
) -> Response[Error | QueueItemsRetryResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: QueueItemsRetryRequest,
) -> Response[Error | QueueItemsRetryResponse]:
    """Run the item's jobs that did not succeed again (each a re-execution from failure of its latest run,
    linked to the item); a dead-lettered item leaves the dead letter. Fails for an item that runs,
    succeeded or was deduplicated.

     Run the item's jobs that did not succeed again (each a re-execution from
    failure of its latest run, linked to the item); a dead-lettered item leaves the
    dead letter. Fails for an item that runs, succeeded or was deduplicated.

    Args:
        body (QueueItemsRetryRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | QueueItemsRetryResponse]
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
    body: QueueItemsRetryRequest,
) -> Error | QueueItemsRetryResponse | None:
    """Run the item's jobs that did not succeed again (each a re-execution from failure of its latest run,
    linked to the item); a dead-lettered item leaves the dead letter. Fails for an item that runs,
    succeeded or was deduplicated.

     Run the item's jobs that did not succeed again (each a re-execution from
    failure of its latest run, linked to the item); a dead-lettered item leaves the
    dead letter. Fails for an item that runs, succeeded or was deduplicated.

    Args:
        body (QueueItemsRetryRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | QueueItemsRetryResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: QueueItemsRetryRequest,
) -> Response[Error | QueueItemsRetryResponse]:
    """Run the item's jobs that did not succeed again (each a re-execution from failure of its latest run,
    linked to the item); a dead-lettered item leaves the dead letter. Fails for an item that runs,
    succeeded or was deduplicated.

     Run the item's jobs that did not succeed again (each a re-execution from
    failure of its latest run, linked to the item); a dead-lettered item leaves the
    dead letter. Fails for an item that runs, succeeded or was deduplicated.

    Args:
        body (QueueItemsRetryRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | QueueItemsRetryResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: QueueItemsRetryRequest,
) -> Error | QueueItemsRetryResponse | None:
    """Run the item's jobs that did not succeed again (each a re-execution from failure of its latest run,
    linked to the item); a dead-lettered item leaves the dead letter. Fails for an item that runs,
    succeeded or was deduplicated.

     Run the item's jobs that did not succeed again (each a re-execution from
    failure of its latest run, linked to the item); a dead-lettered item leaves the
    dead letter. Fails for an item that runs, succeeded or was deduplicated.

    Args:
        body (QueueItemsRetryRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | QueueItemsRetryResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
