"""A tiny search index kept in a JSON file: document id -> title, entities, links."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any


class SearchIndex:
    """Upserts documents into a JSON file (enough for a demo; swap for a real store)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def upsert(self, doc_id: str, document: dict[str, Any]) -> int:
        """Store `document` under `doc_id`; returns how many documents the index holds."""
        with self._lock:
            docs = json.loads(self.path.read_text()) if self.path.exists() else {}
            docs[doc_id] = document
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(docs, indent=2, sort_keys=True))
            return len(docs)
