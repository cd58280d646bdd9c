"""Clients of the RPC API generated from its OpenAPI description (`daggo sdk`).

`python.py` drives openapi-python-client; `typescript.py` renders the TypeScript types and
fetch client itself; `tree.py` writes either into its directory. Both are deterministic:
the same spec gives the same files, byte for byte.
"""

from __future__ import annotations

from typing import Any

__all__ = ["current_spec"]


def current_spec() -> dict[str, Any]:
    """The spec a server without plugin services answers at `/rpc/openapi.json`, built
    in this process."""
    from daggo_core import __version__
    from daggo_core.rpc.openapi import openapi_spec
    from daggo_core.rpc.registry import core_rpc_methods

    return openapi_spec(core_rpc_methods(), __version__)
