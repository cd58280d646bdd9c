"""The daggo exception hierarchy: every error daggo raises derives from DaggoError."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DaggoError",
    "DefinitionError",
    "DefinitionLoadError",
    "JobNotFoundError",
    "ParamsError",
    "PluginError",
    "RunNotFoundError",
    "StorageError",
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
    """The storage backend failed; wraps the driver's exception."""


class JobNotFoundError(DaggoError):
    """No job with the given name is defined or synced."""


class RunNotFoundError(DaggoError):
    """No run with the given id exists in storage."""


class ParamsError(DaggoError):
    """Run parameters do not match the job's `Params` class."""
