"""Workers on this host, known by their process: alive, gone, or ended on purpose.

A worker records itself on its run as `hostname:pid` (`heartbeat.worker_id`). For a worker
of this host the process tells more than a heartbeat: a pid that no longer exists (or is
a zombie) is a dead worker, whatever its last heartbeat says, and a worker process that
is alive but silent is hung (SIGSTOPped, stuck in a blocking call with the GIL held) and
can be killed, so that its run is retried only once it is known dead.

A live process is taken for a daggo worker (and so may be killed) only if its initial
environment holds the worker marker, which guards against a recycled pid. That check needs
`/proc` (Linux); elsewhere a live local worker is treated like a remote one (fenced only).

Besides its storage heartbeat, a process executing a run touches a beat file of its own
(`touch_beat`), from a thread that never waits for the database: a worker whose storage
heartbeat is late but whose beat file is fresh is alive and waiting for the database
(another process holds its write lock), not hung.
"""

from __future__ import annotations

import contextlib
import enum
import os
import signal
import socket
import tempfile
import time
from pathlib import Path

__all__ = [
    "ProcessState",
    "beat_age",
    "clear_beat",
    "kill_group",
    "kill_worker",
    "killed_because",
    "local_pid",
    "process_state",
    "touch_beat",
]

#: The marker in a worker's initial environment (`worker_process.WORKER_ENV` = "1").
_MARKER = b"DAGGO_WORKER=1"
_PROC = Path("/proc")


class ProcessState(enum.Enum):
    """What this host knows of a process."""

    GONE = "gone"  # no such process, or a zombie: it will not run another instruction
    WORKER = "worker"  # alive, and started as a daggo worker
    OTHER = "other"  # alive, but not known to be a daggo worker (a server, a CLI, ...)


def local_pid(worker_id: str | None) -> int | None:
    """The pid in `worker_id` if it names a process of this host, else None."""
    if not worker_id:
        return None
    host, _, pid = worker_id.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    return int(pid)


def process_state(pid: int) -> ProcessState:
    """Whether process `pid` is gone, a daggo worker, or some other live process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ProcessState.GONE
    except PermissionError:
        return ProcessState.OTHER  # another user's process: not ours to judge
    if not _PROC.is_dir():
        return ProcessState.OTHER  # alive; without /proc, not known to be a worker
    proc = _PROC / str(pid)
    try:
        stat = (proc / "stat").read_bytes()
        # The state is the field after the command name, which is in parentheses.
        if stat[stat.rfind(b")") + 2:][:1] in (b"Z", b"X"):
            return ProcessState.GONE  # a zombie: its environment is no longer readable
        environ = (proc / "environ").read_bytes()
    except FileNotFoundError:
        return ProcessState.GONE
    except OSError:
        return ProcessState.OTHER
    return ProcessState.WORKER if _MARKER in environ.split(b"\0") else ProcessState.OTHER


#: Why (and when, monotonic) this process killed a worker, by pid: whoever settles its
#: run says so.
_KILLED: dict[int, tuple[str, float]] = {}
#: A kill's reason is given for this long: the pid may be reused after.
_KILL_REASON_SECONDS = 60.0


def kill_worker(pid: int, *, why: str, wait_seconds: float = 5.0) -> bool:
    """SIGKILL worker `pid` and its process group, for reason `why` (see
    `killed_because`); True once it is gone.

    A worker runs in a session of its own, so its group holds the processes its ops
    started too. Returns False if it is still there after `wait_seconds` (e.g. stuck in
    the kernel); the caller tries again later.
    """
    _KILLED[pid] = (why, time.monotonic())
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait_seconds
    while process_state(pid) is not ProcessState.GONE:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def kill_group(pid: int, *, wait_seconds: float = 5.0) -> None:
    """SIGKILL what is left of the process group of worker `pid`, which has died: the
    programs its ops started go too, before its run is retried. Waits up to
    `wait_seconds` for the group to be empty."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return  # no such group (any more), or not ours
        if time.monotonic() >= deadline:
            return
        time.sleep(0.02)


def killed_because(pid: int) -> str | None:
    """Why this process killed worker `pid` in the last minute, if it did."""
    killed = _KILLED.get(pid)
    if killed is None or time.monotonic() - killed[1] > _KILL_REASON_SECONDS:
        return None
    return killed[0]


def _beat_file(pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"daggo-beats-{os.getuid()}" / str(pid)


def touch_beat(pid: int | None = None) -> None:
    """Say that process `pid` (this one by default) is alive and not hung, now."""
    path = _beat_file(os.getpid() if pid is None else pid)
    try:
        path.touch()
    except FileNotFoundError:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch()


def beat_age(pid: int) -> float | None:
    """Seconds since process `pid` last touched its beat file; None if it has none."""
    try:
        return max(0.0, time.time() - _beat_file(pid).stat().st_mtime)
    except OSError:
        return None


def clear_beat(pid: int | None = None) -> None:
    """Remove the beat file of process `pid` (this one by default)."""
    with contextlib.suppress(OSError):
        _beat_file(os.getpid() if pid is None else pid).unlink()
