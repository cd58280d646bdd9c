"""Plugins: what is installed, the hooks each implements, and what failed to load."""

from __future__ import annotations

from attrs import frozen

from daggo_core.plugins import Hooks, PluginFailure, PluginInfo

__all__ = ["PluginFailureInfo", "PluginInfo", "PluginsGetManyResponse", "PluginsService"]


@frozen(kw_only=True)
class PluginFailureInfo:
    """A plugin whose entry point could not be imported, and the error (the traceback
    stays in the server's log and `daggo plugins --json`)."""

    name: str
    distribution: str
    version: str
    error: str

    @classmethod
    def of(cls, failure: PluginFailure) -> PluginFailureInfo:
        return cls(name=failure.name, distribution=failure.distribution,
                   version=failure.version, error=failure.error)


@frozen(kw_only=True)
class PluginsGetManyResponse:
    """Registered plugins by name, and plugins whose entry point failed to import."""

    plugins: tuple[PluginInfo, ...]
    failures: tuple[PluginFailureInfo, ...]


class PluginsService:
    """The plugins of this process (it needs no storage)."""

    def __init__(self, hooks: Hooks) -> None:
        self.hooks = hooks

    def get_many(self) -> PluginsGetManyResponse:
        """Every plugin with its distribution, version and hooks, and every failure."""
        return PluginsGetManyResponse(plugins=tuple(self.hooks.plugins()),
                                      failures=tuple(map(PluginFailureInfo.of,
                                                         self.hooks.failures)))
