"""What services work over: storage, the config and plugins, and, when at hand, the app's
definitions and the controls of a server running in this process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from attrs import frozen

from daggo_core.config import Config
from daggo_core.definitions.definitions import Definitions
from daggo_core.errors import DaggoError, JobNotFoundError
from daggo_core.execution.event_feed import EventFeed
from daggo_core.plugins import Hooks
from daggo_core.storage.base import Storage

__all__ = ["RuntimeControls", "ServiceContext", "unknown_job"]

#: The known jobs an unknown job's error names at most.
_KNOWN_SHOWN = 20


class RuntimeControls(Protocol):
    """What a server running in this process lets services do besides storing."""

    def wake_coordinator(self) -> None:
        """Dispatch queued runs now instead of at the next poll."""

    def stop_run(self, run_id: str) -> bool:
        """Tell this process's executor to stop the run now; False if it does not
        execute it."""

    def component_states(self) -> Mapping[str, str]:
        """Each runtime component (coordinator, monitor, scheduler, executor) and its
        state."""

    def component_problems(self) -> Mapping[str, str]:
        """Why each failing component fails (only those)."""

    def process_role(self) -> str:
        """"primary" in the process that runs the runtime, "web" in one of the other
        processes of `admin.processes`."""


@frozen(kw_only=True)
class ServiceContext:
    """The small context every service works over."""

    storage: Storage
    config: Config
    hooks: Hooks
    definitions: Definitions | None = None
    runtime: RuntimeControls | None = None
    #: The server's feed of stored events, which streams read (None without a server).
    feed: EventFeed | None = None

    def require_definitions(self, what: str) -> Definitions:
        """The app's definitions, or an error saying `what` needs them."""
        if self.definitions is None:
            raise DaggoError(f"{what} needs the app's code: pass -m MODULE or -f FILE, or set "
                             "app = \"pkg.module:defs\" in daggo.toml")
        return self.definitions


def unknown_job(storage: Storage, name: str) -> JobNotFoundError:
    """The error for a job `name` the database does not know, listing the ones it does."""
    shown = storage.list_jobs(limit=_KNOWN_SHOWN + 1)
    known = ", ".join(j.name for j in shown[:_KNOWN_SHOWN]) or "none"
    more = ", ..." if len(shown) > _KNOWN_SHOWN else ""
    return JobNotFoundError(f"no job named {name!r} (known jobs: {known}{more})")
