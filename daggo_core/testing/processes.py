"""Helpers for tests that drive real processes: servers, workers, ports, waiting."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = ["free_port", "pid_alive", "wait_for", "wait_healthy"]

T = TypeVar("T")


def wait_for(predicate: Callable[[], T | None], timeout: float = 20.0, what: str = "") -> T:
    """Poll `predicate` every 10 ms until it returns something truthy, and return that.

    Raises AssertionError naming `what` after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs; a zombie (exited, not yet reaped) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_healthy(port: int, proc: subprocess.Popen[bytes] | subprocess.Popen[str],
                 timeout: float = 30.0) -> dict[str, str]:
    """Wait until the daggo server `proc` answers `GET /healthz` on 127.0.0.1:`port`.

    Returns the health document; raises AssertionError if the server exits first or
    does not answer within `timeout` seconds.
    """
    url = f"http://127.0.0.1:{port}/healthz"

    def healthy() -> dict[str, str] | None:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                document: dict[str, str] = json.loads(response.read())
                return document
        except OSError:
            return None

    return wait_for(healthy, timeout, f"the server to serve {url}")
