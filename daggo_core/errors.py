"""The daggo exception hierarchy: every error daggo raises derives from DaggoError."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AssetNotFoundError",
    "AttemptSupersededError",
    "BackfillNotFoundError",
    "ConfigError",
    "CursorMovedError",
    "DaggoError",
    "DefinitionError",
    "DefinitionLoadError",
    "FailedPreconditionError",
    "InvalidArgumentError",
    "JobNotFoundError",
    "NotFoundError",
    "OutputError",
    "ParamsError",
    "PayloadError",
    "PluginError",
    "QueueItemNotFoundError",
    "QueueNotFoundError",
    "RunNotFoundError",
    "ScheduleNotFoundError",
    "ServerError",
    "ServerUnreachableError",
    "StorageError",
    "UserError",
]


class DaggoError(Exception):
    """Root of every error raised by daggo itself."""


class DefinitionError(DaggoError):
    """A job, op or schedule definition is invalid; lists every problem found."""

    def __init__(self, subject: str, problems: Iterable[str]) -> None:
        self.subject = subject
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{subject} is invalid ({count} {noun}):\n{lines}")


class DefinitionLoadError(DaggoError):
    """The app's definitions could not be imported or found (`-m`, `-f`, `app =`)."""


class ConfigError(DaggoError):
    """A configuration value is invalid; the message names the setting."""


class PluginError(DaggoError):
    """A plugin failed to load, or two plugins registered the same name."""


class StorageError(DaggoError):
    """The storage backend failed; wraps the driver's exception.

    `transient` is true when the database was unreachable, busy or restarting for the
    whole retry window (`database.retry_seconds`), false for an error retrying cannot fix.
    `refused` is true when the database refused a statement's values (a constraint, a
    value it cannot keep): the transaction stored nothing.
    """

    def __init__(self, message: str, *, transient: bool = False,
                 refused: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.refused = refused


class AttemptSupersededError(DaggoError):
    """A worker's write was refused: its execution attempt of the run is no longer the
    current one (the run was claimed again, or it ended without this worker)."""


class NotFoundError(DaggoError):
    """What a request names does not exist."""


class InvalidArgumentError(DaggoError):
    """A request's value is malformed or out of range; the message names the field."""


class FailedPreconditionError(DaggoError):
    """A request is well formed but cannot apply to the current state (e.g. re-executing
    a run that has not finished)."""


class JobNotFoundError(NotFoundError):
    """No job with the given name is defined or synced."""


class QueueNotFoundError(NotFoundError):
    """No queue with the given name is defined or synced."""


class AssetNotFoundError(NotFoundError):
    """No asset with the given key is defined or synced."""


class BackfillNotFoundError(NotFoundError):
    """No backfill with the given id exists in storage."""


class RunNotFoundError(NotFoundError):
    """No run with the given id (or id prefix) exists in storage."""


class ScheduleNotFoundError(NotFoundError):
    """No schedule with that key on that job."""


class QueueItemNotFoundError(NotFoundError):
    """No queue item with the given id (or id prefix) exists in storage."""


class CursorMovedError(FailedPreconditionError):
    """A queue loader's cursor advanced since it was read (another server stored that
    batch): the batch is not stored; read the cursor again."""


class ParamsError(InvalidArgumentError):
    """Run parameters do not match the job's `Params` class; `problems` are the
    messages of the fields at fault, each starting with the field's path
    (`limit: expected int, got 'x'`), when they are known."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class PayloadError(ParamsError):
    """A queue item's payload does not match its queue's payload class, the queue's item
    or partition key function refused it, or a route's request body is not JSON;
    `problems` as for ParamsError."""


class UserError(DaggoError):
    """A mistake in the app's code that retrying cannot fix; `hint` says what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


class OutputError(UserError):
    """An op returned a value that does not match its output type or cannot be stored."""


class ServerError(DaggoError):
    """A daggo server called through its RPC API refused the call (a missing or wrong
    token, a method it lacks) or failed without a daggo error; the message names the
    server's URL and what to do."""


class ServerUnreachableError(ServerError):
    """A daggo server could not be reached, did not answer in time, or dropped the
    connection: trying again later may work."""
