"""Warm test processes: runs forked from a preloaded pytest give what cold runs give, start from
pristine modules, restart when the environment changes, fall back where forking is unsafe, and
never outlive gateui."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateui.core.discovery.discover import load_projects
from gateui.core.running.events import RunSummary, SessionStarted, TestFinished
from gateui.core.running.pytest_process import PytestCommand, PytestProcess
from gateui.core.running.warm import WarmPool
from helpers import SAMPLES, alive, init_repo, run_cli, throwaway_venv, write_repo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

PYTHON_SAMPLES = sorted(
    p.name for p in SAMPLES.iterdir() if p.is_dir() and not (p / "mix.exs").exists()
)


def run(
    root: Path,
    interpreter: Path,
    pool: WarmPool | None,
    *args: str,
    repo: Path | None = None,
    env: dict[str, str] | None = None,
) -> tuple[dict[str, str], RunSummary, bool]:
    """One real run; ``env``: the run's whole environment (default: this process's)."""
    process = PytestProcess(
        PytestCommand(
            project_root=root,
            repo_root=repo or root,
            interpreter=interpreter,
            args=args,
            env=env or {},
            inherit_env=env is None,
        ),
        warm=pool,
    )
    outcomes: dict[str, str] = {}
    summary: RunSummary | None = None
    for event in process.events():
        if isinstance(event, TestFinished):
            outcomes[event.nodeid] = event.outcome
        elif isinstance(event, RunSummary):
            summary = event
    assert summary is not None
    return outcomes, summary, process.forked


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[WarmPool]:
    with WarmPool(tmp_path) as warm:
        yield warm


@pytest.mark.integration
@pytest.mark.parametrize("name", ["demo", *PYTHON_SAMPLES])
def test_a_warm_run_gives_what_a_cold_run_gives(
    name: str, sample_repo: Callable[[str], Path], pool: WarmPool
) -> None:
    repo = sample_repo(name)
    projects = load_projects(repo)
    assert projects
    for project in projects:
        cold, cold_summary, forked = run(project.root, project.interpreter, None, repo=repo)
        assert not forked
        # The first warm run teaches the warm process the tests' imports; the second has them.
        for _ in range(2):
            warm, summary, forked = run(project.root, project.interpreter, pool, repo=repo)
            assert forked
            assert warm == cold
            assert summary.exitstatus == cold_summary.exitstatus
            assert (summary.passed, summary.failed, summary.skipped, summary.errors) == (
                cold_summary.passed,
                cold_summary.failed,
                cold_summary.skipped,
                cold_summary.errors,
            )


ENDS_AS_A_PROCESS = """
    import atexit
    import threading
    import time

    OUT = {out!r}
    log = open(OUT + ".log", "w")  # never closed: the end of the process writes it


    def pytest_sessionfinish(session):
        log.write("session finished\\n")
        atexit.register(lambda: open(OUT + ".atexit", "w").write("ran"))

        def late():
            time.sleep(0.3)
            open(OUT + ".thread", "w").write("joined")

        threading.Thread(target=late).start()
"""


@pytest.mark.integration
def test_a_forked_run_ends_as_a_process_does(tmp_path: Path, pool: WarmPool) -> None:
    """A forked run ends as a started one does: its threads are joined, its ``atexit`` handlers
    run, a file it left open is written, and the exit status is pytest's. (Ending forked runs
    with ``os._exit`` after those steps was tried: it saved 0.1 % of a 1,000-test run's
    instructions, as the preloaded heap, frozen, already costs the teardown next to nothing.)"""
    out = tmp_path / "out"
    root = write_repo(
        tmp_path / "repo",
        {
            "conftest.py": ENDS_AS_A_PROCESS.format(out=str(out)),
            "test_one.py": "def test_one():\n    assert False\n",
        },
    )
    interpreter = Path(sys.executable)
    for warm in (None, pool, pool):
        for suffix in (".log", ".atexit", ".thread"):
            out.with_name(out.name + suffix).unlink(missing_ok=True)
        process = PytestProcess(
            PytestCommand(project_root=root, repo_root=root, interpreter=interpreter),
            warm=warm,
        )
        outcomes = {e.nodeid: e.outcome for e in process.events() if isinstance(e, TestFinished)}
        assert outcomes == {"test_one.py::test_one": "failed"}
        assert process.forked == (warm is not None)
        assert process.returncode == 1
        assert out.with_name("out.thread").read_text() == "joined"
        assert out.with_name("out.atexit").read_text() == "ran"
        assert out.with_name("out.log").read_text() == "session finished\n"


@pytest.mark.integration
def test_a_library_patched_by_one_run_is_pristine_in_the_next(
    tmp_path: Path, pool: WarmPool
) -> None:
    root = write_repo(
        tmp_path / "repo",
        {
            "test_patches.py": """
                import colorsys
                colorsys.rgb_to_hsv = lambda *args: "patched"

                def test_patched():
                    assert colorsys.rgb_to_hsv(1, 1, 1) == "patched"
            """,
            "test_plain.py": """
                import colorsys

                def test_plain():
                    assert colorsys.rgb_to_hsv(1, 1, 1) == (0.0, 0.0, 1)
            """,
        },
    )
    interpreter = Path(sys.executable)
    run(root, interpreter, pool)  # teaches the warm process what the tests import
    server = pool.server(root, interpreter, dict(os.environ))
    first, _, forked_first = run(root, interpreter, pool, "test_patches.py")
    assert server is not None
    second, _, forked_second = run(root, interpreter, pool, "test_plain.py")
    assert forked_first and forked_second
    assert pool.server(root, interpreter, dict(os.environ)) is server
    assert first == {"test_patches.py::test_patched": "passed"}
    assert second == {"test_plain.py::test_plain": "passed"}


@pytest.mark.integration
def test_a_package_installed_into_the_environment_restarts_the_warm_process(
    tmp_path: Path, pool: WarmPool
) -> None:
    python, site = throwaway_venv(tmp_path / "venv")
    root = write_repo(tmp_path / "repo", {"test_one.py": "def test_one():\n    pass\n"})
    outcomes, _, forked = run(root, python, pool)
    assert forked and outcomes == {"test_one.py::test_one": "passed"}
    before = pool.server(root, python, dict(os.environ))
    assert before is not None
    assert pool.server(root, python, dict(os.environ)) is before
    dist = site / "freshly_installed-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: freshly-installed\n")
    outcomes, _, forked = run(root, python, pool)
    assert forked and outcomes == {"test_one.py::test_one": "passed"}
    after = pool.server(root, python, dict(os.environ))
    assert after is not None and after.pid != before.pid
    assert not alive(before.pid)
    log = (tmp_path / ".gateui" / "warm.log").read_text()
    assert "the installed packages changed" in log


def recorded_key(root: Path, python: Path, pool: WarmPool | None) -> tuple[str | None, bool]:
    """The environment key a recording run reports (and whether it was forked)."""
    process = PytestProcess(
        PytestCommand(
            project_root=root,
            repo_root=root,
            interpreter=python,
            args=(),
            env={"GATEUI_RECORD": str(root)},
        ),
        warm=pool,
    )
    keys = [e.env for e in process.events() if isinstance(e, SessionStarted)]
    assert len(keys) == 1
    return keys[0], process.forked


@pytest.mark.integration
def test_a_forked_run_records_under_the_key_a_cold_run_computes_even_after_an_install(
    tmp_path: Path, pool: WarmPool
) -> None:
    """The warm process computes the environment key once for all its runs: it must be the one
    a cold run computes, and change with the installed packages."""
    python, site = throwaway_venv(tmp_path / "venv")
    root = write_repo(tmp_path / "repo", {"test_one.py": "def test_one():\n    pass\n"})
    cold, forked = recorded_key(root, python, None)
    assert not forked and cold
    warm, forked = recorded_key(root, python, pool)
    assert forked and warm == cold
    dist = site / "freshly_installed-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: freshly-installed\n")
    cold_after, forked = recorded_key(root, python, None)
    assert not forked and cold_after != cold
    warm_after, forked = recorded_key(root, python, pool)
    assert forked and warm_after == cold_after


@pytest.mark.integration
def test_a_thread_started_at_import_makes_runs_start_cold_and_says_so_once(
    tmp_path: Path, pool: WarmPool
) -> None:
    python, site = throwaway_venv(tmp_path / "venv")
    (site / "threadlib.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,), name='poller', daemon=True).start()\n"
    )
    root = write_repo(
        tmp_path / "repo", {"test_uses.py": "import threadlib\n\ndef test_uses():\n    pass\n"}
    )
    expected = {"test_uses.py::test_uses": "passed"}
    # The first run teaches the warm process that the tests import threadlib.
    outcomes, summary, forked = run(root, python, pool)
    assert forked and outcomes == expected
    outcomes, summary, forked = run(root, python, pool)
    assert not forked and outcomes == expected
    notes = [w for w in summary.warnings if "warm" in w]
    assert len(notes) == 1
    assert "thread is alive after the preload, and at a fork" in notes[0]
    assert "threadlib" in notes[0] and "runs start cold" in notes[0]
    outcomes, summary, forked = run(root, python, pool)
    assert not forked and outcomes == expected
    assert not [w for w in summary.warnings if "warm" in w]


POOL_LIBRARY = """
import os, threading

_stop = threading.Event()
_pool = []


def _start():
    _stop.clear()
    thread = threading.Thread(target=_stop.wait, name="pool-worker", daemon=True)
    thread.start()
    _pool.append(thread)


def _stop_before_fork():
    # What OpenBLAS (numpy, scipy) does with its thread pool in a pthread_atfork handler.
    _stop.set()
    while _pool:
        _pool.pop().join()


os.register_at_fork(before=_stop_before_fork{after_in_parent})
_start()
"""


@pytest.mark.integration
@pytest.mark.parametrize("restarts_in_parent", [False, True])
def test_a_thread_pool_that_stops_before_a_fork_leaves_the_warm_process_usable(
    tmp_path: Path, pool: WarmPool, restarts_in_parent: bool
) -> None:
    """A library that starts a thread at import but stops it before every fork (as numpy's
    OpenBLAS does) keeps no run cold; one whose thread is back in the warm process right after a
    fork (restarted in the parent) still does."""
    python, site = throwaway_venv(tmp_path / "venv")
    after = ", after_in_parent=_start" if restarts_in_parent else ""
    (site / "poollib.py").write_text(POOL_LIBRARY.format(after_in_parent=after))
    root = write_repo(
        tmp_path / "repo",
        {"test_uses.py": "import poollib\n\ndef test_uses():\n    pass\n"},
    )
    expected = {"test_uses.py::test_uses": "passed"}
    # The first run teaches the warm process that the tests import poollib.
    outcomes, summary, forked = run(root, python, pool)
    assert forked and outcomes == expected
    outcomes, summary, forked = run(root, python, pool)
    assert outcomes == expected
    notes = [w for w in summary.warnings if "warm" in w]
    if restarts_in_parent:
        assert not forked
        assert len(notes) == 1 and "alive after the preload, and at a fork" in notes[0]
        assert "poollib" in notes[0]
    else:
        assert forked and notes == []


@pytest.mark.integration
def test_a_package_that_warns_at_import_leaves_what_it_imported_whole(
    tmp_path: Path, pool: WarmPool
) -> None:
    """A package whose import warns is not preloaded (the run must see the warning), but the
    modules it completed on the way stay: a compiled extension (numpy's) cannot be imported twice
    in one process, and taking it out made every forked run fail where a cold run passes
    (matplotlib, whose import warned with a newer pyparsing, after importing numpy)."""
    python, site = throwaway_venv(tmp_path / "venv")
    # Like a compiled extension: a second import in one process fails.
    (site / "onceonly.py").write_text(
        "import builtins\n"
        "if getattr(builtins, '_onceonly_loaded', False):\n"
        "    raise ImportError('onceonly cannot be imported twice in one process')\n"
        "builtins._onceonly_loaded = True\n"
    )
    package = site / "warnspkg"
    package.mkdir()
    (package / "sub.py").write_text("VALUE = 1\n")
    (package / "__init__.py").write_text(
        "import warnings\n"
        "from . import sub\n"
        "import onceonly\n"
        "warnings.warn('warnspkg: a deprecated call at import', UserWarning)\n"
    )
    root = write_repo(
        tmp_path / "repo",
        {"test_uses.py": "import warnspkg\n\ndef test_uses():\n    assert warnspkg.sub.VALUE\n"},
    )
    expected = {"test_uses.py::test_uses": "passed"}
    outcomes, _, _ = run(root, python, None)
    assert outcomes == expected
    # The first run teaches the warm process the modules (warnspkg.sub completes first).
    outcomes, _, forked = run(root, python, pool)
    assert forked and outcomes == expected
    for _ in range(2):
        outcomes, summary, forked = run(root, python, pool)
        assert forked and outcomes == expected
        assert not [w for w in summary.warnings if "warm" in w]


NAMED_THREAD_LIBRARY = """
import ctypes, threading

_named = threading.Event()

def _run():
    # A native library's thread, as the kernel names it (prctl PR_SET_NAME).
    ctypes.CDLL(None).prctl(15, {name!r}.encode(), 0, 0, 0)
    _named.set()
    threading.Event().wait()

threading.Thread(target=_run, daemon=True).start()
# Named before the import ends: on a loaded machine the thread might not have run yet when
# the warm process looks at its threads, and an unnamed one counts as unknown.
_named.wait()
"""


@pytest.mark.integration
@pytest.mark.parametrize(("thread_name", "warm"), [("jemalloc_bg_thd", True), ("other_bg", False)])
def test_a_thread_known_to_be_harmless_at_a_fork_leaves_the_warm_process_usable(
    tmp_path: Path, pool: WarmPool, thread_name: str, warm: bool
) -> None:
    """jemalloc's background thread (pyarrow's allocator, started as pandas imports it) is alive
    at a fork, but jemalloc takes its locks before one: it does not keep runs cold. Any other
    thread alive at a fork still does."""
    python, site = throwaway_venv(tmp_path / "venv")
    (site / "bglib.py").write_text(NAMED_THREAD_LIBRARY.format(name=thread_name))
    root = write_repo(
        tmp_path / "repo", {"test_uses.py": "import bglib\n\ndef test_uses():\n    pass\n"}
    )
    expected = {"test_uses.py::test_uses": "passed"}
    outcomes, _, forked = run(root, python, pool)
    assert forked and outcomes == expected
    outcomes, summary, forked = run(root, python, pool)
    assert outcomes == expected and forked == warm
    notes = [w for w in summary.warnings if "warm" in w]
    assert notes == [] if warm else "bglib" in notes[0]


def warm_processes_of(pid: int) -> set[int]:
    """Processes running the warm server whose environment names gateui's process ``pid`` as
    the owner of their run token (the guard gives every process of a run the token)."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if b"gateui_warm.py" in cmdline and f"GATEUI_RUN_ID={pid}-".encode() in environ:
            found.add(int(entry))
    return found


def start_watch(repo: Path) -> tuple[subprocess.Popen[str], set[int]]:
    (repo / "tests" / "test_new.py").write_text("def test_new():\n    pass\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "watch", "--no-tui", "--json"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if json.loads(line).get("event") == "summary":
            break
        assert time.monotonic() < deadline
    # After a run that imported new modules the pool restarts its server in the background:
    # between the old one stopping and the new one starting there may be none for a moment.
    servers = warm_processes_of(proc.pid)
    while not servers and time.monotonic() < deadline:
        time.sleep(0.1)
        servers = warm_processes_of(proc.pid)
    assert servers, "the watch run was not forked from a warm process"
    return proc, servers


@pytest.mark.integration
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_no_warm_process_outlives_gateui(
    how: signal.Signals, sample_repo: Callable[[str], Path]
) -> None:
    repo = sample_repo("escaping")
    proc, servers = start_watch(repo)
    proc.send_signal(how)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in servers)


@pytest.mark.unit
def test_tool_gateui_warm_is_true_or_false(tmp_path: Path) -> None:
    from gateui.core.common.config import load_gateui_config
    from gateui.core.common.errors import ConfigError

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.gateui]\npython = "python3"\nwarm = "no"\n')
    with pytest.raises(ConfigError) as caught:
        load_gateui_config(pyproject)
    assert "tool.gateui.warm must be true or false" in str(caught.value)
    assert caught.value.line == 3
    pyproject.write_text("[tool.gateui]\nwarm = false\n")
    assert load_gateui_config(pyproject).warm is False


PARENT_PROBE = """
import os

def test_parent():
    edit = 0  # changed by the test to start a watch cycle
    parent = os.getppid()
    with open(f"/proc/{parent}/cmdline", "rb") as handle:
        warm = b"gateui_warm.py" in handle.read()
    with open(os.environ["GATEUI_TEST_PARENTS"], "a") as handle:
        handle.write(f"{parent} {int(warm)}\\n")
"""


def parents(record: Path) -> list[tuple[int, bool]]:
    """Each run's test process's parent, and whether it was a warm process then."""
    lines = record.read_text().splitlines() if record.exists() else []
    return [(int(line.split()[0]), line.split()[1] == "1") for line in lines]


def watch_events(proc: subprocess.Popen[str], kind: str) -> dict[str, object]:
    assert proc.stdout is not None
    for line in proc.stdout:
        event: dict[str, object] = json.loads(line)
        if event.get("event") == kind:
            return event
    raise AssertionError(f"watch ended before a {kind!r} event")


@pytest.mark.integration
def test_gateui_run_hands_its_run_to_the_warm_process_watch_mode_keeps(tmp_path: Path) -> None:
    repo = init_repo(write_repo(tmp_path / "repo", {"test_parent.py": PARENT_PROBE}))
    record = tmp_path / "parents"
    env = {**os.environ, "GATEUI_TEST_PARENTS": str(record)}
    watch = subprocess.Popen(
        [sys.executable, "-m", "gateui", "watch", "--no-tui", "--json"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        watch_events(watch, "idle")
        # Two cycles: after the first the warm process restarts with what the tests imported;
        # the second is forked from the restarted one, which stays.
        for number in range(2):
            (repo / "test_parent.py").write_text(
                PARENT_PROBE.replace("edit = 0", f"edit = {number + 1}")
            )
            cycle = watch_events(watch, "cycle")
            while cycle["changed"] != ["test_parent.py"]:
                cycle = watch_events(watch, "cycle")
            summary = watch_events(watch, "summary")
            assert summary["passed"] == 1, json.dumps([cycle, summary])
        server, warm = parents(record)[-1]
        assert warm
        ran = run_cli(["run", "--json"], repo, env)
        assert ran.code == 0, ran.stderr
        assert ran.json_lines()[-1]["passed"] == 1
        # Forked from watch mode's warm process: its parent is that process.
        assert parents(record)[-1] == (server, True)
        # Another environment than the warm process was started for: a cold run of its own.
        ran = run_cli(["run", "--json"], repo, {**env, "SOME_SETTING": "other"})
        assert ran.code == 0, ran.stderr
        assert not parents(record)[-1][1]
    finally:
        watch.send_signal(signal.SIGINT)
        watch.wait(timeout=60)
    # With watch mode gone, so is its warm process; `gateui run` then forks from a warm process
    # of its own, started early (the last run went to this project), gone when the run is.
    deadline = time.monotonic() + 30
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server)
    ran = run_cli(["run", "--json"], repo, env)
    assert ran.code == 0, ran.stderr
    own, warm = parents(record)[-1]
    assert warm and own != server
    assert not alive(own)


@pytest.mark.tui
def test_tui_runs_fork_from_a_warm_process_while_the_app_is_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.pilot import Pilot

    from gateui.tui.app import GateuiApp
    from tui_support import drive, run_everything

    repo = init_repo(write_repo(tmp_path / "repo", {"test_parent.py": PARENT_PROBE}))
    record = tmp_path / "parents"
    monkeypatch.setenv("GATEUI_TEST_PARENTS", str(record))
    servers: list[int] = []

    async def scenario(app: GateuiApp, pilot: Pilot[int]) -> None:
        assert (await run_everything(app, pilot)).passed == 1
        server, warm = parents(record)[-1]
        assert warm
        servers.append(server)

    drive(GateuiApp(repo), scenario)
    # The app closed: its warm process is gone.
    deadline = time.monotonic() + 30
    while alive(servers[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(servers[0])


@pytest.mark.integration
def test_warm_memory_is_reported_and_bounded(
    tmp_path: Path, pool: WarmPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gateui.core.running.warm as warm_module

    root = write_repo(tmp_path / "repo", {"test_one.py": "def test_one():\n    pass\n"})
    interpreter = Path(sys.executable)
    outcomes, _, forked = run(root, interpreter, pool)
    assert forked and outcomes == {"test_one.py::test_one": "passed"}
    server = pool.server(root, interpreter, dict(os.environ))
    assert server is not None
    size = warm_module.rss_mb(server.pid)
    assert size is not None and size > 1
    log = (tmp_path / ".gateui" / "warm.log").read_text()
    assert f"warm process {server.pid} for {root}" in log and " MB" in log
    # Over the bound, the warm process is stopped and runs start cold, said once.
    monkeypatch.setattr(warm_module, "MAX_RSS_MB", 1)
    outcomes, summary, forked = run(root, interpreter, pool)
    assert not forked and outcomes == {"test_one.py::test_one": "passed"}
    notes = [w for w in summary.warnings if "warm" in w]
    assert len(notes) == 1 and "(over 1 MB): it is stopped, runs start cold" in notes[0]
    deadline = time.monotonic() + 30
    while alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server.pid)


@pytest.mark.integration
def test_a_module_known_not_to_survive_fork_makes_runs_start_cold(
    tmp_path: Path, pool: WarmPool
) -> None:
    python, site = throwaway_venv(tmp_path / "venv")
    (site / "grpc").mkdir()
    (site / "grpc" / "__init__.py").write_text("")
    root = write_repo(
        tmp_path / "repo", {"test_rpc.py": "import grpc\n\ndef test_rpc():\n    pass\n"}
    )
    expected = {"test_rpc.py::test_rpc": "passed"}
    env = {k: v for k, v in os.environ.items() if k != "GRPC_ENABLE_FORK_SUPPORT"}
    # The first run teaches the warm process that the tests import grpc.
    outcomes, _, forked = run(root, python, pool, env=env)
    assert forked and outcomes == expected
    outcomes, summary, forked = run(root, python, pool, env=env)
    assert not forked and outcomes == expected
    notes = [w for w in summary.warnings if "warm" in w]
    assert len(notes) == 1
    assert "the tests import grpc" in notes[0] and "does not survive a fork" in notes[0]
    # With gRPC's fork support on, it is forked again.
    outcomes, _, forked = run(root, python, pool, env={**env, "GRPC_ENABLE_FORK_SUPPORT": "1"})
    assert forked and outcomes == expected


@pytest.mark.integration
def test_a_run_whose_warm_process_dies_is_reported_and_leaves_nothing(
    tmp_path: Path, pool: WarmPool
) -> None:
    started = tmp_path / "started"
    root = write_repo(
        tmp_path / "repo",
        {
            "test_slow.py": f"""
                import os, time

                def test_slow():
                    # Written whole, then renamed: the waiting test never reads a half-written pid.
                    with open({str(started)!r} + ".part", "w") as handle:
                        handle.write(str(os.getpid()))
                    os.replace({str(started)!r} + ".part", {str(started)!r})
                    time.sleep(120)
            """
        },
    )
    interpreter = Path(sys.executable)
    server = pool.server(root, interpreter, dict(os.environ))
    assert server is not None
    results: list[tuple[dict[str, str], RunSummary, bool]] = []
    runner = threading.Thread(target=lambda: results.append(run(root, interpreter, pool)))
    runner.start()
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    test_pid = int(started.read_text())
    os.kill(server.pid, signal.SIGKILL)
    runner.join(timeout=60)
    assert not runner.is_alive()
    outcomes, summary, forked = results[0]
    assert forked
    assert outcomes == {"test_slow.py::test_slow": "failed"}
    assert "the warm test process went away during the run" in summary.warnings
    deadline = time.monotonic() + 30
    while alive(test_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(test_pid)


@pytest.mark.integration
def test_a_restart_lets_the_runs_in_flight_finish(tmp_path: Path, pool: WarmPool) -> None:
    go = tmp_path / "go"
    started = tmp_path / "started"
    root = write_repo(
        tmp_path / "repo",
        {
            "test_waits.py": f"""
                import os, time

                def test_waits():
                    open({str(started)!r}, "w").close()
                    while not os.path.exists({str(go)!r}):
                        time.sleep(0.02)
            """,
            "test_quick.py": "def test_quick():\n    pass\n",
        },
    )
    interpreter = Path(sys.executable)
    run(root, interpreter, pool, "test_quick.py")  # teaches the warm process the imports
    old = pool.server(root, interpreter, dict(os.environ))
    assert old is not None
    results: list[tuple[dict[str, str], RunSummary, bool]] = []
    waiting = threading.Thread(
        target=lambda: results.append(run(root, interpreter, pool, "test_waits.py"))
    )
    waiting.start()
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert started.exists()
    # The configuration changes while that run is in flight: the next run gets a new warm
    # process, and the old one lets the waiting run finish before it exits.
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-q'\n")
    outcomes, _, forked = run(root, interpreter, pool, "test_quick.py")
    assert forked and outcomes == {"test_quick.py::test_quick": "passed"}
    new = pool.server(root, interpreter, dict(os.environ))
    assert new is not None and new.pid != old.pid
    assert alive(old.pid)
    go.touch()
    waiting.join(timeout=60)
    assert not waiting.is_alive()
    outcomes, summary, forked = results[0]
    assert forked and outcomes == {"test_waits.py::test_waits": "passed"}
    assert summary.exitstatus == 0
    deadline = time.monotonic() + 30
    while alive(old.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(old.pid)


@pytest.mark.integration
def test_closing_while_the_warm_process_preloads_ends_it_without_waiting(
    tmp_path: Path, pool: WarmPool
) -> None:
    # A heavy stack takes seconds to preload; quitting watch mode or the TUI meanwhile must not
    # wait for it (the start holds the pool's lock until the warm process reports).
    python, site = throwaway_venv(tmp_path / "venv")
    started, release, finished = (tmp_path / n for n in ("started", "release", "finished"))
    (site / "slowlib.py").write_text(
        "import os, time\n"
        f"open({str(started)!r}, 'w').close()\n"
        f"while not os.path.exists({str(release)!r}):\n"
        "    time.sleep(0.05)\n"
        f"open({str(finished)!r}, 'w').close()\n"
    )
    root = write_repo(tmp_path / "repo", {"test_slow.py": "def test_slow():\n    pass\n"})
    modules = pool.modules_file(root, python, os.environ)
    modules.parent.mkdir(parents=True, exist_ok=True)
    modules.write_text(json.dumps(["slowlib"]))
    pool.prepare(root, python, dict(os.environ))
    deadline = time.monotonic() + 120  # guards against a hang, not a speed limit
    while not started.exists():
        assert time.monotonic() < deadline, "the warm process never started its preload"
        time.sleep(0.05)
    closing = threading.Thread(target=pool.close)
    closing.start()
    # Before, close() waited for the preload: here, until the release the test gives only
    # after close() returned (or, at the latest, the start's 300 s time-out).
    closing.join(timeout=120)
    done = not closing.is_alive()
    release.touch()
    closing.join()
    assert done, "close() waited for the warm process's preload"
    assert not finished.exists()
    while warm_processes_of(os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not warm_processes_of(os.getpid())
    assert pool.request(root, python, dict(os.environ)) is None


@pytest.mark.integration
@pytest.mark.parametrize(
    "turned_off", [{"PYTEST_ADDOPTS": "-p no:off"}, {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}]
)
def test_a_plugin_the_environment_turns_off_is_not_preloaded(
    tmp_path: Path, pool: WarmPool, turned_off: dict[str, str]
) -> None:
    python, site = throwaway_venv(tmp_path / "venv")
    (site / "offplugin.py").write_text("")
    info = site / "offplugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: offplugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\noff = offplugin\n")
    probe = "import sys\n\ndef test_probe():\n    assert 'offplugin' not in sys.modules\n"
    root = write_repo(tmp_path / "repo", {"test_probe.py": probe})
    # As a cold run: pytest imports no plugin the environment turns off, nor does the preload.
    env = {**os.environ, **turned_off}
    for _ in range(2):
        outcomes, summary, forked = run(root, python, pool, env=env)
        assert forked
        assert outcomes == {"test_probe.py::test_probe": "passed"}, summary.output_tail
