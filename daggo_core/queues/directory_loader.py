"""The built-in `directory` loader: JSON files dropped into a directory become items.

Files are read in name order after the cursor (the last file name read), up to
`batch_files` a poll; a file holds one payload object or a list of them. Each item's key
is `<file name>#<index>`, so a file read again (its cursor lost with a restored
database, say) is deduplicated. A file that is not JSON is delivered as its text, which
the queue rejects and records as an ingestion error naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daggo_core.definitions.queues import Batch, QueueItemIn
from daggo_core.extensions import QueueLoaderSpec
from daggo_core.hookspecs import hookimpl

__all__ = ["directory_loader"]


def directory_loader(path: str | Path, *, pattern: str = "*.json",
                     batch_files: int = 100) -> Callable[[str | None], Batch[Any]]:
    """A poll loader reading the files of `path` matching `pattern` (see the module doc)."""
    root = Path(path)
    if batch_files < 1:
        raise ValueError(f"batch_files must be at least 1, got {batch_files!r}")

    def load(cursor: str | None) -> Batch[Any]:
        names = sorted(p.name for p in root.glob(pattern) if p.is_file())
        waiting = [name for name in names if cursor is None or name > cursor]
        chunk = waiting[:batch_files]
        items: list[QueueItemIn] = []
        for name in chunk:
            text = (root / name).read_text(encoding="utf-8", errors="replace")
            try:
                value: Any = json.loads(text)
            except ValueError:
                value = f"{name}: not JSON: {text[:200]}"
            values = value if isinstance(value, list) else [value]
            items += [QueueItemIn(payload=v, key=f"{name}#{i}") for i, v in enumerate(values)]
        return Batch(items=items, cursor=chunk[-1] if chunk else cursor,
                     lag=len(waiting) - len(chunk))

    return load


@hookimpl
def daggo_queue_loaders() -> list[QueueLoaderSpec]:
    return [QueueLoaderSpec(name="directory", create=directory_loader, mode="poll",
                            description="JSON files dropped into a directory, in name order")]
