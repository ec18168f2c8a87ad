"""The guard between gateui and a run's command: it starts the command, reports back whether it
started, and when the command exits, stops everything the command left running.

It runs as ``python -I -S _guard.py STATUS_FD GRACE_S PARENT_PID TOKEN PASS_FDS -- ARGV…`` in
gateui's own interpreter, standard library only (it is executed by path, never imported), and it
is what gateui's process-group handling sees as "the child":

- On Linux it is a *child subreaper*: whatever the command starts and then orphans — a
  double-forked daemon, a server in a new session or process group — is re-parented to the guard
  rather than to init, so it stays findable (``/proc``) and is reaped here (no zombies).
  Processes are also found by the run's token in their environment (``GATEUI_RUN_ID``), which
  they keep whatever session they move to.
- It notices gateui's death: a parent-death signal (Linux), and its parent id checked twice a
  second (every POSIX system). gateui killed with ``kill -9`` still leaves nothing behind.
- The command gets a parent-death SIGKILL itself (Linux; set in a ``preexec_fn``, which is safe
  here because the guard has a single thread), so even a killed guard leaves no test process.
- The guard exits the way the command did (its exit code, or killed by its signal), after the
  leftovers are gone, so the output pipes gateui reads reach their end at once.

It starts once per run (every gate step has one), so it imports as little as it can: the command
is started with ``os.fork`` and ``os.execvp`` rather than ``subprocess``, and signals come from
``_signal``: ≈ 12 ms of CPU less per start (≈ 12 ms remain, half of it the interpreter's own).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import select
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from collections.abc import Callable, Iterable
else:
    # The same functions and numbers, without the enums ``signal.py`` wraps them in (importing
    # ``enum`` costs ≈ 5 ms of CPU per start).
    import _signal as signal

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PARENT_CHECK_S = 0.5
_KILL_WAIT_S = 2.0
TOKEN_VARIABLE = "GATEUI_RUN_ID"


def _prctl() -> Callable[[int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        # The C library is already loaded into this process: no search for it (find_library
        # would start ldconfig for every run).
        function = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_ulong]
    function.restype = ctypes.c_int
    return lambda option, value: int(function(option, value))


PRCTL: Callable[[int, int], int] | None = None
"""Set by ``main``: gateui imports this module for its process scans without loading ctypes."""


def _die_with_parent() -> None:
    """In the command's process, before exec: a dead guard takes the command with it."""
    if PRCTL is not None:
        PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def start_command(command: list[str], passed: tuple[int, ...]) -> int:
    """Fork and exec ``command`` in a process group of its own, with the descriptors ``passed``
    (and 0, 1, 2) open in it; its pid, or ``OSError`` when it could not be executed.

    What ``subprocess.Popen(command, pass_fds=passed, process_group=0, preexec_fn=…)`` does:
    the signals Python ignores are given back their default, every other descriptor is closed on
    exec (Python opens its own close-on-exec; those gateui passed are made so here), and a failed
    exec reports its errno back through a close-on-exec pipe."""
    for fd in passed:
        os.set_inheritable(fd, True)
    error_read, error_write = os.pipe()  # both close-on-exec
    pid = os.fork()
    if pid == 0:  # the child: only async-signal-safe work until exec, and never return
        try:
            os.setpgid(0, 0)
            _die_with_parent()
            for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ"):
                if hasattr(signal, name):
                    signal.signal(getattr(signal, name), signal.SIG_DFL)
            os.execvp(command[0], command)
        except OSError as exc:
            os.write(error_write, f"{exc.errno or 0} {exc.strerror or exc}".encode())
        except BaseException:
            os.write(error_write, b"0 the command could not be started")
        os._exit(255)
    os.close(error_write)
    return started(pid, error_read, command[0])


def started(pid: int, error_read: int, program: str) -> int:
    """``pid``, forked to start ``program``, once it has: its error pipe (``error_read``, whose
    other end the child closes by starting) ended without a word; ``OSError`` with what it wrote
    there otherwise, once it is reaped."""
    answer = b""
    while True:
        try:
            chunk = os.read(error_read, 4096)
        except InterruptedError:
            continue
        if not chunk:
            break
        answer += chunk
    os.close(error_read)
    if not answer:
        return pid
    os.waitpid(pid, 0)
    code_text, _, message = answer.decode(errors="replace").partition(" ")
    code = int(code_text) if code_text.isdigit() else 0
    raise OSError(code, message, program) if code else OSError(message)


def scan_processes(token: str) -> tuple[dict[int, int], set[int]]:
    """Every process's parent, and the processes whose environment carries ``token``."""
    parents: dict[int, int] = {}
    tagged: set[int] = set()
    needle = token.encode()
    prefix = TOKEN_VARIABLE.encode() + b"="
    try:
        names = os.listdir("/proc")
    except OSError:
        return parents, tagged
    for name in names:
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
            # The name in parentheses may hold anything: the fields after its last ')' are plain.
            fields = stat[stat.rindex(b")") + 2 :].split()
            if fields[0] == b"Z":
                continue
            parents[pid] = int(fields[1])
            with open(f"/proc/{name}/environ", "rb") as handle:
                environ = handle.read()
        except (OSError, ValueError, IndexError):
            continue
        for entry in environ.split(b"\0"):
            if entry.startswith(prefix) and needle in entry[len(prefix) :].split():
                tagged.add(pid)
                break
    return parents, tagged


def leftovers(token: str, root: int) -> set[int]:
    """The live descendants of ``root``, and every process carrying ``token``."""
    parents, tagged = scan_processes(token)
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    found |= tagged
    found.discard(root)
    found.discard(os.getpid())
    return found


def signal_all(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


class Guard:
    def __init__(self, grace_s: float, parent: int, token: str) -> None:
        self.grace_s = grace_s
        self.parent = parent
        self.token = token
        self.stop_requested = False
        self.child: int | None = None
        """The command's pid (and its process group's)."""
        self.child_status: int | None = None
        self._wake_read, wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, self._on_stop)

    def _on_stop(self, signum: int, frame: object) -> None:
        self.stop_requested = True

    def parent_gone(self) -> bool:
        return os.getppid() != self.parent

    def reap(self) -> None:
        """Collect every exited child: the command, and orphans re-parented to the guard."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.child:
                self.child_status = status

    def sleep(self, seconds: float) -> None:
        """Until a signal arrives (a child exited, a stop) or ``seconds`` pass."""
        with contextlib.suppress(InterruptedError):
            select.select([self._wake_read], [], [], seconds)
        try:
            while os.read(self._wake_read, 512):
                pass
        except BlockingIOError:
            pass

    def wait_for_command(self) -> None:
        while True:
            self.reap()
            if self.child_status is not None or self.stop_requested or self.parent_gone():
                return
            self.sleep(_PARENT_CHECK_S)

    def remaining(self) -> set[int]:
        found = leftovers(self.token, os.getpid())
        if self.child is not None and self.child_status is None:
            found.add(self.child)
        return found

    def stop_everything(self) -> None:
        """SIGTERM to whatever the run left, SIGKILL to what is still there after the grace."""
        child = self.child
        for sig, wait_s in ((signal.SIGTERM, self.grace_s), (signal.SIGKILL, _KILL_WAIT_S)):
            if child is not None:
                # The command's own process group (the only handle off Linux).
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child, sig)
            pids = self.remaining()
            if not pids:
                return
            signal_all(pids, sig)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                self.reap()
                if not self.remaining():
                    return
                self.sleep(0.05)

    def exit_like_the_command(self) -> None:
        status = self.child_status
        if status is None:
            os._exit(128 + signal.SIGKILL)
        code = os.waitstatus_to_exitcode(status)
        if code >= 0:
            os._exit(code)
        sig = -code
        # Die of the same signal, so gateui sees "killed by SIGSEGV"; no core file of the guard.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.set_wakeup_fd(-1)
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)


def _report(status_fd: int, text: str) -> None:
    with contextlib.suppress(OSError):
        os.write(status_fd, text.encode(errors="replace") + b"\n")
    with contextlib.suppress(OSError):
        os.close(status_fd)


def _detach_from_pipes(passed: Iterable[int]) -> None:
    """Only the run's own processes hold gateui's pipes: their exit is the pipes' end."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    for fd in passed:
        with contextlib.suppress(OSError):
            os.close(fd)


def main(argv: list[str]) -> None:
    global PRCTL
    PRCTL = _prctl()
    status_fd, grace_s, parent, token, passed_text = argv[1:6]
    command = argv[7:]
    parent_pid = int(parent)
    if PRCTL is not None:
        PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)
        PRCTL(_PR_SET_CHILD_SUBREAPER, 1)
    guard = Guard(float(grace_s), parent_pid, token)
    passed = tuple(int(fd) for fd in passed_text.split(",") if fd)
    if guard.parent_gone():
        _report(int(status_fd), "error 0 gateui exited before the command started")
        os._exit(1)
    # The status pipe is the guard's alone: the command's end of it would hold gateui waiting.
    os.set_inheritable(int(status_fd), False)
    try:
        guard.child = start_command(command, passed)
    except OSError as exc:
        _report(int(status_fd), f"error {exc.errno or 0} {exc.strerror or exc}")
        os._exit(1)
    _report(int(status_fd), f"ok {guard.child}")
    _detach_from_pipes(passed)
    guard.wait_for_command()
    guard.stop_everything()
    guard.exit_like_the_command()


if __name__ == "__main__":
    main(sys.argv)
