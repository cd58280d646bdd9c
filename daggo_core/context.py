"""The `Context` every op receives: run identity, params, resources and a step logger."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from attrs import define, field

__all__ = ["Context", "StepLog"]

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
