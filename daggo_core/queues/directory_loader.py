"""The built-in `directory` loader: JSON files dropped into a directory become items.

Files are read in name order after the cursor (the last file name read), up to
`batch_files` a poll; a file holds one payload object or a list of them. Each item's key
is `<file name>#<index>`, so a file read again (its cursor lost with a restored
database, say) is deduplicated. A file that is not JSON, or cannot be read, is delivered
as a message naming it, which the queue rejects and records as an ingestion error.

Files are taken in name order, once: name them so that a later file sorts after the
earlier ones (a timestamp first), and write each under another name (`.tmp`, not matching
`pattern`) and rename it into place when complete, so no file is read half-written. A
path that is not a directory fails the poll (the loader shows unhealthy).
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
        if not root.is_dir():
            raise FileNotFoundError(f"{root} is not a directory; create it, or give the "
                                    "directory loader another path")
        names = sorted(p.name for p in root.glob(pattern) if p.is_file())
        waiting = [name for name in names if cursor is None or name > cursor]
        chunk = waiting[:batch_files]
        items: list[QueueItemIn] = []
        for name in chunk:
            try:
                text = (root / name).read_text(encoding="utf-8", errors="replace")
                value: Any = json.loads(text)
            except OSError as exc:  # gone meanwhile, or not readable
                value = f"{name}: not read: {exc}"
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
