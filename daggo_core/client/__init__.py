"""A client of a daggo server's RPC API: `RemoteServices(url, token)` offers the server's
services with the methods and messages of `daggo_core.services`."""

from __future__ import annotations

from daggo_core.client.http import RpcClient, ServerError, ServerUnreachableError
from daggo_core.client.services import RemoteService, RemoteServices
from daggo_core.client.stream import RunStream

__all__ = ["RemoteService", "RemoteServices", "RpcClient", "RunStream", "ServerError",
           "ServerUnreachableError"]
