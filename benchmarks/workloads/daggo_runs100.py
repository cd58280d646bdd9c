"""W3 runs100 on daggo: 100 separate runs of a 3-op job (a -> b -> c), one after
another in one process, each persisted (run, steps, events) to a SQLite file.

Storage: daggo's default backend (`sqlite`: a file in WAL mode, synchronous=NORMAL) opened
on a fresh `daggo.sqlite` in BENCH_TMP; opening it creates and migrates the schema
(`setup_s`). Executor: `daggo_core.execute(job, storage=...)` for every run.
"""
# ruff: noqa: E402

import time

T0 = time.perf_counter()

import os
import statistics

from _common import emit, r4, scratch_dir

RUNS = 100
scratch = scratch_dir("daggo-runs100")
DB_PATH = os.path.join(scratch, "daggo.sqlite")
os.environ["DAGGO_SQLITE_PATH"] = DB_PATH  # daggo's "home"

t = time.perf_counter()
from _daggo import EXECUTOR, three_op_job

import daggo_core
from daggo_core import default_config, execute
from daggo_core.plugins import make_plugin_manager
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import RunStatus, StepStatus

import_s = time.perf_counter() - t

t = time.perf_counter()
three = three_op_job()
define_s = time.perf_counter() - t

t = time.perf_counter()
cfg = default_config()
cfg.database.sqlite.path = DB_PATH
storage = make_plugin_manager().storage_backend(cfg.database.driver).open(cfg.database)
setup_s = time.perf_counter() - t

per_run = []
t_all = time.perf_counter()
for _ in range(RUNS):
    t = time.perf_counter()
    res = execute(three, storage=storage)
    per_run.append(time.perf_counter() - t)
    assert res.success and res.output_for("c").value == 3
runs_s = time.perf_counter() - t_all


def verify(store: Storage) -> tuple[int, int]:
    """Read back what was persisted: (runs stored, complete successful runs).

    A run counts as complete when its status is SUCCESS, its 3 steps are SUCCESS and it
    has events.
    """
    good = 0
    for run in store.list_runs(RunFilter(statuses=(RunStatus.SUCCESS,)), limit=1000):
        steps = [s for s in store.list_steps(run.id) if s.status is StepStatus.SUCCESS]
        if len(steps) == 3 and store.list_events(run.id):
            good += 1
    return store.count_runs(), good


stored, succeeded = verify(storage)
assert stored == RUNS and succeeded == RUNS, (stored, succeeded)
with storage.engine.connect() as conn:  # type: ignore[attr-defined]
    journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
storage.close()

emit(T0, {
    "engine": "daggo",
    "engine_version": daggo_core.__version__,
    "workload": "runs100",
    "executor": f"{EXECUTOR} x100; persistent SQLite file (fresh, in BENCH_TMP)",
    "storage": {"backend": cfg.database.driver, "class": type(storage).__name__,
                "journal_mode": journal, "file": os.path.basename(DB_PATH)},
    "ok": True,
    "runs": RUNS,
    "runs_stored": stored,
    "seconds": r4(runs_s),
    "runs_per_s": r4(RUNS / runs_s),
    "per_run_ms_median": r4(statistics.median(per_run) * 1000),
    "per_run_ms_first": r4(per_run[0] * 1000),
    "per_run_ms_max": r4(max(per_run) * 1000),
    "import_s": r4(import_s),
    "define_s": r4(define_s),
    "setup_s": r4(setup_s),
})
