"""The plugin manager and every hook, each with a fresh manager and real plugin modules."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import textwrap
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pluggy
import pytest
from click.testing import CliRunner

from daggo_core.cli.main import cli
from daggo_core.errors import PluginError
from daggo_core.extensions import ExecutorSpec, QueueLoaderSpec, StorageBackend, UIPanel
from daggo_core.hookspecs import hookimpl
from daggo_core.plugins import Hooks, make_plugin_manager
from daggo_core.storage.records import Event, EventKind, Run, RunStatus


def plugin(name: str, **hooks: Callable[..., Any]) -> types.ModuleType:
    """A plugin module named `name` whose attributes are the given hook implementations."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def manager(*plugins: object) -> Hooks:
    """A fresh manager holding only `plugins` (no entry points)."""
    return make_plugin_manager(extra_plugins=plugins, load_entry_points=False)


@pytest.fixture
def entry_point_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., str]]:
    """Install a plugin module plus a dist-info declaring it under group `daggo`.

    Returns a function `(ep_name, source, dist=...) -> module name`; the directory is put
    on sys.path for this test only, so discovery goes through real entry-point metadata.
    """
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def install(ep_name: str, source: str, dist: str = "daggo-fake", version: str = "1.2.3") -> str:
        module = f"fake_daggo_plugin_{uuid.uuid4().hex[:8]}"
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n"
        )
        with (info / "entry_points.txt").open("a") as fh:
            fh.write(f"[daggo]\n{ep_name} = {module}\n")
        modules.append(module)
        return module

    yield install
    for module in modules:
        sys.modules.pop(module, None)


def _backend(name: str) -> StorageBackend:
    return StorageBackend(name=name, open=lambda cfg: None, description=f"{name} storage")


# ---------------------------------------------------------------------------
# one test per hook
# ---------------------------------------------------------------------------


def test_hook_daggo_storage_backends() -> None:
    memory, other = _backend("memory"), _backend("other")
    hooks = manager(
        plugin("alpha", daggo_storage_backends=lambda: [memory]),
        plugin("beta", daggo_storage_backends=lambda: [other]),
    )
    assert hooks.storage_backends() == {"memory": memory, "other": other}
    assert hooks.storage_backend("memory") is memory
    [alpha, beta] = hooks.plugins()
    assert (alpha.name, alpha.hooks) == ("alpha", ("daggo_storage_backends",))
    assert alpha.distribution == "(registered in code)"
    assert beta.name == "beta"


def test_hook_daggo_executors() -> None:
    launched: list[str] = []

    class InlineExecutor:
        def launch(self, run: Run) -> None:
            launched.append(run.id)

    spec = ExecutorSpec(name="inline", create=lambda context: InlineExecutor())
    hooks = manager(plugin("inline_plugin", daggo_executors=lambda: [spec]))
    executor = hooks.executor("inline").create(None)  # type: ignore[arg-type]
    run = Run(job_name="job")
    executor.launch(run)
    assert launched == [run.id]
    assert list(hooks.executors()) == ["inline"]


def test_hook_daggo_queue_loaders() -> None:
    def create(*, start: int) -> Any:
        def load(cursor: str | None) -> list[dict[str, int]]:
            return [{"n": start}]
        return load

    spec = QueueLoaderSpec(name="counter", create=create, mode="poll")
    hooks = manager(plugin("counter_plugin", daggo_queue_loaders=lambda: [spec]))
    assert hooks.queue_loader("counter") is spec
    assert hooks.queue_loader("counter").create(start=7)(None) == [{"n": 7}]
    assert list(hooks.queue_loaders()) == ["counter"]
    with pytest.raises(PluginError, match=r"no queue loader named 'pigeon'.*counter"):
        hooks.queue_loader("pigeon")


def test_hook_daggo_config_sections(tmp_path: Path) -> None:
    import attrs

    from daggo_core.config import installed_sections, load_config
    from daggo_core.settings import ConfigSection, integer, setting

    @attrs.define
    class AcmeSettings:
        workers: int = setting(2, integer(1))

    section = ConfigSection(name="database.acme", settings=AcmeSettings)
    hooks = manager(plugin("acme", daggo_config_sections=lambda: [section]))
    assert hooks.config_sections() == {"database.acme": section}
    cfg = load_config(env={"DAGGO_ACME_WORKERS": "5"}, cwd=tmp_path,
                      sections=[*installed_sections(), *hooks.config_sections().values()])
    assert cfg.database.acme.workers == 5


def test_every_hook_has_a_caller_in_core() -> None:
    """Each hook is read through a facade method of Hooks that core code calls."""
    import inspect
    import re

    from daggo_core import hookspecs, plugins

    core = Path(plugins.__file__).parent
    # The runtime's callers only: not the hook plumbing, nor the helpers for tests.
    sources = "\n".join(p.read_text(encoding="utf-8") for p in core.rglob("*.py")
                        if p.name not in ("hookspecs.py", "plugins.py")
                        and "testing" not in p.relative_to(core).parts)
    names = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction)
             if n.startswith("daggo_") and hasattr(f, "daggo_spec")]
    facade = {m: inspect.getsource(f) for m, f in inspect.getmembers(Hooks, inspect.isfunction)}

    def readers(hook: str) -> set[str]:
        """Facade methods reading `hook`, directly or through another facade method."""
        found = {m for m, source in facade.items() if hook in source}
        while more := {m for m, source in facade.items() if m not in found and any(
                re.search(rf"self\.{f}\(", source) for f in found)}:
            found |= more
        return found

    read_by = {name: readers(name) for name in names}
    uncalled = {name: sorted(found) for name, found in read_by.items()
                if not any(re.search(rf"\.{m}\(", sources) for m in found)}
    assert uncalled == {}, "hooks nothing in core calls (remove them or call them)"


def test_hook_daggo_ui_panels() -> None:
    panel = UIPanel(name="costs", title="Costs", path="/costs",
                    render=lambda ctx: "<h1>Costs</h1>")
    hooks = manager(plugin("panels", daggo_ui_panels=lambda: [panel]))
    assert hooks.ui_panels()["costs"].render is panel.render
    assert hooks.ui_panels()["costs"].path == "/costs"


def test_hook_daggo_worker_commands() -> None:
    """`daggo worker NAME` runs a plugin's worker command; without one, `daggo worker`
    is still the subprocess executor's worker entry (its options unchanged)."""

    @click.command("acme")
    @click.option("--queues", default="all")
    def acme(queues: str) -> None:
        click.echo(f"acme worker on {queues}")

    hooks = manager(plugin("acme", daggo_worker_commands=lambda: [acme]))
    runner = CliRunner()
    result = runner.invoke(cli, ["worker", "acme", "--queues", "a,b"], obj=hooks)
    assert result.exit_code == 0, result.output
    assert result.output == "acme worker on a,b\n"
    listing = runner.invoke(cli, ["worker", "--help"], obj=hooks)
    assert "acme" in listing.output and "--run-id" in listing.output
    unknown = runner.invoke(cli, ["worker", "nope"], obj=hooks)
    assert unknown.exit_code != 0 and "No such command 'nope'" in unknown.output


def test_hook_daggo_cli_commands() -> None:
    @click.command("hello")
    @click.option("--name", default="world")
    def hello(name: str) -> None:
        click.echo(f"hello {name}")

    hooks = manager(plugin("greeter", daggo_cli_commands=lambda: [hello]))
    runner = CliRunner()

    result = runner.invoke(cli, ["hello", "--name", "daggo"], obj=hooks)
    assert result.exit_code == 0, result.output
    assert result.output == "hello daggo\n"

    listing = runner.invoke(cli, ["--help"], obj=hooks)
    assert listing.exit_code == 0, listing.output
    assert "hello" in listing.output
    assert "plugins" in listing.output


def test_hook_daggo_run_event(caplog: pytest.LogCaptureFixture) -> None:
    from daggo_core.execution.event_dispatch import attach_dispatcher
    from daggo_core.execution.local import ephemeral_storage

    seen: list[tuple[str, object, object]] = []

    def on_event_sync(run: Run, event: Event) -> None:
        seen.append(("sync", event.kind, run.status))

    async def on_event_async(event: Event) -> None:
        await asyncio.sleep(0)
        seen.append(("async", event.kind, event.message))

    def on_event_broken(run: Run) -> None:
        raise RuntimeError("webhook down")

    hooks = manager(
        plugin("sync_listener", daggo_run_event=on_event_sync),
        plugin("async_listener", daggo_run_event=on_event_async),
        plugin("broken_listener", daggo_run_event=on_event_broken),
    )
    storage = ephemeral_storage()
    dispatcher = attach_dispatcher(storage, hooks)
    assert dispatcher is not None
    run = storage.add_run(Run(job_name="job"))
    with caplog.at_level(logging.ERROR, logger="daggo.plugins"):
        storage.set_run_status(run.id, RunStatus.STARTED, events=[
            Event(run_id=run.id, kind=EventKind.RUN_STARTED, message="go")])
        dispatcher.close()
    storage.close()
    assert sorted(seen, key=str) == [("async", EventKind.RUN_STARTED, "go"),
                                     ("sync", EventKind.RUN_STARTED, RunStatus.STARTED)]
    [record] = [r for r in caplog.records if r.name == "daggo.plugins"]
    assert "broken_listener" in record.getMessage()
    assert record.exc_text is not None and "webhook down" in record.exc_text


def test_a_listener_that_never_returns_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    script = tmp_path / "stuck_listener.py"
    script.write_text(textwrap.dedent("""
        import threading, types
        from daggo_core.execution.event_dispatch import attach_dispatcher
        from daggo_core.execution.local import ephemeral_storage
        from daggo_core.hookspecs import hookimpl
        from daggo_core.plugins import make_plugin_manager
        from daggo_core.storage.records import Event, EventKind, Run, RunStatus

        called = threading.Event()
        module = types.ModuleType("stuck")
        def daggo_run_event(event):
            called.set()
            threading.Event().wait()  # never returns
        module.daggo_run_event = hookimpl(daggo_run_event)
        hooks = make_plugin_manager(extra_plugins=[module], load_entry_points=False)
        storage = ephemeral_storage()
        dispatcher = attach_dispatcher(storage, hooks)
        run = storage.add_run(Run(job_name="job"))
        storage.set_run_status(run.id, RunStatus.STARTED, events=[
            Event(run_id=run.id, kind=EventKind.RUN_STARTED)])
        assert called.wait(10)
        dispatcher.close(timeout=0.2)
        storage.close()
        print("closed")
    """))
    import subprocess

    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "closed"
    assert "run event listeners were still busy after 0.2 s; 0 queued event(s)" in done.stderr


def test_events_stored_after_close_are_reported_not_lost_silently(
        caplog: pytest.LogCaptureFixture) -> None:
    from daggo_core.execution.event_dispatch import attach_dispatcher
    from daggo_core.execution.local import ephemeral_storage

    seen: list[object] = []
    storage = ephemeral_storage()
    dispatcher = attach_dispatcher(
        storage, manager(plugin("listener", daggo_run_event=lambda event: seen.append(event))))
    assert dispatcher is not None
    run = storage.add_run(Run(job_name="job"))
    dispatcher.close()
    with caplog.at_level(logging.WARNING, logger="daggo.plugins"):
        storage.set_run_status(run.id, RunStatus.STARTED, events=[
            Event(run_id=run.id, kind=EventKind.RUN_STARTED)])
    storage.close()
    assert seen == []
    assert any("1 run event(s) stored after the event dispatcher closed" in r.getMessage()
               for r in caplog.records)


def test_no_dispatcher_without_listeners() -> None:
    from daggo_core.execution.event_dispatch import attach_dispatcher
    from daggo_core.execution.local import ephemeral_storage

    storage = ephemeral_storage()
    try:
        assert attach_dispatcher(storage, manager()) is None
    finally:
        storage.close()


# ---------------------------------------------------------------------------
# the manager: names, errors, blocking, discovery
# ---------------------------------------------------------------------------


def test_duplicate_names_raise_naming_both_plugins() -> None:
    hooks = manager(
        plugin("alpha", daggo_storage_backends=lambda: [_backend("memory")]),
        plugin("beta", daggo_storage_backends=lambda: [_backend("memory")]),
    )
    with pytest.raises(PluginError) as info:
        hooks.storage_backends()
    message = str(info.value)
    assert "'memory'" in message
    assert "'alpha'" in message
    assert "'beta'" in message


def test_duplicate_cli_command_is_a_clean_cli_error() -> None:
    def commands() -> list[click.Command]:
        return [click.Command("dup", callback=lambda: None)]

    hooks = manager(plugin("alpha", daggo_cli_commands=commands),
                    plugin("beta", daggo_cli_commands=commands))
    result = CliRunner().invoke(cli, ["dup"], obj=hooks)
    assert result.exit_code == 1
    assert "'alpha'" in result.output
    assert "'beta'" in result.output


def test_entry_without_a_name_is_rejected() -> None:
    hooks = manager(plugin("nameless", daggo_executors=lambda: [object()]))
    with pytest.raises(PluginError, match="nameless"):
        hooks.executors()


def test_unknown_storage_backend_lists_installed_names() -> None:
    hooks = manager(
        plugin("alpha", daggo_storage_backends=lambda: [_backend("memory"), _backend("other")])
    )
    with pytest.raises(PluginError) as info:
        hooks.storage_backend("nope")
    message = str(info.value)
    assert "'nope'" in message
    assert "database.driver" in message
    assert "installed: memory, other" in message


def test_unknown_executor_lists_none_installed() -> None:
    with pytest.raises(PluginError, match=r"installed: none"):
        manager().executor("celery")


def test_misspelled_hook_fails_check_pending() -> None:
    typo = plugin("typo", daggo_executorz=lambda: [])
    with pytest.raises(pluggy.PluginValidationError, match="daggo_executorz"):
        make_plugin_manager(extra_plugins=[typo], load_entry_points=False)


def test_entry_point_plugin_is_discovered_with_its_distribution(
    entry_point_plugin: Callable[..., str],
) -> None:
    entry_point_plugin("fakeexec", """
        from daggo_core import hookimpl
        from daggo_core.extensions import ExecutorSpec

        @hookimpl
        def daggo_executors():
            return [ExecutorSpec(name="fake", create=lambda context: None)]
    """)
    hooks = make_plugin_manager(block=())
    [info] = [p for p in hooks.plugins() if p.name == "fakeexec"]
    assert (info.distribution, info.version, info.hooks) == (
        "daggo-fake", "1.2.3", ("daggo_executors",)
    )
    assert "fake" in hooks.executors()


def test_daggo_plugins_block_blocks_an_entry_point_plugin(
    entry_point_plugin: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = entry_point_plugin("blockme", """
        from daggo_core import hookimpl
        from daggo_core.extensions import ExecutorSpec

        @hookimpl
        def daggo_executors():
            return [ExecutorSpec(name="blocked_executor", create=lambda context: None)]
    """)
    monkeypatch.setenv("DAGGO_PLUGINS_BLOCK", "someother, blockme")
    hooks = make_plugin_manager()
    assert "blockme" not in {p.name for p in hooks.plugins()}
    assert "blockme" not in {f.name for f in hooks.failures}
    assert "blocked_executor" not in hooks.executors()
    assert module not in sys.modules

    monkeypatch.delenv("DAGGO_PLUGINS_BLOCK")
    assert "blocked_executor" in make_plugin_manager().executors()


def test_broken_entry_point_is_reported_not_raised(
    entry_point_plugin: Callable[..., str],
) -> None:
    entry_point_plugin("broken", "raise ImportError('needs the frobnicate SDK')\n",
                       dist="daggo-broken", version="0.0.1")
    hooks = make_plugin_manager(block=())
    [failure] = [f for f in hooks.failures if f.name == "broken"]
    assert failure.distribution == "daggo-broken"
    assert failure.error == "ImportError: needs the frobnicate SDK"
    with pytest.raises(PluginError, match=r"'broken' \(daggo-broken 0\.0\.1\) failed to import"):
        hooks.storage_backend("nope")


# ---------------------------------------------------------------------------
# the CLI seam
# ---------------------------------------------------------------------------


def test_core_commands_do_not_load_plugins(
    entry_point_plugin: Callable[..., str], tmp_path: Path
) -> None:
    marker = tmp_path / "imported"
    module = entry_point_plugin("noisy", f"""
        from pathlib import Path
        Path({str(marker)!r}).write_text("loaded")
    """)
    runner = CliRunner()
    for args in (["--version"], ["plugins", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert not marker.exists(), f"daggo {' '.join(args)} loaded plugins"
    assert module not in sys.modules

    assert runner.invoke(cli, ["--help"]).exit_code == 0
    assert marker.exists()


def test_plugins_command_lists_plugins_and_failures(
    entry_point_plugin: Callable[..., str],
) -> None:
    entry_point_plugin("broken", "raise ImportError('needs the frobnicate SDK')\n",
                       dist="daggo-broken")
    hooks = make_plugin_manager(
        block=(), extra_plugins=[plugin("alpha", daggo_storage_backends=lambda: [])]
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["plugins"], obj=hooks, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "alpha" in result.output
    assert "daggo_storage_backends" in result.output
    assert "daggo-broken" in result.output
    assert "needs the frobnicate SDK" in result.output
    assert "\x1b[" not in result.output  # no colour codes when not a terminal

    as_json = runner.invoke(cli, ["plugins", "--json"], obj=hooks)
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert {"name": "alpha", "distribution": "(registered in code)", "version": "",
            "hooks": ["daggo_storage_backends"]} in report["plugins"]
    [failure] = [f for f in report["failures"] if f["name"] == "broken"]
    assert failure["distribution"] == "daggo-broken"
    assert failure["error"] == "ImportError: needs the frobnicate SDK"
    assert "Traceback" in failure["traceback"]
