"""Concurrent runs on one SQLite file: no "database is locked" failures."""

import os
import subprocess
import sys
import textwrap

from daggo_core.config import default_config
from daggo_core.plugins import make_plugin_manager
from daggo_core.storage.records import EventKind, RunStatus, StepStatus

APP = textwrap.dedent('''
    import time
    from attrs import frozen
    from daggo_core import Context, Definitions, NoInput, dag

    @frozen
    class Root:
        n: int

    @frozen
    class PartIn:
        root: Root

    @frozen
    class Part:
        n: int

    @frozen
    class SumIn:
        parts: list[Part]

    @frozen
    class Total:
        n: int

    def root(ctx: Context, inp: NoInput) -> Root:
        return Root(1)

    def part(ctx: Context, inp: PartIn) -> Part:
        for i in range(10):
            print(f"{ctx.step_key} line {i}")
            ctx.log.info("logged %d", i)
            time.sleep(0.001)
        return Part(inp.root.n)

    def total(ctx: Context, inp: SumIn) -> Total:
        return Total(sum(p.n for p in inp.parts))

    wide = dag.job("wide", max_concurrent_steps=16).add(
        dag.op("root", root), *[dag.op(f"part_{i}", part) for i in range(16)],
        dag.op("total", total)).build()
    defs = Definitions(jobs=[wide])
''')


def test_four_processes_running_sixteen_parallel_steps_each(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    db = tmp_path / "daggo.sqlite"
    env = {**os.environ, "DAGGO_SQLITE_PATH": str(db)}
    cmd = [sys.executable, "-m", "daggo_core.cli.main", "job", "launch", "wide", "--local",
           "-f", "app.py"]
    subprocess.run([sys.executable, "-m", "daggo_core.cli.main", "db", "upgrade"],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    procs = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out
        assert "locked" not in out.lower()
    config = default_config().database
    config.sqlite.path = str(db)
    storage = make_plugin_manager().storage_backend("sqlite").open(config)
    runs = storage.list_runs()
    assert [r.status for r in runs] == [RunStatus.SUCCESS] * 4
    for run in runs:
        steps = storage.list_steps(run.id)
        assert len(steps) == 18 and all(s.status is StepStatus.SUCCESS for s in steps)
        events = storage.list_events(run.id, limit=10_000)
        printed = [e for e in events if e.kind is EventKind.LOG and e.level == "STDOUT"]
        assert len(printed) == 160
        assert all(e.message.startswith(e.step_key) for e in printed)
    storage.close()
