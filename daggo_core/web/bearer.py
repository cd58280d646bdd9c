"""Built-in plugin: the `bearer` authenticator, checking `admin.secret_key`."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING

from daggo_core.extensions import Authentication, Authenticator, LoginField, Principal
from daggo_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from werkzeug.datastructures import Headers

    from daggo_core.config import Config

__all__ = ["BearerAuthentication"]

#: Who a request carrying the secret key is.
ADMIN = Principal("admin")
_SESSION_CONTEXT = b"daggo admin session"


class BearerAuthentication:
    """Accepts `Authorization: Bearer <secret>` and a login with the secret; sessions are
    signed with a key derived from the secret, so changing it ends them."""

    login_fields: tuple[LoginField, ...] = (LoginField(name="secret_key", label="Secret key"),)
    challenge: str = 'Bearer realm="daggo"'
    hint: str = "send the header 'Authorization: Bearer <admin.secret_key>'"

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self.session_key = hmac.new(self._secret, _SESSION_CONTEXT, hashlib.sha256).digest()

    def authenticate(self, headers: Headers) -> Principal | None:
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        return self._check(token.strip()) if scheme.lower() == "bearer" else None

    def login(self, form: Mapping[str, str]) -> Principal | None:
        return self._check(form.get("secret_key", ""))

    def _check(self, given: str) -> Principal | None:
        # Constant time: how much of a guess matches must not show in the answer's timing.
        return ADMIN if hmac.compare_digest(given.encode(), self._secret) else None


def _create(config: Config) -> Authentication | None:
    secret = config.admin.secret_key
    return BearerAuthentication(secret) if secret else None


@hookimpl
def daggo_authenticators() -> list[Authenticator]:
    return [Authenticator(name="bearer", create=_create,
                          description="admin.secret_key as a bearer token or a login")]
