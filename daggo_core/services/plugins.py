"""Plugins: what is installed, the hooks each implements, and what failed to load."""

from __future__ import annotations

from attrs import frozen

from daggo_core.plugins import Hooks, PluginFailure, PluginInfo

__all__ = ["PluginFailure", "PluginInfo", "PluginsGetManyResponse", "PluginsService"]


@frozen(kw_only=True)
class PluginsGetManyResponse:
    """Registered plugins by name, and plugins whose entry point failed to import."""

    plugins: tuple[PluginInfo, ...]
    failures: tuple[PluginFailure, ...]


class PluginsService:
    """The plugins of this process (it needs no storage)."""

    def __init__(self, hooks: Hooks) -> None:
        self.hooks = hooks

    def get_many(self) -> PluginsGetManyResponse:
        """Every plugin with its distribution, version and hooks, and every failure."""
        return PluginsGetManyResponse(plugins=tuple(self.hooks.plugins()),
                                      failures=tuple(self.hooks.failures))
