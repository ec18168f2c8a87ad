"""A test that leaves a process running, of the kind named in PROBE_ESCAPE:

- background: a fixture starts a child and forgets it (with -s it holds gateui's output pipe);
- daemon: fork, setsid, fork, exec (it keeps every inherited descriptor);
- session: a server started with start_new_session=True;
- group: a server started with process_group=0.

PROBE_PIDFILE, when set, receives the leftover's pid; PROBE_HANG makes the test wait forever.
"""

import os
import subprocess
import time

import pytest

LEFTOVER = ["sleep", "600"]


def start_leftover(kind: str) -> int:
    if kind == "background":
        return subprocess.Popen(LEFTOVER).pid
    if kind == "daemon":
        read_fd, write_fd = os.pipe()
        first = os.fork()
        if first == 0:
            os.setsid()
            if os.fork():
                os._exit(0)
            os.write(write_fd, str(os.getpid()).encode())
            os.execvp(LEFTOVER[0], LEFTOVER)
        os.waitpid(first, 0)
        os.close(write_fd)
        pid = int(os.read(read_fd, 32))
        os.close(read_fd)
        return pid
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if kind == "session":
        return subprocess.Popen(LEFTOVER, start_new_session=True, **quiet).pid
    if kind == "group":
        return subprocess.Popen(LEFTOVER, process_group=0, **quiet).pid
    raise AssertionError(f"unknown PROBE_ESCAPE {kind!r}")


@pytest.fixture
def leftover() -> None:
    pid = start_leftover(os.environ["PROBE_ESCAPE"])
    pidfile = os.environ.get("PROBE_PIDFILE")
    if pidfile:
        with open(pidfile, "w") as handle:
            handle.write(str(pid))


def test_leaves_a_process_behind(leftover: None) -> None:
    if os.environ.get("PROBE_HANG"):
        time.sleep(600)
