from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.assets_get_graph_request import AssetsGetGraphRequest
from ...models.assets_get_graph_response import AssetsGetGraphResponse
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: AssetsGetGraphRequest | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/rpc/Assets.GetGraph",
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AssetsGetGraphResponse | Error | None:
    if response.status_code == 200:
        response_200 = AssetsGetGraphResponse.from_dict(response.json())

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
) -> Response[AssetsGetGraphResponse | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AssetsGetGraphRequest | Unset = UNSET,
) -> Response[AssetsGetGraphResponse | Error]:
    """The lineage graph of the active assets, or the part around one asset.

     The lineage graph of the active assets, or the part around one asset.

    Args:
        body (AssetsGetGraphRequest | Unset): The lineage graph: of every active asset, or of
            `key` with the assets upstream
            and downstream of it (`depth` edges away at most; None: all).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AssetsGetGraphResponse | Error]
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
    body: AssetsGetGraphRequest | Unset = UNSET,
) -> AssetsGetGraphResponse | Error | None:
    """The lineage graph of the active assets, or the part around one asset.

     The lineage graph of the active assets, or the part around one asset.

    Args:
        body (AssetsGetGraphRequest | Unset): The lineage graph: of every active asset, or of
            `key` with the assets upstream
            and downstream of it (`depth` edges away at most; None: all).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AssetsGetGraphResponse | Error
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AssetsGetGraphRequest | Unset = UNSET,
) -> Response[AssetsGetGraphResponse | Error]:
    """The lineage graph of the active assets, or the part around one asset.

     The lineage graph of the active assets, or the part around one asset.

    Args:
        body (AssetsGetGraphRequest | Unset): The lineage graph: of every active asset, or of
            `key` with the assets upstream
            and downstream of it (`depth` edges away at most; None: all).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AssetsGetGraphResponse | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: AssetsGetGraphRequest | Unset = UNSET,
) -> AssetsGetGraphResponse | Error | None:
    """The lineage graph of the active assets, or the part around one asset.

     The lineage graph of the active assets, or the part around one asset.

    Args:
        body (AssetsGetGraphRequest | Unset): The lineage graph: of every active asset, or of
            `key` with the assets upstream
            and downstream of it (`depth` edges away at most; None: all).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AssetsGetGraphResponse | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
