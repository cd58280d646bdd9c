"""W2 fanout200 on daggo: root -> 200 independent leaves -> one sum.

daggo has no dynamic mapping (a job's ops are all declared when it is defined), so both
the `fanout200` row and `fanout200-static` (argument `--static`) run the static variant:
`root` returns the list 0..199, 200 distinct ops `leaf_0 .. leaf_199` are declared at
definition time, `leaf_i` receives root's output and returns `items[i] + 1` as a `Leaf`,
and `total` takes `list[Leaf]` (typed wiring collects every producer of `Leaf`).

Executor: `daggo_core.execute()` in-process with its default step concurrency (stated in
`executor`: the leaves may run on its thread pool), on a private in-memory SQLite storage
made in `setup_s`.
"""
# ruff: noqa: E402

import time

T0 = time.perf_counter()

import os
import sys

from _common import emit, r4, scratch_dir

N = 200
EXPECTED = sum(i + 1 for i in range(N))  # 20100
STATIC_ASKED = "--static" in sys.argv[1:]
WORKLOAD = "fanout200-static" if STATIC_ASKED else "fanout200"
scratch = scratch_dir(f"daggo-{WORKLOAD}")
os.environ["DAGGO_SQLITE_PATH"] = os.path.join(scratch, "daggo.sqlite")  # daggo's "home"

t = time.perf_counter()
from _daggo import EXECUTOR, fanout_job

import daggo_core
from daggo_core import execute
from daggo_core.execution.local import ephemeral_storage

import_s = time.perf_counter() - t

t = time.perf_counter()


fanout200 = fanout_job(N, "fanout200")
define_s = time.perf_counter() - t

t = time.perf_counter()
storage = ephemeral_storage()
setup_s = time.perf_counter() - t


def run_once() -> tuple[float, int]:
    """Execute the job once; (seconds, total), checked against EXPECTED."""
    started = time.perf_counter()
    res = execute(fanout200, storage=storage)
    elapsed = time.perf_counter() - started
    value = res.output_for("total").value
    assert res.success and value == EXPECTED, f"wrong result {value}"
    return elapsed, value


# The measured execution is the first run in this process; the second is `warm_seconds`.
first_s, result = run_once()
warm_s, _ = run_once()

fanout = "static fan-out" if STATIC_ASKED else "static fan-out; daggo has no dynamic mapping"
emit(T0, {
    "engine": "daggo",
    "engine_version": daggo_core.__version__,
    "workload": WORKLOAD,
    "variant": "static",
    "executor": f"{fanout}; {EXECUTOR}; default in-memory SQLite storage",
    "ok": True,
    "result": result,
    "seconds": r4(first_s),
    "per_op_ms": r4(first_s / (N + 2) * 1000),
    "warm_seconds": r4(warm_s),
    "warm_per_op_ms": r4(warm_s / (N + 2) * 1000),
    "import_s": r4(import_s),
    "define_s": r4(define_s),
    "setup_s": r4(setup_s),
    "notes": "200 leaf ops declared at definition time (no dynamic mapping in daggo)",
})
