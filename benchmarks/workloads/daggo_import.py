"""W4 import on daggo: cold process start -> daggo imported -> a 1-op job executed once.

The whole-process wall time and peak RSS are taken from outside (`/usr/bin/time -v`);
this script reports the split.

Executor: `daggo_core.execute(job)` with no storage, daggo's default quick local path: it
creates a private in-memory SQLite database inside the call (plugin discovery, SQLAlchemy
engine, schema), so that is part of `run_s`. Nothing is written to disk, so the harness's
`import-warmdb` row (a database that already exists) does not apply to daggo.
"""
# ruff: noqa: E402

import time

T0 = time.perf_counter()

import os

from _common import emit, r4, scratch_dir

scratch = scratch_dir("daggo-import")
os.environ["DAGGO_SQLITE_PATH"] = os.path.join(scratch, "daggo.sqlite")  # daggo's "home"

t = time.perf_counter()
from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput, dag, execute

import_s = time.perf_counter() - t


@frozen
class One:
    value: int


def one(ctx: Context, inp: NoInput) -> One:
    return One(1)


one_op = dag.job("one_op").add(dag.op("one", one)).build()

t = time.perf_counter()
res = execute(one_op)
run_s = time.perf_counter() - t
assert res.success and res.output_for("one").value == 1

emit(T0, {
    "engine": "daggo",
    "engine_version": daggo_core.__version__,
    "workload": "import",
    "executor": "daggo_core.execute(job) in-process, default private in-memory SQLite "
                "created inside the call",
    "ok": True,
    "result": 1,
    "seconds": r4(time.perf_counter() - T0),
    "import_s": r4(import_s),
    "run_s": r4(run_s),
    "notes": "no database file: import-warmdb does not apply",
})
