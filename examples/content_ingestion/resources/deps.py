"""`Deps`: every client the ops need, built once and handed to the ops object."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

from attrs import define, frozen

from resources.index import SearchIndex
from resources.site import LocalSite


@frozen
class ScrapeResult:
    body: str
    status_code: int


def fetch(url: str, timeout: float = 10.0) -> ScrapeResult:
    """GET `url` and return its body and HTTP status."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return ScrapeResult(body=response.read().decode("utf-8"), status_code=response.status)


@define
class Deps:
    site: LocalSite
    index: SearchIndex
    scraper: Callable[[str], ScrapeResult] = fetch


def new_deps(data_dir: Path) -> Deps:
    return Deps(site=LocalSite(), index=SearchIndex(data_dir / "search_index.json"))
