"""Descriptors that plugins return from registration hooks, each keyed by `name`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from attrs import field, frozen

from daggo_core.settings import ConfigSection
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run

if TYPE_CHECKING:
    from werkzeug.datastructures import Headers

    from daggo_core.config import Config, DatabaseConfig
    from daggo_core.definitions.definitions import Definitions
    from daggo_core.execution.worker_registry import WorkerRegistry
    from daggo_core.services import Services
    from daggo_core.services.context import ServiceContext

__all__ = [
    "Authentication",
    "Authenticator",
    "ConfigSection",
    "Executor",
    "ExecutorContext",
    "ExecutorSpec",
    "LoginField",
    "MethodExample",
    "PanelContext",
    "Principal",
    "QueueLoaderSpec",
    "ServiceSpec",
    "StorageBackend",
    "UIPanel",
]


@frozen(kw_only=True)
class StorageBackend:
    """A storage backend selected by `cfg.database.driver == name`.

    `open` receives the database config (the backend's own settings are the table it
    adds with `daggo_config_sections`, e.g. `database.section("sqlite", SQLiteConfig)`)
    and returns a migrated, ready Storage.
    `ephemeral`, when given, returns a private throw-away storage (used by
    `daggo_core.execute` for unit tests).
    """

    name: str
    open: Callable[[DatabaseConfig], Storage]
    ephemeral: Callable[[], Storage] | None = None
    description: str = ""


class Executor(Protocol):
    """Runs claimed runs somewhere: in this process, a subprocess, a remote worker.

    Wherever the run executes, `daggo_core.execution.claimed_run.execute_claimed_run`
    does it, given the run's id; each time a run ends (a slot frees) the executor calls
    its context's `on_slot_free`.
    """

    def launch(self, run: Run) -> None:
        """Start executing `run` (already STARTING); must return without waiting for it."""

    def cancel(self, run_id: str) -> None:
        """Ask the executor to stop `run_id`; it ends CANCELED once steps have stopped."""

    def active_run_ids(self) -> set[str]:
        """Ids of the runs this executor is executing now."""

    def problem(self) -> str | None:
        """Why the executor cannot execute runs now (e.g. its workers keep failing to
        start), or None while it can; `/healthz` reports it."""

    def close(self) -> None:
        """Stop accepting runs and wait for the ones in flight to finish."""


@frozen(kw_only=True)
class ExecutorContext:
    """What an executor factory receives.

    `definitions` are the app's jobs and resources; `worker_command` is the argv that
    starts a worker process of this app (None where this process cannot be run again,
    e.g. an interactive interpreter: executors that start workers then refuse, saying
    to set `DaggoApp.worker_command`); `on_slot_free()` tells the coordinator that a run
    ended, so the next queued run starts without waiting for a poll. `registry` is the
    worker registry of the server's pool (its coordinator and executor, see
    `daggo_core.execution.worker_registry`), flushed by the server: an executor with
    worker processes on this host registers them there and follows its drain orders
    (`on_drain`); None when no server runs the executor.
    """

    config: Config
    storage: Storage
    definitions: Definitions
    worker_command: tuple[str, ...] | None
    on_slot_free: Callable[[], None]
    registry: WorkerRegistry | None = None


@frozen(kw_only=True)
class ExecutorSpec:
    """An executor selected by `cfg.execution.executor == name`."""

    name: str
    create: Callable[[ExecutorContext], Executor]
    description: str = ""


@frozen(kw_only=True)
class QueueLoaderSpec:
    """A ready-made queue loader, built with `daggo_core.queue_loader(name, **options)`:
    `create(**options)` returns the loader function, which loads in `mode` ("poll" or
    "push", as `Queue.loader` describes)."""

    name: str
    create: Callable[..., Callable[[Any], object]]
    mode: str = "poll"
    description: str = ""


def _read_only(values: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(values))


@frozen(kw_only=True)
class PanelContext:
    """What a plugin panel's `render` gets for one request of its page.

    `services` is the app's `Services` (read everything through them); `path` is the
    page's path and `args` its query string (the first value of each key, read-only);
    `root_path` is the prefix the admin is mounted under ("" unless mounted), to put
    before daggo's paths in links and form actions; `csrf_token` goes in a hidden
    `csrf_token` field of every form the page posts; `principal` is who the viewer is
    signed in as, or None when the admin is open (no authenticator).
    """

    services: Services
    path: str
    args: Mapping[str, str] = field(factory=dict, converter=_read_only)
    root_path: str = ""
    csrf_token: str
    principal: Principal | None = None


@frozen(kw_only=True)
class UIPanel:
    """An extra admin UI page: a menu `title`, a URL `path` and `render(ctx) -> HTML`.

    `render` gets the request's `PanelContext` and returns the page's body. A plain
    function is called on a worker thread, so it may block on I/O; an `async def` one is
    awaited on the server's event loop and must not block.
    """

    name: str
    title: str
    path: str
    render: Callable[[PanelContext], str | Awaitable[str]]


@frozen(kw_only=True)
class MethodExample:
    """An example call of an RPC method: its request message (None for a method that
    takes none) and the response message it answers. Both are real message instances,
    so the examples the API's description and reference page show cannot drift from
    the message classes."""

    request: object | None
    response: object


@frozen(kw_only=True)
class ServiceSpec:
    """An RPC service: `factory(context)` returns the service object, whose public
    methods that take one attrs request message (or nothing) and return an attrs
    response message are the RPC methods `<name>.<Method>` (`say_hello` is
    `<name>.SayHello`), served, described and documented like daggo's own.

    `name` is CamelCase and must not be one of daggo's services; `examples` maps a
    method's name (`SayHello`) to its example call; `context` is the app's
    `daggo_core.services.ServiceContext` (storage, config, plugins, definitions).
    """

    name: str
    factory: Callable[[ServiceContext], object]
    examples: Mapping[str, MethodExample] = field(factory=dict)
    description: str = ""


@frozen
class Principal:
    """Who a request is authenticated as (`name` is shown in the UI, never a secret)."""

    name: str


@frozen(kw_only=True)
class LoginField:
    """A field of the `/login` form: its form `name`, its `label`, and whether its input
    is hidden while typed (`secret`)."""

    name: str
    label: str
    secret: bool = True


class Authentication(Protocol):
    """An enabled authenticator, made by `Authenticator.create` from the config.

    `authenticate(headers)` checks a request's headers (case-insensitive) and returns who
    sent it, or None to refuse it; it is called on the server's event loop, so it must
    not block. `login(form)` checks a submitted `/login` form (the
    `login_fields`) the same way; with no `login_fields` the UI has no login form and
    pages accept only what `authenticate` does. A successful login is kept in a session
    cookie signed with `session_key`: deriving it from the credentials makes changing them
    end every session. A refused request is answered 401 with `challenge` as its
    `WWW-Authenticate` header and `hint` (what to send, never a secret) in its message.
    """

    login_fields: tuple[LoginField, ...]
    session_key: bytes
    challenge: str
    hint: str

    def authenticate(self, headers: Headers) -> Principal | None:
        """Who sent a request with `headers`, or None."""

    def login(self, form: Mapping[str, str]) -> Principal | None:
        """Who logs in with the `/login` form's values, or None."""


@frozen(kw_only=True)
class Authenticator:
    """An authenticator selected by `cfg.admin.authenticator == name`.

    `create(config)` returns the `Authentication` that checks every request except
    `/healthz` and the login page, or None when the config leaves the admin open (the
    built-in `bearer` one: while `admin.secret_key` is unset).
    """

    name: str
    create: Callable[[Config], Authentication | None]
    description: str = ""
