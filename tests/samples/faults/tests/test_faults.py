"""Tests that misbehave on request (GATEUI_FAULT), to check gateui survives them."""

import os
import signal
import subprocess
import sys
import time

import pytest

FAULT = os.environ.get("GATEUI_FAULT", "")


@pytest.mark.smoke
def test_first():
    print("output that belongs to the user")
    assert True


def test_exits_hard():
    if FAULT == "exit":
        os._exit(3)


def test_segfaults():
    if FAULT == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)


def test_spawns_and_hangs():
    if FAULT == "hang":
        # A grandchild that would outlive a careless runner, then a long wait.
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        pid_file = os.environ["GATEUI_FAULT_PIDFILE"]
        with open(pid_file, "w") as handle:
            handle.write(f"{os.getpid()} {child.pid}\n")
        time.sleep(600)


def test_last():
    assert 2 + 2 == 4
