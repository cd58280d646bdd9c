"""CSRF tokens of the admin's forms: a random token in a cookie of its own (SameSite
Strict, HttpOnly), which every state-changing page request must send back as the form
field `csrf_token` (or the header `X-CSRF-Token`, for scripts).

Another site can neither read the cookie nor send it, so it cannot make a browser submit
a form to the admin (a "double-submit" token): no server-side secret is needed, so it
works as well with the admin open as behind a login, and across the processes of
`admin.processes`. Requests of the RPC API authenticate with a bearer token, which
another site cannot send either, and need none.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from quart import Quart, Response, g, request

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "CSRF_HEADER", "csrf_passes", "csrf_token",
           "install_csrf"]

CSRF_COOKIE = "daggo_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_TOKEN_BYTES = 32


def install_csrf(web: Quart) -> None:
    """Give `web`'s templates `csrf_token()` (the token to put in each form, set as a
    cookie with the page that first asks for it)."""
    web.jinja_env.globals["csrf_token"] = csrf_token

    @web.after_request
    async def set_cookie(response: Response) -> Response:
        token = g.get("csrf_new")
        if token is not None:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Strict",
                                secure=request.scheme == "https",
                                path=request.root_path or "/")
        return response


async def csrf_passes() -> bool:
    """Whether this request sends back the token of its cookie (form field or header)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie:
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form
        sent = form.get(CSRF_FIELD, "")
    return hmac.compare_digest(cookie.encode(), sent.encode())


def csrf_token() -> str:
    """This browser's token: its cookie's, or a new one, sent with this response (of a
    `web` given `install_csrf`)."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) >= _TOKEN_BYTES:
        return existing
    token: Any = g.get("csrf_new")
    if token is None:
        token = g.csrf_new = secrets.token_urlsafe(_TOKEN_BYTES)
    return str(token)
