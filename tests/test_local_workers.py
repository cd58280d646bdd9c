"""Workers of this host judged by their process: real child processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from daggo_core.execution.local_workers import (
    ProcessState,
    beat_age,
    clear_beat,
    kill_worker,
    killed_because,
    local_pid,
    process_state,
    touch_beat,
)
from daggo_core.testing.processes import wait_for

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_only_workers_of_this_host_have_a_local_pid() -> None:
    assert local_pid(f"{socket.gethostname()}:123") == 123
    assert local_pid("elsewhere:123") is None
    assert local_pid(None) is None
    assert local_pid(f"{socket.gethostname()}:x") is None


def test_a_process_is_a_worker_only_with_the_marker_and_gone_once_a_zombie() -> None:
    worker = subprocess.Popen(SLEEPER, env={**os.environ, "DAGGO_WORKER": "1"},
                              start_new_session=True)
    other = subprocess.Popen(SLEEPER)
    try:
        assert process_state(worker.pid) is ProcessState.WORKER
        assert process_state(other.pid) is ProcessState.OTHER
        os.kill(other.pid, signal.SIGKILL)
        wait_for(lambda: process_state(other.pid) is ProcessState.GONE, 5, "a zombie")
        assert other.poll() is not None  # reaped only now: it was a zombie before
        assert process_state(other.pid) is ProcessState.GONE
    finally:
        for proc in (worker, other):
            proc.kill()
            proc.wait()


def test_kill_worker_kills_a_stopped_worker_and_says_why() -> None:
    worker = subprocess.Popen(SLEEPER, env={**os.environ, "DAGGO_WORKER": "1"},
                              start_new_session=True)
    os.kill(worker.pid, signal.SIGSTOP)
    assert kill_worker(worker.pid, why="hung") is True
    assert worker.wait(5) == -signal.SIGKILL
    assert killed_because(worker.pid) == "hung"


def test_beat_files_age_and_go() -> None:
    pid = os.getpid()
    clear_beat()
    assert beat_age(pid) is None
    touch_beat()
    age = beat_age(pid)
    assert age is not None and age < 60
    os.utime(wait_for(lambda: _beat_path(pid), 1, "the file"), (time.time() - 100,) * 2)
    stale = beat_age(pid)
    assert stale is not None and stale >= 100
    clear_beat()
    assert beat_age(pid) is None


def _beat_path(pid: int) -> str:
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"daggo-beats-{os.getuid()}", str(pid))
