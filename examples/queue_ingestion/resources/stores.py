"""The example's data, kept in JSON files: the customers' uploaded batches, the warehouse
the import loads them into, and the audit log."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

Row = dict[str, str]


class BatchStore:
    """Uploaded batches of customer rows: `<path>/<customer_id>/<batch_id>.json`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def put(self, customer_id: str, batch_id: str, rows: list[Row]) -> None:
        """Store a batch's rows."""
        target = self.path / customer_id / f"{batch_id}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(rows, indent=2))

    def rows(self, customer_id: str, batch_id: str) -> list[Row]:
        """A batch's rows; raises FileNotFoundError naming the file when it is missing."""
        source = self.path / customer_id / f"{batch_id}.json"
        if not source.is_file():
            raise FileNotFoundError(f"batch {batch_id!r} of customer {customer_id!r} was not "
                                    f"uploaded: no file {source}")
        rows: list[Row] = json.loads(source.read_text())
        return rows


class Warehouse:
    """Imported rows: one JSON file per customer and batch (so runs in other processes
    never write the same file); loading a batch again replaces it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, customer_id: str, batch_id: str, rows: list[Row]) -> int:
        """Store a batch's rows; returns how many rows the customer has in all."""
        folder = self.path / customer_id
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{batch_id}.partial"
        partial.write_text(json.dumps(rows, indent=2))
        os.replace(partial, folder / f"{batch_id}.json")
        return sum(len(json.loads(batch.read_text())) for batch in folder.glob("*.json"))


class AuditLog:
    """One JSON line per audited batch, appended in one write (runs of other processes
    append to the same file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as log:
            log.write(json.dumps(record, sort_keys=True) + "\n")

    def records(self) -> list[dict[str, Any]]:
        """Every record appended, oldest first."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]
