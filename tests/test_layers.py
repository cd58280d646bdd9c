"""Which part of daggo may import which (docs/ARCHITECTURE.md): checked on the source."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "daggo_core"
FRONT_ENDS = ("cli", "client", "rpc", "web")


def _modules(package: str) -> list[Path]:
    return sorted((CORE / package).rglob("*.py"))


def _imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _reaches_storage(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = [f"line {line}: imports {name}" for line, name in _imports(tree)
             if name == "daggo_core.storage" or name.startswith("daggo_core.storage.")]
    found += [f"line {node.lineno}: uses .storage" for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr == "storage"]
    return found


@pytest.mark.parametrize("package", FRONT_ENDS)
def test_front_ends_reach_storage_only_through_services(package: str) -> None:
    leaks = {str(path.relative_to(CORE)): found for path in _modules(package)
             if (found := _reaches_storage(path))}
    assert leaks == {}, f"call a service (daggo_core/services) instead: {leaks}"


def test_the_check_finds_a_front_end_that_reaches_storage(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from daggo_core.storage.base import Storage\n"
                      "def f(app):\n    return app.storage.list_runs()\n")
    assert _reaches_storage(sneaky) == ["line 1: imports daggo_core.storage.base",
                                        "line 1: imports daggo_core.storage.base.Storage",
                                        "line 3: uses .storage"]


def test_core_never_imports_a_plugin_package() -> None:
    plugins = {p.name for p in (CORE.parent / "plugins").iterdir() if p.is_dir()}
    offenders = [
        f"{path.relative_to(CORE)} line {line}: {name}"
        for path in CORE.rglob("*.py")
        for line, name in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if name.split(".")[0] in plugins
    ]
    assert offenders == []


def test_definitions_import_no_storage_execution_or_web() -> None:
    heavy = ("daggo_core.storage", "daggo_core.execution", "daggo_core.web",
             "daggo_core.services", "daggo_core.app")
    offenders = [
        f"{path.relative_to(CORE)} line {line}: {name}"
        for path in _modules("definitions")
        for line, name in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if name.startswith(heavy)
    ]
    assert offenders == []
