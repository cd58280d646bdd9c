"""Find an app's definitions from `-m pkg.module[:attr]`, `-f file.py` or `app = "..."`."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from daggo_core.definitions.assets import AssetDefinition
from daggo_core.definitions.definitions import Definitions
from daggo_core.definitions.jobs import JobBuilder, JobDefinition
from daggo_core.errors import DaggoError, DefinitionLoadError

__all__ = ["as_definitions", "load_definitions"]


def as_definitions(value: Any, where: str) -> Definitions:
    """Turn what a module offers (Definitions, a job, a list, a factory) into Definitions."""
    if callable(value) and not isinstance(value, (Definitions, JobDefinition, JobBuilder, type)):
        value = value()
    if isinstance(value, Definitions):
        return value
    if isinstance(value, JobDefinition):
        return Definitions(jobs=[value])
    if isinstance(value, AssetDefinition):
        return Definitions(assets=[value])
    if isinstance(value, JobBuilder):
        raise DefinitionLoadError(f"{where} is a job builder; call .build() on it")
    if isinstance(value, (list, tuple)):
        return Definitions.merge(*(as_definitions(v, where) for v in value))
    raise DefinitionLoadError(
        f"{where} is a {type(value).__name__}, not Definitions, a job or an asset"
    )


def load_definitions(
    module: str | None = None, file: str | os.PathLike[str] | None = None,
    *, cwd: Path | None = None,
) -> Definitions:
    """Import the app and return its Definitions.

    `module` is `pkg.module` or `pkg.module:attr`; `file` a path to a .py file (optionally
    `path.py:attr`). Without `attr`, the module's `defs`/`definitions` attribute is used,
    else every Definitions, job and asset defined at its top level.
    """
    base = Path(cwd or os.getcwd())
    if module and file:
        raise DefinitionLoadError("give either a module (-m) or a file (-f), not both")
    if not module and not file:
        raise DefinitionLoadError(
            "no app given: pass -m pkg.module[:attr] or -f file.py, or set app = "
            "\"pkg.module:attr\" in daggo.toml"
        )
    ref = str(module or file)
    path_part, _, attr = ref.partition(":") if not _is_windows_drive(ref) else (ref, "", "")
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    try:
        mod = _import_file(base / path_part) if file else importlib.import_module(path_part)
    except DaggoError:
        raise
    except Exception as exc:
        where = _user_frame(exc, base)
        raise DefinitionLoadError(
            f"could not import {path_part!r}: {type(exc).__name__}: {exc}"
            + (f"\n  at {where}" if where else "")
        ) from exc
    if attr:
        if not hasattr(mod, attr):
            raise DefinitionLoadError(f"{path_part!r} has no attribute {attr!r}")
        return as_definitions(getattr(mod, attr), f"{path_part}:{attr}")
    for name in ("defs", "definitions"):
        value = getattr(mod, name, None)
        if isinstance(value, Definitions):
            return value
    found = [v for v in vars(mod).values()
             if isinstance(v, (Definitions, JobDefinition, AssetDefinition))]
    if not found:
        raise DefinitionLoadError(
            f"{path_part!r} defines no Definitions, jobs or assets at its top level; "
            f"name one with {path_part}:attr"
        )
    return Definitions.merge(*found)


def _user_frame(exc: BaseException, base: Path) -> str | None:
    """Where in the app's own code `exc` was raised: `file:line in function: source`.

    The innermost frame under `base` (the app's folder) that is not an installed library
    (a `.venv` inside the folder holds those) wins; else the innermost one that is
    neither the import machinery nor daggo's own code.
    """
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith("<") and not _is_daggo(f.filename)]
    if not frames:
        return None
    inside = [f for f in frames if _under(Path(f.filename), base)
              and not _INSTALLED.intersection(
                  Path(f.filename).resolve().relative_to(base.resolve()).parts)]
    frame = (inside or frames)[-1]
    path = Path(frame.filename)
    shown = path.relative_to(base) if _under(path, base) else path
    code = f": {frame.line}" if frame.line else ""
    return f"{shown}:{frame.lineno} in {frame.name}{code}"


#: Folders that hold installed distributions rather than an app's own code.
_INSTALLED = frozenset({"site-packages", "dist-packages"})


def _is_daggo(filename: str) -> bool:
    return _under(Path(filename), _DAGGO_PACKAGE)


def _under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


_DAGGO_PACKAGE = Path(__file__).resolve().parent


def _is_windows_drive(ref: str) -> bool:
    return len(ref) > 2 and ref[1] == ":" and ref[2] in "\\/"


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise DefinitionLoadError(f"no such file: {path}")
    parent = str(path.resolve().parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DefinitionLoadError(f"cannot import {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
