"""gateui's warm test process: runs INSIDE the interpreter of the repository under test.

Standard library only, started as ``python gateui_warm.py CONTROL_FD MODULES_FILE [LISTEN_NAME]``
(``gateui_warm.py`` imports this module, whose bytecode is then cached, and calls ``main``). It
imports pytest, the pytest plugins the environment provides and the third-party modules the
project's tests imported last time (``MODULES_FILE``, written by the event plugin) — never the
repository's own modules, never a conftest — and then serves runs:
for each one it forks, and the child runs pytest as ``python -m pytest`` would, with the run's
arguments, environment, working directory and standard streams, then exits. Every run starts from
the same pristine imported modules, so whatever a test patches dies with its run.

Messages to gateui are JSON lines on the original stdout; the process's own stdout and stderr go to
/dev/null (a module that prints at import says nothing to anyone).

Runs arrive as one end of a socket pair, passed over the control socket (``CONTROL_FD``) by the
gateui that started this process, or as a connection to the abstract Unix socket ``LISTEN_NAME``
from another gateui of the same user (``gateui run`` while watch mode is on). gateui sends the
run's request on it — the pytest arguments, the working directory, the environment and its
descriptors for stdin, stdout, stderr and the event channel — and receives ``pid N`` and then
``status N`` (a wait status). The child is in a session of its own, dies with this process
(parent-death signal), and its process group is killed when it exits or when its socket closes
(the kernel closes it when that gateui dies). When the control socket closes, the gateui that
started this process is gone: every child is killed and this process exits. A ``d`` on it
instead means a newer warm process replaces this one: it takes no new runs and exits once the
runs it has (another gateui's among them) have ended.

Forking is only safe while this process has a single thread: if one is alive after the preload
and still alive at a fork (a trial fork tells: thread pools such as OpenBLAS's stop themselves
before one), it says so (naming the module that started it) and serves nothing; nor does it when
the tests import a module known not to survive a fork (``NOT_FORK_SAFE``).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import warnings
from typing import Any

_PR_SET_PDEATHSIG = 1
_MAX_FDS = 8
_HEADER = struct.Struct("!I")
_MAX_REQUEST = 16 << 20


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _rss_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _plugin_packages() -> list[str]:
    """Top-level names pytest rewrites asserts in (the pytest11 plugins' distributions)."""
    try:
        import importlib.metadata as metadata

        from _pytest.config import _iter_rewritable_modules

        files = (
            str(file)
            for dist in metadata.distributions()
            if any(ep.group == "pytest11" for ep in dist.entry_points)
            for file in dist.files or []
        )
        return sorted(set(_iter_rewritable_modules(files)))
    except Exception:
        return []


def _accept_preloaded_plugins(plugin_packages: list[str]) -> None:
    """pytest warns about plugin packages imported before its assertion rewriting starts; the
    preloaded ones were imported on purpose (their own asserts stay as written, their tests' are
    rewritten as always), so only the others are warned about."""
    try:
        from _pytest.assertion.rewrite import AssertionRewritingHook
    except ImportError:
        return
    original = getattr(AssertionRewritingHook, "_warn_already_imported", None)
    if original is None:
        return
    preloaded = {name for name in plugin_packages if name in sys.modules}

    def warn_unless_preloaded(self: Any, name: str) -> None:
        if name.split(".", 1)[0] not in preloaded:
            original(self, name)

    AssertionRewritingHook._warn_already_imported = warn_unless_preloaded  # type: ignore[method-assign]


def _plugin_entry_modules() -> list[str]:
    """The modules of the installed pytest plugins pytest will load: not those the environment
    turns off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``, ``-p no:NAME`` in ``PYTEST_ADDOPTS``), which
    a cold run never imports. Preloading them would only cost time: a ``gateui run`` waits for
    the preload of the warm process it starts for itself (``core.running.warm_hint``)."""
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return []
    blocked = _blocked_plugins(os.environ.get("PYTEST_ADDOPTS", ""))
    try:
        import importlib.metadata as metadata

        return [
            ep.value.split(":", 1)[0]
            for dist in metadata.distributions()
            for ep in dist.entry_points
            if ep.group == "pytest11" and ep.name not in blocked
        ]
    except Exception:
        return []


def _blocked_plugins(addopts: str) -> set[str]:
    """The plugin names ``-p no:NAME`` blocks in a pytest command line (pytest blocks NAME and
    ``pytest_NAME``)."""
    import shlex

    try:
        args = shlex.split(addopts)
    except ValueError:
        return set()
    blocked: set[str] = set()
    for index, arg in enumerate(args):
        if arg == "-p" and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("-p") and arg != "-p":
            value = arg[2:]
        else:
            continue
        if value.startswith("no:"):
            name = value[3:]
            bare = name[len("pytest_") :] if name.startswith("pytest_") else name
            blocked |= {name, bare, "pytest_" + bare}
    return blocked


def _import_quietly(name: str) -> str:
    """Import ``name``; on any failure (a warning counts: pytest may turn it into an error in the
    run) return why. The module that failed is not left behind: Python takes every module whose
    execution raised out of ``sys.modules``, so the run imports it again and warns or fails as a
    cold run does. What the failed import completed on the way stays (numpy, imported by a
    package that then warned): those modules ran to their end, and a compiled extension such as
    numpy's cannot be imported twice in one process — taken out, every later import of it failed
    or reloaded it, in the preload and in the runs, which then errored where cold runs passed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            importlib.import_module(name)
    except BaseException as exc:  # a module may even raise SystemExit at import
        return f"{type(exc).__name__}: {exc}"[:200]
    return ""


NOT_FORK_SAFE = {
    "grpc": (
        "GRPC_ENABLE_FORK_SUPPORT",
        "gRPC's core does not survive a fork unless GRPC_ENABLE_FORK_SUPPORT is set",
    ),
}
"""Modules known not to survive a fork after they are imported, by top-level name: the variable
that makes one fork-safe (when set to a true value), and why. A project whose tests import one
gets no warm process."""


def _not_fork_safe(names: list[str]) -> str:
    for name in names:
        known = NOT_FORK_SAFE.get(name.split(".", 1)[0])
        if known is None:
            continue
        variable, why = known
        if os.environ.get(variable, "").lower() not in ("1", "true", "yes"):
            return f"the tests import {name}, and {why}"
    return ""


def preload(modules_file: str) -> dict[str, Any]:
    """Import what the runs will need; say what was imported, what failed and what is unsafe."""
    names = ["pytest", *_plugin_entry_modules()]
    if modules_file:
        with contextlib.suppress(OSError, ValueError):
            with open(modules_file, encoding="utf-8") as handle:
                recorded = json.load(handle)
            if isinstance(recorded, list):
                names += [n for n in recorded if isinstance(n, str)]
    unsafe = _not_fork_safe(names)
    if unsafe:
        return {"failed": {}, "unsafe": unsafe}
    failed: dict[str, str] = {}
    threads_by: list[str] = []
    threads = _thread_count()
    for name in dict.fromkeys(names):
        if name in sys.modules or name == "gateui_events" or name.rsplit(".", 1)[-1] == "conftest":
            continue
        problem = _import_quietly(name)
        if problem:
            failed[name] = problem
        now = _thread_count()
        if now > threads:
            threads_by.append(name)
            threads = now
    at_fork = _threads_at_fork() if _thread_count() > 1 else []
    if at_fork:
        started = ", ".join(threads_by) or "an unknown module"
        named = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
        alive = ", ".join(named or at_fork)  # Python's names, where the threads are Python's
        unsafe = "a thread is alive after the preload, and at a fork "
        unsafe += f"(started by importing {started}"
        unsafe += f"; threads: {alive})" if alive else ")"
    return {"failed": failed, "unsafe": unsafe}


FORK_SAFE_THREADS = {
    "jemalloc_bg_thd": (
        "jemalloc's background thread (pyarrow's allocator): jemalloc takes all its locks "
        "before a fork and resets them in the child (pthread_atfork)"
    ),
}
"""Native threads known to be harmless at a fork, by their name (``/proc/self/task/N/comm``)."""


def _threads_at_fork() -> list[str]:
    """The names of the threads other than this one that are alive when this process forks,
    but those known to be harmless then (``FORK_SAFE_THREADS``). A fork is unsafe when another
    thread is alive at that moment (it may hold a lock the child then waits on forever), not
    merely after the preload: a thread pool that stops itself before a fork is no hazard. numpy
    and scipy's OpenBLAS starts one as they are imported and shuts it down in a
    ``pthread_atfork`` handler (the child starts its own when it first needs it), so without this
    trial no project using numpy could have a warm process. A trial fork, whose child exits at
    once; the threads are listed here right after it (a pool that restarts in the parent counts
    as alive). Nothing calls into such a pool in this process after it, so it stays stopped."""
    with warnings.catch_warnings():
        # Python 3.12+ warns that a multi-threaded process forks: that is what is tried here.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        os._exit(0)
    names = _other_thread_names()
    os.waitpid(pid, 0)
    return [name for name in names if name not in FORK_SAFE_THREADS]


def _other_thread_names() -> list[str]:
    own = str(threading.get_native_id())
    names = []
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        others = [t for t in threading.enumerate() if t is not threading.current_thread()]
        return [t.name for t in others]
    for task in tasks:
        if task == own:
            continue
        try:
            with open(f"/proc/self/task/{task}/comm", encoding="utf-8", errors="replace") as fh:
                names.append(fh.read().strip())
        except OSError:
            continue  # the thread ended meanwhile
    return names


class _Run:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pid = 0
        self.buffer = b""
        self.fds: list[int] = []


def listen(name: str) -> socket.socket | None:
    """The abstract socket other gateui processes of this user hand runs to (None: taken)."""
    if not name:
        return None
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind("\0" + name)
        listener.listen(16)
    except OSError:
        listener.close()
        return None
    return listener


def _peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


class Server:
    def __init__(
        self,
        control: socket.socket,
        status: Any,
        plugin_packages: list[str],
        listener: socket.socket | None = None,
    ) -> None:
        self.control = control
        self.listener = listener
        self.draining = False
        self.status = status
        self.plugin_packages = plugin_packages
        self.runs: dict[int, _Run] = {}
        """By socket descriptor."""
        self.by_pid: dict[int, _Run] = {}
        self._wake_read, wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self._prctl = _prctl()

    def serve(self) -> dict[str, Any] | None:
        """Serve until gateui goes away (returns None), or return a child's job (in the child)."""
        while True:
            readable = [self.control.fileno(), self._wake_read, *self.runs]
            if self.listener is not None:
                readable.append(self.listener.fileno())
            with contextlib.suppress(InterruptedError):
                ready, _, _ = select.select(readable, [], [])
                for fd in ready:
                    if fd == self._wake_read:
                        with contextlib.suppress(BlockingIOError):
                            while os.read(self._wake_read, 512):
                                pass
                    elif fd == self.control.fileno():
                        if not self._accept():
                            self._stop_all()
                            return None
                    elif self.listener is not None and fd == self.listener.fileno():
                        self._connect()
                    elif fd in self.runs:
                        job = self._read_request(self.runs[fd])
                        if job is not None:
                            return job
            self._reap()
            if self.draining and not self.runs:
                return None

    def _accept(self) -> bool:
        try:
            data, fds, _, _ = socket.recv_fds(self.control, 64, _MAX_FDS)
        except OSError:
            return False
        if not data:
            return False
        for fd in fds:
            sock = socket.socket(fileno=fd)
            self.runs[fd] = _Run(sock)
        if b"d" in data:
            # Replaced by a newer warm process: take no new runs, exit once the ones it has end.
            self.draining = True
            if self.listener is not None:
                self.listener.close()
                self.listener = None
        return True

    def _connect(self) -> None:
        assert self.listener is not None
        try:
            sock, _ = self.listener.accept()
        except OSError:
            return
        try:
            allowed = _peer_uid(sock) == os.getuid()
        except OSError:
            allowed = False
        if not allowed:
            sock.close()  # runs are taken from this user's processes only
            return
        self.runs[sock.fileno()] = _Run(sock)

    def _read_request(self, run: _Run) -> dict[str, Any] | None:
        try:
            data, fds, _, _ = socket.recv_fds(run.sock, 1 << 16, _MAX_FDS)
        except OSError:
            data, fds = b"", []
        run.fds += fds
        if not data:
            # The client is gone: so is its run.
            if run.pid:
                _kill_group(run.pid)
            self._forget(run)
            return None
        if run.pid:
            return None  # a started run's client says nothing more
        run.buffer += data
        if len(run.buffer) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(run.buffer)
        if size > _MAX_REQUEST:
            self._refuse(run, "request too large")
            return None
        if len(run.buffer) < _HEADER.size + size:
            return None
        try:
            request = json.loads(run.buffer[_HEADER.size : _HEADER.size + size])
        except ValueError:
            self._refuse(run, "unreadable request")
            return None
        targets = request.get("fds", [])
        if len(targets) != len(run.fds):
            self._refuse(run, "descriptors missing")
            return None
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        pid = os.fork()
        if pid == 0:
            return self._become_child(run, request)
        for received in run.fds:
            os.close(received)
        run.fds = []
        run.pid = pid
        self.by_pid[pid] = run
        self._send(run, f"pid {pid}")
        return None

    def _become_child(self, run: _Run, request: dict[str, Any]) -> dict[str, Any]:
        server_pid = os.getppid()
        os.setsid()
        if self._prctl is not None:
            self._prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != server_pid:
            os._exit(1)  # the server died before the parent-death signal was set
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.close(self._wake_read)
        # The child keeps nothing of the server's but the run's own descriptors.
        for other in self.runs.values():
            other.sock.close()
            for received in other.fds if other is not run else ():
                with contextlib.suppress(OSError):
                    os.close(received)
        self.control.close()
        if self.listener is not None:
            self.listener.close()
        with contextlib.suppress(OSError):
            self.status.close()
        _place_descriptors(run.fds, [int(t) for t in request["fds"]])
        return request

    def _refuse(self, run: _Run, why: str) -> None:
        self._send(run, f"error {why}")
        self._forget(run)

    def _send(self, run: _Run, text: str) -> None:
        with contextlib.suppress(OSError):
            run.sock.sendall(text.encode() + b"\n")

    def _forget(self, run: _Run) -> None:
        for received in run.fds:
            with contextlib.suppress(OSError):
                os.close(received)
        self.runs.pop(run.sock.fileno(), None)
        run.sock.close()

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            run = self.by_pid.pop(pid, None)
            if run is None:
                continue
            # Whatever the run left in its process group goes with it.
            _kill_group(pid)
            self._send(run, f"status {status}")
            self._forget(run)

    def _stop_all(self) -> None:
        for pid in list(self.by_pid):
            _kill_group(pid)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_ulong]
    function.restype = ctypes.c_int
    return function


def _place_descriptors(received: list[int], targets: list[int]) -> None:
    """Put each received descriptor at the number the run expects (its channel is ``fd:N``)."""
    ceiling = max([*targets, *received, 2]) + 1
    moved = [_dup_above(fd, ceiling) for fd in received]
    for fd in received:
        os.close(fd)
    for source, target in zip(moved, targets):  # noqa: B905 (Python 3.9 runs this too)
        os.dup2(source, target, inheritable=True)
        os.close(source)


def _dup_above(fd: int, floor: int) -> int:
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor)


def run_child(request: dict[str, Any], plugin_packages: list[str], env_key: str = "") -> None:
    """Become ``python -m pytest ARGS`` in the run's directory and environment."""
    import runpy

    os.environ.clear()
    os.environ.update(request["env"])
    if env_key:
        os.environ[ENVIRONMENT_KEY_ENV] = env_key
    os.chdir(request["cwd"])
    # ``python -m`` puts the working directory first on the path.
    sys.path[0] = os.getcwd()
    _accept_preloaded_plugins(plugin_packages)
    _reseed()
    sys.argv = ["pytest", *request["args"]]
    runpy.run_module("pytest", run_name="__main__", alter_sys=True)


def _reseed() -> None:
    """Fresh random state, as a new process has (``random`` reseeds itself after a fork)."""
    numpy_random = sys.modules.get("numpy.random")
    seed = getattr(numpy_random, "seed", None)
    if callable(seed):
        with contextlib.suppress(Exception):
            seed()


ENVIRONMENT_KEY_ENV = "GATEUI_WARM_ENVIRONMENT_KEY"
"""Where a forked run finds the environment key this process computed (the event plugin takes
it out of the environment at import)."""


def environment_key() -> str:
    """The event plugin's environment key (interpreter and installed distributions), computed
    once with the plugin's own code instead of in every run: reading every distribution's
    metadata took 5-70 ms per run. It holds as long as this process does: gateui restarts it
    when the environment's installed packages change. The plugin is executed as a private copy
    (the runs import their own, fresh); empty when it cannot be."""
    try:
        import importlib.util

        found = importlib.util.find_spec("gateui_events")
        if found is None or not found.origin:
            return ""
        name = "_gateui_events_key"
        spec = importlib.util.spec_from_file_location(name, found.origin)
        if spec is None or spec.loader is None:
            return ""
        sys.modules[name] = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(sys.modules[name])
            # The loader put the plugin's implementation in its own place.
            module = sys.modules[name]
        finally:
            sys.modules.pop(name, None)
        return str(module._environment_key())
    except Exception:
        return ""


def _freeze_heap() -> None:
    """Move everything preloaded out of the garbage collector's reach (``gc.freeze``, as pre-fork
    servers do): a run's collections then walk only what the run made, not the whole preloaded
    heap — pytest's own collection at the end of a session took about as long as the rest of a
    small run — and they no longer write to every preloaded object, which would copy the warm
    process's memory page by page into each run.

    No collection first: the preload leaves next to no garbage (none, on the demo), and a full
    collection of the preloaded heap took ≈ 8 ms between "ready" and the first run's fork, with
    that run waiting. The collector was off during the preload (``main``), as the ``gc.freeze``
    documentation advises for a pre-fork server: it is on again from here, in this process and in
    every run."""
    freeze = getattr(gc, "freeze", None)
    if freeze is not None:
        freeze()
    gc.enable()


def main(argv: list[str]) -> None:
    control_fd, modules_file = int(argv[1]), argv[2]
    listen_name = argv[3] if len(argv) > 3 else ""
    status = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    # The runs' path, as ``python -m pytest`` in the project's folder has it.
    sys.path[0] = os.getcwd()
    control = socket.socket(fileno=control_fd)
    if not hasattr(os, "fork") or not hasattr(socket, "recv_fds"):
        status.write(json.dumps({"unsafe": "this platform cannot fork a warm process"}) + "\n")
        return
    gc.disable()  # until ``_freeze_heap``: imports make no garbage worth a collection
    report = preload(modules_file)
    plugin_packages = _plugin_packages()
    report.update(
        {
            "ready": not report["unsafe"],
            "pid": os.getpid(),
            "modules": len(sys.modules),
            "rss_kb": _rss_kb(),
            "path": sys.path,
        }
    )
    listener = None if report["unsafe"] else listen(listen_name)
    report["listening"] = listen_name if listener is not None else ""
    status.write(json.dumps(report) + "\n")
    if report["unsafe"]:
        return
    env_key = environment_key()
    _freeze_heap()
    server = Server(control, status, plugin_packages, listener)
    job = server.serve()
    if job is None:
        return
    del server
    run_child(job, plugin_packages, env_key)


if __name__ == "__main__":
    main(sys.argv)
