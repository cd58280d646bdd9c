"""`queue_loader(name, **options)`: a ready-made loader from an installed plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from daggo_core.plugins import make_plugin_manager

__all__ = ["queue_loader"]


def queue_loader(name: str, **options: Any) -> Callable[[Any], object]:
    """The loader function of the ready-made loader `name` (`daggo_queue_loaders`)
    built with `options`, for `Queue.loader` (which takes its mode from it):
    `Queue[Order]("orders").loader(queue_loader("directory", path="inbox"))`.
    Raises PluginError listing the installed loaders for an unknown name."""
    spec = make_plugin_manager().queue_loader(name)
    fn = spec.create(**options)
    fn.loader_mode = spec.mode  # type: ignore[attr-defined]
    return fn
