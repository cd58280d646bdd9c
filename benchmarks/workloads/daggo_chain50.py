"""W1 chain50 on daggo: 50 ops in a line, each returns its input + 1.

Typed wiring needs one output type per link (`step_k` reads the one op returning
`Step{k-1}`), so the 50 types and functions are generated (see `_daggo.py`).

Executor: `daggo_core.execute()`, daggo's in-process run path with its default step
concurrency (stated in `executor`), on the storage that path uses by default: a private
in-memory SQLite database. It is created in `setup_s` (the same `ephemeral_storage()`
that `execute(job)` calls) and passed to both runs, as Dagster's ephemeral instance is.
"""
# ruff: noqa: E402

import time

T0 = time.perf_counter()

import os

from _common import emit, r4, scratch_dir

N = 50
scratch = scratch_dir("daggo-chain50")
os.environ["DAGGO_SQLITE_PATH"] = os.path.join(scratch, "daggo.sqlite")  # daggo's "home"

t = time.perf_counter()
from _daggo import EXECUTOR, chain_job

import daggo_core
from daggo_core import execute
from daggo_core.execution.local import ephemeral_storage

import_s = time.perf_counter() - t


t = time.perf_counter()
chain50 = chain_job(N, "chain50")
define_s = time.perf_counter() - t

t = time.perf_counter()
storage = ephemeral_storage()
setup_s = time.perf_counter() - t

# The measured execution: the first run of the job in this process.
t = time.perf_counter()
res = execute(chain50, storage=storage)
first_s = time.perf_counter() - t
result = res.output_for(f"step_{N}").value
assert res.success and result == N, f"wrong result {result}"

# Secondary figure: the same job once more in the same process (warm).
t = time.perf_counter()
res2 = execute(chain50, storage=storage)
warm_s = time.perf_counter() - t
assert res2.success and res2.output_for(f"step_{N}").value == N

emit(T0, {
    "engine": "daggo",
    "engine_version": daggo_core.__version__,
    "workload": "chain50",
    "executor": f"{EXECUTOR}; default in-memory SQLite storage (ephemeral_storage())",
    "ok": True,
    "result": result,
    "seconds": r4(first_s),
    "per_op_ms": r4(first_s / N * 1000),
    "warm_seconds": r4(warm_s),
    "warm_per_op_ms": r4(warm_s / N * 1000),
    "import_s": r4(import_s),
    "define_s": r4(define_s),
    "setup_s": r4(setup_s),
    "notes": "50 output types generated with attrs.make_class (typed wiring)",
})
