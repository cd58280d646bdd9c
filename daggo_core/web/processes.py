"""Serving the admin and the RPC API from several processes (`admin.processes`).

One Python process answers requests on one core at a time. With `admin.processes` N > 1,
`DaggoApp.serve` (so `daggo run`) starts N - 1 web processes beside itself, the primary:
each runs this program again with the `DAGGO_WEB_PROCESS` marker, opens the same app and
storage, and listens on the same port (`SO_REUSEPORT`, with which Linux spreads new
connections over the processes), without a runtime of its own; what only the runtime
knows or does it asks the primary for (`daggo_core.web.primary_link`). The primary
restarts a web process that exits, and stops them all as soon as it starts stopping; a
web process whose primary is gone stops by itself.

A web process runs the whole program again, as a worker does: what the program does
before it serves (`daggo run` opens the app) it does again in each web process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence

from attrs import frozen

from daggo_core.errors import DaggoError
from daggo_core.execution.event_dispatch import DRAIN_SECONDS

__all__ = ["KEY_ENV", "PRIMARY_ENV", "WEB_PROCESS_ENV", "WebProcessLink", "WebProcesses",
           "listen", "watch_primary", "web_process_link"]

logger = logging.getLogger("daggo.web")

#: Set in a web process: the name of its primary's link; its key and the primary's
#: pid go beside it. Read once, then removed (processes it starts are not web processes).
WEB_PROCESS_ENV = "DAGGO_WEB_PROCESS"
KEY_ENV = "DAGGO_WEB_PROCESS_KEY"
PRIMARY_ENV = "DAGGO_WEB_PROCESS_PRIMARY"
#: A web process that ran at least this long before it exited is restarted at once.
_STEADY_SECONDS = 10.0
_MAX_RESTART_DELAY = 30.0
#: How long web processes may take to stop: as long as their plugins' event listeners
#: may take to receive what is queued for them, and a little more.
_STOP_SECONDS = DRAIN_SECONDS + 5.0
_WATCH_SECONDS = 0.5


@frozen
class WebProcessLink:
    """What a web process is started with: its primary's link and pid."""

    name: str
    key: bytes
    primary_pid: int


@functools.cache
def web_process_link() -> WebProcessLink | None:
    """In a web process, its primary's link and pid (taken out of the environment on
    the first call); else None."""
    name = os.environ.pop(WEB_PROCESS_ENV, None)
    key = os.environ.pop(KEY_ENV, "")
    primary = os.environ.pop(PRIMARY_ENV, "0")
    if not name:
        return None
    return WebProcessLink(name=name, key=bytes.fromhex(key), primary_pid=int(primary))


def listen(host: str, port: int, *, shared: bool, first: bool = True) -> socket.socket:
    """A socket listening on `host:port`; `shared`: one that the server's other
    processes listen on too (`SO_REUSEPORT`). The `first` of them makes sure that no
    other program listens there, shared or not, so that a port in use fails here, with
    a message naming the setting to change."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if shared and not sys.platform.startswith("linux"):
        # Elsewhere SO_REUSEPORT gives every connection to one of the sockets.
        raise DaggoError(f"admin.processes above 1 needs Linux, which spreads a port's "
                         f"connections over the processes listening on it; this is "
                         f"{sys.platform}: set admin.processes to 1")
    try:
        if shared and first:
            socket.create_server((host, port), family=family).close()
        return socket.create_server((host, port), family=family, reuse_port=shared)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DaggoError(
            f"cannot listen on {host}:{port}: {reason}. Stop what listens there, or "
            "choose another port with --port, admin.port in daggo.toml or "
            "DAGGO_ADMIN_PORT") from None


class WebProcesses:
    """The primary's `count` web processes running `command` (this program again),
    linked to it by the link `name` with `key`: `run()` starts them and restarts any that
    exits (at once after a steady run, with a growing delay after quick failures) until
    the server stops; `stop()` ends them."""

    def __init__(self, command: Sequence[str], count: int, name: str, key: bytes) -> None:
        self.command = list(command)
        self.count = count
        self._env = {**os.environ, WEB_PROCESS_ENV: name, KEY_ENV: key.hex(),
                     PRIMARY_ENV: str(os.getpid())}
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * count
        self._started = [0.0] * count
        self._failures = [0] * count
        self._due = [0.0] * count

    @property
    def pids(self) -> list[int]:
        """The pids of the web processes running now."""
        return [p.pid for p in self.processes if p is not None and p.poll() is None]

    async def run(self, stopping: asyncio.Event) -> None:
        """Keep the web processes running until the server is `stopping`, then stop
        them (a web process that exits then, e.g. on the terminal's Ctrl-C, which
        reaches every process, is not started again)."""
        while not stopping.is_set():
            now = time.monotonic()
            for index, process in enumerate(self.processes):
                if process is not None and process.poll() is not None:
                    self._exited(index, process.returncode, now)
                    process = self.processes[index] = None
                if process is None and now >= self._due[index]:
                    self._start(index, now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), _WATCH_SECONDS)
        await self.stop()

    async def stop(self) -> None:
        """Ask every web process to stop (SIGTERM), kill those still running after
        `_STOP_SECONDS`."""
        running = [p for p in self.processes if p is not None and p.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + _STOP_SECONDS
        for process in running:
            try:
                await asyncio.to_thread(process.wait, max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("web process %d did not stop within %g s: killed",
                               process.pid, _STOP_SECONDS)
                process.kill()
                await asyncio.to_thread(process.wait)

    def _start(self, index: int, now: float) -> None:
        self._started[index] = now
        try:
            self.processes[index] = subprocess.Popen(self.command, env=self._env)
        except OSError as exc:
            logger.error("web process %d of %d could not start (%s): retrying",
                         index + 1, self.count, exc)
            self._exited(index, None, now)

    def _exited(self, index: int, code: int | None, now: float) -> None:
        """Schedule the restart of web process `index`."""
        if now - self._started[index] >= _STEADY_SECONDS:
            self._failures[index] = 0
        failures = self._failures[index]
        delay = min(_MAX_RESTART_DELAY, 2.0 ** (failures - 1)) if failures else 0.0
        self._failures[index] += 1
        self._due[index] = now + delay
        logger.warning("web process %d of %d exited (code %s); starting it again%s",
                       index + 1, self.count, code,
                       f" in {delay:g} s" if delay else "")


async def watch_primary(primary_pid: int, stop: asyncio.Event) -> None:
    """Set `stop` once this web process's primary, its parent, is gone (it may have
    gone while this process started)."""
    while not stop.is_set():
        if os.getppid() != primary_pid:
            logger.warning("the primary process %d is gone: this web process stops",
                           primary_pid)
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _WATCH_SECONDS)
