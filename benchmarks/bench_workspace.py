"""The scratch copy of the shared reference harness that `run.py` drives.

`benchmarks/.work/` (git-ignored) gets the shared bench files (harness.py, _common.py, the
Dagster and Prefect workloads, the pinned requirements), then daggo's workload scripts,
and `.venvs/daggo` as a link to the project's virtual environment. The harness runs
`.venvs/<engine>/bin/python workloads/<engine>_<stem>.py` from that directory, unchanged.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType

__all__ = ["BENCH_DIR", "REPO", "WORK", "find_shared", "load_harness", "prepare"]

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORK = BENCH_DIR / ".work"
SHARED_ENV = "DAGGO_BENCH_SHARED"
# Copied from the shared bench directory: top-level files and these folders.
_SHARED_FILES = ("harness.py", "WORKLOADS.md", "RESULTS.md")
_SHARED_DIRS = ("workloads", "requirements")


def find_shared(given: str | None = None) -> Path:
    """The shared reference bench directory: `given`, $DAGGO_BENCH_SHARED or ../shared/bench."""
    candidates = [given, os.environ.get(SHARED_ENV), str(REPO.parent / "shared" / "bench")]
    for candidate in filter(None, candidates):
        path = Path(candidate).expanduser().resolve()
        if (path / "harness.py").is_file():
            return path
    tried = ", ".join(filter(None, candidates))
    raise SystemExit(f"shared bench directory not found (tried {tried}); "
                     f"pass --shared or set {SHARED_ENV}")


def _copy(src: Path, dst: Path) -> None:
    """Copy file contents (not the read-only mode of the shared files)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() or dst.is_symlink():
        dst.unlink()
    shutil.copyfile(src, dst)
    dst.chmod(0o644)


def prepare(shared: Path, daggo_venv: Path) -> Path:
    """Refresh WORK from `shared` and benchmarks/workloads; link .venvs/daggo; return WORK."""
    if not (daggo_venv / "bin" / "python").exists():
        raise SystemExit(f"no daggo venv at {daggo_venv} (run `make install` first)")
    WORK.mkdir(exist_ok=True)
    for name in _SHARED_FILES:
        if (shared / name).is_file():
            _copy(shared / name, WORK / name)
    for folder in _SHARED_DIRS:
        shutil.rmtree(WORK / folder, ignore_errors=True)
        for src in sorted((shared / folder).glob("*")):
            if src.is_file() and src.suffix in (".py", ".txt"):
                _copy(src, WORK / folder / src.name)
    for src in sorted((BENCH_DIR / "workloads").glob("*.py")):
        _copy(src, WORK / "workloads" / src.name)
    link = WORK / ".venvs" / "daggo"
    link.parent.mkdir(exist_ok=True)
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(daggo_venv.resolve(), target_is_directory=True)
    return WORK


def load_harness(work: Path = WORK) -> ModuleType:
    """Import the copied harness.py (for its workload table; its main() is not called)."""
    spec = importlib.util.spec_from_file_location("_bench_harness", work / "harness.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {work / 'harness.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
