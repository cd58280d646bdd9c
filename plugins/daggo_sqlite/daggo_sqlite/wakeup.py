"""Wake-ups between the processes sharing one SQLite file: queued and finished runs.

SQLite has no LISTEN/NOTIFY. Coordinators instead listen on a Unix datagram socket each,
in a directory next to the database file (`daggo.sqlite-wake/`, so every process that
opens the file finds it, whatever its temporary directory), and every process that queues
or ends a run sends one byte to each socket there. Where that path is too long for a
socket address, the directory is one named after the file in the temporary directory. A
socket nobody listens on any more (its process died) is removed by the next sender. A
lost datagram only delays a coordinator until its safety-net poll.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import socket
import tempfile
import threading
import uuid
from pathlib import Path

__all__ = ["WakeupChannel", "WakeupListener", "supported", "wakeup_directory"]

#: The longest socket path every Unix takes (sun_path is 104 bytes on macOS, 108 on Linux).
_MAX_SOCKET_PATH = 103
#: What a listener adds to the directory: "/<pid>-<8 hex>.sock".
_SOCKET_NAME_ROOM = 1 + 10 + 1 + 8 + 5


def supported() -> bool:
    """Whether this platform has Unix datagram sockets."""
    return hasattr(socket, "AF_UNIX")


def wakeup_directory(database: Path) -> Path:
    """Where the wake-up sockets of the database file at `database` (absolute) live."""
    beside = database.with_name(f"{database.name}-wake")
    if len(os.fsencode(beside)) + _SOCKET_NAME_ROOM <= _MAX_SOCKET_PATH:
        return beside
    digest = hashlib.sha256(str(database).encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"daggo-wake-{digest}"


class WakeupChannel:
    """The wake-up sockets of the database at `database` (an absolute path)."""

    def __init__(self, database: Path) -> None:
        self.directory = wakeup_directory(database)
        self._sender: socket.socket | None = None
        self._lock = threading.Lock()

    def listen(self) -> WakeupListener | None:
        """A new listener, or None when no socket can be made there (the directory is not
        this user's, or is not writable): the coordinator then polls."""
        try:
            self.directory.mkdir(mode=0o700, exist_ok=True)
            if self.directory.stat().st_uid != os.getuid():
                return None
            return WakeupListener(
                self.directory / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.sock")
        except OSError:
            return None

    def announce(self) -> None:
        """Wake every listener; never raises (a missed wake-up only costs a poll)."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        if not names:
            return
        with self._lock:
            if self._sender is None:
                self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sender.setblocking(False)
            for name in names:
                path = self.directory / name
                try:
                    self._sender.sendto(b"w", str(path))
                except (ConnectionRefusedError, FileNotFoundError):
                    with contextlib.suppress(OSError):
                        path.unlink()  # its listener is gone
                except OSError:
                    pass  # its queue is full: it has a wake-up waiting already

    def close(self) -> None:
        """Close the sending socket."""
        with self._lock:
            if self._sender is not None:
                self._sender.close()
                self._sender = None


class WakeupListener:
    """One coordinator's socket; `wait_for_work` is for one waiting thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._sock.bind(str(path))
        except OSError:
            self._sock.close()
            raise
        self._sock.setblocking(False)
        self._closed = False

    def wait_for_work(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True once a wake-up (or several) arrived."""
        if self._closed:
            return False
        try:
            readable, _, _ = select.select([self._sock], [], [], timeout)
        except (OSError, ValueError):  # closed meanwhile
            return False
        if not readable:
            return False
        with contextlib.suppress(OSError):
            while self._sock.recv(64):  # drain: one wake-up covers them all
                pass
        return True

    def close(self) -> None:
        """Stop listening and remove the socket. A directory beside the database stays
        (another process may be about to listen in it); one in the temporary directory
        goes once empty, so they do not pile up there."""
        if self._closed:
            return
        self._closed = True
        self._sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
        if self.path.parent.parent == Path(tempfile.gettempdir()):
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()
