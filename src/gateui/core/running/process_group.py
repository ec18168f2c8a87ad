"""One child process in its own process group, and the one way gateui stops such a group.

Both runners (pytest in the project's interpreter, and arbitrary commands) start their child in
a new session so that cancelling kills everything it started: xdist workers, servers the tests
spawned, a make recipe's shells. Cancel sends SIGTERM to the group, waits a grace period, then
SIGKILL; when the child is gone, whatever it left in its group is killed too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections import deque

OUTPUT_TAIL_LINES = 60
TERMINATE_GRACE_S = 2.0
"""How long a cancelled child gets to stop on SIGTERM before its group is killed outright."""


def kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def describe_exit(returncode: int | None, what: str) -> str:
    """``the test process was killed by SIGSEGV``, ``the command exited with code 3``…"""
    if returncode is None:
        return f"{what} did not finish"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"{what} was killed by {name}"
    return f"{what} exited with code {returncode}"


class GroupProcess:
    """The process-group half of a runner: cancel from any thread, reap, leave nothing behind."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self.output_tail: deque[str] = deque(maxlen=OUTPUT_TAIL_LINES)
        self.returncode: int | None = None

    def cancel(self) -> None:
        """Stop the child: SIGTERM to its whole process group, SIGKILL if it lingers."""
        self._cancelled.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            kill_group(proc.pid, signal.SIGTERM)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _adopt(self, proc: subprocess.Popen[bytes]) -> None:
        """Take charge of a started child (a cancel that came first applies at once)."""
        with self._lock:
            self._proc = proc
        if self.cancelled:
            kill_group(proc.pid, signal.SIGTERM)

    def _reap(self, proc: subprocess.Popen[bytes]) -> int:
        if self.cancelled:
            try:
                return proc.wait(timeout=TERMINATE_GRACE_S)
            except subprocess.TimeoutExpired:
                kill_group(proc.pid, signal.SIGKILL)
        return proc.wait()

    @staticmethod
    def _leave_nothing(proc: subprocess.Popen[bytes]) -> None:
        """Kill the child if it still runs, and anything it left in its group either way."""
        kill_group(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.wait()


class CurrentProcess:
    """The one process a sequence of runs (a run's projects, a gate's steps) has going: a
    cancel from any thread stops it, and every process tracked after it, at once."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._current: GroupProcess | None = None

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            current = self._current
        if current is not None:
            current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def track(self, current: GroupProcess | None) -> None:
        """``current`` is the process now (a cancel that came first applies to it at once)."""
        with self._lock:
            self._current = current
        if current is not None and self.cancelled:
            current.cancel()
