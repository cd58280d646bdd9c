"""The inbox the queue's loader reads: a local directory of JSON envelopes, one per file,
read in file-name order."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from daggo_core import Batch


class Inbox:
    """A directory of `*.json` envelope files. `load` is the queue's poll loader: its
    cursor is the name of the last file read."""

    def __init__(self, path: Path, *, batch_size: int = 2) -> None:
        self.path = path
        self.batch_size = batch_size

    def drop(self, name: str, envelope: dict[str, Any]) -> Path:
        """Write `envelope` as the file `name` (written aside, then renamed, so the
        loader never reads half a file)."""
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / name
        partial = self.path / f".{name}.partial"
        partial.write_text(json.dumps(envelope))
        os.replace(partial, target)
        return target

    def load(self, cursor: str | None) -> Batch[Any]:
        """The envelopes of the next files after `cursor`, at most `batch_size`, with the
        last name read as the new cursor and the files still waiting as the lag. A file
        that is not JSON is handed over as its text: the queue rejects it (shown with
        the queue's errors) and the cursor moves past it."""
        names = sorted(p.name for p in self.path.glob("*.json")) if self.path.is_dir() else []
        waiting = [name for name in names if cursor is None or name > cursor]
        taken = waiting[:self.batch_size]
        return Batch(items=[self._read(name) for name in taken],
                     cursor=taken[-1] if taken else cursor,
                     lag=len(waiting) - len(taken))

    def _read(self, name: str) -> Any:
        text = (self.path / name).read_text()
        try:
            return json.loads(text)
        except ValueError:
            return text
