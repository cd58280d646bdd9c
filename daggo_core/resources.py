"""Resources: clients that daggo sets up before each run and tears down after it.

A value in `Definitions(resources=...)` reaches ops as `ctx.resources[name]`. A plain
value (a `Deps` object, a configured client) is passed as it is, to every run. A
`Resource` is opened for each run instead: ops get what its `open()` context manager
yields, and leaving it (after the run's last step) tears it down.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from daggo_core.errors import DaggoError

__all__ = ["Resource", "ResourceSetupError", "open_resources"]


class Resource(abc.ABC):
    """A resource with set-up and tear-down around each run.

    ```python
    class Warehouse(Resource):
        def __init__(self, url: str) -> None:
            self.url = url

        @contextlib.contextmanager
        def open(self) -> Iterator[Connection]:
            conn = connect(self.url)
            try:
                yield conn
            finally:
                conn.close()
    ```
    """

    @abc.abstractmethod
    def open(self) -> contextlib.AbstractContextManager[Any]:
        """Set the resource up for one run: a context manager whose value ops get as
        `ctx.resources[name]`; leaving it tears the resource down."""


class ResourceSetupError(DaggoError):
    """A resource failed to open; the run fails without executing a step."""


def open_resources(resources: Mapping[str, Any], stack: contextlib.ExitStack,
                   on_teardown_error: Callable[[str, BaseException], None]
                   ) -> dict[str, Any]:
    """The values ops get for `resources`, opening each `Resource` on `stack`.

    Tear-down runs when `stack` closes, in reverse order; a tear-down that raises is
    passed to `on_teardown_error(name, exc)` and the others still run. A resource whose
    set-up raises is torn down with those opened before it, and ResourceSetupError
    (naming it, with the cause) is raised.
    """
    values: dict[str, Any] = {}
    for name, resource in resources.items():
        if not isinstance(resource, Resource):
            values[name] = resource
            continue
        try:
            manager = resource.open()
            values[name] = manager.__enter__()
        except Exception as exc:
            raise ResourceSetupError(
                f"resource {name!r} failed to set up: {type(exc).__name__}: {exc}") from exc
        stack.push(_reporting_exit(name, manager, on_teardown_error))
    return values


def _reporting_exit(name: str, manager: contextlib.AbstractContextManager[Any],
                    on_error: Callable[[str, BaseException], None]
                    ) -> Callable[..., bool]:
    def exit_(*exc_info: Any) -> bool:
        try:
            manager.__exit__(*exc_info)
        except Exception as exc:
            on_error(name, exc)
        return False

    return exit_
