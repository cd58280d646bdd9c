"""Virtual environments of the comparison engines, built like the shared setup.sh does.

`.venvs/<engine>` is created with `python -m venv` and gets exactly the pinned lock file
`requirements/<engine>.lock.txt` (installed again whenever `pip freeze` differs from it).
Nothing is ever installed into the project's own venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["COMPARE_ENGINES", "ensure_engine_venv", "ensure_time_bin"]

COMPARE_ENGINES = ("dagster", "prefect")
TIME_BIN = "/usr/bin/time"
_TOOLING = ("pip==", "setuptools==", "wheel==")


def _pinned(lines: str) -> list[str]:
    """Requirement lines without comments, blanks and the venv's own tooling, sorted."""
    keep = (line.strip() for line in lines.splitlines())
    return sorted(line for line in keep
                  if line and not line.startswith("#") and not line.startswith(_TOOLING))


def _base_python() -> str:
    python = os.environ.get("BENCH_PYTHON", sys.executable)
    check = "import sys; sys.exit(sys.version_info < (3, 11))"
    if subprocess.run([python, "-c", check], check=False).returncode != 0:
        raise SystemExit(f"{python}: the engine venvs need Python >= 3.11 (set BENCH_PYTHON)")
    return python


def ensure_engine_venv(work: Path, engine: str) -> str:
    """Create or sync `.venvs/<engine>` from its lock file; return the installed version."""
    venv = work / ".venvs" / engine
    python = venv / "bin" / "python"
    lock = work / "requirements" / f"{engine}.lock.txt"
    fresh = not python.exists()
    if fresh:
        print(f"creating {venv.relative_to(work)} (pinned: {lock.name})", flush=True)
        subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True)
    have = subprocess.run([str(python), "-m", "pip", "freeze", "--all"], check=True,
                          capture_output=True, text=True).stdout
    if fresh or _pinned(have) != _pinned(lock.read_text()):
        print(f"installing {lock.name} into {venv.relative_to(work)} (takes minutes)",
              flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(lock)],
                       check=True)
    version = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({engine!r}))"],
        check=True, capture_output=True, text=True).stdout.strip()
    print(f"{engine}: {version}", flush=True)
    return version


def ensure_time_bin() -> bool:
    """Make sure GNU time exists (apt-get as root, as setup.sh does); True when it does."""
    if os.access(TIME_BIN, os.X_OK):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing GNU time (Debian package 'time')", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "time"], check=False)
    if os.access(TIME_BIN, os.X_OK):
        return True
    print(f"note: {TIME_BIN} missing (apt-get install time); peak RSS comes from wait4()",
          file=sys.stderr)
    return False
