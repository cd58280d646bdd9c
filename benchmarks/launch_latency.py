"""W5 launch: queued-to-first-line latency through a running server's subprocess executor.

    python benchmarks/launch_latency.py [-n 20] [--warm-workers 1] [--gap 1.0]

Starts `daggo run` on a one-op app in a scratch directory (SQLite, default subprocess
executor), then launches the job N times from this process the way `daggo job launch`
does (a QUEUED run written to the database) and measures, for each, the time from the
launch call returning to the op's first line (the op records `time.time()`). Prints a
table with median, min and max, and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

APP = textwrap.dedent('''
    import time
    from attrs import frozen
    from daggo_core import Context, Definitions, NoInput, dag

    @frozen
    class Stamp:
        at: float

    def stamp(ctx: Context, inp: NoInput) -> Stamp:
        return Stamp(time.time())

    defs = Definitions(jobs=[dag.job("one").add(dag.op("stamp", stamp)).build()])
''')


def measure(n: int, warm_workers: int, gap: float) -> list[float]:
    from daggo_core.config import load_config
    from daggo_core.plugins import make_plugin_manager
    from daggo_core.services import open_services
    from daggo_core.services.jobs import JobsLaunchRequest
    from daggo_core.testing.processes import free_port, wait_healthy

    scratch = Path(tempfile.mkdtemp(prefix="daggo-launch-"))
    (scratch / "app.py").write_text(APP)
    port = free_port()
    env = {**os.environ, "DAGGO_SQLITE_PATH": str(scratch / "daggo.sqlite"),
           "DAGGO_ADMIN_PORT": str(port),
           "DAGGO_EXECUTION_WARM_WORKERS": str(warm_workers)}
    server = subprocess.Popen(
        [sys.executable, "-m", "daggo_core.cli.main", "run", "-f", "app.py"],
        cwd=scratch, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(port, server)
        cfg = load_config(env=env, cwd=scratch)
        latencies = []
        with open_services(cfg, make_plugin_manager()) as services:
            storage = services.context.storage
            for _ in range(n + 1):
                time.sleep(gap)  # between launches: the pool refills meanwhile
                run = services.jobs.launch(JobsLaunchRequest(job="one")).run
                queued_at = time.time()
                while not storage.get_run(run.id).is_finished:
                    time.sleep(0.005)
                (step,) = storage.list_steps(run.id)
                latencies.append((step.output["at"] - queued_at) * 1000)
        return latencies[1:]  # the first launch warms the server's own paths
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=20, help="launches to time (default 20)")
    ap.add_argument("--warm-workers", type=int, default=1,
                    help="execution.warm_workers of the server (default 1)")
    ap.add_argument("--gap", type=float, default=1.0,
                    help="seconds between launches (default 1.0: a busy day; a pooled "
                         "worker takes 0.4-0.7 s to start here, so shorter gaps measure "
                         "the pool refilling)")
    args = ap.parse_args()
    ms = measure(args.n, args.warm_workers, args.gap)
    print("| workload | launches | warm workers | gap s | median ms | min ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    print(f"| launch | {len(ms)} | {args.warm_workers} | {args.gap} | "
          f"{statistics.median(ms):.1f} | {min(ms):.1f} | {max(ms):.1f} |")
    print(json.dumps({"engine": "daggo", "workload": "launch", "seconds":
                      round(statistics.median(ms) / 1000, 4), "per_unit_ms":
                      round(statistics.median(ms), 2), "launches": len(ms),
                      "warm_workers": args.warm_workers}))


if __name__ == "__main__":
    main()
