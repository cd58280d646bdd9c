"""Typed job snapshots; runs found by trigger and tag; steps and events by index.

Job snapshots stored untyped (version 1) are rewritten in the typed shape (version 2).
Every run gets its `trigger` (what launched it) and one `run_tags` row per tag, so lists
filter on indexes. `trigger` stays nullable in the schema: making it NOT NULL would make
SQLite copy `runs`, and dropping the old copy would cascade to every step and event.
Steps get an index on (run_id, seq), so storing a step no longer costs more the more
steps its run has; events one on (run_id, step_key, id).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

NAME = sa.String(255)
ID = sa.String(32)
STATUS = sa.String(16)
BATCH = 1000

# What the storage wrote for these tags at this revision (daggo_core.storage.records).
RETRY_TAG = "daggo/retry_number"
REEXECUTE_TAG = "daggo/reexecute"

_runs = sa.table("runs", sa.column("id", ID), sa.column("tags", sa.Text()),
                 sa.column("schedule_key", NAME), sa.column("trigger", STATUS))
_run_tags = sa.table("run_tags", sa.column("run_id", ID), sa.column("key", sa.Text()),
                     sa.column("value", sa.Text()))
_jobs = sa.table("jobs", sa.column("name", NAME), sa.column("snapshot", sa.Text()))


def upgrade() -> None:
    # ALTER TABLE, also on SQLite: a batch copy of the table would cascade its drop to
    # every row that references it.
    op.add_column("runs", sa.Column("trigger", STATUS, nullable=True))
    op.create_table(
        "run_tags",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_tags_run_id_runs",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "key", name="pk_run_tags"),
    )
    _backfill_runs(op.get_bind())
    op.create_index("ix_runs_trigger_created_at", "runs", ["trigger", "created_at"])
    op.create_index("ix_run_tags_key_value_run_id", "run_tags", ["key", "value", "run_id"])
    op.create_index("ix_steps_run_id_seq", "steps", ["run_id", "seq"])
    op.create_index("ix_events_run_id_step_key_id", "events", ["run_id", "step_key", "id"])
    _rewrite_snapshots(op.get_bind(), snapshot_v2)


def downgrade() -> None:
    _rewrite_snapshots(op.get_bind(), snapshot_v1)
    op.drop_index("ix_events_run_id_step_key_id", table_name="events")
    op.drop_index("ix_steps_run_id_seq", table_name="steps")
    op.drop_index("ix_run_tags_key_value_run_id", table_name="run_tags")
    op.drop_index("ix_runs_trigger_created_at", table_name="runs")
    op.drop_table("run_tags")
    # ALTER TABLE, also on SQLite: a batch copy of the table would cascade its drop to
    # every row that references it.
    op.drop_column("runs", "trigger")


def trigger_of(schedule_key: str | None, tags: dict[str, Any]) -> str:
    """The trigger of a stored run, as `Run.trigger` derives it."""
    if schedule_key is not None:
        return "schedule"
    if RETRY_TAG in tags:
        return "retry"
    if REEXECUTE_TAG in tags:
        return "reexecution"
    return "manual"


def _backfill_runs(conn: sa.Connection) -> None:
    last = ""
    while True:
        rows = conn.execute(
            sa.select(_runs.c.id, _runs.c.tags, _runs.c.schedule_key)
            .where(_runs.c.id > last).order_by(_runs.c.id).limit(BATCH)).all()
        if not rows:
            return
        triggers: list[dict[str, str]] = []
        tags: list[dict[str, str]] = []
        for run_id, raw_tags, schedule_key in rows:
            run_tags = json.loads(raw_tags) if raw_tags else {}
            triggers.append({"key_id": run_id, "trigger": trigger_of(schedule_key, run_tags)})
            tags.extend({"run_id": run_id, "key": key, "value": str(value)}
                        for key, value in run_tags.items())
        conn.execute(_runs.update().where(_runs.c.id == sa.bindparam("key_id"))
                     .values(trigger=sa.bindparam("trigger")), triggers)
        if tags:
            conn.execute(_run_tags.insert(), tags)
        last = rows[-1][0]


def snapshot_v2(old: dict[str, Any]) -> dict[str, Any]:
    """A version 1 (untyped) job snapshot in the typed shape of version 2."""
    if old.get("version") == 2:
        return old
    return {
        "version": 2,
        "ops": [
            {
                "name": o["name"],
                "description": o.get("description", ""),
                "input_type": o.get("input", ""),
                "output_type": o.get("output", ""),
                "is_async": bool(o.get("is_async", False)),
                "inputs": [
                    {"field": i["field"], "type": i.get("type", ""),
                     "wiring": i.get("wiring", "one"), "producers": list(i.get("producers", []))}
                    for i in o.get("inputs", [])
                ],
            }
            for o in old.get("ops", [])
        ],
        "params": [
            {"name": p["name"], "type": p.get("type", ""),
             "required": bool(p.get("required", False)), "default": p.get("default")}
            for p in old.get("params", [])
        ],
        "schedules": [
            {
                "key": s["key"],
                "cron": s["cron"],
                "timezone": s.get("timezone", "UTC"),
                "enabled": bool(s.get("enabled", True)),
                "catch_up": s.get("catch_up", "latest"),
                "catch_up_window_seconds": float(s.get("catch_up_window_seconds", 86400.0)),
                "overlap": s.get("overlap", "skip"),
                "pause_after_failures": s.get("pause_after_failures"),
                "tags": dict(s.get("tags", {})),
            }
            for s in old.get("schedules", [])
        ],
        "tags": dict(old.get("tags", {})),
    }


def snapshot_v1(new: dict[str, Any]) -> dict[str, Any]:
    """A version 2 (typed) job snapshot in the untyped shape of version 1."""
    if new.get("version") != 2:
        return new
    ops = [{"name": o["name"], "description": o.get("description", ""),
            "input": o.get("input_type", ""), "output": o.get("output_type", ""),
            "is_async": bool(o.get("is_async", False)), "inputs": o.get("inputs", [])}
           for o in new.get("ops", [])]
    return {"ops": ops, "schedules": new.get("schedules", []),
            "params": new.get("params", []), "tags": new.get("tags", {})}


def _rewrite_snapshots(conn: sa.Connection,
                       convert: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    rows = conn.execute(sa.select(_jobs.c.name, _jobs.c.snapshot)).all()
    updates = [{"key_name": name, "snapshot": json.dumps(convert(json.loads(raw)),
                                                         separators=(",", ":"))}
               for name, raw in rows]
    if updates:
        conn.execute(_jobs.update().where(_jobs.c.name == sa.bindparam("key_name"))
                     .values(snapshot=sa.bindparam("snapshot")), updates)
