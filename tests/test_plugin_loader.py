"""The event plugin is loaded by a thin module: pytest rewrites the asserts of that loader only.

``-p gateui_events`` makes pytest mark the module for assertion rewriting; where bytecode is not
written (``PYTHONDONTWRITEBYTECODE``, as in the gate's steps) it parsed and compiled the whole
plugin again at every start. The loader executes the implementation by its path instead, past
pytest's import hook. These tests run real pytest processes with bytecode writing off and check
that the plugin pytest registers is the unrewritten implementation, that the user's own tests are
still rewritten, that results still stream, and that the warm server's copy of the plugin (for
the environment key) still works through the loader.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gateui.core.running.events import TestFinished
from gateui.core.running.injected import PLUGIN_DIR, PLUGIN_IMPLEMENTATION
from gateui.core.running.pytest_process import PytestCommand, PytestProcess

pytestmark = pytest.mark.integration

WARM_SERVER_DIR = Path(PLUGIN_DIR).parent / "warm_server"

PROBE = """
import sys

import pytest


def double(x):
    return 2 * x


def test_the_users_asserts_are_rewritten():
    assert double(2) == 5


def test_the_registered_plugin_is_the_unrewritten_implementation(pytestconfig):
    plugin = pytestconfig.pluginmanager.get_plugin("gateui_events")
    assert plugin is sys.modules["gateui_events"]
    assert plugin.__file__ == {implementation!r}
    # pytest's import hook makes itself the loader of every module it rewrites.
    assert type(plugin.__loader__).__name__ == "SourceFileLoader", plugin.__loader__


def test_an_inner_pytest_loading_the_plugin_again_does_not_warn(tmp_path):
    # As pytester's in-process runs do: the module is already imported, unrewritten.
    (tmp_path / "test_inner.py").write_text("def test_inner():\\n    assert 1\\n")
    args = ["-p", "gateui_events", "-p", "no:cacheprovider", "-q", str(tmp_path)]
    code = pytest.main([*args, "-W", "error::pytest.PytestAssertRewriteWarning"])
    assert code == 0
"""


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    probe = PROBE.format(implementation=str(PLUGIN_IMPLEMENTATION))
    (root / "tests" / "test_probe.py").write_text(textwrap.dedent(probe))
    return root


def test_the_plugin_is_not_rewritten_the_users_tests_are_and_results_stream(
    tmp_path: Path,
) -> None:
    root = _repo(tmp_path)
    command = PytestCommand(
        root,
        root,
        Path(sys.executable),
        ("-p", "no:cacheprovider"),
        env={"PYTHONDONTWRITEBYTECODE": "1"},
    )
    results = {
        e.nodeid.rsplit("::", 1)[1]: e
        for e in PytestProcess(command).events()
        if isinstance(e, TestFinished)
    }
    assert sorted(results) == [
        "test_an_inner_pytest_loading_the_plugin_again_does_not_warn",
        "test_the_registered_plugin_is_the_unrewritten_implementation",
        "test_the_users_asserts_are_rewritten",
    ]
    rewritten = results.pop("test_the_users_asserts_are_rewritten")
    assert rewritten.outcome == "failed"
    # Only a rewritten assert explains the values it compared.
    assert "where 4 = double(2)" in (rewritten.longrepr or "")
    for name, result in results.items():
        assert result.outcome == "passed", (name, result.longrepr)


def test_the_warm_server_computes_the_environment_key_through_the_loader() -> None:
    env = {**os.environ, "PYTHONPATH": str(PLUGIN_DIR), "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("GATEUI_EVENTS", "GATEUI_EVENTS_KEY", "GATEUI_WARM_ENVIRONMENT_KEY"):
        env.pop(name, None)
    warm = (
        f"import sys; sys.path.insert(0, {str(WARM_SERVER_DIR)!r})\n"
        "import gateui_warm_server\n"
        "print(gateui_warm_server.environment_key())\n"
        # The runs the warm process forks import their own plugin, fresh.
        "print(sorted(n for n in sys.modules if 'gateui_events' in n))\n"
    )
    plain = "import gateui_events\nprint(gateui_events._environment_key())\n"
    keys = []
    for code in (warm, plain):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        keys.append(done.stdout.splitlines())
    (warm_key, left_imported), (plain_key,) = keys
    assert warm_key and warm_key == plain_key
    assert left_imported == "[]"


def test_the_implementations_bytecode_is_kept_even_where_the_projects_is_not(
    tmp_path: Path,
) -> None:
    # A project on another Python than gateui's has no bytecode of the plugin for it; with
    # PYTHONDONTWRITEBYTECODE (the gate's steps) every pytest start compiled the whole plugin.
    import shutil

    plugin_copy = tmp_path / "gateui_copy"
    for folder in (Path(PLUGIN_DIR), Path(PLUGIN_IMPLEMENTATION).parent):
        shutil.copytree(
            folder, plugin_copy / folder.name, ignore=shutil.ignore_patterns("__pycache__")
        )
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_one.py").write_text("def test_one():\n    assert 1\n")
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(plugin_copy / "pytest_plugin"),
        "GATEUI_EVENTS": str(tmp_path / "events.jsonl"),
    }
    command = [sys.executable, "-m", "pytest", "-p", "gateui_events", "-p", "no:cacheprovider"]
    for _ in range(2):
        run = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
    cached = list((plugin_copy / "pytest_plugin_implementation" / "__pycache__").glob("*.pyc"))
    assert [p.name for p in cached] == [
        f"gateui_events_implementation.{sys.implementation.cache_tag}.pyc"
    ]
    # The project's own files are still not compiled to disk, nor is the loader.
    assert list(root.rglob("__pycache__")) == []
    assert not (plugin_copy / "pytest_plugin" / "__pycache__").exists()
    # Results streamed both times.
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert sum('"e":"test"' in line for line in lines) == 2


def test_the_warm_servers_bytecode_is_kept_and_it_starts_through_its_loader(
    tmp_path: Path,
) -> None:
    # Python compiles a script from source at every start: the server is imported by a small
    # script instead, so its bytecode is cached (5-8 ms of every warm process's start).
    import json
    import shutil
    import socket

    server_copy = tmp_path / "warm_server"
    shutil.copytree(WARM_SERVER_DIR, server_copy, ignore=shutil.ignore_patterns("__pycache__"))
    project = tmp_path / "repo"
    project.mkdir()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(PLUGIN_DIR)}
    for _ in range(2):
        ours, theirs = socket.socketpair()
        with ours:
            server = subprocess.Popen(
                [sys.executable, str(server_copy / "gateui_warm.py"), str(theirs.fileno()), ""],
                cwd=project,
                env=env,
                pass_fds=(theirs.fileno(),),
                stdout=subprocess.PIPE,
                text=True,
            )
            theirs.close()
            assert server.stdout is not None
            status = json.loads(server.stdout.readline())
            assert status["ready"] is True and status["unsafe"] == "", status
        # Its control socket closed: the server exits.
        assert server.wait(timeout=60) == 0
        server.stdout.close()
    cached = list((server_copy / "__pycache__").glob("*.pyc"))
    assert [p.name for p in cached] == [f"gateui_warm_server.{sys.implementation.cache_tag}.pyc"]
    # The project's folder is the runs' path, as for ``python -m pytest``: nothing written there.
    assert list(project.rglob("*.pyc")) == []
