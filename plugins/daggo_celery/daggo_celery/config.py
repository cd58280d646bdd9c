"""The `execution.celery` settings, added to daggo's configuration by this plugin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from daggo_core.settings import (
    ConfigSection,
    InvalidValue,
    integer,
    number,
    setting,
    string,
)

__all__ = ["SECTION", "CeleryConfig"]


def _queue_routes(what: str, key_check: Any = None) -> Any:
    """A table of `what` -> Celery queue name."""

    def check(value: Any) -> None:
        if not isinstance(value, Mapping):
            raise InvalidValue(f"expected a table of {what} to queue names, got {value!r}")
        for key, queue in value.items():
            if not isinstance(key, str) or not key:
                raise InvalidValue(f"{what} {key!r}: expected a non-empty name")
            if key_check is not None:
                key_check(key)
            if not isinstance(queue, str) or not queue.strip():
                raise InvalidValue(f"{what} {key!r}: expected a queue name, got {queue!r}")

    return check


def _tag_route(name: str) -> None:
    key, sep, value = name.partition("=")
    if not key or not sep or not value:
        raise InvalidValue(f'tag route {name!r}: expected "key=value", both non-empty')


@attrs.define
class CeleryConfig:
    """The Celery broker daggo publishes runs to, and which queue each run goes to.

    A run goes to the queue of its job in `job_queues`, else to that of the first of its
    tags (sorted) in `tag_queues` ("key=value"), else to `default_queue`.
    """

    broker_url: str = setting("redis://127.0.0.1:6379/0", string(nonempty=True), secret=True)
    default_queue: str = setting("daggo", string(nonempty=True))
    job_queues: Mapping[str, str] = setting({}, _queue_routes("job"))
    tag_queues: Mapping[str, str] = setting({}, _queue_routes("tag", _tag_route))
    #: Redis (and SQS) only: how long a message a worker took but did not acknowledge
    #: stays invisible before the broker delivers it again. A run longer than this is
    #: delivered again while it runs; daggo's claim keeps it from executing twice.
    visibility_timeout_seconds: float = setting(3600.0, number(positive=True))
    #: Runs a worker process executes at once (`daggo worker celery --concurrency`).
    concurrency: int = setting(1, integer(1, 256))


SECTION = ConfigSection(name="execution.celery", settings=CeleryConfig,
                        description="the Celery broker and the queue of each run")
