"""Starting a command under the guard (``_guard.py``), the parts that need nothing but ``os``.

``process_group.launch`` starts every guard with ``subprocess``, from its spawner thread. One start
cannot wait for that: the warm process ``gateui run`` starts for itself before it imports anything
else (``warm_early``), where importing ``subprocess`` alone would cost ≈ 14 ms of a run whose
whole overhead is meant to stay under 5 % of a one-second suite. So the guard's arguments, the run
token and the report the guard sends back live here, with the standard library's smallest modules
only, and both starts share them; ``fork_guard`` starts a guard for that one start, as a fork of
gateui that runs the guard's code, with no interpreter to start.

``fork_guard`` may only be called while the process has a single thread (forking a process with
threads can leave the child holding a lock no one will release): ``warm_early`` calls it before
gateui starts any.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import IO

GUARD_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_guard.py")
TERMINATE_GRACE_S = 2.0
"""How long a cancelled child gets to stop on SIGTERM before its group is killed outright."""
RUN_TOKEN_VARIABLE = "GATEUI_RUN_ID"
"""The variable every process of a run carries its token in (``_guard.TOKEN_VARIABLE``: the guard
is executed by path and imports nothing of gateui's)."""


def new_run_token() -> str:
    return f"{os.getpid()}-{os.urandom(8).hex()}"  # as secrets.token_hex(8), without secrets


def run_environment(env: Mapping[str, str], token: str) -> dict[str, str]:
    """``env`` with ``token`` added to the run tokens (a run inside a run keeps the outer one)."""
    tagged = dict(env)
    outer = tagged.get(RUN_TOKEN_VARIABLE, "").split()
    tagged[RUN_TOKEN_VARIABLE] = " ".join([*outer, token])
    return tagged


def guard_argv(
    status_fd: int, token: str, pass_fds: Sequence[int], argv: Sequence[str]
) -> list[str]:
    """The guard's arguments, its file first: it starts ``argv`` with ``pass_fds`` open, and
    writes to ``status_fd`` whether it could. (``launch`` runs it as ``python -I -S`` these.)"""
    return [
        GUARD_FILE,
        str(status_fd),
        str(TERMINATE_GRACE_S),
        str(os.getpid()),
        token,
        ",".join(str(fd) for fd in pass_fds),
        "--",
        *argv,
    ]


def read_guard_report(status_read: int, program: str) -> OSError | None:
    """What the guard reported on its status pipe (read to its end, then closed): None when the
    command started, else the error as ``subprocess.Popen`` would raise it."""
    with os.fdopen(status_read, "rb") as status:
        answer = status.read().decode(errors="replace").split(" ", 2)
    if answer[0].strip() == "ok":
        return None
    if answer[0] == "error" and len(answer) == 3:
        code = int(answer[1]) if answer[1].isdigit() else 0
        return OSError(code, answer[2].strip(), program) if code else OSError(answer[2].strip())
    return OSError(f"{program}: the process guard could not start it")


class GuardChild:
    """A guard ``fork_guard`` started, seen as ``subprocess.Popen`` is by the code that stops
    it: ``pid``, ``stdout``, ``returncode``, ``poll()`` and ``wait()``."""

    def __init__(self, pid: int, stdout: IO[bytes]) -> None:
        self.pid = pid
        self.stdout: IO[bytes] | None = stdout
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self._reap(os.WNOHANG)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Its exit code (negative: the signal that killed it); ``subprocess.TimeoutExpired``
        when ``timeout`` passes first. Woken by the exit itself (a pidfd), not by polling."""
        if self.returncode is None and timeout is not None and not self._exits_within(timeout):
            import subprocess

            raise subprocess.TimeoutExpired([str(self.pid)], timeout)
        while self.returncode is None:
            self._reap(0)
        return self.returncode

    def _exits_within(self, timeout: float) -> bool:
        import select

        try:
            pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            # Already reaped elsewhere, or a kernel without pidfds: poll it.
            deadline = time.monotonic() + timeout
            while self.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            return self.returncode is not None
        try:
            readable, _, _ = select.select([pidfd], [], [], timeout)
        finally:
            os.close(pidfd)
        return bool(readable)

    def _reap(self, options: int) -> None:
        try:
            pid, status = os.waitpid(self.pid, options)
        except ChildProcessError:
            # Reaped elsewhere: its status is lost. 0, as ``subprocess.Popen`` says then too
            # (nothing reads a guard's code but its own start's failure, reported apart).
            self.returncode = 0
            return
        except InterruptedError:
            return
        if pid == self.pid:
            self.returncode = os.waitstatus_to_exitcode(status)


def fork_guard(
    guard_args: Sequence[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    stdout_fd: int,
    keep: Sequence[int],
) -> int:
    """Start a guard (``guard_args``: ``guard_argv``'s) as ``launch`` does — in a session of its
    own, in ``cwd`` with ``env``, stdin from /dev/null, stdout and stderr to ``stdout_fd``, the
    descriptors ``keep`` passed — but as a fork of this process rather than a new interpreter:
    the guard's code runs in the child (``_guard.main``) without the ≈ 10 ms of an interpreter's
    start, before the command it starts. Its pid, or ``OSError`` when it could not be started.
    Only while this process has a single thread (the module docstring)."""
    error_read, error_write = os.pipe()  # both close-on-exec
    pid = os.fork()
    if pid == 0:  # the child: never returns from here
        try:
            os.setsid()
            os.chdir(cwd)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(stdout_fd, 1)
            os.dup2(stdout_fd, 2)
            _close_all_but((0, 1, 2, error_write, *keep))
            # What the guard's command inherits, as if the guard had been executed with it.
            os.environ.clear()
            os.environ.update(env)
        except OSError as exc:
            os.write(error_write, f"{exc.errno or 0} {exc.strerror or exc}".encode())
            os._exit(255)
        except BaseException:
            os.write(error_write, b"0 the process guard could not be started")
            os._exit(255)
        # Started: gateui goes on now, and from here the guard reports on its status pipe (a
        # guard that fails before it reports is "could not start" there).
        os.close(error_write)
        try:
            from gateui.core.running import _guard

            _guard.main(list(guard_args))
        finally:
            os._exit(255)  # main leaves through os._exit; an exception must not return here
    os.close(error_write)
    # Imported only now, in the parent: the guard is already on its way (its imports are off
    # the path the run waits on).
    from gateui.core.running import _guard

    return _guard.started(pid, error_read, GUARD_FILE)


def _close_all_but(kept: tuple[int, ...]) -> None:
    """Close every descriptor but ``kept``, as ``close_fds=True`` does before an exec: those
    gateui inherited from its own parent must not keep that parent's pipes open in the guard or
    the warm process."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        names = []
    for name in names:
        fd = int(name)
        if fd not in kept:
            try:  # noqa: SIM105 (contextlib is not imported on this path)
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor, already closed
