"""The link between the web processes of a server and its primary process.

A server of several processes (`admin.processes`) has one runtime, in its primary
process: the coordinator, run monitor, scheduler and executor. A web process answers
requests over the same storage by itself and asks the primary, over this link, for what
only the primary knows or does: waking its coordinator when a run was queued, stopping a
run its executor executes, the states of its components (the health check), and the
metrics: a web process sends its RPC requests' observations to the primary (batched, at
most `FLUSH_SECONDS` late) and answers `/metrics` with the primary's registry, so every
scrape sees the whole server.

The primary listens on a Unix socket in a directory of its own
(`multiprocessing.connection`, each connection authenticated with a random key that only
the server's processes are given).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from typing import TYPE_CHECKING, Any, Protocol

from daggo_core.errors import DaggoError

if TYPE_CHECKING:
    from daggo_core.metrics import DaggoMetrics

__all__ = ["FLUSH_SECONDS", "PrimaryControls", "PrimaryLink", "PrimaryLinkServer",
           "PrimaryUnreachableError"]

logger = logging.getLogger("daggo.web")

#: How often a web process sends its RPC requests' observations to the primary.
FLUSH_SECONDS = 0.25
#: How long a web process waits for the primary's answer.
ANSWER_SECONDS = 10.0


class PrimaryUnreachableError(DaggoError):
    """The primary process did not answer (it is gone, or stuck)."""


class PrimaryControls(Protocol):
    """What the primary does for its web processes (`DaggoApp` in the primary)."""

    @property
    def metrics(self) -> DaggoMetrics: ...

    def wake_coordinator(self) -> None: ...

    def stop_run(self, run_id: str) -> bool: ...

    def component_states(self) -> Mapping[str, str]: ...

    def component_problems(self) -> Mapping[str, str]: ...


class PrimaryLinkServer:
    """The primary's end: answers each web process's calls on `controls`, in a thread
    per connection. `address` and `key` are what the web processes connect with."""

    def __init__(self, controls: PrimaryControls) -> None:
        self._controls = controls
        self._directory = tempfile.mkdtemp(prefix="daggo-primary-")
        self.address = os.path.join(self._directory, "link.sock")
        self.key = secrets.token_bytes(32)
        self._listener = Listener(self.address, family="AF_UNIX", authkey=self.key)
        self._connections: set[Connection] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._calls: dict[str, Callable[..., Any]] = {
            "wake": controls.wake_coordinator,
            "stop_run": controls.stop_run,
            "components": lambda: (dict(controls.component_states()),
                                   dict(controls.component_problems())),
            "observe": self._observe,
            "scrape": controls.metrics.scrape,
        }
        threading.Thread(target=self._accept, name="daggo-primary-link", daemon=True).start()

    def close(self) -> None:
        """Stop listening and drop every web process's connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            connections, self._connections = list(self._connections), set()
        # A blocked accept() is not woken by closing its socket: connect to wake it.
        with contextlib.suppress(OSError, EOFError):
            Client(self.address, family="AF_UNIX", authkey=self.key).close()
        self._listener.close()
        for conn in connections:
            conn.close()
        shutil.rmtree(self._directory, ignore_errors=True)

    def _accept(self) -> None:
        while True:
            try:
                conn = self._listener.accept()
            except (OSError, EOFError, AuthenticationError) as exc:
                if self._closed:
                    return
                logger.warning("primary link: refused a connection: %s", exc)
                continue
            with self._lock:
                if self._closed:
                    conn.close()
                    return
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True,
                             name="daggo-primary-link-call").start()

    def _serve(self, conn: Connection) -> None:
        try:
            while True:
                try:
                    name, args = conn.recv()
                except (EOFError, OSError):
                    return
                try:
                    answer: tuple[bool, Any] = (True, self._calls[name](*args))
                except Exception as exc:
                    logger.exception("primary link: %s failed", name)
                    answer = (False, f"{type(exc).__name__}: {exc}")
                try:
                    conn.send(answer)
                except OSError:
                    return
        finally:
            with self._lock:
                self._connections.discard(conn)
            conn.close()

    def _observe(self, observations: list[tuple[str, int, float]]) -> None:
        for method, status, seconds in observations:
            self._controls.metrics.observe_rpc(method, status, seconds)


class PrimaryLink:
    """A web process's end: calls the primary at `address` (one connection, made again
    after a failure) and sends its RPC observations every `FLUSH_SECONDS`."""

    def __init__(self, address: str, key: bytes) -> None:
        self.address, self._key = address, key
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._observed: list[tuple[str, int, float]] = []
        self._observed_lock = threading.Lock()
        self._stopping = threading.Event()
        self._flusher = threading.Thread(target=self._flush_forever, daemon=True,
                                         name="daggo-primary-link-flush")
        self._flusher.start()

    def wake_coordinator(self) -> None:
        """Have the primary's coordinator dispatch queued runs now (its storage's
        notifier would, a little later)."""
        try:
            self._call("wake")
        except PrimaryUnreachableError as exc:
            logger.warning("could not wake the primary's coordinator: %s", exc)

    def stop_run(self, run_id: str) -> bool:
        """Have the primary's executor stop `run_id`; False if it does not execute it
        or does not answer."""
        try:
            return bool(self._call("stop_run", run_id))
        except PrimaryUnreachableError as exc:
            logger.warning("could not ask the primary to stop run %s: %s", run_id, exc)
            return False

    def components(self) -> tuple[dict[str, str], dict[str, str]]:
        """The primary's component states and problems; a primary that does not answer
        is itself a stopped component."""
        try:
            states, problems = self._call("components")
        except PrimaryUnreachableError as exc:
            return {"primary": "stopped"}, {"primary": str(exc)}
        return states, problems

    def observe_rpc(self, method: str, status: int, seconds: float) -> None:
        """Count a request in the primary's metrics (at the next flush)."""
        with self._observed_lock:
            self._observed.append((method, status, seconds))

    def scrape(self) -> bytes:
        """The primary's metrics, this process's requests included."""
        self._flush()
        body: bytes = self._call("scrape")
        return body

    def close(self) -> None:
        """Send what is still observed, then close the connection."""
        self._stopping.set()
        self._flusher.join(timeout=ANSWER_SECONDS)
        with contextlib.suppress(PrimaryUnreachableError):
            self._flush()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _flush_forever(self) -> None:
        while not self._stopping.wait(FLUSH_SECONDS):
            try:
                self._flush()
            except PrimaryUnreachableError as exc:
                logger.warning("could not send request metrics to the primary: %s", exc)

    def _flush(self) -> None:
        with self._observed_lock:
            observed, self._observed = self._observed, []
        if observed:
            self._call("observe", observed)

    def _call(self, name: str, *args: Any) -> Any:
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = Client(self.address, family="AF_UNIX", authkey=self._key)
                self._conn.send((name, args))
                if not self._conn.poll(ANSWER_SECONDS):
                    raise TimeoutError(f"no answer within {ANSWER_SECONDS:g} s")
                ok, value = self._conn.recv()
            except (OSError, EOFError) as exc:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                raise PrimaryUnreachableError(
                    f"the primary process at {self.address} does not answer "
                    f"({type(exc).__name__}: {exc})") from None
        if not ok:
            raise DaggoError(f"the primary process failed to {name}: {value}")
        return value
