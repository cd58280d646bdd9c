"""The plugin manager: loads entry points of group `daggo` and exposes a typed facade."""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import os
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy
from attrs import field, frozen

from daggo_core import hookspecs
from daggo_core.errors import PluginError
from daggo_core.hookspecs import hookimpl

if TYPE_CHECKING:
    import click

    from daggo_core.extensions import (
        Authenticator,
        ExecutorSpec,
        QueueLoaderSpec,
        ServiceSpec,
        StorageBackend,
        UIPanel,
    )
    from daggo_core.settings import ConfigSection
    from daggo_core.storage.records import Event, Run

__all__ = [
    "ENTRY_POINT_GROUP",
    "Hooks",
    "PluginFailure",
    "PluginInfo",
    "RunEventListener",
    "hookimpl",
    "make_plugin_manager",
]

ENTRY_POINT_GROUP = "daggo"
BLOCK_ENV = "DAGGO_PLUGINS_BLOCK"
logger = logging.getLogger("daggo.plugins")

D = TypeVar("D")


@frozen(kw_only=True)
class PluginInfo:
    """A loaded plugin: its entry-point name, distribution and implemented hooks."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


@frozen
class RunEventListener:
    """A listener of run events: `call(run, event)`, sync or async, from plugin `name`."""

    name: str
    call: Callable[[Run, Event], Any]


@frozen(kw_only=True)
class PluginFailure:
    """A plugin whose entry point could not be imported."""

    name: str
    distribution: str
    version: str
    error: str
    traceback: str = field(repr=False, default="")


def _blocked_from_env() -> set[str]:
    raw = os.environ.get(BLOCK_ENV, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def make_plugin_manager(
    *,
    block: Iterable[str] | None = None,
    extra_plugins: Iterable[object] = (),
    load_entry_points: bool = True,
) -> Hooks:
    """Build a fresh plugin manager and return its typed facade.

    Loads every entry point of group `daggo` except those named in `block` (default:
    the comma-separated `DAGGO_PLUGINS_BLOCK` environment variable). A plugin that fails
    to import is recorded in `Hooks.failures`, not raised. `extra_plugins` are registered
    directly (tests, embedding apps).
    """
    pm = pluggy.PluginManager("daggo")
    pm.add_hookspecs(hookspecs)
    blocked = set(block) if block is not None else _blocked_from_env()
    failures: list[PluginFailure] = []
    dists: dict[str, tuple[str, str]] = {}
    if load_entry_points:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                         key=lambda e: e.name):
            if ep.name in blocked or pm.has_plugin(ep.name):
                continue
            dist_name = ep.dist.name if ep.dist else "?"
            dist_version = ep.dist.version if ep.dist else "?"
            try:
                module = ep.load()
            except Exception as exc:
                failures.append(PluginFailure(
                    name=ep.name, distribution=dist_name, version=dist_version,
                    error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(),
                ))
                logger.warning("daggo plugin %r (%s) failed to load: %s", ep.name, dist_name, exc)
                continue
            pm.register(module, name=ep.name)
            dists[ep.name] = (dist_name, dist_version)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return Hooks(pm, failures, dists)


class Hooks:
    """Typed access to every hook; core never calls `pm.hook` anywhere else."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        failures: list[PluginFailure],
        dists: Mapping[str, tuple[str, str]],
    ) -> None:
        self.pm = pm
        self.failures = failures
        self._dists = dict(dists)
        self._cache: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, dict[str, str]] = {}

    # -- introspection -----------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """Every registered plugin, sorted by name, with the hooks it implements."""
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            dist, version = self._dists.get(name, ("(registered in code)", ""))
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()))
            infos.append(PluginInfo(name=name, distribution=dist, version=version, hooks=hooks))
        return sorted(infos, key=lambda i: i.name)

    def failure_report(self) -> str:
        """One line per plugin that failed to import, for error messages."""
        return "\n".join(
            f"  plugin {f.name!r} ({f.distribution} {f.version}) failed to import: {f.error}"
            for f in self.failures
        )

    # -- registration hooks --------------------------------------------------

    def _collect(self, hook_name: str) -> dict[str, Any]:
        if hook_name in self._cache:
            return self._cache[hook_name]
        caller = getattr(self.pm.hook, hook_name)
        by_name: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for impl in caller.get_hookimpls():
            for item in impl.function() or ():
                name = getattr(item, "name", None)
                if not name:
                    raise PluginError(
                        f"plugin {impl.plugin_name!r} returned an entry without a name "
                        f"from {hook_name}: {item!r}"
                    )
                if name in by_name:
                    raise PluginError(
                        f"{hook_name}: name {name!r} is registered by both plugin "
                        f"{owner[name]!r} and plugin {impl.plugin_name!r}; block one of them "
                        f"with {BLOCK_ENV}={impl.plugin_name}"
                    )
                by_name[name] = item
                owner[name] = impl.plugin_name
        self._cache[hook_name] = by_name
        self._owners[hook_name] = owner
        return by_name

    def registered_by(self, hook_name: str, name: str) -> str:
        """The plugin whose `hook_name` implementation returned the entry `name`."""
        self._collect(hook_name)
        return self._owners[hook_name][name]

    def config_sections(self) -> dict[str, ConfigSection]:
        """Every plugin's config tables (`daggo_config_sections`), by dotted name."""
        return self._collect("daggo_config_sections")

    def storage_backends(self) -> dict[str, StorageBackend]:
        """Every storage backend (`daggo_storage_backends`), by name."""
        return self._collect("daggo_storage_backends")

    def executors(self) -> dict[str, ExecutorSpec]:
        """Every executor (`daggo_executors`), by name."""
        return self._collect("daggo_executors")

    def queue_loaders(self) -> dict[str, QueueLoaderSpec]:
        """Every ready-made queue loader (`daggo_queue_loaders`), by name."""
        return self._collect("daggo_queue_loaders")

    def queue_loader(self, name: str) -> QueueLoaderSpec:
        """The queue loader named `name`, or a PluginError listing the installed ones."""
        return self._pick("queue loader", "daggo_core.queue_loader", name,
                          self.queue_loaders())

    def ui_panels(self) -> dict[str, UIPanel]:
        """Every extra admin page (`daggo_ui_panels`), by name."""
        return self._collect("daggo_ui_panels")

    def services(self) -> dict[str, ServiceSpec]:
        """Every plugin RPC service (`daggo_services`), by name."""
        return self._collect("daggo_services")

    def authenticators(self) -> dict[str, Authenticator]:
        """Every authenticator (`daggo_authenticators`), by name."""
        return self._collect("daggo_authenticators")

    def cli_commands(self) -> dict[str, click.Command]:
        """Every plugin command (`daggo_cli_commands`), by name."""
        return self._collect("daggo_cli_commands")

    def worker_commands(self) -> dict[str, click.Command]:
        """Every worker kind's command (`daggo_worker_commands`), by name."""
        return self._collect("daggo_worker_commands")

    def storage_backend(self, name: str) -> StorageBackend:
        """The backend named `name`, or a PluginError listing the installed ones."""
        return self._pick("storage backend", "database.driver", name, self.storage_backends())

    def executor(self, name: str) -> ExecutorSpec:
        """The executor named `name`, or a PluginError listing the installed ones."""
        return self._pick("executor", "execution.executor", name, self.executors())

    def authenticator(self, name: str) -> Authenticator:
        """The authenticator named `name`, or a PluginError listing the installed ones."""
        return self._pick("authenticator", "admin.authenticator", name, self.authenticators())

    def _pick(self, what: str, setting: str, name: str, options: Mapping[str, D]) -> D:
        if name in options:
            return options[name]
        installed = ", ".join(sorted(options)) or "none"
        message = (f"{setting} = {name!r}: no {what} named {name!r} is installed "
                   f"(installed: {installed}).")
        if self.failures:
            message += "\nThese plugins failed to import:\n" + self.failure_report()
        raise PluginError(message)

    # -- runtime hooks -------------------------------------------------------

    def run_event_listeners(self) -> list[RunEventListener]:
        """Every `daggo_run_event` implementation, as a listener taking (run, event)."""
        return [RunEventListener(name=impl.plugin_name, call=_bound(impl))
                for impl in self.pm.hook.daggo_run_event.get_hookimpls()]


def _bound(impl: pluggy.HookImpl) -> Callable[[Run, Event], Any]:
    """`impl.function` called with the arguments it declares, of (run, event)."""
    function = impl.function
    names = tuple(impl.argnames)
    if names == ("run", "event"):
        return function
    if inspect.iscoroutinefunction(function):
        async def call_async(run: Run, event: Event) -> Any:
            return await function(**_args(names, run=run, event=event))

        return call_async

    def call(run: Run, event: Event) -> Any:
        return function(**_args(names, run=run, event=event))

    return call


def _args(names: tuple[str, ...], **available: Any) -> dict[str, Any]:
    return {name: available[name] for name in names}
