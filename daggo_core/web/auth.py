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
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from quart import Quart, Response, g, jsonify, redirect, render_template, request, session
from quart.sessions import SecureCookieSessionInterface

from daggo_core.extensions import Authentication, Principal
from daggo_core.rpc.errors import unauthenticated

__all__ = ["install_auth"]

logger = logging.getLogger("daggo.web.auth")

#: Endpoints served to anyone.
OPEN_ENDPOINTS = frozenset({"healthz", "login", "logout", "static"})
#: First path segments that answer JSON, never a redirect to the login page.
API_ROOTS = frozenset({"rpc", "metrics"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
SESSION_PRINCIPAL = "principal"


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
        if principal is None and request.method in SAFE_METHODS:
            principal = _session_principal()
        if principal is not None:
            g.principal = principal
            return None
        if pages and request.method in SAFE_METHODS and not _is_api(request.path):
            return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/')}")
        error = unauthenticated(f"authentication required: {authentication.hint}")
        response: Response = jsonify(error.body())
        response.status_code = error.status
        response.headers["WWW-Authenticate"] = authentication.challenge
        return response

    if pages:
        web.add_url_rule("/login", "login", _login_view(authentication),
                         methods=["GET", "POST"])
        web.add_url_rule("/logout", "logout", _logout, methods=["GET", "POST"])


def _login_view(authentication: Authentication) -> Callable[[], Awaitable[Any]]:
    async def login() -> Any:
        target = safe_next(request.args.get("next"))
        if request.method == "GET":
            return await render_template("login.html", fields=authentication.login_fields,
                                         next=target, failed=False)
        form = await request.form
        principal = authentication.login({f.name: form.get(f.name, "")
                                          for f in authentication.login_fields})
        if principal is None:
            logger.warning("failed admin login from %s", request.remote_addr)
            page = await render_template("login.html", fields=authentication.login_fields,
                                         next=target, failed=True)
            return page, 401
        session.clear()
        session[SESSION_PRINCIPAL] = principal.name
        return redirect(target)

    return login


async def _logout() -> Any:
    session.clear()
    return redirect("/login")


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


def _is_api(path: str) -> bool:
    return path.split("/")[1] in API_ROOTS
