"""A worker's stderr while it starts: forwarded to the server's stderr, its tail kept.

A worker that cannot start (the app fails to import, a dependency is missing from the
worker's environment, the worker command is wrong) prints why on stderr and exits,
often before daggo's code runs at all, so it cannot record the error itself. Until it
has taken its run over, its stderr is therefore a pipe the executor reads: every byte
goes on to the server's stderr as before, and the last lines are kept, to fail the run
with what the worker said. Once the worker has its run, it writes straight to the
server's stderr again (inherited as `DAGGO_WORKER_STDERR_FD`), so it needs nothing from
the server and outlives it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections import deque

__all__ = [
    "STDERR_FD_ENV",
    "StartupOutput",
    "copy_of_stderr",
    "summary_line",
    "use_server_stderr",
]

#: The server's stderr, inherited by a worker whose own stderr is the executor's pipe.
STDERR_FD_ENV = "DAGGO_WORKER_STDERR_FD"
#: Bytes of a worker's start-up output kept to explain its failure.
TAIL_BYTES = 16 * 1024


class StartupOutput:
    """Forwards everything read from `pipe` (a worker's stderr) to this process's stderr
    from a thread of its own, keeping the last TAIL_BYTES."""

    def __init__(self, pipe: int, pid: int) -> None:
        self._pipe = pipe
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._thread = threading.Thread(target=self._pump, daemon=True,
                                        name=f"daggo-stderr-{pid}")
        self._thread.start()

    def tail(self, wait: float = 2.0) -> str:
        """The last lines the worker wrote, once it closed its stderr (waiting up to
        `wait` seconds: a process it forked may hold the pipe open)."""
        self._thread.join(wait)
        data = b"".join(list(self._chunks))
        if len(data) > TAIL_BYTES:
            data = data[-TAIL_BYTES:].partition(b"\n")[2]
        return data.decode("utf-8", errors="replace")

    def _pump(self) -> None:
        try:
            while chunk := os.read(self._pipe, 65536):
                _write_all(2, chunk)
                self._chunks.append(chunk)
                self._size += len(chunk)
                while self._size - len(self._chunks[0]) >= TAIL_BYTES:
                    self._size -= len(self._chunks.popleft())
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                os.close(self._pipe)


def _write_all(fd: int, data: bytes) -> None:
    with contextlib.suppress(OSError):  # no stderr to forward to: keep the tail only
        while data:
            data = data[os.write(fd, data):]


def copy_of_stderr() -> int:
    """A new descriptor of this process's stderr, for a worker to write to once it has its
    run."""
    return os.dup(2)


def summary_line(output: str) -> str:
    """The line of a worker's output that says why it failed: the last one that is not
    indented (a traceback's `Error: message`, not its frames or a message's details)."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    unindented = [line for line in lines if not line[0].isspace()]
    return (unindented or lines or [""])[-1]


def use_server_stderr(fd: int | None) -> None:
    """In a worker: write to the server's stderr `fd` from now on, closing the pipe the
    executor forwards (nothing without `fd`: the worker was not started that way)."""
    if fd is None:
        return
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os.dup2(fd, 2)
    os.close(fd)
