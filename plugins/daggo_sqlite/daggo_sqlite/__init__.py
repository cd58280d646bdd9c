"""daggo-sqlite: SQLite storage for daggo, the embedded default backend."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
