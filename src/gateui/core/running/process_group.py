"""One child process under a guard, and the one way gateui stops it and all it started.

Both runners (pytest in the project's interpreter, and arbitrary commands) start their command
through ``launch``: gateui's child is a small guard (``_guard.py``) in a new session, and the
command is the guard's child. The guard stops whatever the command leaves running when it exits —
xdist workers, servers the tests spawned, a make recipe's shells, double-forked daemons, processes
in a session or process group of their own — and does so too when gateui dies (``kill -9``
included). Every process of a run carries the run's token in ``GATEUI_RUN_ID``; after the guard
exits, gateui kills anything still carrying it (Linux), so not even a killed guard leaves a test
process behind.

Cancel sends SIGTERM to the guard, which passes it on, waits a grace period, then SIGKILLs what
is left; gateui gives the guard that grace and a little more before it kills it outright.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from gateui.core.running import _guard
from gateui.core.running.guard_spawn import (
    RUN_TOKEN_VARIABLE as RUN_TOKEN_VARIABLE,
)
from gateui.core.running.guard_spawn import (
    TERMINATE_GRACE_S as TERMINATE_GRACE_S,
)
from gateui.core.running.guard_spawn import (
    guard_argv,
    read_guard_report,
)
from gateui.core.running.guard_spawn import (
    new_run_token as new_run_token,
)
from gateui.core.running.guard_spawn import (
    run_environment as run_environment,
)

OUTPUT_TAIL_LINES = 60
GUARD_MARGIN_S = 2.0
"""How much longer than the grace gateui waits for a cancelled guard to clean up."""
PIPE_GRACE_S = 1.0
"""How long the pipes of an exited child are still read: a process that escaped the guard and
holds them never keeps a run open."""


class ChildHandle(Protocol):
    """What a runner needs of its child: a started process (``subprocess.Popen``) or a run forked
    from a warm process (``_forked_run.ForkedRun``). Signals go to the process group ``pid``."""

    @property
    def pid(self) -> int: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class _Spawner:
    """Starts processes from one long-lived thread.

    A parent-death signal fires when the *thread* that forked the child exits, not the process:
    a TUI worker thread that ends must not take a guard with it."""

    def __init__(self) -> None:
        # Each job comes with the queue its outcome goes back on (a queue rather than a
        # ``concurrent.futures.Future``: that package and the logging it imports cost every
        # gateui start ≈ 3 ms).
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], queue.SimpleQueue[_Outcome]]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def call(self, job: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="gateui-spawner", daemon=True
                )
                self._thread.start()
        done: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
        self._jobs.put((job, done))
        started, problem = done.get()
        if problem is not None:
            raise problem
        return started  # type: ignore[no-any-return]

    def _serve(self) -> None:
        while True:
            job, done = self._jobs.get()
            try:
                done.put((job(), None))
            except BaseException as exc:  # handed to the caller's thread
                done.put((None, exc))


_Outcome = tuple[Any, BaseException | None]
"""A spawner job's result, or the exception it raised."""


_SPAWNER = _Spawner()


def launch(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    token: str,
    stdout: int,
    pass_fds: Sequence[int] = (),
) -> subprocess.Popen[bytes]:
    """Start ``argv`` under a guard (see the module docstring); stderr goes with stdout.

    Raises ``OSError`` as ``subprocess.Popen`` does when the command cannot be started (a
    ``FileNotFoundError`` for a program that does not exist)."""
    status_read, status_write = os.pipe()

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-I", "-S", *guard_argv(status_write, token, pass_fds, argv)],
            cwd=cwd,
            env=run_environment(env, token),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            pass_fds=(*pass_fds, status_write),
            start_new_session=True,
        )

    try:
        proc = _SPAWNER.call(start)
    except BaseException:
        os.close(status_read)
        raise
    finally:
        os.close(status_write)
    problem = read_guard_report(status_read, argv[0])
    if problem is None:
        return proc
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    raise problem


PIPE_SIZE = 1 << 20


def widen_pipe(fd: int) -> None:
    """Let the pipe ``fd`` hold ``PIPE_SIZE`` bytes before its writer waits for the reader.
    Linux only, and refused above /proc/sys/fs/pipe-max-size for unprivileged users: the default
    64 KiB still works, the writer just waits for the reader sooner."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, set_size, PIPE_SIZE)


def kill_tagged(token: str) -> None:
    """SIGKILL every process still carrying ``token``, and see them gone (bounded) before the run
    is reported over (Linux; elsewhere there is nothing to scan)."""
    deadline = time.monotonic() + TERMINATE_GRACE_S
    while True:
        _, tagged = _guard.scan_processes(token)
        tagged.discard(os.getpid())
        if not tagged or time.monotonic() > deadline:
            return
        _guard.signal_all(tagged, signal.SIGKILL)
        time.sleep(0.02)


def kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def stop_guard(proc: ChildHandle) -> None:
    """Stop a guard that still runs: SIGTERM to its group (it stops what it guards within its
    grace), SIGKILL when it has not ended by then."""
    if proc.poll() is not None:
        return
    kill_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=TERMINATE_GRACE_S + GUARD_MARGIN_S)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid, signal.SIGKILL)
        proc.wait()


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
    """The supervision half of a runner: start under a guard, cancel from any thread, reap,
    leave nothing behind."""

    def __init__(self) -> None:
        self._proc: ChildHandle | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self.output_tail: deque[str] = deque(maxlen=OUTPUT_TAIL_LINES)
        self.returncode: int | None = None
        self.token = new_run_token()
        """In ``GATEUI_RUN_ID`` of every process this run starts, whatever session it moves to."""

    def cancel(self) -> None:
        """Stop the child: SIGTERM to its guard, which stops everything the run started."""
        self._cancelled.set()
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            kill_group(proc.pid, signal.SIGTERM)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _launch(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        pass_fds: Sequence[int] = (),
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` under a guard with its output on a pipe, and take charge of it (a cancel
        that came first applies at once)."""
        proc = launch(
            argv, cwd=cwd, env=env, token=self.token, stdout=subprocess.PIPE, pass_fds=pass_fds
        )
        self._adopt(proc)
        return proc

    def _adopt(self, proc: ChildHandle) -> None:
        """Take charge of a started child (a cancel that came first applies at once)."""
        with self._lock:
            self._proc = proc
        if self.cancelled:
            kill_group(proc.pid, signal.SIGTERM)

    def _reap(self, proc: ChildHandle) -> int:
        if self.cancelled:
            try:
                return proc.wait(timeout=TERMINATE_GRACE_S + GUARD_MARGIN_S)
            except subprocess.TimeoutExpired:
                kill_group(proc.pid, signal.SIGKILL)
        return proc.wait()

    def _leave_nothing(self, proc: ChildHandle) -> None:
        """Stop the guard if it still runs (it stops the run), and kill whatever still carries
        the run's token either way."""
        stop_guard(proc)
        kill_tagged(self.token)


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
