"""The running daggo: its version, health and configuration (secrets redacted)."""

from __future__ import annotations

import os
import platform
from typing import Any

from attrs import field, frozen

from daggo_core.config import redacted
from daggo_core.errors import StorageError
from daggo_core.services.context import ServiceContext

__all__ = [
    "ServingProcess",
    "SystemConfigResponse",
    "SystemHealthResponse",
    "SystemService",
    "SystemVersionResponse",
]


@frozen(kw_only=True)
class SystemVersionResponse:
    version: str
    python: str
    storage: str
    executor: str


@frozen(kw_only=True)
class ServingProcess:
    """The process that answered: its `pid` and `role`: "primary" (it runs the
    runtime), "web" (one of the other processes of `admin.processes`, which answer
    requests with the primary's runtime) or "none" (no server runs in it)."""

    pid: int
    role: str


@frozen(kw_only=True)
class SystemHealthResponse:
    """`status` is "ok" when the database answers and no runtime component stopped or
    fails; `components` names each component of the server's runtime and its state
    ("running", "disabled", "not started", "stopped" or "failing"; in a web process also
    "primary", "stopped" when the primary does not answer), `problems` says why each
    failing one fails (the executor, when its workers keep failing to start); `process`
    is the process that answered."""

    status: str
    database: str
    components: dict[str, str] = field(factory=dict)
    problems: dict[str, str] = field(factory=dict)
    process: ServingProcess

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@frozen(kw_only=True)
class SystemConfigResponse:
    """The configuration in effect, as nested tables, with every secret that is set
    shown as "********"."""

    config: dict[str, Any]


class SystemService:
    """What this daggo is and how it is doing."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def version(self) -> SystemVersionResponse:
        from daggo_core import __version__

        config = self.context.config
        return SystemVersionResponse(version=__version__, python=platform.python_version(),
                                     storage=config.database.driver,
                                     executor=config.execution.executor)

    def health(self) -> SystemHealthResponse:
        """A round trip to the database, and the state of the runtime's components."""
        runtime = self.context.runtime
        process = ServingProcess(pid=os.getpid(),
                                 role=runtime.process_role() if runtime else "none")
        try:
            self.context.storage.list_runs(limit=1)
        except StorageError as exc:
            return SystemHealthResponse(status="error", database=str(exc), process=process)
        components = dict(runtime.component_states()) if runtime is not None else {}
        problems = dict(runtime.component_problems()) if runtime is not None else {}
        failing = [name for name, state in components.items()
                   if state in ("stopped", "failing")]
        return SystemHealthResponse(status="error" if failing or problems else "ok",
                                    database="ok", components=components,
                                    problems=problems, process=process)

    def config(self) -> SystemConfigResponse:
        return SystemConfigResponse(config=redacted(self.context.config))
