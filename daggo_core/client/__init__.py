"""A client of a daggo server's RPC API: `RemoteServices(url, token)` offers the server's
services with the methods and messages of `daggo_core.services`."""

from __future__ import annotations

from daggo_core.client.http import RpcClient
from daggo_core.client.services import RemoteService, RemoteServices
from daggo_core.client.stream import RunStream
from daggo_core.errors import ServerError, ServerUnreachableError

__all__ = ["RemoteService", "RemoteServices", "RpcClient", "RunStream", "ServerError",
           "ServerUnreachableError"]
