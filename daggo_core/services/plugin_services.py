"""The RPC services plugins add (`daggo_services`), opened over the app's context."""

from __future__ import annotations

import re
from collections.abc import Collection

from attrs import frozen

from daggo_core.errors import PluginError
from daggo_core.extensions import ServiceSpec
from daggo_core.plugins import BLOCK_ENV
from daggo_core.services.context import ServiceContext

__all__ = ["PluginService", "open_plugin_services"]

_SERVICE_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")


@frozen(kw_only=True)
class PluginService:
    """A plugin's service object, with its spec and the plugin that registered it."""

    spec: ServiceSpec
    plugin: str
    service: object


def open_plugin_services(context: ServiceContext,
                         taken: Collection[str]) -> dict[str, PluginService]:
    """Every plugin service by name, each made by its factory; PluginError naming the
    plugin for a name that is not CamelCase or is one of daggo's `taken` services, and
    for a factory that fails."""
    opened: dict[str, PluginService] = {}
    for name, spec in context.hooks.services().items():
        plugin = context.hooks.registered_by("daggo_services", name)
        if not _SERVICE_NAME.fullmatch(name):
            raise PluginError(f"daggo_services: plugin {plugin!r} names a service {name!r}; "
                              "a service name is CamelCase letters and digits, e.g. Greetings")
        if name in taken:
            raise PluginError(
                f"daggo_services: plugin {plugin!r} registers service {name!r}, which is "
                f"daggo's own service {name!r} (daggo's services: {', '.join(taken)}); "
                f"rename the plugin's service, or block the plugin with {BLOCK_ENV}={plugin}")
        try:
            service = spec.factory(context)
        except Exception as exc:
            raise PluginError(f"daggo_services: plugin {plugin!r} failed to open service "
                              f"{name!r}: {type(exc).__name__}: {exc}") from exc
        opened[name] = PluginService(spec=spec, plugin=plugin, service=service)
    return opened
