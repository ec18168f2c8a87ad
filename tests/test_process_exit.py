"""Leaving without the interpreter's teardown keeps what a normal exit guarantees: the exit code,
everything written to the standard streams, the ``atexit`` functions, and a non-daemon thread's
work; the console script ends this way."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import run_cli, small_repo

pytestmark = pytest.mark.integration


def run_python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_code_streams_and_atexit_functions_survive(tmp_path: Path) -> None:
    result = run_python(
        """
        import atexit, sys
        from gateui.cli.process_exit import exit_now
        atexit.register(lambda: open("atexit-ran", "w").write("yes"))
        sys.stdout.write("unflushed " * 2000)  # more than one buffer, the rest still held
        sys.stderr.write("to stderr")
        exit_now(3)
        """,
        tmp_path,
    )
    assert result.returncode == 3
    assert result.stdout == "unflushed " * 2000
    assert result.stderr == "to stderr"
    assert (tmp_path / "atexit-ran").read_text() == "yes"


def test_the_teardown_is_skipped(tmp_path: Path) -> None:
    # An object's finaliser runs at a normal exit's teardown; here it must not (that is the
    # time saved), while a normal exit of the same program runs it.
    program = """
        import sys
        from gateui.cli.process_exit import exit_now
        class Noisy:
            def __del__(self):
                sys.stdout.write("torn down")
        keep = Noisy()
        {ending}
        """
    skipped = run_python(program.format(ending="exit_now(0)"), tmp_path)
    normal = run_python(program.format(ending="sys.exit(0)"), tmp_path)
    assert (skipped.returncode, normal.returncode) == (0, 0)
    assert "torn down" in normal.stdout
    assert "torn down" not in skipped.stdout


def test_a_running_non_daemon_thread_finishes_its_work(tmp_path: Path) -> None:
    result = run_python(
        """
        import threading, time
        from gateui.cli.process_exit import exit_now
        def write_late():
            time.sleep(0.5)
            open("written", "w").write("done")
        threading.Thread(target=write_late).start()
        exit_now(0)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "written").read_text() == "done"


def test_the_console_script_and_module_end_this_way() -> None:
    # The entry points installed for users: ``gateui`` and ``python -m gateui``.
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    assert 'gateui = "gateui.cli.entry:entry"' in pyproject.read_text()
    result = subprocess.run(
        [sys.executable, "-m", "gateui", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.strip()


def test_a_run_closes_its_dependency_store_before_it_leaves(tmp_path: Path) -> None:
    # SQLite folds its write-ahead log into the database on a clean close only: a store left
    # open at exit keeps a -wal file the next reader must replay (and a damaged main file then
    # goes unnoticed).
    repo = small_repo(tmp_path)
    assert run_cli(["run"], repo).code == 0
    state = repo / ".gateui"
    assert (state / "deps.sqlite").exists()
    assert not (state / "deps.sqlite-wal").exists()
