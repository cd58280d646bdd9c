"""A small website served by the example itself, so scraping needs no internet."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = Path(__file__).with_name("site")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


class LocalSite:
    """Serves resources/site/ on 127.0.0.1 (a free port), started on first use."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        with self._lock:
            if self._server is None:
                handler = partial(_QuietHandler, directory=str(PAGES))
                self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
                threading.Thread(target=self._server.serve_forever, daemon=True,
                                 name="example-site").start()
            host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"
