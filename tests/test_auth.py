"""Authentication of the admin: the built-in `bearer` authenticator over `/rpc/`, the pages
and `/metrics`, the login page and its session cookie, and a plugin replacing it."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen
from quart.typing import TestClientProtocol as QuartClient

import daggo_core
from daggo_core import Context, NoInput, dag
from daggo_core.config import Config, default_config
from daggo_core.errors import PluginError
from daggo_core.extensions import Authentication, Authenticator, LoginField, Principal
from daggo_core.hookspecs import hookimpl
from daggo_core.plugins import make_plugin_manager
from daggo_core.web.auth import LoginThrottle, safe_next
from daggo_core.web.csrf import CSRF_COOKIE, CSRF_FIELD

SECRET = "s3cret-token-value"
AUTH = {"Authorization": f"Bearer {SECRET}"}


@frozen
class Out:
    n: int


def op(ctx: Context, inp: NoInput) -> Out:
    return Out(1)


JOB = dag.job("job").add(dag.op("op", op)).build()


def config(tmp_path: Path, *, secret: str | None = SECRET, disable_ui: bool = False) -> Config:
    cfg = default_config()
    cfg.database.sqlite.path = str(tmp_path / "daggo.sqlite")
    cfg.execution.executor = "in_process"
    cfg.scheduler.enabled = False
    cfg.admin.secret_key = secret
    cfg.disable_ui = disable_ui
    return cfg


@pytest.fixture
def app(tmp_path: Path, apps: Callable[..., daggo_core.DaggoApp]) -> daggo_core.DaggoApp:
    return apps(config(tmp_path), JOB)


@frozen
class Answer:
    status: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


async def _send(client: QuartClient, method: str, path: str, *, csrf: bool = True,
                **kwargs: Any) -> Answer:
    """`method path` from `client`; a form sent to a page carries the page's CSRF token
    (as a browser's would) unless `csrf` is false."""
    if csrf and "form" in kwargs and not path.startswith(("/rpc/", "/metrics")):
        kwargs["form"] = {**kwargs["form"], CSRF_FIELD: await _csrf_token(client)}
    response = await client.open(path, method=method, **kwargs)
    return Answer(response.status_code, response.headers, await response.get_data(as_text=True))


async def _csrf_token(client: QuartClient) -> str:
    """The CSRF token of `client`'s cookie, got with the login page if it has none."""
    for _ in range(2):
        for cookie in client.cookie_jar or ():
            if cookie.name == CSRF_COOKIE and cookie.value:
                return str(cookie.value)
        await client.get("/login")
    raise AssertionError("the login page set no CSRF cookie")


def send(app: daggo_core.DaggoApp, method: str, path: str, **kwargs: Any) -> Answer:
    return asyncio.run(_send(app.asgi.test_client(), method, path, **kwargs))


def session(app: daggo_core.DaggoApp, *steps: tuple[str, str, dict[str, Any]]) -> list[Answer]:
    """The answers to `steps` (method, path, kwargs) sent by one client, which keeps the
    cookies it is given."""
    async def run() -> list[Answer]:
        client = app.asgi.test_client()
        return [await _send(client, method, path, **kwargs) for method, path, kwargs in steps]

    return asyncio.run(run())


#: Every kind of protected route: RPC methods, the spec and docs, an event stream, the
#: metrics, pages and a plugin's UI panel.
PROTECTED = [
    ("POST", "/rpc/System.Version"),
    ("POST", "/rpc/Runs.GetMany"),
    ("GET", "/rpc/openapi.json"),
    ("GET", "/rpc/docs/"),
    ("GET", "/rpc/Runs.Stream?run_id=x"),
    ("GET", "/metrics"),
    ("GET", "/"),
    ("GET", "/plugins"),
    ("GET", "/runs/nope"),
]
API = [(method, path) for method, path in PROTECTED
       if path.startswith(("/rpc/", "/metrics")) or method == "POST"]


@pytest.mark.parametrize(("method", "path"), API)
def test_the_api_refuses_a_request_without_the_token(
        app: daggo_core.DaggoApp, method: str, path: str) -> None:
    answer = send(app, method, path)
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="daggo"'
    assert answer.json() == {"error": {
        "code": "unauthenticated",
        "message": "authentication required: send the header "
                   "'Authorization: Bearer <admin.secret_key>'"}}


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_protected_path_accepts_the_token(
        app: daggo_core.DaggoApp, method: str, path: str) -> None:
    answer = send(app, method, path, headers=AUTH)
    # Past the check, an unknown run or page is 404, not 401.
    expected = {"/rpc/Runs.Stream?run_id=x": 404, "/runs/nope": 404}.get(path, 200)
    assert answer.status == expected


@pytest.mark.parametrize("header", [
    f"Bearer {SECRET}x", f"Bearer {SECRET[:-1]}", "Bearer ", f"Basic {SECRET}", SECRET,
    f"Token {SECRET}",
])
def test_a_wrong_token_is_refused_and_never_echoed_or_logged(
        app: daggo_core.DaggoApp, header: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    answer = send(app, "POST", "/rpc/System.Version", headers={"Authorization": header})
    assert answer.status == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert SECRET[:8] not in answer.text and SECRET[:8] not in caplog.text


def test_the_scheme_is_case_insensitive(app: daggo_core.DaggoApp) -> None:
    answer = send(app, "POST", "/rpc/System.Version",
                  headers={"authorization": f"bearer {SECRET}"})
    assert answer.status == 200


def test_tokens_are_compared_in_constant_time(
        app: daggo_core.DaggoApp, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert send(app, "POST", "/rpc/System.Version", headers=AUTH).status == 200
    assert send(app, "POST", "/rpc/System.Version",
                headers={"Authorization": "Bearer guess"}).status == 401
    assert compared == [(SECRET.encode(), SECRET.encode()), (b"guess", SECRET.encode())]


def test_healthz_stays_open(app: daggo_core.DaggoApp) -> None:
    answer = send(app, "GET", "/healthz")
    assert answer.status in (200, 503)
    assert "status" in answer.json()


def test_without_a_secret_everything_is_open(
        tmp_path: Path, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    app = apps(config(tmp_path, secret=None), JOB)
    assert send(app, "POST", "/rpc/System.Version").status == 200
    assert send(app, "GET", "/").status == 200
    assert send(app, "GET", "/login").status == 404  # nothing to log in to


def test_system_config_shows_the_secret_redacted(app: daggo_core.DaggoApp) -> None:
    answer = send(app, "POST", "/rpc/System.Config", headers=AUTH)
    assert answer.json()["config"]["admin"]["secret_key"] == "********"
    assert SECRET not in answer.text
    assert SECRET not in repr(app.config)


def test_the_secret_is_read_from_the_environment(tmp_path: Path) -> None:
    from daggo_core.config import load_config

    cfg = load_config(env={"DAGGO_ADMIN_SECRET_KEY": "from-the-environment"}, cwd=tmp_path)
    assert cfg.admin.secret_key == "from-the-environment"


# ---------------------------------------------------------------------------- pages


def test_a_page_redirects_to_the_login_and_the_login_returns_to_it(
        app: daggo_core.DaggoApp) -> None:
    redirected, form, wrong, right, page, logs_out = session(
        app,
        ("GET", "/runs/abc?cursor=5", {}),
        ("GET", "/login?next=/runs/abc%3Fcursor%3D5", {}),
        ("POST", "/login?next=/plugins", {"form": {"secret_key": "nope"}}),
        ("POST", "/login?next=/plugins", {"form": {"secret_key": SECRET}}),
        ("GET", "/plugins", {}),
        ("GET", "/", {}),
    )
    assert redirected.status == 302
    assert redirected.headers["Location"] == "/login?next=/runs/abc%3Fcursor%3D5"
    assert form.status == 200
    assert 'name="secret_key" type="password"' in form.text
    assert 'action="/login?next=/runs/abc%3Fcursor%3D5"' in form.text
    assert wrong.status == 401 and "Wrong credentials" in wrong.text
    assert "set-cookie" not in wrong.headers
    assert right.status == 302 and right.headers["Location"] == "/plugins"
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith("daggo_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http
    assert SECRET not in cookie
    assert page.status == 200 and "Plugins" in page.text
    assert logs_out.status == 200 and 'action="/logout"' in logs_out.text


def test_the_session_cookie_is_secure_over_https(app: daggo_core.DaggoApp) -> None:
    [right] = session(app, ("POST", "/login", {"form": {"secret_key": SECRET},
                                               "scheme": "https"}))
    assert right.status == 302
    assert "Secure" in right.headers["Set-Cookie"]


def test_logout_ends_the_session(app: daggo_core.DaggoApp) -> None:
    _, before, out, after = session(
        app,
        ("POST", "/login", {"form": {"secret_key": SECRET}}),
        ("GET", "/", {}),
        ("POST", "/logout", {"form": {}}),
        ("GET", "/", {}),
    )
    assert before.status == 200
    assert out.status == 302 and out.headers["Location"] == "/login"
    assert after.status == 302 and after.headers["Location"].startswith("/login?next=")


def test_a_login_admits_safe_requests_but_rpc_calls_need_the_token(
        app: daggo_core.DaggoApp) -> None:
    _, docs, spec, call = session(
        app,
        ("POST", "/login", {"form": {"secret_key": SECRET}}),
        ("GET", "/rpc/docs/", {}),
        ("GET", "/rpc/openapi.json", {}),
        ("POST", "/rpc/System.Version", {}),
    )
    assert (docs.status, spec.status) == (200, 200)
    assert call.status == 401 and call.json()["error"]["code"] == "unauthenticated"


def test_changing_the_secret_ends_every_session(
        tmp_path: Path, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    first = apps(config(tmp_path), JOB)
    [login] = session(first, ("POST", "/login", {"form": {"secret_key": SECRET}}))
    cookie = {"Cookie": login.headers["Set-Cookie"].split(";")[0]}
    assert send(first, "GET", "/", headers=cookie).status == 200
    rotated = apps(config(tmp_path / "other", secret="another-secret-value"), JOB)
    assert send(rotated, "GET", "/", headers=cookie).status == 302


def test_a_forged_session_cookie_is_refused(app: daggo_core.DaggoApp) -> None:
    answer = send(app, "GET", "/", headers={"Cookie": "daggo_session=eyJwcmluY2lwYWwiOiJ4In0"})
    assert answer.status == 302


def test_a_bearer_header_also_opens_the_pages(app: daggo_core.DaggoApp) -> None:
    assert send(app, "GET", "/", headers=AUTH).status == 200


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "/\\evil.example", "evil.example",
    "javascript:alert(1)", "/\t/evil.example", "",
])
def test_the_login_never_redirects_off_site(app: daggo_core.DaggoApp, target: str) -> None:
    [answer] = session(app, ("POST", "/login", {"form": {"secret_key": SECRET},
                                                "query_string": {"next": target}}))
    assert answer.status == 302 and answer.headers["Location"] == "/"


def test_safe_next_keeps_paths_of_this_site() -> None:
    assert safe_next("/runs/abc?cursor=5") == "/runs/abc?cursor=5"
    assert safe_next("/plugins") == "/plugins"
    assert safe_next(None) == "/"


def test_without_pages_there_is_no_login_but_the_api_works(
        tmp_path: Path, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    app = apps(config(tmp_path, disable_ui=True), JOB)
    assert send(app, "GET", "/login").status == 401  # no route: refused like any other
    assert send(app, "GET", "/login", headers=AUTH).status == 404
    assert send(app, "GET", "/", headers=AUTH).status == 404
    assert send(app, "GET", "/").json()["error"]["code"] == "unauthenticated"  # no redirect
    assert send(app, "GET", "/rpc/docs/", headers=AUTH).status == 200
    assert send(app, "POST", "/rpc/System.Version", headers=AUTH).status == 200


def test_the_failed_login_is_logged_without_what_was_typed(
        app: daggo_core.DaggoApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    typed = SECRET[:-2] + "zz"
    [answer] = session(app, ("POST", "/login", {"form": {"secret_key": typed}}))
    assert answer.status == 401
    assert "failed admin login" in caplog.text
    assert typed not in caplog.text and typed not in answer.text
    assert SECRET not in caplog.text and SECRET not in answer.text


def test_logins_are_refused_for_a_while_after_repeated_failures(
        app: daggo_core.DaggoApp) -> None:
    wrong = ("POST", "/login", {"form": {"secret_key": "nope"}})
    *failed, refused = session(app, *[wrong] * 5,
                               ("POST", "/login", {"form": {"secret_key": SECRET}}))
    assert [answer.status for answer in failed] == [401] * 5
    assert refused.status == 429
    assert "Too many failed logins; try again in" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert send(app, "POST", "/rpc/System.Version", headers=AUTH).status == 200  # API unaffected


def test_the_login_throttle_forgets_failures_older_than_its_window() -> None:
    now = [0.0]
    throttle = LoginThrottle(max_failures=2, window=10.0, max_addresses=2,
                             clock=lambda: now[0])
    throttle.failed("a")
    now[0] = 4.0
    throttle.failed("a")
    assert throttle.retry_after("a") == 6
    assert throttle.retry_after("b") is None
    now[0] = 10.0
    assert throttle.retry_after("a") is None  # the first failure is 10 s old
    throttle.failed("a")
    assert throttle.retry_after("a") == 4
    throttle.failed("b")
    throttle.failed("c")  # a third address: the least recent ("a") is forgotten
    assert throttle.retry_after("a") is None


# ---------------------------------------------------------------------------- the hook


class HeaderAuthentication:
    """Trusts `X-User`, and logs in a user named in the form whose password is "pw"."""

    login_fields = (LoginField(name="user", label="User", secret=False),
                    LoginField(name="password", label="Password"))
    session_key = b"k" * 32
    challenge = 'Bearer realm="acme"'
    hint = "send X-User"

    def authenticate(self, headers: Mapping[str, str]) -> Principal | None:
        user = headers.get("X-User")
        return Principal(user) if user else None

    def login(self, form: Mapping[str, str]) -> Principal | None:
        return Principal(form["user"]) if form.get("password") == "pw" else None


def _header_plugin() -> types.ModuleType:
    def create(cfg: Config) -> Authentication:
        return HeaderAuthentication()

    module = types.ModuleType("acme_auth")
    module.daggo_authenticators = hookimpl(  # type: ignore[attr-defined]
        lambda: [Authenticator(name="header", create=create, description="X-User")])
    return module


def test_hook_daggo_authenticators(
        tmp_path: Path, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    hooks = make_plugin_manager(extra_plugins=[_header_plugin()])
    assert set(hooks.authenticators()) == {"bearer", "header"}
    cfg = config(tmp_path)
    cfg.admin.authenticator = "header"
    app = apps(cfg, JOB, hooks=hooks)
    assert send(app, "POST", "/rpc/System.Version", headers={"X-User": "ann"}).status == 200
    refused = send(app, "POST", "/rpc/System.Version", headers=AUTH)  # bearer is replaced
    assert refused.status == 401
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="acme"'
    assert refused.json()["error"]["message"] == "authentication required: send X-User"
    form, login, page = session(
        app,
        ("GET", "/login", {}),
        ("POST", "/login?next=/", {"form": {"user": "ann", "password": "pw"}}),
        ("GET", "/", {}),
    )
    assert 'name="user" type="text"' in form.text
    assert 'name="password" type="password"' in form.text
    assert login.status == 302 and page.status == 200


def test_an_unknown_authenticator_fails_the_start_listing_the_installed_ones(
        tmp_path: Path, apps: Callable[..., daggo_core.DaggoApp]) -> None:
    cfg = config(tmp_path)
    cfg.admin.authenticator = "oidc"
    with pytest.raises(PluginError, match=r"admin.authenticator = 'oidc': no authenticator "
                                          r"named 'oidc' is installed \(installed: bearer\)"):
        apps(cfg, JOB)


def test_a_form_without_the_pages_csrf_token_is_refused(app: daggo_core.DaggoApp) -> None:
    login = {"form": {"secret_key": SECRET}}
    forged, _, cross_site, logged_in, logout_forged, still_in = session(
        app,
        ("POST", "/login", {**login, "csrf": False}),  # no cookie, no field
        ("GET", "/login", {}),  # the browser has the cookie from here on
        ("POST", "/login", {"form": {"secret_key": SECRET, CSRF_FIELD: "guessed"},
                            "csrf": False}),
        ("POST", "/login", login),
        ("POST", "/logout", {"form": {}, "csrf": False}),  # the cookie alone: refused
        ("GET", "/", {}),
    )
    for refused in (forged, logout_forged):
        assert refused.status == 403 and "CSRF token is missing or stale" in refused.text
    assert cross_site.status == 403
    assert logged_in.status == 302
    assert still_in.status == 200  # the forged logout did nothing


def test_the_csrf_cookie_is_strict_and_http_only(app: daggo_core.DaggoApp) -> None:
    page = send(app, "GET", "/login")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert f'name="{CSRF_FIELD}" value="{token}"' in page.text
