from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.runs_reexecute_request import RunsReexecuteRequest
from ...models.runs_reexecute_response import RunsReexecuteResponse
from ...types import Response


def _get_kwargs(
    *,
    body: RunsReexecuteRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/rpc/Runs.Reexecute",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | RunsReexecuteResponse | None:
    if response.status_code == 200:
        response_200 = RunsReexecuteResponse.from_dict(response.json())

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
) -> Response[Error | RunsReexecuteResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: RunsReexecuteRequest,
) -> Response[Error | RunsReexecuteResponse]:
    """Queue a new run of a finished run's job with the same params and tags, linked through
    `parent_run_id`, reusing the parent's stored outputs for the steps it does not run again. The plan
    is checked now when the job's code is at hand (else by the worker).

     Queue a new run of a finished run's job with the same params and tags, linked
    through `parent_run_id`, reusing the parent's stored outputs for the steps it does
    not run again. The plan is checked now when the job's code is at hand (else by the
    worker).

    Args:
        body (RunsReexecuteRequest): Re-execute a finished run: from its failed steps, or from
            step `from_step` (that
            step and everything downstream run again; the rest reuse stored outputs).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | RunsReexecuteResponse]
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
    body: RunsReexecuteRequest,
) -> Error | RunsReexecuteResponse | None:
    """Queue a new run of a finished run's job with the same params and tags, linked through
    `parent_run_id`, reusing the parent's stored outputs for the steps it does not run again. The plan
    is checked now when the job's code is at hand (else by the worker).

     Queue a new run of a finished run's job with the same params and tags, linked
    through `parent_run_id`, reusing the parent's stored outputs for the steps it does
    not run again. The plan is checked now when the job's code is at hand (else by the
    worker).

    Args:
        body (RunsReexecuteRequest): Re-execute a finished run: from its failed steps, or from
            step `from_step` (that
            step and everything downstream run again; the rest reuse stored outputs).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | RunsReexecuteResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: RunsReexecuteRequest,
) -> Response[Error | RunsReexecuteResponse]:
    """Queue a new run of a finished run's job with the same params and tags, linked through
    `parent_run_id`, reusing the parent's stored outputs for the steps it does not run again. The plan
    is checked now when the job's code is at hand (else by the worker).

     Queue a new run of a finished run's job with the same params and tags, linked
    through `parent_run_id`, reusing the parent's stored outputs for the steps it does
    not run again. The plan is checked now when the job's code is at hand (else by the
    worker).

    Args:
        body (RunsReexecuteRequest): Re-execute a finished run: from its failed steps, or from
            step `from_step` (that
            step and everything downstream run again; the rest reuse stored outputs).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | RunsReexecuteResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: RunsReexecuteRequest,
) -> Error | RunsReexecuteResponse | None:
    """Queue a new run of a finished run's job with the same params and tags, linked through
    `parent_run_id`, reusing the parent's stored outputs for the steps it does not run again. The plan
    is checked now when the job's code is at hand (else by the worker).

     Queue a new run of a finished run's job with the same params and tags, linked
    through `parent_run_id`, reusing the parent's stored outputs for the steps it does
    not run again. The plan is checked now when the job's code is at hand (else by the
    worker).

    Args:
        body (RunsReexecuteRequest): Re-execute a finished run: from its failed steps, or from
            step `from_step` (that
            step and everything downstream run again; the rest reuse stored outputs).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | RunsReexecuteResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
