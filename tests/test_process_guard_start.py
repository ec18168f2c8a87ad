"""How the process guard starts a command (it forks and execs it itself, without ``subprocess``):
a missing program is the same ``OSError`` as ``subprocess.Popen`` raises, the descriptors gateui
passes are open in the command and the guard's status pipe is not, the command gets the signal
dispositions a shell would give it, sits in a process group of its own, and its exit code or
death by signal comes back through the guard."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gateui.core.running.process_group import launch, new_run_token

pytestmark = pytest.mark.integration


def _run(argv: list[str], tmp_path: Path, pass_fds: tuple[int, ...] = ()) -> tuple[int, str]:
    proc = launch(
        argv,
        cwd=tmp_path,
        env=os.environ,
        token=new_run_token(),
        stdout=subprocess.PIPE,
        pass_fds=pass_fds,
    )
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(), output


def test_a_missing_program_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as raised:
        _run(["gateui-no-such-program-here"], tmp_path)
    assert raised.value.errno == errno.ENOENT
    assert raised.value.filename == "gateui-no-such-program-here"


def test_a_program_that_cannot_be_executed_is_permission_denied(tmp_path: Path) -> None:
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\necho never\n")
    with pytest.raises(PermissionError):
        _run([str(script)], tmp_path)


def test_exit_code_and_output_come_back(tmp_path: Path) -> None:
    code, output = _run([sys.executable, "-c", "print('hello'); raise SystemExit(7)"], tmp_path)
    assert (code, output.strip()) == (7, "hello")


def test_death_by_signal_comes_back_as_that_signal(tmp_path: Path) -> None:
    code, _ = _run(
        [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGUSR1)"], tmp_path
    )
    assert code == -signal.SIGUSR1


def test_passed_descriptors_are_open_and_the_status_pipe_is_not(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    probe = (
        "import os\n"
        f"os.write({write_end}, b'through the passed pipe')\n"
        "print(' '.join(os.listdir('/proc/self/fd')))\n"
    )
    try:
        code, output = _run([sys.executable, "-c", probe], tmp_path, pass_fds=(write_end,))
    finally:
        os.close(write_end)
    try:
        assert os.read(read_end, 100) == b"through the passed pipe"
    finally:
        os.close(read_end)
    assert code == 0
    open_fds = {int(word) for word in output.split()}
    # Besides stdin, stdout, stderr and the passed pipe, only the folder listdir has open: the
    # guard's status pipe, left open in the command, would keep gateui waiting for its end.
    assert {0, 1, 2, write_end} <= open_fds
    assert len(open_fds - {0, 1, 2, write_end}) == 1


def test_the_command_has_default_sigpipe_and_its_own_process_group(tmp_path: Path) -> None:
    # Python ignores SIGPIPE in itself; an ignored signal stays ignored across exec, so the guard
    # must give the command the default back (``yes | head`` would otherwise never end).
    code, output = _run(["cat", "/proc/self/status"], tmp_path)
    assert code == 0
    ignored = next(line for line in output.splitlines() if line.startswith("SigIgn:"))
    assert int(ignored.split()[1], 16) & (1 << (signal.SIGPIPE - 1)) == 0
    code, output = _run(
        [sys.executable, "-c", "import os; print(os.getpgid(0) == os.getpid())"], tmp_path
    )
    assert (code, output.strip()) == (0, "True")
