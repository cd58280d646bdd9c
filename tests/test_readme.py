"""The README's example works as written."""

import re
from pathlib import Path

from daggo_core import execute
from daggo_core.loading import load_definitions

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_shows_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text


def test_readme_example_defines_a_job_that_runs(tmp_path):
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(code.strip().splitlines()) <= 30
    (tmp_path / "pipeline.py").write_text(code)
    defs = load_definitions(file=tmp_path / "pipeline.py")
    result = execute(defs.job("totals"))
    assert result.success
    assert result.output_for("add_up").value == 6
    assert [e.message for e in result.events() if e.kind == "LOG"] == ["adding 3 numbers"]
