"""Per-step cost of the 50-op chain, measured over many runs in one process.

    .venv/bin/python benchmarks/profile_chain.py            # first run, then runs 2..N
    .venv/bin/python benchmarks/profile_chain.py --profile  # cProfile of runs 2..N, top entries

Steadier than `make bench` (one first run per process): each run gets a fresh in-memory
storage made beforehand, as the chain50 workload's is, and the median ms per step is
reported, with the process's CPU time per step (all threads; steadier on a shared
machine, but blind to thread hand-off latency). cProfile sees the event loop's thread
only, not the step threads or the writer.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "workloads"))

from _daggo import chain_job

from daggo_core import execute
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.execution.local import ephemeral_storage
from daggo_core.storage.base import Storage


def build_chain(n: int) -> JobDefinition:
    """The chain50 workload's job with `n` ops."""
    return chain_job(n, "chain")


def timed_run(job: JobDefinition, n: int, storage: Storage) -> tuple[float, float]:
    """ms per step of one run of `job` on `storage`: wall time, CPU time of all threads."""
    start, cpu = time.perf_counter(), time.process_time()
    result = execute(job, storage=storage)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert result.success and result.output_for(f"step_{n}").value == n
    return elapsed * 1000 / n, cpu * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="cProfile runs 2..N")
    args = parser.parse_args()
    job = build_chain(args.steps)
    storages = [ephemeral_storage() for _ in range(args.runs + 1)]
    first, first_cpu = timed_run(job, args.steps, storages.pop())
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for storage in storages:
            timed_run(job, args.steps, storage)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
        return
    runs = [timed_run(job, args.steps, storage) for storage in storages]
    wall, cpu = sorted(w for w, _ in runs), [c for _, c in runs]
    print(f"first run {first:.3f} ms/step (cpu {first_cpu:.3f}); next {args.runs} runs: "
          f"median {statistics.median(wall):.3f}, min {wall[0]:.3f}, max {wall[-1]:.3f} "
          f"ms/step (median cpu {statistics.median(cpu):.3f})")


if __name__ == "__main__":
    main()
