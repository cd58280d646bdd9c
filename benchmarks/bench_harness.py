"""Run the copied reference harness and merge its parts into one table.

The harness prints progress lines, then a blank line and its tables. Each invocation
here echoes the progress and writes its raw records to `results/<part>.jsonl`; the final
tables are rendered once from all parts by the harness itself (`--from-jsonl`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["Part", "render", "run_part"]

Part = tuple[str, Sequence[str], Sequence[str]]  # (name, engines, workloads)


def run_part(work: Path, part: Part, reps: int, timeout: float) -> tuple[int, Path]:
    """Run one harness invocation; return its exit status and raw .jsonl path."""
    name, engines, workloads = part
    out = f"results/{name}"
    cmd = [sys.executable, "harness.py", "-n", str(reps), "--timeout", str(timeout),
           "--engines", ",".join(engines), "--only", ",".join(workloads), "--out", out]
    print(f"$ cd {work} && python {' '.join(cmd[1:])}", flush=True)
    proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert proc.stdout is not None
    echo = True
    for line in proc.stdout:
        if not line.strip():
            echo = False  # the harness's own tables follow; render() prints the merged ones
        if echo:
            sys.stdout.write(line)
            sys.stdout.flush()
    return proc.wait(), work / f"{out}.jsonl"


def render(work: Path, parts: Sequence[Path], timeout: float, stem: str = "latest") -> str:
    """Merge the parts into results/<stem>.jsonl and render them to results/<stem>.md."""
    merged = work / "results" / f"{stem}.jsonl"
    lines = [line for path in parts if path.exists()
             for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        raise SystemExit("no results were recorded")
    merged.write_text("\n".join(lines) + "\n")
    text = subprocess.run(
        [sys.executable, "harness.py", "--from-jsonl", str(merged.relative_to(work)),
         "--timeout", str(timeout)],
        cwd=work, check=True, capture_output=True, text=True,
    ).stdout
    (work / "results" / f"{stem}.md").write_text(text)
    return text
