"""The link between the web processes of a server and its primary process.

A server of several processes (`admin.processes`) has one runtime, in its primary
process: the coordinator, run monitor, scheduler and executor. A web process answers
requests over the same storage by itself and asks the primary, over this link, for what
only the primary knows or does: stopping a run its executor executes, the states of its
components (the health check), and the metrics: a web process sends its RPC requests'
observations to the primary (batched, at most `FLUSH_SECONDS` late) and answers
`/metrics` with the primary's registry, so every scrape sees the whole server. A run a
web process queues reaches the primary's coordinator through the storage's notifier, as
any process's does; the link wakes it too, as a backup.

The primary listens on a Unix socket in Linux's abstract namespace (nothing on disk to
leave behind); each connection is authenticated with a random key that only the server's
processes are given (`multiprocessing.connection`'s challenge) before anything is read
from it. Every read and write on the link has a deadline: a primary that hangs makes a
call fail after `ANSWER_SECONDS`, and the calls of the next `RETRY_SECONDS` fail at once,
so requests of a web process never pile up behind it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge
from typing import TYPE_CHECKING, Any, Protocol

from daggo_core.errors import DaggoError

if TYPE_CHECKING:
    from daggo_core.metrics import DaggoMetrics

__all__ = ["ANSWER_SECONDS", "FLUSH_SECONDS", "PrimaryControls", "PrimaryLink",
           "PrimaryLinkServer", "PrimaryUnreachableError"]

logger = logging.getLogger("daggo.web")

#: How often a web process sends its RPC requests' observations to the primary.
FLUSH_SECONDS = 0.25
#: How long one read or write of the link may take.
ANSWER_SECONDS = 5.0
#: After a failed call, how long the next calls fail at once instead of trying again.
RETRY_SECONDS = 1.0
#: How long a web process caches the primary's component states (a health check asks
#: for the states and the problems).
COMPONENTS_SECONDS = 0.5
_ACCEPT_SECONDS = 0.25
_LINK_FAILURES = (OSError, EOFError, AuthenticationError)


class PrimaryUnreachableError(DaggoError):
    """The primary process did not answer (it is gone, stuck or refused the link)."""


class PrimaryControls(Protocol):
    """What the primary does for its web processes (`DaggoApp` in the primary)."""

    @property
    def metrics(self) -> DaggoMetrics: ...

    def wake_coordinator(self) -> None: ...

    def stop_run(self, run_id: str) -> bool: ...

    def component_states(self) -> Mapping[str, str]: ...

    def component_problems(self) -> Mapping[str, str]: ...


def _deadline(sock: socket.socket, seconds: float) -> None:
    """Make every read and write of `sock`'s descriptor fail after `seconds` (0: never),
    which a `Connection` made of it keeps."""
    whole = int(seconds)
    timeval = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)


def _address(name: str) -> str:
    """The abstract socket address of the link `name`."""
    return f"\0{name}"


class PrimaryLinkServer:
    """The primary's end: answers each web process's calls on `controls`, in a thread
    per connection. `name` and `key` are what the web processes connect with."""

    def __init__(self, controls: PrimaryControls) -> None:
        self._controls = controls
        self.name = f"daggo-primary-{os.getpid()}-{secrets.token_hex(8)}"
        self.key = secrets.token_bytes(32)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(_address(self.name))
        self._listener.listen()
        self._sockets: set[socket.socket] = set()  # of the connections, to wake them
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._calls: dict[str, Callable[..., Any]] = {
            "stop_run": controls.stop_run,
            "components": lambda: (dict(controls.component_states()),
                                   dict(controls.component_problems())),
            "report": self._report,
            "scrape": controls.metrics.scrape,
        }
        self._accepting = threading.Thread(target=self._accept, name="daggo-primary-link",
                                           daemon=True)
        self._accepting.start()

    def close(self) -> None:
        """Stop listening and end every web process's connection (blocks briefly: call
        it off the event loop)."""
        self._closed.set()
        self._accepting.join(timeout=5 * _ACCEPT_SECONDS)
        self._listener.close()
        with self._lock:
            for sock in self._sockets:  # each connection's thread closes it
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                if not select.select([self._listener], [], [], _ACCEPT_SECONDS)[0]:
                    continue
                sock, _ = self._listener.accept()
            except OSError as exc:
                if not self._closed.is_set():
                    logger.warning("primary link: accepting failed: %s", exc)
                continue
            threading.Thread(target=self._serve, args=(sock,), daemon=True,
                             name="daggo-primary-link-call").start()

    def _serve(self, sock: socket.socket) -> None:
        sock.setblocking(True)
        _deadline(sock, ANSWER_SECONDS)  # for the challenge: a silent peer is dropped
        with self._lock:
            if self._closed.is_set():
                sock.close()
                return
            self._sockets.add(sock)
        conn = Connection(os.dup(sock.fileno()))
        try:
            try:
                deliver_challenge(conn, self.key)
                answer_challenge(conn, self.key)
            except _LINK_FAILURES as exc:
                logger.warning("primary link: refused a connection: %s", exc)
                return
            _deadline(sock, 0)  # a web process calls when it needs to
            while True:
                try:
                    name, args = conn.recv()
                except _LINK_FAILURES:
                    return
                try:
                    answer: tuple[bool, Any] = (True, self._calls[name](*args))
                except Exception as exc:
                    logger.exception("primary link: %s failed", name)
                    answer = (False, f"{type(exc).__name__}: {exc}")
                try:
                    conn.send(answer)
                except _LINK_FAILURES:
                    return
        finally:
            conn.close()
            with self._lock:
                self._sockets.discard(sock)
            sock.close()

    def _report(self, observations: list[tuple[str, int, float]], wake: bool) -> None:
        for method, status, seconds in observations:
            self._controls.metrics.observe_rpc(method, status, seconds)
        if wake:
            self._controls.wake_coordinator()


class PrimaryLink:
    """A web process's end: calls the primary's link `name` (one connection, made again
    after a failure) and, every `FLUSH_SECONDS` from a thread of its own, sends the RPC
    observations and the wake-ups of the coordinator it collected (callers never wait
    for those)."""

    def __init__(self, name: str, key: bytes) -> None:
        self.name, self._key = name, key
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._failed_at = -RETRY_SECONDS
        self._components: tuple[float, tuple[dict[str, str], dict[str, str]]] | None = None
        self._observed: list[tuple[str, int, float]] = []
        self._wake = False
        self._pending = threading.Lock()
        self._due = threading.Event()
        self._stopping = False
        self._flusher = threading.Thread(target=self._flush_forever, daemon=True,
                                         name="daggo-primary-link-flush")
        self._flusher.start()

    def wake_coordinator(self) -> None:
        """Have the primary's coordinator dispatch queued runs now (sent at once, by the
        flushing thread)."""
        with self._pending:
            self._wake = True
        self._due.set()

    def stop_run(self, run_id: str) -> bool:
        """Have the primary's executor stop `run_id`; False if it does not execute it
        or does not answer."""
        try:
            return bool(self._call("stop_run", run_id))
        except DaggoError as exc:
            logger.warning("could not ask the primary to stop run %s: %s", run_id, exc)
            return False

    def components(self) -> tuple[dict[str, str], dict[str, str]]:
        """The primary's component states and problems (asked at most every
        `COMPONENTS_SECONDS`); a primary that does not answer is itself a stopped
        component."""
        cached = self._components
        if cached is not None and time.monotonic() - cached[0] < COMPONENTS_SECONDS:
            return cached[1]
        try:
            states, problems = self._call("components")
        except DaggoError as exc:
            return {"primary": "stopped"}, {"primary": str(exc)}
        self._components = (time.monotonic(), (states, problems))
        return states, problems

    def observe_rpc(self, method: str, status: int, seconds: float) -> None:
        """Count a request in the primary's metrics (at the next flush)."""
        with self._pending:
            self._observed.append((method, status, seconds))

    def scrape(self) -> bytes:
        """The primary's metrics, this process's requests included."""
        self._flush()
        body: bytes = self._call("scrape")
        return body

    def close(self) -> None:
        """Send what is still collected (if the primary answers at once), then close
        the connection; never raises."""
        self._stopping = True
        self._due.set()
        self._flusher.join(timeout=ANSWER_SECONDS + 1)
        with contextlib.suppress(Exception):
            self._flush()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _flush_forever(self) -> None:
        while not self._stopping:
            self._due.wait(FLUSH_SECONDS)
            self._due.clear()
            try:
                self._flush()
            except Exception as exc:  # the primary is gone or stuck: kept for later
                logger.debug("could not report to the primary: %s", exc)

    def _flush(self) -> None:
        with self._pending:
            observed, wake = self._observed, self._wake
            self._observed, self._wake = [], False
        if not observed and not wake:
            return
        try:
            self._call("report", observed, wake)
        except DaggoError:
            with self._pending:  # sent with the next report; a wake-up is not resent
                self._observed[:0] = observed[-10_000:]
            raise

    def _call(self, name: str, *args: Any) -> Any:
        if not self._lock.acquire(timeout=ANSWER_SECONDS):
            raise PrimaryUnreachableError("the link to the primary process is busy")
        try:
            if time.monotonic() - self._failed_at < RETRY_SECONDS:
                raise PrimaryUnreachableError(
                    "the primary process did not answer a moment ago")
            try:
                conn = self._conn or self._connect()
                conn.send((name, args))
                if not conn.poll(ANSWER_SECONDS):
                    raise TimeoutError(f"no answer within {ANSWER_SECONDS:g} s")
                ok, value = conn.recv()
            except _LINK_FAILURES as exc:
                self._failed_at = time.monotonic()
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                raise PrimaryUnreachableError(
                    f"the primary process does not answer ({type(exc).__name__}: "
                    f"{exc})") from None
        finally:
            self._lock.release()
        if not ok:
            raise DaggoError(f"the primary process failed to {name}: {value}")
        return value

    def _connect(self) -> Connection:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(ANSWER_SECONDS)
            sock.connect(_address(self.name))
            sock.setblocking(True)
            _deadline(sock, ANSWER_SECONDS)
            conn = Connection(sock.detach())
        finally:
            sock.close()
        try:
            answer_challenge(conn, self._key)
            deliver_challenge(conn, self._key)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn
