"""One warm process under its guard, and the control socket runs are handed over on (``warm``'s
pool keeps them): started by the pool, or taken over from ``warm_early``, which started it before
gateui imported anything else; its report read once it has preloaded; stopped with nothing left.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gateui.core.running import warm_early
from gateui.core.running._warm_checks import config_files, mtimes
from gateui.core.running.guard_spawn import read_guard_report
from gateui.core.running.process_group import (
    ChildHandle,
    kill_tagged,
    launch,
    new_run_token,
    stop_guard,
)
from gateui.core.running.warm_early import EarlyStart

SERVER_FILE = Path(warm_early.SERVER_FILE)
READY_TIMEOUT_S = 300.0


TERMINAL_VARIABLES = frozenset(
    {
        "_",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "TERM",
        "TERM_PROGRAM",
        "TERM_PROGRAM_VERSION",
        "TERM_SESSION_ID",
        "COLORTERM",
        "COLUMNS",
        "LINES",
        "TMUX",
        "TMUX_PANE",
        "STY",
        "WINDOW",
        "WINDOWID",
        "VTE_VERSION",
        "SSH_TTY",
        "SSH_CLIENT",
        "SSH_CONNECTION",
        "GPG_TTY",
    }
)
"""What differs between two terminals of one user and no library reads at import: a ``gateui run``
in another terminal may use the warm process watch mode started. (Every run gets its own whole
environment anyway; this only decides which preloaded modules can be shared.)"""


def fingerprint_env(env: Mapping[str, str]) -> str:
    kept = ((k, v) for k, v in env.items() if k not in TERMINAL_VARIABLES)
    text = "\0".join(f"{k}={v}" for k, v in sorted(kept))
    return hashlib.sha256(text.encode(errors="replace")).hexdigest()


def listen_name(project_root: Path, interpreter: Path) -> str:
    """The abstract socket a project's warm process takes runs from other gateui processes on."""
    key = f"{os.getuid()}\0{project_root}\0{interpreter}"
    return "gateui-warm-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def rss_mb(pid: int) -> float | None:
    """A process's resident memory (Linux), or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class WarmServer:
    """One warm process (under a guard) and the control socket runs are handed over on."""

    def __init__(
        self,
        interpreter: Path,
        project_root: Path,
        env: dict[str, str],
        modules_file: Path,
        launched: Callable[[WarmServer], None] | None = None,
        shared: bool = True,
        early: EarlyStart | None = None,
    ) -> None:
        """Starts the warm process and waits for its preload; ``launched`` is told as soon as
        the process runs, before that wait (from which ``abort_start`` can free it). Not
        ``shared``: it takes no runs from other gateui processes (it is for one run only).
        ``early``: the process ``warm_early`` started for these arguments, taken over."""
        self.interpreter = interpreter
        self.project_root = project_root
        self.env_key = fingerprint_env(env)
        self.modules = read_modules(modules_file)
        self._lock = threading.Lock()
        self.proc: ChildHandle
        if early is not None:
            self.listen_name = ""
            self._take_over(early)
        else:
            self.listen_name = listen_name(project_root, interpreter) if shared else ""
            self._launch(env, modules_file)
        if launched is not None:
            launched(self)
        self.report = self._read_report()
        self.pid = int(self.report.get("pid") or 0)
        self.path_stamps = mtimes(self.site_folders())
        self.config_stamps = mtimes(config_files(project_root))

    def _launch(self, env: dict[str, str], modules_file: Path) -> None:
        self.token = new_run_token()
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.proc = launch(
                [
                    str(self.interpreter),
                    str(SERVER_FILE),
                    str(theirs.fileno()),
                    str(modules_file),
                    self.listen_name,
                ],
                cwd=self.project_root,
                env=env,
                token=self.token,
                stdout=subprocess.PIPE,
                pass_fds=(theirs.fileno(),),
            )
        finally:
            theirs.close()

    def _take_over(self, early: EarlyStart) -> None:
        early.taken = True
        self.token = early.token
        self._control = socket.socket(fileno=early.control_fd)
        self.proc = early.proc
        problem = read_guard_report(early.status_read, str(self.interpreter))
        if problem is not None:
            self._control.close()
            early.proc.wait()
            if early.proc.stdout is not None:
                early.proc.stdout.close()
            raise problem

    def announcement(self) -> dict[str, Any]:
        """What another gateui checks before it hands this process a run (``WarmPool._attach``)."""
        return {
            "pid": self.pid,
            "name": self.report.get("listening") or "",
            "env_key": self.env_key,
            "path_stamps": self.path_stamps,
            "config_stamps": self.config_stamps,
        }

    def _read_report(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + READY_TIMEOUT_S
        data = b""
        while b"\n" not in data and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            data += chunk
        try:
            report = json.loads(data.split(b"\n", 1)[0] or b"{}")
        except ValueError:
            report = {}
        if not isinstance(report, dict):
            report = {}
        if not report.get("ready") and not report.get("unsafe"):
            report["unsafe"] = "the warm process did not start" + (
                f" ({data.decode(errors='replace').strip()[:200]})" if data.strip() else ""
            )
        return report

    @property
    def ready(self) -> bool:
        return bool(self.report.get("ready")) and self.proc.poll() is None

    def site_folders(self) -> list[Path]:
        """The warm process's import path outside the project: installs show in their mtimes."""
        folders = []
        for entry in self.report.get("path", []):
            path = Path(entry)
            if path.is_dir() and not path.is_relative_to(self.project_root):
                folders.append(path)
        return folders

    def stale_because(self, env_key: str, modules_file: Path) -> str:
        """Why this process no longer matches the project (empty: it still does)."""
        if self.proc.poll() is not None:
            return "the warm process exited"
        if env_key != self.env_key:
            return "the environment variables changed"
        if mtimes(self.site_folders()) != self.path_stamps:
            return "the installed packages changed"
        if mtimes(config_files(self.project_root)) != self.config_stamps:
            return "the pytest configuration changed"
        if set(read_modules(modules_file)) - set(self.modules):
            return "the tests import modules it has not loaded"
        return ""

    def hand_over(self) -> socket.socket:
        """A socket for one run's client; the warm process has the other end."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                socket.send_fds(self._control, [b"r"], [theirs.fileno()])
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        return ours

    def drain(self) -> None:
        """Take no new runs, exit once the runs in flight end (it is being replaced)."""
        with contextlib.suppress(OSError), self._lock:
            self._control.send(b"d")

    def abort_start(self) -> None:
        """End a warm process still preloading (its gateui is closing): the wait for its report
        in ``__init__`` then ends at once, on the closed pipe, instead of after the preload.
        ``stop`` still follows, from the thread that started it."""
        stop_guard(self.proc)
        kill_tagged(self.token)

    def stop(self) -> None:
        """Close the control socket (the warm process kills its runs and exits), stop the guard."""
        with contextlib.suppress(OSError):
            self._control.close()
        proc = self.proc
        stop_guard(proc)
        if proc.stdout is not None:
            proc.stdout.close()
        kill_tagged(self.token)


def read_modules(path: Path) -> tuple[str, ...]:
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    return tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else ()


def abandon(early: EarlyStart | None) -> None:
    """Stop a warm process ``warm_early`` started that will not be used: closing its control
    socket ends it, stopping its guard ends whatever is left."""
    if early is None or early.taken:
        return
    early.taken = True
    for fd in (early.control_fd, early.status_read):
        with contextlib.suppress(OSError):
            os.close(fd)
    stop_guard(early.proc)
    if early.proc.stdout is not None:
        early.proc.stdout.close()
    kill_tagged(early.token)
