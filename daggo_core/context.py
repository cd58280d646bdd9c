"""The `Context` every op receives: run identity, params, resources and a step logger."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from attrs import define, field

from daggo_core.errors import FailedPreconditionError

if TYPE_CHECKING:
    from daggo_core.definitions.partitions import TimeWindow
    from daggo_core.queue_context import QueueMeta

__all__ = ["Context", "RunPartition", "StepLog", "check_json"]

_py_logger = logging.getLogger("daggo.step")


class StepLog:
    """A logger whose records land in the run's event log under the step's key.

    Records are also passed to the standard `logging` logger `daggo.step`.
    """

    def __init__(self, step_key: str, emit: Callable[[str, str, dict[str, Any]], None]) -> None:
        self._step_key = step_key
        self._emit = emit

    def log(self, level: int, message: str, *args: Any, **data: Any) -> None:
        text = message % args if args else str(message)
        name = logging.getLevelName(level)
        self._emit(name, text, data)
        _py_logger.log(level, "[%s] %s", self._step_key, text)

    def debug(self, message: str, *args: Any, **data: Any) -> None:
        self.log(logging.DEBUG, message, *args, **data)

    def info(self, message: str, *args: Any, **data: Any) -> None:
        self.log(logging.INFO, message, *args, **data)

    def warning(self, message: str, *args: Any, **data: Any) -> None:
        self.log(logging.WARNING, message, *args, **data)

    def error(self, message: str, *args: Any, **data: Any) -> None:
        self.log(logging.ERROR, message, *args, **data)

    def exception(self, message: str, *args: Any, **data: Any) -> None:
        """Log at ERROR with the current exception's traceback attached."""
        data.setdefault("traceback", traceback.format_exc())
        self.log(logging.ERROR, message, *args, **data)


@define(kw_only=True, frozen=True)
class RunPartition:
    """The partitions a run covers: one key, or a range of keys (`key` "first...last");
    `time_window` spans them for time-window partitions."""

    key: str
    keys: tuple[str, ...]
    time_window: TimeWindow | None = None

    @property
    def is_range(self) -> bool:
        return len(self.keys) != 1 or self.keys[0] != self.key


@define(kw_only=True)
class Context:
    """What an op knows about the run it is part of."""

    run_id: str
    job_name: str
    op_name: str
    attempt: int = 1
    params: Any = None
    resources: Mapping[str, Any] = field(factory=dict)
    tags: Mapping[str, str] = field(factory=dict)
    log: StepLog = field(repr=False)
    cancel_event: threading.Event = field(factory=threading.Event, repr=False)
    #: What `add_metadata` recorded so far in this attempt; stored with the step when it ends.
    metadata: dict[str, Any] = field(factory=dict, repr=False)
    #: The queue item of the run (a `daggo_core.QueueMeta`), read with `queue_meta(ctx)`.
    queue: QueueMeta | None = field(default=None, repr=False)
    #: The partitions the run covers, if it has a partition key.
    partition: RunPartition | None = field(default=None, repr=False)

    @property
    def partition_key(self) -> str | None:
        """The run's partition key (its job's partition, or its queue item's), or None.

        A run over a range of partitions has no single key: this raises
        FailedPreconditionError; read `partition_keys` or `partition_key_range`.
        """
        if self.partition is None:
            return None
        if self.partition.is_range:
            raise FailedPreconditionError(
                f"run {self.run_id} covers the partitions {self.partition.key}, not one; "
                "read ctx.partition_keys or ctx.partition_key_range")
        return self.partition.key

    @property
    def partition_keys(self) -> tuple[str, ...]:
        """Every partition key the run covers, in order (empty without partitions)."""
        return () if self.partition is None else self.partition.keys

    @property
    def partition_key_range(self) -> tuple[str, str] | None:
        """The first and last partition keys the run covers (the same for one key)."""
        keys = self.partition_keys
        return (keys[0], keys[-1]) if keys else None

    @property
    def partition_time_window(self) -> TimeWindow | None:
        """The time window the run's partitions span, for time-window partitions."""
        return None if self.partition is None else self.partition.time_window

    def add_metadata(self, **values: Any) -> None:
        """Record metadata for this step (`ctx.add_metadata(rows=120, path="s3://...")`),
        shown on the run page; a later value of a key replaces the earlier one.

        Values must be JSON: None, bools, numbers, strings, and lists or dicts (string keys)
        of those. Anything else raises TypeError naming the key.
        """
        for key, value in values.items():
            check_json(key, value)
        self.metadata.update(values)

    @property
    def step_key(self) -> str:
        return self.op_name

    @property
    def cancel_requested(self) -> bool:
        """True once the run is being canceled (or this attempt timed out): stop soon.

        Long sync ops should check it between units of work, or wait on `cancel_event`
        instead of sleeping (`ctx.cancel_event.wait(5)` returns True when canceled).
        """
        return self.cancel_event.is_set()


def check_json(key: str, value: Any) -> None:
    """Raise TypeError unless `value` is plain JSON (a finite number, not NaN)."""
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError(f"metadata {key!r}: {value!r} is not a JSON number")
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            check_json(key, item)
        return
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                raise TypeError(f"metadata {key!r}: dict keys must be strings, got {k!r}")
            check_json(key, item)
        return
    raise TypeError(f"metadata {key!r}: {type(value).__name__} is not JSON-serializable; "
                    "use None, bool, int, float, str, list or dict")
