"""Writing a generated client into its directory, and reading one back to compare."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from daggo_core.errors import InvalidArgumentError

__all__ = ["KEPT", "read_tree", "write_tree"]

#: What a regeneration leaves in place and a comparison skips: a client's build and
#: install products and tools' caches (`ruff check .` makes one per project), never
#: generated.
KEPT = frozenset({"node_modules", "dist", "__pycache__", ".venv", ".ruff_cache",
                  ".mypy_cache", ".pytest_cache"})


def write_tree(files: Mapping[str, bytes], out: Path, *, marker: tuple[str, str]) -> None:
    """Make `out` hold exactly `files` (relative paths), plus what `KEPT` names.

    An existing, non-empty `out` is replaced only when it holds a client generated before:
    `marker` is a file and a text it holds (`("package.json", '"name": "daggo-client"')`),
    so `--out` never deletes other work.
    """
    if out.exists() and not out.is_dir():
        raise InvalidArgumentError(f"--out {out}: not a directory; name a new or empty one")
    existing = [entry for entry in out.iterdir() if entry.name not in KEPT] \
        if out.exists() else []
    marker_file, marker_text = marker
    if existing and marker_text not in _text(out / marker_file):
        raise InvalidArgumentError(
            f"--out {out}: the directory holds other files, not a client generated before "
            f"(its {marker_file} does not have {marker_text}); name a new or empty directory")
    for entry in existing:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for relative, content in sorted(files.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` by its relative path (POSIX), skipping what `KEPT` names."""
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file() and not KEPT.intersection(path.relative_to(root).parts)}


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""
