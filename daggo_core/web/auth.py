"""Who may use the admin: the configured authenticator checks every request but a few
open ones (`/healthz`, the login page), so every route added later is covered too.

The RPC API and `/metrics` answer 401 JSON to a refused request; a refused page request
(GET) is redirected to `/login?next=<page>`. A login is kept in a signed session cookie,
which also admits safe requests (GET/HEAD) elsewhere, e.g. the RPC docs or a stream the
pages read; a request that changes something needs the authenticator's credentials
(e.g. the bearer header) on the RPC API.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from quart import Quart, Response, g, redirect, render_template, request, session, url_for
from quart.sessions import SecureCookieSessionInterface

from daggo_core.extensions import Authentication, Principal
from daggo_core.rpc.answers import JSON_CONTENT_TYPE
from daggo_core.rpc.errors import unauthenticated
from daggo_core.serde import json_text
from daggo_core.web.csrf import csrf_passes

__all__ = ["INGRESS_ENDPOINT", "LoginThrottle", "install_auth", "is_api", "refusal",
           "safe_next", "viewer"]

logger = logging.getLogger("daggo.web.auth")

#: Endpoints served to anyone.
OPEN_ENDPOINTS = frozenset({"healthz", "login", "logout", "static"})
#: First path segments that answer JSON, never a redirect to the login page.
API_ROOTS = frozenset({"rpc", "metrics"})
#: The endpoint names of the queues' routes start with it: they answer as the API does.
INGRESS_ENDPOINT = "queue_route:"
SAFE_METHODS = frozenset({"GET", "HEAD"})
SESSION_PRINCIPAL = "principal"


class LoginThrottle:
    """Refuses logins from an address that failed `max_failures` times within the last
    `window` seconds, until the oldest of those failures is that old; remembers at most
    `max_addresses` addresses (the least recent are forgotten first)."""

    def __init__(self, max_failures: int = 5, window: float = 60.0, *,
                 max_addresses: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.window, self.max_addresses = max_failures, window, max_addresses
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None if it may now."""
        failures = self._failures.get(address)
        if failures is None:
            return None
        cutoff = self.clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        if len(failures) < self.max_failures:
            return None
        return max(1, math.ceil(failures[0] - cutoff))

    def failed(self, address: str) -> None:
        """Count a failed login from `address`."""
        failures = self._failures.pop(address, None) or deque(maxlen=self.max_failures)
        failures.append(self.clock())
        self._failures[address] = failures  # re-inserted: the most recent last
        while len(self._failures) > self.max_addresses:
            del self._failures[next(iter(self._failures))]


class _SessionCookies(SecureCookieSessionInterface):
    """Quart's signed cookie session, with SHA-256 and `Secure` on HTTPS requests."""

    digest_method = staticmethod(hashlib.sha256)
    salt = "daggo-admin-session"

    def get_cookie_secure(self, app: Quart) -> bool:
        return request.scheme in ("https", "wss")


def install_auth(web: Quart, authentication: Authentication | None, *, pages: bool) -> None:
    """Check every request of `web` with `authentication` (None leaves it open); with
    `pages` and an authenticator that has login fields, serve `/login` and `/logout` and
    send refused page requests there."""
    if authentication is None:
        return
    pages = pages and bool(authentication.login_fields)
    web.secret_key = authentication.session_key
    web.session_interface = _SessionCookies()
    web.config.update(SESSION_COOKIE_NAME="daggo_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")

    @web.before_request
    async def require_login() -> Any:
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        principal = authentication.authenticate(request.headers)
        if principal is None and (request.method in SAFE_METHODS or (
                not is_api(request.path, request.endpoint) and await csrf_passes())):
            principal = _session_principal()  # a page's form: with its CSRF token
        if principal is not None:
            g.principal = principal
            return None
        if pages and request.method in SAFE_METHODS and not is_api(request.path,
                                                                   request.endpoint):
            page = quote(request.full_path.rstrip("?"), safe="/")
            return redirect(f"{url_for('login')}?next={page}")
        status, headers, body = refusal(authentication)
        return Response(body, status=status, headers=headers)

    if pages:
        web.add_url_rule("/login", "login", _login_view(authentication, LoginThrottle()),
                         methods=["GET", "POST"])
        web.add_url_rule("/logout", "logout", _logout, methods=["POST"])


def refusal(authentication: Authentication) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and JSON body refusing an API request `authentication` does
    not admit."""
    error = unauthenticated(f"authentication required: {authentication.hint}")
    return error.status, {"Content-Type": JSON_CONTENT_TYPE,
                          "WWW-Authenticate": authentication.challenge}, \
        json_text(error.body()).encode()


def _login_view(authentication: Authentication,
                throttle: LoginThrottle) -> Callable[[], Awaitable[Any]]:
    async def page(status: int, problem: str | None = None) -> tuple[str, int]:
        return await render_template("login.html", fields=authentication.login_fields,
                                     next=safe_next(request.args.get("next")),
                                     problem=problem), status

    async def login() -> Any:
        target = safe_next(request.args.get("next"))
        if request.method == "GET":
            return await page(200)
        address = request.remote_addr or "?"
        wait = throttle.retry_after(address)
        if wait is not None:
            answer, status = await page(429, f"Too many failed logins; try again in {wait} s.")
            return answer, status, {"Retry-After": str(wait)}
        form = await request.form
        principal = authentication.login({f.name: form.get(f.name, "")
                                          for f in authentication.login_fields})
        if principal is None:
            throttle.failed(address)
            logger.warning("failed admin login from %s", address)
            return await page(401, "Wrong credentials; try again.")
        session.clear()
        session[SESSION_PRINCIPAL] = principal.name
        return redirect(request.root_path.rstrip("/") + target)  # under a mount's prefix

    return login


async def _logout() -> Any:
    session.clear()
    return redirect(url_for("login"))


def safe_next(target: str | None) -> str:
    """`target` if it is a path of this site (`/runs/1?x=y`), else `/`: never another
    host (`//evil.example`, `https://...`, `/\\evil.example`)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return "/"
    return target


def _session_principal() -> Principal | None:
    name = session.get(SESSION_PRINCIPAL)
    return Principal(name) if isinstance(name, str) and name else None


def viewer() -> Principal | None:
    """Who this request was admitted as (by the authenticator or the login session), or
    None when the admin is open."""
    principal = g.get("principal")
    return principal if isinstance(principal, Principal) else None


def is_api(path: str, endpoint: str | None = None) -> bool:
    """Whether `path` is the API's (`/rpc/...`, `/metrics`, a queue's route, by its
    `endpoint`): JSON answers, bearer tokens, no CSRF token."""
    return path.split("/")[1] in API_ROOTS or (endpoint or "").startswith(INGRESS_ENDPOINT)
