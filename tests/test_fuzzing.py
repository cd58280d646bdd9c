"""Schemathesis against the live description of a running app (loopback only), on each
backend: every method, a fixed number of generated requests each with a fixed seed and
no shrinking; no answer may be a server error or break the description (its statuses,
its bodies)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

import daggo_core
from daggo_core.config import default_config
from daggo_core.testing.processes import free_port, wait_for
from daggo_core.testing.serving import served_on
from tests.conftest import BackendUnderTest
from tests.test_rpc import JOB

#: Generated requests per method, mode and backend: enough to reach each field's edge
#: values, few enough for the whole run to take seconds.
EXAMPLES_PER_METHOD = 12


@pytest.fixture
def live_url(storage_backend: BackendUnderTest,
             apps: Callable[..., daggo_core.DaggoApp]) -> Iterator[str]:
    """The base URL of an app with a few runs, served by Hypercorn on loopback."""
    cfg = default_config()
    cfg.database = storage_backend.database
    cfg.execution.executor = "in_process"
    cfg.scheduler.enabled = False
    app = apps(cfg, JOB)
    for n in range(3):
        app.launch("job", {"n": n})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with served_on(app.asgi, port, name="fuzzed-server"):
        wait_for(lambda: _answers(url), 20, "the server to answer")
        yield url


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def live_schema(live_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{live_url}/rpc/openapi.json")


def test_every_method_answers_as_described(live_schema: Any) -> None:
    """Each method's explicit example, then generated requests (valid ones, and ones
    that break the schema), checked by Schemathesis' checks: no server error, a declared
    status, a body valid for its schema, requests that break the schema refused. Not
    that every request the schema allows is accepted: an opaque cursor or a run id
    prefix the schema describes as a string may rightly be refused (400
    invalid_argument, a declared answer)."""
    problems: dict[str, str] = {}
    # The RPC methods; the event streams (GET, open until their run ends or forever) have
    # tests of their own.
    operations = [op for op in (result.ok() for result in live_schema.get_all_operations())
                  if op.method.upper() == "POST"]
    for operation, mode in itertools.product(operations, GenerationMode):
        if mode is GenerationMode.NEGATIVE and not operation.body:
            continue  # a method without a request: no body breaks a schema

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=EXAMPLES_PER_METHOD, derandomize=True, deadline=None,
                  phases=[Phase.explicit, Phase.generate], database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: Case) -> None:
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        try:
            fuzz()
        except Exception as exc:
            problems[f"{operation.path} ({mode.value})"] = str(exc)[:2000]
    assert len(operations) >= 16
    assert problems == {}
