"""The plugin: entry point, descriptor, lazy imports and explicit selection only."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

from daggo_core.config import load_config
from daggo_core.plugins import make_plugin_manager
from daggo_postgres.plugin import daggo_storage_backends

REPO = Path(__file__).resolve().parents[3]


def test_entry_point_names_the_plugin_module() -> None:
    (entry,) = importlib.metadata.entry_points(group="daggo", name="postgres")
    assert entry.value == "daggo_postgres.plugin"
    assert entry.dist is not None and entry.dist.name == "daggo-postgres"


def test_backend_descriptor() -> None:
    (backend,) = daggo_storage_backends()
    assert backend.name == "postgres" and backend.description
    assert backend.ephemeral is None
    assert make_plugin_manager().storage_backend("postgres").name == "postgres"


def test_plugin_module_imports_without_psycopg_or_sqlalchemy() -> None:
    code = ("import sys, daggo_postgres.plugin; "
            "print(sorted(m for m in ('psycopg', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_postgres_is_never_auto_detected(tmp_path: Path) -> None:
    env = {"DAGGO_POSTGRES_HOST": "db.internal", "DAGGO_POSTGRES_DATABASE": "platform"}
    assert load_config(env=env, cwd=tmp_path).database.driver == "sqlite"
    env["DAGGO_DATABASE_DRIVER"] = "postgres"
    cfg = load_config(env=env, cwd=tmp_path)
    assert (cfg.database.driver, cfg.database.postgres.host) == ("postgres", "db.internal")


def test_core_never_imports_the_plugin() -> None:
    hits = [
        path for path in (REPO / "daggo_core").rglob("*.py")
        if "daggo_postgres" in path.read_text(encoding="utf-8")
    ]
    assert hits == []
