"""The content ingestion example: `daggo run` here (or `python main.py`) serves it."""

from __future__ import annotations

from pathlib import Path

import daggo_core

from jobs.content_ingestion import content_ingestion_job
from ops.content_ops import ContentOps
from resources.deps import new_deps

HERE = Path(__file__).resolve().parent

deps = new_deps(HERE / ".daggo")
defs = daggo_core.Definitions(jobs=[content_ingestion_job(ContentOps(deps))])

if __name__ == "__main__":
    daggo_core.run(daggo_core.load_config(), defs)
