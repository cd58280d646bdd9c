"""Text a request may carry: every string of a body is stored or compared as text, which
neither a lone surrogate (not Unicode) nor a NUL character (which SQL databases' text
columns refuse) can be."""

from __future__ import annotations

from typing import Any

__all__ = ["text_problem"]


def text_problem(data: Any, path: str = "$") -> str | None:
    """What is wrong with the first string of `data` (keys included) that is not storable
    text, with its path (`$.params.name`), or None."""
    if isinstance(data, str):
        return _string_problem(data, path)
    if isinstance(data, dict):
        for key, value in data.items():
            problem = _string_problem(key, f"{path} (a key)") or text_problem(
                value, f"{path}.{key}")
            if problem:
                return problem
    elif isinstance(data, list):
        for index, value in enumerate(data):
            problem = text_problem(value, f"{path}[{index}]")
            if problem:
                return problem
    return None


def _string_problem(text: str, path: str) -> str | None:
    if "\x00" in text:
        return f"a string may not contain the NUL character (\\u0000) @ {path}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return (f"a string must be Unicode text, not a lone surrogate escape "
                f"(\\ud800-\\udfff) @ {path}")
    return None
