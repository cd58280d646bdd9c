"""The generated clients (`daggo sdk`): the committed ones are what the current spec
generates, and each drives a live server, with and without the admin secret."""

from __future__ import annotations

import http.server
import importlib
import json
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from attrs import frozen

import daggo_core
from daggo_core.config import default_config
from daggo_core.errors import DaggoError
from daggo_core.sdk import current_spec
from daggo_core.sdk.examples import BEGIN, END, examples_table, method_calls
from daggo_core.sdk.python import generate_python
from daggo_core.sdk.tree import read_tree
from daggo_core.sdk.typescript import generate_typescript, render_typescript, type_of
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import app_served
from tests.conftest import BackendUnderTest
from tests.test_rpc import JOB

ROOT = Path(__file__).parent.parent
TSC = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "tsc"
SECRET = "s3cret-token-of-the-sdk-tests"  # the secret must be 16 characters or more
GENERATORS: dict[str, Callable[[dict[str, Any], Path], None]] = {
    "python": generate_python, "typescript": generate_typescript}
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both clients generated from the current spec, once for the module."""
    root = tmp_path_factory.mktemp("sdk")
    for kind, generate in GENERATORS.items():
        generate(current_spec(), root / kind)
    return {kind: root / kind for kind in GENERATORS}


@pytest.mark.parametrize("kind", GENERATORS)
def test_committed_client_is_what_the_current_spec_generates(
        kind: str, generated: dict[str, Path]) -> None:
    fresh, committed = read_tree(generated[kind]), read_tree(ROOT / "clients" / kind)
    changed = sorted(path for path in fresh.keys() | committed.keys()
                     if fresh.get(path) != committed.get(path))
    assert not changed, (f"clients/{kind} is not what the current spec generates "
                         f"(differing: {', '.join(changed)}): run `make gen-sdk`")


def test_docs_table_of_calls_is_what_the_current_spec_generates() -> None:
    text = (ROOT / "docs" / "RPC.md").read_text()
    documented = text[text.index(BEGIN):text.index(END) + len(END)]
    assert documented == examples_table(current_spec()), (
        "docs/RPC.md's table of calls is not what the current spec generates: run "
        "`make gen-sdk`")


def test_generating_twice_gives_the_same_files(generated: dict[str, Path],
                                               tmp_path: Path) -> None:
    generate_typescript(current_spec(), tmp_path / "again")
    assert read_tree(tmp_path / "again") == read_tree(generated["typescript"])


def test_sdk_replaces_a_client_it_generated_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "client"
    generate_typescript(current_spec(), out)
    (out / "src" / "stale.ts").write_text("export {};\n")
    (out / "node_modules").mkdir()
    generate_typescript(current_spec(), out)
    assert not (out / "src" / "stale.ts").exists()
    assert (out / "node_modules").is_dir()  # an install of it stays

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(DaggoError, match=r"--out .*other: the directory holds other files"):
        generate_typescript(current_spec(), other)
    assert (other / "notes.txt").read_text() == "mine"


def test_sdk_command_writes_both_clients(tmp_path: Path) -> None:
    for kind, marker in (("python", "daggo_client/client.py"),
                         ("typescript", "src/client.ts")):
        result = subprocess.run([sys.executable, "-m", "daggo_core.cli.main", "sdk", kind,
                                 "--out", str(tmp_path / kind)],
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / kind / marker).is_file()


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


@pytest.mark.parametrize(("schema", "expected"), [
    ({"type": "string", "format": "date-time"}, "string"),
    ({"type": "integer"}, "number"),
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "string | null"),
    ({"type": ["integer", "null"]}, "number | null"),
    ({"enum": ["QUEUED", "SUCCESS"]}, '"QUEUED" | "SUCCESS"'),
    ({"const": 3}, "3"),
    ({"oneOf": [_ref("RunSummary"), _ref("EventInfo")]}, "RunSummary | EventInfo"),
    ({"anyOf": [{"type": "string"}, {}]}, "unknown"),
    ({"type": "array", "items": {"type": "string"}}, "string[]"),
    ({"type": "array", "items": {"type": "array", "items": _ref("A")}}, "A[][]"),
    ({"type": "array", "items": {"anyOf": [_ref("A"), {"type": "null"}]}}, "Array<A | null>"),
    ({"type": "array"}, "unknown[]"),
    ({"type": "object", "additionalProperties": {"type": "string"}}, "{ [key: string]: string }"),
    ({"type": "object"}, "{ [key: string]: unknown }"),
    ({"type": "object", "properties": {"a": {"type": "boolean"}, "b-c": _ref("B")},
      "required": ["a"]}, '{ a: boolean; "b-c"?: B }'),
    ({"allOf": [_ref("A"), {"anyOf": [_ref("B"), {"type": "null"}]}]}, "A & (B | null)"),
    ({}, "unknown"),
])
def test_typescript_type_of_each_schema_shape(schema: dict[str, Any], expected: str) -> None:
    assert type_of(schema) == expected


def test_typescript_messages_are_interfaces_with_optional_and_nullable_fields() -> None:
    spec = {"info": {"version": "9.1"}, "paths": {}, "components": {"schemas": {
        "Page": {"type": "object", "description": "A page.\n\nOf runs.",
                 "properties": {"runs": {"type": "array", "items": _ref("Status")},
                                "next_cursor": {"anyOf": [{"type": "string"},
                                                          {"type": "null"}]},
                                "limit": {"type": "integer", "default": 50}},
                 "required": ["runs", "next_cursor"], "additionalProperties": False},
        "Status": {"enum": ["QUEUED", "SUCCESS"]}}}}
    types = render_typescript(spec)["src/types.ts"]
    assert "(version 9.1)" in types.splitlines()[0]
    assert ("/**\n * A page.\n *\n * Of runs.\n */\nexport interface Page {\n"
            "  runs: Status[];\n  next_cursor: string | null;\n  limit?: number;\n}\n") in types
    assert 'export type Status = "QUEUED" | "SUCCESS";\n' in types


def test_docs_calls_take_their_values_from_the_spec_example_request() -> None:
    spec = {"paths": {"/rpc/Runs.Get": {"post": {
        "operationId": "Runs_Get", "tags": ["Runs"],
        "requestBody": {"content": {"application/json": {
            "schema": _ref("RunsGetRequest"),
            "examples": {"example": {"value": {"run_id": "3f2a", "verbose": True}}}}}}}}},
        "components": {"schemas": {"RunsGetRequest": {
            "type": "object", "required": ["run_id"],
            "properties": {"run_id": {"type": "string"}, "verbose": {"type": "boolean"}}}}}}
    [call] = method_calls(spec)
    assert call.curl == """curl -s -X POST $DAGGO_URL/rpc/Runs.Get -d '{"run_id": "3f2a"}'"""
    assert call.python == ('runs_get.sync(client=client, '
                           'body=RunsGetRequest.from_dict({"run_id": "3f2a"}))')
    assert call.typescript == 'await daggo.runs.Get({"run_id": "3f2a"})'
    assert call.python_module == "daggo_client.api.runs.runs_get"


@frozen
class Server:
    url: str
    secret: str | None
    app: daggo_core.DaggoApp


@pytest.fixture(params=[None, SECRET], ids=["open", "secret"])
def server(request: pytest.FixtureRequest, storage_backend: BackendUnderTest,
           apps: Callable[..., daggo_core.DaggoApp]) -> Iterator[Server]:
    """The app served on a loopback port, its admin secret set or not."""
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.execution.executor = "in_process"
    cfg.scheduler.enabled = False
    cfg.admin.host, cfg.admin.port = "127.0.0.1", free_port()
    if request.param is not None:
        cfg.admin.secret_key = request.param
    app = apps(cfg, JOB)
    with app_served(app, name="sdk-test-server"):
        yield Server(url=f"http://127.0.0.1:{cfg.admin.port}", secret=request.param, app=app)


@pytest.fixture(scope="module")
def daggo_client(generated: dict[str, Path]) -> Iterator[ModuleType]:
    """The generated Python package, imported from where it was generated."""
    sys.path.insert(0, str(generated["python"]))
    try:
        yield importlib.import_module("daggo_client")
    finally:
        sys.path.remove(str(generated["python"]))
        for name in [name for name in sys.modules if name.split(".")[0] == "daggo_client"]:
            del sys.modules[name]


def test_python_client_drives_a_live_server(server: Server, daggo_client: ModuleType) -> None:
    from daggo_client.api.jobs import jobs_get_many, jobs_launch
    from daggo_client.api.runs import runs_get
    from daggo_client.api.system import system_version
    from daggo_client.models import (
        Error,
        JobsGetManyRequest,
        JobsLaunchRequest,
        JobsLaunchRequestParams,
        RunsGetRequest,
    )

    client = (daggo_client.Client(base_url=server.url) if server.secret is None
              else daggo_client.AuthenticatedClient(base_url=server.url, token=server.secret))
    with client:
        page = jobs_get_many.sync(client=client, body=JobsGetManyRequest())
        assert [job.name for job in page.jobs] == ["job"]
        params = JobsLaunchRequestParams.from_dict({"n": 7})
        launched = jobs_launch.sync(client=client,
                                    body=JobsLaunchRequest(job="job", params=params))
        run_id = launched.run.id

        def finished() -> Any:
            detail = runs_get.sync(client=client, body=RunsGetRequest(run_id=run_id))
            return detail if detail.run.status.value in FINISHED else None

        detail = wait_for(finished, 20, "the run launched through the client to finish")
        assert detail.run.status.value == "SUCCESS"
        assert detail.params.to_dict() == {"n": 7}

        # The run's events through its stream, from the start and resumed after the first.
        from daggo_client.streams import StreamError, runs_stream

        messages = list(runs_stream(client=client, run_id=run_id))
        assert [m.event for m in messages] == ["event"] * (len(messages) - 1) + ["end"]
        kinds = [m.data["kind"] for m in messages[:-1]]
        assert kinds[:3] == ["RUN_QUEUED", "RUN_STARTING", "RUN_STARTED"]
        assert kinds[-1] == "RUN_SUCCESS" and messages[-1].data["status"] == "SUCCESS"
        resumed = list(runs_stream(client=client, run_id=run_id, cursor=messages[0].id))
        assert resumed == messages[1:]
        with pytest.raises(StreamError) as refused_stream:
            next(runs_stream(client=client, run_id="nosuchrun"))
        assert refused_stream.value.status_code == 404
        assert refused_stream.value.error is not None
        assert refused_stream.value.error.error.code == "not_found"

        missing = runs_get.sync_detailed(client=client, body=RunsGetRequest(run_id="nosuchrun"))
        assert missing.status_code == 404
        assert isinstance(missing.parsed, Error)
        assert missing.parsed.error.code == "not_found"
        assert "nosuchrun" in missing.parsed.error.message

        for documented in method_calls(current_spec()):  # docs/RPC.md's calls, as written
            module = importlib.import_module(documented.python_module)
            names = {module.__name__.rsplit(".", 1)[-1]: module, "client": client}
            if documented.python_request is not None:
                names[documented.python_request] = getattr(daggo_client.models,
                                                           documented.python_request)
            answer = eval(documented.python, names)
            assert answer is not None, f"{documented.python}: an undocumented answer"
            # The call is well formed: answered, or refused only because the example's
            # run, job or schedule is not in this database.
            assert not isinstance(answer, Error) or answer.error.code == "not_found", (
                f"{documented.python}: {answer}")

    if server.secret is not None:
        with daggo_client.Client(base_url=server.url) as anonymous:
            refused = system_version.sync_detailed(client=anonymous)
            with pytest.raises(StreamError) as refused_stream:
                next(runs_stream(client=anonymous, run_id=run_id))
            assert refused_stream.value.status_code == 401
        assert refused.status_code == 401
        assert isinstance(refused.parsed, Error)
        assert refused.parsed.error.code == "unauthenticated"


_DRIVER = """\
import { createClient, DaggoError } from "../typescript/src/index.js";

declare const process: { argv: string[] };
const [url, secret] = [process.argv[2], process.argv[3] || undefined];
const daggo = createClient(url);
const auth = secret;
const finished = ["SUCCESS", "FAILURE", "CANCELED"];

async function refusal(call: () => Promise<unknown>) {
  try {
    await call();
    return null;
  } catch (error) {
    if (!(error instanceof DaggoError)) throw error;
    return { code: error.code, status: error.status, message: error.message };
  }
}

const jobs = await daggo.jobs.GetMany({}, { auth });
const launched = await daggo.jobs.Launch({ job: "job", params: { n: 7 } }, { auth });
let detail = await daggo.runs.Get({ run_id: launched.run.id }, { auth });
for (const deadline = Date.now() + 20000; !finished.includes(detail.run.status)
     && Date.now() < deadline;) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  detail = await daggo.runs.Get({ run_id: launched.run.id }, { auth });
}
// The client's default secret, and a URL with a trailing slash.
const version = await createClient(url + "/", { auth }).system.Version();
const missing = await refusal(() => daggo.runs.Get({ run_id: "nosuchrun" }, { auth }));
const anonymous = await refusal(() => daggo.system.Version());
// @ts-expect-error: a request without its required field does not compile
const typo = () => daggo.jobs.Launch({ jobb: "job" });
console.log(JSON.stringify({
  jobs: jobs.jobs.map((job) => job.name), status: detail.run.status, params: detail.params,
  version: version.version, missing, anonymous, typo: typeof typo,
}));
"""


def compile_driver(client: Path, source: str) -> Path:
    """`source` (a script importing the client at `client` as `../typescript/...`),
    compiled with the client by `tsc` under the client's own tsconfig; the script's .js."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the TypeScript client is not compiled or run")
    assert TSC.exists(), f"{TSC} is missing: run `make install` (it installs TypeScript)"
    assert client.name == "typescript"
    root = client.parent
    driver = root / "driver"
    driver.mkdir()
    (driver / "package.json").write_text('{"type": "module"}\n')
    (driver / "drive.ts").write_text(source)
    (driver / "tsconfig.json").write_text(json.dumps({
        "extends": "../typescript/tsconfig.json",
        "compilerOptions": {"rootDir": "..", "outDir": "../build"},
        "include": ["drive.ts"]}))
    compiled = subprocess.run([str(TSC), "-p", str(driver)], capture_output=True, text=True,
                              timeout=120, check=False)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    (root / "build" / "package.json").write_text('{"type": "module"}\n')
    return root / "build" / "driver" / "drive.js"


@pytest.fixture(scope="module")
def typescript_driver(generated: dict[str, Path]) -> Path:
    """The script above with docs/RPC.md's calls, as written, to type-check them (not run:
    they name no real run)."""
    documented = "".join(f"  async () => {call.typescript},\n"
                         for call in method_calls(current_spec()))
    return compile_driver(generated["typescript"],
                          f"{_DRIVER}const documented = [\n{documented}];\nvoid documented;\n")


def test_typescript_client_drives_a_live_server(server: Server,
                                                typescript_driver: Path) -> None:
    result = subprocess.run(["node", str(typescript_driver), server.url, server.secret or ""],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["jobs"] == ["job"]
    assert (seen["status"], seen["params"]) == ("SUCCESS", {"n": 7})
    assert seen["version"] == daggo_core.__version__
    assert seen["missing"]["status"] == 404
    assert seen["missing"]["code"] == "not_found"
    assert "nosuchrun" in seen["missing"]["message"]
    if server.secret is None:
        assert seen["anonymous"] is None
    else:
        assert (seen["anonymous"]["status"], seen["anonymous"]["code"]) == (
            401, "unauthenticated")


#: The messages the event stream server below sends: (id, event, data lines, line end).
_MESSAGES = (("1", "event", ['{"n": 1}'], "\n"), ("2", "event", ['{"n":', "2}"], "\r\n"),
             ("3", "end", ['{"status": "SUCCESS"}'], "\n"))

_STREAM_DRIVER = """\
import { createClient, DaggoError, ServerSentEvent } from "../typescript/src/index.js";

declare const process: { argv: string[] };
const url = process.argv[2];
const daggo = createClient(url, { auth: "tok" });

async function refusal(stream: AsyncGenerator<ServerSentEvent>) {
  try {
    await stream.next();
    return null;
  } catch (error) {
    if (!(error instanceof DaggoError)) throw error;
    return { code: error.code, status: error.status };
  }
}

const all: ServerSentEvent[] = [];
for await (const message of daggo.runs.Stream("r1")) all.push(message);
const resumed: ServerSentEvent[] = [];
for await (const message of daggo.runs.Stream("r1", { cursor: all[0].id })) {
  resumed.push(message);
  break; // stopping early closes the stream
}
const missing = await refusal(daggo.runs.Stream("nosuchrun"));
const anonymous = await refusal(createClient(url).runs.Stream("r1"));
console.log(JSON.stringify({ all, resumed, missing, anonymous }));
"""


class _EventStream(http.server.BaseHTTPRequestHandler):
    """`GET /rpc/Runs.Stream` as the contract has it, for run `r1` and token `tok`, its
    messages written a few bytes at a time."""

    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "Bearer tok":
            return self._error(401, "unauthenticated")
        if url.path != "/rpc/Runs.Stream" or query.get("run_id") != "r1":
            return self._error(404, "not_found")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        text = ": keep-alive\n\n" + "".join(
            f"id: {id_}{end}event: {event}{end}"
            + "".join(f"data: {line}{end}" for line in lines) + end
            for id_, event, lines, end in _MESSAGES if int(id_) > int(query.get("cursor", 0)))
        data = text.encode()
        for start in range(0, len(data), 7):
            self.wfile.write(data[start:start + 7])
            self.wfile.flush()

    def _error(self, status: int, code: str) -> None:
        body = json.dumps({"error": {"code": code, "message": code}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def test_typescript_client_streams_server_sent_events(tmp_path: Path) -> None:
    spec = json.loads(json.dumps(current_spec()))
    spec["paths"]["/rpc/Runs.Stream"] = {"get": {
        "summary": "A run's events as they are stored.",
        "parameters": [{"name": "run_id", "in": "query", "required": True,
                        "schema": {"type": "string"}},
                       {"name": "cursor", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "events",
                              "content": {"text/event-stream": {}}}}}}
    generate_typescript(spec, tmp_path / "typescript")
    script = compile_driver(tmp_path / "typescript", _STREAM_DRIVER)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EventStream)
    thread = threading.Thread(target=server.serve_forever, name="sse-test-server")
    thread.start()
    try:
        result = subprocess.run(["node", str(script), f"http://127.0.0.1:{server.server_port}"],
                                capture_output=True, text=True, timeout=60, check=False)
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["all"] == [{"event": "event", "id": "1", "data": {"n": 1}},
                           {"event": "event", "id": "2", "data": {"n": 2}},
                           {"event": "end", "id": "3", "data": {"status": "SUCCESS"}}]
    assert seen["resumed"] == [{"event": "event", "id": "2", "data": {"n": 2}}]
    assert seen["missing"] == {"code": "not_found", "status": 404}
    assert seen["anonymous"] == {"code": "unauthenticated", "status": 401}
    assert _EventStream.seen[:2] == [("/rpc/Runs.Stream?run_id=r1", "Bearer tok"),
                                     ("/rpc/Runs.Stream?run_id=r1&cursor=1", "Bearer tok")]


_LIVE_STREAM_DRIVER = """\
import { createClient, ServerSentEvent } from "../typescript/src/index.js";

declare const process: { argv: string[] };
const daggo = createClient(process.argv[2], { auth: process.argv[3] || undefined });
const { run } = await daggo.jobs.Launch({ job: "job", params: { n: 3 } });
const all: ServerSentEvent[] = [];
for await (const message of daggo.runs.Stream(run.id)) all.push(message);
const resumed: ServerSentEvent[] = [];
for await (const message of daggo.runs.Stream(run.id, { cursor: all[1].id })) {
  resumed.push(message);
}
console.log(JSON.stringify({ all, resumed }));
"""


@pytest.fixture(scope="module")
def live_stream_driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = current_spec()
    root = tmp_path_factory.mktemp("stream")
    generate_typescript(spec, root / "typescript")
    return compile_driver(root / "typescript", _LIVE_STREAM_DRIVER)


def test_typescript_client_follows_a_run_through_the_live_stream(
        server: Server, live_stream_driver: Path) -> None:
    result = subprocess.run(["node", str(live_stream_driver), server.url, server.secret or ""],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    events, end = seen["all"][:-1], seen["all"][-1]
    assert [message["event"] for message in events] == ["event"] * len(events)
    assert events[0]["data"]["kind"] == "RUN_QUEUED"
    assert (end["event"], end["data"]["status"]) == ("end", "SUCCESS")
    assert seen["resumed"] == seen["all"][2:]  # resumed after the second event's cursor
