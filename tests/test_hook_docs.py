"""Meta-tests: every hook spec has a docstring, a section in docs/PLUGINS.md and a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from daggo_core import hookspecs

ROOT = Path(__file__).resolve().parents[1]
PLUGINS_DOC = ROOT / "docs" / "PLUGINS.md"
TESTS_DIR = ROOT / "tests"

HOOKS = sorted(
    name
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("daggo_") and hasattr(function, "daggo_spec")
)


def _doc_headings() -> list[str]:
    text = PLUGINS_DOC.read_text(encoding="utf-8")
    return [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]


def _test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(TESTS_DIR.rglob("*.py")))


def test_hookspecs_are_found() -> None:
    assert "daggo_storage_backends" in HOOKS
    assert "daggo_run_event" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_docstring(hook: str) -> None:
    assert inspect.getdoc(getattr(hookspecs, hook)), f"{hook} has no docstring"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_docs_section(hook: str) -> None:
    pattern = re.compile(rf"\b{re.escape(hook)}\b")
    assert any(pattern.search(h) for h in _doc_headings()), (
        f"docs/PLUGINS.md has no heading for {hook}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook: str) -> None:
    assert re.search(rf"\bdef test_hook_{re.escape(hook)}\(", _test_sources()), (
        f"no test named test_hook_{hook} under tests/"
    )


def test_docs_describe_no_unknown_hooks() -> None:
    documented = {m for h in _doc_headings() for m in re.findall(r"\bdaggo_[a-z_]+\b", h)}
    unknown = documented - set(HOOKS)
    assert not unknown, f"docs/PLUGINS.md documents hooks that do not exist: {sorted(unknown)}"
