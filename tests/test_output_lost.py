"""Standard output closed or full: one line on stderr, no traceback, not even at shutdown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import small_repo

pytestmark = pytest.mark.integration

COMMANDS = [["run"], ["run", "--json"], ["discover"], ["discover", "--json"]]


def _gateui(args: list[str], cwd: Path, shell_redirect: str) -> subprocess.CompletedProcess[str]:
    # Through a shell, as a user types it: `gateui run >&-`, `gateui run > /dev/full`.
    script = f'exec "$@" {shell_redirect}'
    return subprocess.run(
        ["sh", "-c", script, "sh", sys.executable, "-m", "gateui", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL if "/dev/full" in shell_redirect else None,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=240,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_closed_stdout_is_one_line_and_exit_2(tmp_path: Path, command: list[str]) -> None:
    repo = small_repo(tmp_path / "repo")
    result = _gateui(command, repo, ">&-")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "gateui: standard output is closed: nowhere to write results"
    ]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command", COMMANDS)
def test_full_stdout_is_one_line_and_exit_2(tmp_path: Path, command: list[str]) -> None:
    repo = small_repo(tmp_path / "repo")
    result = _gateui(command, repo, "> /dev/full")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "gateui: cannot write to standard output: No space left on device"
    ]


def test_the_guarded_stdout_still_tells_the_terminal_size() -> None:
    """The TUI asks ``shutil.get_terminal_size`` (through ``sys.__stdout__``) for its size on start
    and on every SIGWINCH; after the guard it must still see the terminal, not the 80x24
    fallback — a wrong answer drew the app at 80x24 over a 120x40 terminal."""
    import fcntl
    import pty
    import struct
    import termios

    main_fd, terminal_fd = pty.openpty()
    fcntl.ioctl(terminal_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    probe = (
        "import shutil, sys\n"
        "from gateui.cli.stdout_guard import guard_stdout\n"
        "guard_stdout()\n"
        "size = shutil.get_terminal_size()\n"
        "sys.stderr.write(f'{size.columns}x{size.lines}')\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    try:
        result = subprocess.run(
            [sys.executable, "-c", probe],
            stdout=terminal_fd,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    finally:
        os.close(terminal_fd)
        os.close(main_fd)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "120x40"
