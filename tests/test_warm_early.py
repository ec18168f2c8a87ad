"""The warm process ``gateui run`` starts before anything else (``core.running.warm_early``): the
path to it imports nothing heavy, the guard it forks behaves as a started guard does (its command
started or its error reported, nothing of gateui's inherited), it is not tried with a thread
alive, and the names it keeps apart from the rest of gateui agree with them."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gateui.cli.command_line import COMMANDS, run_folder
from gateui.cli.main import COMMAND_MODULES
from gateui.core.common.paths import STATE_DIR
from gateui.core.running import _guard, injected, warm_early
from gateui.core.running.guard_spawn import RUN_TOKEN_VARIABLE
from gateui.core.running.warm import modules_file
from helpers import alive, gateui_run_in_a_slow_test, init_repo, run_cli, write_repo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

HEAVY = ("re", "json", "subprocess", "pathlib", "typing", "hashlib", "socket", "enum", "threading")
"""What the start must not import: each costs a few milliseconds the run then waits for."""


def run_python(code: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_start_imports_only_the_smallest_modules(tmp_path: Path) -> None:
    repo = init_repo(write_repo(tmp_path / "repo", {"test_a.py": "def test_a():\n    pass\n"}))
    assert run_cli(["run"], repo).code == 0  # leaves the note the start reads
    out = run_python(
        f"""
        import sys
        before = set(sys.modules)
        from gateui.cli.command_line import run_folder
        from gateui.core.running.warm_early import start_early
        early = start_early(run_folder(["run"]))
        print(early is not None)
        print(" ".join(sorted(set(sys.modules) - before & set({HEAVY!r}))))
        if early is not None:
            import os, signal
            os.close(early.control_fd)  # the warm process ends with its control socket
            os.killpg(early.proc.pid, signal.SIGTERM)
            early.proc.wait()
        """,
        repo,
    )
    started, heavy = out.splitlines()
    assert started == "True"
    assert heavy == ""


FORK_GUARD = """
import os, subprocess, sys
from gateui.core.running.guard_spawn import (
    GuardChild, fork_guard, guard_argv, new_run_token, read_guard_report, run_environment,
)
inherited = os.open(os.devnull, os.O_RDONLY)
os.set_inheritable(inherited, True)  # as a descriptor gateui's own parent left open
status_read, status_write = os.pipe()
out_read, out_write = os.pipe()
token = new_run_token()
command = [*sys.argv[1:], str(inherited), str(os.getsid(0))]
pid = fork_guard(
    guard_argv(status_write, token, (), command),
    cwd=os.environ["WORK"],
    env=run_environment({"PATH": os.environ["PATH"], "ONLY": "this"}, token),
    stdout_fd=out_write,
    keep=(status_write,),
)
os.close(status_write)
os.close(out_write)
guard = GuardChild(pid, os.fdopen(out_read, "rb"))
print("problem:", read_guard_report(status_read, command[0]))
try:
    guard.wait(timeout=0.2)
    print("ended early")
except subprocess.TimeoutExpired:
    print("still running")
print("exit:", guard.wait(timeout=60))
print("output:", guard.stdout.read().decode().strip())
"""

COMMAND = """
import os, sys, time
fd, parent_session = int(sys.argv[1]), int(sys.argv[2])
try:
    os.fstat(fd)
    inherited = "open"
except OSError:
    inherited = "closed"
print(os.getcwd(), os.environ.get("ONLY"), os.environ["GATEUI_RUN_ID"] != "", inherited,
      os.getsid(0) != parent_session, flush=True)
time.sleep(1)  # until the guard's wait timed out once
sys.exit(3)
"""


def run_script(code: str, cwd: Path, args: list[str], env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_a_forked_guard_runs_its_command_as_a_started_guard_does(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "command.py").write_text(COMMAND)
    command = [sys.executable, str(tmp_path / "command.py")]
    lines = run_script(FORK_GUARD, tmp_path, command, {"WORK": str(work)})
    assert lines[0] == "problem: None"
    assert lines[1] == "still running"
    assert lines[2] == "exit: 3"  # the guard exits the way its command did
    # In the folder and environment it was given, tagged with the run, in a session of its own,
    # and without the descriptor the starting process inherited.
    assert lines[3].split()[1:] == [str(work), "this", "True", "closed", "True"]


def test_a_forked_guard_reports_a_command_it_cannot_start(tmp_path: Path) -> None:
    lines = run_script(FORK_GUARD, tmp_path, [str(tmp_path / "missing")], {"WORK": str(tmp_path)})
    assert lines[0].startswith("problem: [Errno 2]")
    assert "missing" in lines[0]


def test_no_early_start_with_a_thread_alive(tmp_path: Path) -> None:
    repo = init_repo(write_repo(tmp_path / "repo", {"test_a.py": "def test_a():\n    pass\n"}))
    assert run_cli(["run"], repo).code == 0
    out = run_python(
        """
        import threading, time
        from gateui.core.running.warm_early import start_early
        threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
        print(start_early("."))
        """,
        repo,
    )
    assert out.strip() == "None"


def test_the_names_kept_apart_agree_with_the_rest_of_gateui(tmp_path: Path) -> None:
    assert RUN_TOKEN_VARIABLE == _guard.TOKEN_VARIABLE
    assert Path(warm_early.PLUGIN_DIR) == injected.PLUGIN_DIR
    assert warm_early.STATE_FOLDER == STATE_DIR
    assert set(COMMANDS) == set(COMMAND_MODULES)
    assert warm_early._sha256_hex(b"gateui") == hashlib.sha256(b"gateui").hexdigest()
    env = {"PYTEST_ADDOPTS": "-p no:cacheprovider -pxdist", "PYTEST_PLUGINS": "a"}
    path = modules_file(tmp_path, tmp_path / "p", Path(sys.executable), env)
    assert path.parent == tmp_path / STATE_DIR / "warm"
    assert warm_early.plugin_switches(env).split("\0") == [
        "no:cacheprovider",
        "xdist",
        "PYTEST_PLUGINS=a",
        "AUTOLOAD=",
    ]


@pytest.mark.parametrize(
    ("argv", "folder"),
    [
        (["run"], "."),
        (["-C", "sub", "run", "unit"], "sub"),
        (["run", "-C", "sub", "--", "-C", "x"], "sub"),
        (["run", "--help"], None),
        (["gate"], None),
        (["-C", "sub"], None),
    ],
)
def test_the_folder_of_a_run_is_read_before_parsing(
    argv: list[str], folder: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    found = run_folder(argv)
    expected = None if folder is None else os.path.normpath(tmp_path / folder)
    assert (None if found is None else os.path.normpath(found)) == expected


@pytest.mark.parametrize(
    "addopts",
    [
        "",
        "-p no:cacheprovider  -p\txdist\n-q",
        "-p 'no:cache provider' -q",
        '-p "a b" -p\\ c',
        "-p x\x0b-p y",
        "-p x\u00a0y",
        "-p 'unterminated",
    ],
)
def test_addopts_are_split_as_pytest_splits_them(addopts: str) -> None:
    try:
        expected = shlex.split(addopts)
    except ValueError:
        expected = addopts.split()  # what pytest would refuse, read word by word
    assert warm_early._split_like_a_shell(addopts) == expected


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


@pytest.mark.integration
def test_gateui_run_killed_outright_leaves_nothing_of_its_early_warm_process(
    tmp_path: Path,
) -> None:
    """The guard forked from gateui dies with it (its parent-death signal is tied to gateui's
    main thread, which forked it), and takes the warm process and the run with it."""
    _, proc, test_process = gateui_run_in_a_slow_test(tmp_path)
    try:
        guards = children_of(proc.pid)
        warm = {pid for guard in guards for pid in children_of(guard)}
        assert guards and warm  # gateui → forked guard → warm process (→ the run)
        assert test_process in {pid for server in warm for pid in children_of(server)}
        proc.kill()
        proc.wait(timeout=60)
    finally:
        proc.kill()
    deadline = time.monotonic() + 30
    left = guards | warm | {test_process}
    while any(alive(pid) for pid in left) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in left if alive(pid)]
