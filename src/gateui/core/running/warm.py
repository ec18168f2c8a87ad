"""Warm test processes: pytest and a project's third-party imports loaded once, forked per run.

While watch mode or the TUI is open, a ``WarmPool`` keeps one process per (project, interpreter)
running ``gateui/warm_server/gateui_warm.py`` in the project's interpreter. It has imported
pytest, the environment's pytest plugins and the third-party modules the project's tests imported
in their last run (the event plugin writes their names to ``.gateui/warm/``) — never the
repository's own modules, never a conftest. Each run forks from it, so every run starts from the
same pristine modules and costs no interpreter start-up or imports. Watch mode starts it in the
background as it starts (``prepare``), so the first save does not wait for the preload; and it
computes the event plugin's environment key once for all the runs it forks (it is restarted when
the installed packages change, which is all the key depends on besides the interpreter).

A run forked from it keeps the guarantees of a cold one (``_forked_run``): gateui hands the run
over on a socket of its own and starts no process for it; the forked run has a session of its
own, dies with the warm process, which dies with its guard, which dies with gateui; and when
gateui dies the run's socket closes, on which the warm process kills the run.

The warm process also listens on an abstract Unix socket named after the project and interpreter
(``listen_name``), announced in ``.gateui/warm/`` while it is up: a ``gateui run`` of the same user
(a pool with ``attach_only``) hands its run to it when its environment, installed packages and
pytest configuration still match, and otherwise starts cold. Such a run dies with the gateui that
keeps the warm process.

The pool is invisible when it works and says so, once, when it cannot: the warm process is
restarted when the environment's installed packages (the mtimes of its ``sys.path`` folders),
the pytest configuration or the set of modules to preload change (the one replaced takes no new
runs and lets the ones it has finish: a ``gateui run`` handed to it is not cut short); it is
not used — and the run starts cold — when a thread is alive after the preload and at a fork
(thread pools that stop before a fork, as numpy's OpenBLAS does, are no obstacle), when the tests
import a module known not to survive a fork, on platforms without fork, when its memory goes
over ``MAX_RSS_MB``, or when ``[tool.gateui] warm = false``. What it does is logged,
with the warm process's memory, in ``.gateui/warm.log``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from gateui.core.common.bounded_log import append_line
from gateui.core.common.paths import STATE_DIR
from gateui.core.running import warm_early
from gateui.core.running._warm_checks import CONFIG_FILES as CONFIG_FILES
from gateui.core.running._warm_checks import config_files as config_files
from gateui.core.running._warm_checks import mtimes as mtimes
from gateui.core.running._warm_process import (
    WarmServer,
    abandon,
    fingerprint_env,
)
from gateui.core.running._warm_process import (
    rss_mb as rss_mb,
)
from gateui.core.running.injected import CHANNEL_ENV, KEY_ENV
from gateui.core.running.warm_early import EarlyStart, server_environment
from gateui.core.running.warm_early import warm_enabled as warm_enabled

MODULES_ENV = "GATEUI_WARM_MODULES"
"""``REPO_ROOT<os.pathsep>FILE``: the event plugin writes the third-party modules the session
imported to FILE (modules outside REPO_ROOT, or in a site-packages folder)."""
MAX_RSS_MB = 2048
"""A warm process bigger than this is stopped and the runs start cold: memory stays bounded."""
SINGLE_RUN_WAIT_S = 60.0
"""How long a single ``gateui run`` waits for the warm process it started early to be ready
before it starts its run cold (a cold start would do the same imports again)."""
LOG_FILE = "warm.log"


def warm_supported() -> bool:
    """Forking a run needs fork, descriptor passing and the parent-death signal (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "send_fds")


def _peer(sock: socket.socket) -> tuple[int, int]:
    """(pid, uid) of the process that listens at the other end of ``sock``."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _ = struct.unpack("3i", creds)
    return pid, uid


class _Refusal:
    """A project's warm process could not be used: not retried until something it depended on
    (environment, installed packages, configuration, modules to preload) changes."""

    def __init__(
        self,
        server: WarmServer | None,
        modules_file: Path,
        env_key: str = "",
        project_root: Path | None = None,
    ) -> None:
        self.env_key = server.env_key if server is not None else env_key
        root = server.project_root if server is not None else project_root
        assert root is not None
        self.project_root = root
        self.folders = server.site_folders() if server is not None else []
        self.stamps = self._stamps(modules_file)

    def _stamps(self, modules_file: Path) -> tuple[tuple[str, int, int], ...]:
        return mtimes([*self.folders, *config_files(self.project_root), modules_file])

    def holds(self, env_key: str, modules_file: Path) -> bool:
        return env_key == self.env_key and self._stamps(modules_file) == self.stamps


def modules_file(
    repo_root: Path, project_root: Path, interpreter: Path, env: Mapping[str, str]
) -> Path:
    """``warm_early.modules_file``, as a path."""
    return Path(warm_early.modules_file(str(repo_root), str(project_root), str(interpreter), env))


def up_file(repo_root: Path, project_root: Path, interpreter: Path) -> Path:
    """``warm_early.up_file``, as a path."""
    return Path(warm_early.up_file(str(repo_root), str(project_root), str(interpreter)))


class WarmPool:
    """The warm processes of one gateui session (watch mode, the TUI); ``close()`` stops them.

    Thread-safe: runs may ask from worker threads."""

    def __init__(
        self,
        repo_root: Path,
        enabled: bool = True,
        attach_only: bool = False,
        single_run: bool = False,
    ) -> None:
        """``attach_only`` (``gateui run``): start no warm process, but hand runs to the one
        another gateui of this user keeps for the project (watch mode, the TUI) when it is up
        and matches this environment.

        ``single_run`` (``gateui run``, ``warm_hint``): as ``attach_only``, and also the one
        warm process ``prepare`` started before the run was planned, for that project only:
        its start-up and imports overlap gateui's own. It is used for one run, never restarted
        nor started on demand, and what it cannot do is logged, not said (nobody asked for it).
        """
        self.repo_root = repo_root
        self.enabled = enabled
        self.attach_only = attach_only
        self.single_run = single_run
        self._prepared: set[tuple[Path, Path]] = set()
        self._prepare_done = threading.Event()
        self._requested = False
        self._servers: dict[tuple[Path, Path], WarmServer] = {}
        self._refused: dict[tuple[Path, Path], _Refusal] = {}
        """Projects that cannot have a warm process, until what it was refused for changes."""
        self._draining: list[WarmServer] = []
        """Replaced warm processes still finishing runs they had."""
        self._notes: list[str] = []
        self._said: set[str] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._starting: list[WarmServer] = []
        """Warm processes still preloading (``close`` ends them rather than wait for them)."""
        self._starting_lock = threading.Lock()
        if enabled and not warm_supported():
            if not attach_only:
                self._say("warm test processes need Linux: runs start cold")
            self.enabled = False

    # -- for the runners -------------------------------------------------------------------
    def modules_file(self, project_root: Path, interpreter: Path, env: Mapping[str, str]) -> Path:
        return modules_file(self.repo_root, project_root, interpreter, env)

    def up_file(self, project_root: Path, interpreter: Path) -> Path:
        return up_file(self.repo_root, project_root, interpreter)

    def record_env(
        self, project_root: Path, interpreter: Path, env: Mapping[str, str]
    ) -> dict[str, str]:
        """Asks the run's event plugin (running in ``env``) to write the modules to preload next
        time."""
        path = self.modules_file(project_root, interpreter, env)
        return {MODULES_ENV: f"{self.repo_root}{os.pathsep}{path}"}

    def request(
        self, project_root: Path, interpreter: Path, env: Mapping[str, str]
    ) -> socket.socket | None:
        """A socket to hand a run to this project's warm process now, or None (start cold)."""
        if not self.enabled or self._closed or not warm_enabled(project_root):
            return None
        if self.attach_only or self.single_run:
            attached = self._attach(project_root, interpreter, env)
            if attached is not None or not self.single_run:
                return attached
            return self._single_run_request(project_root, interpreter, env)
        return self._hand_over(self.server(project_root, interpreter, env))

    def _hand_over(self, server: WarmServer | None) -> socket.socket | None:
        if server is None:
            return None
        try:
            return server.hand_over()
        except OSError as exc:
            self._log(f"hand-over failed ({exc}): the run starts cold")
            return None

    def prepare(
        self,
        project_root: Path,
        interpreter: Path,
        env: Mapping[str, str],
        early: EarlyStart | None = None,
    ) -> None:
        """(Re)start the project's warm process in the background if it no longer matches (after
        a run that imported new modules), so that the next run does not wait for it. A
        ``single_run`` pool prepares once, before its run asks. ``early``: the warm process
        ``warm_early`` started for these arguments (it checked ``[tool.gateui] warm``), taken
        over instead of starting one, or stopped when it cannot be."""
        unusable = not self.enabled or self._closed or self.attach_only
        if unusable or (self.single_run and (self._requested or self._prepared)):
            abandon(early)
            return
        if early is None and not warm_enabled(project_root):
            return
        self._prepared.add((project_root, interpreter))
        threading.Thread(
            target=self._prepare,
            args=(project_root, interpreter, dict(env), early),
            name="gateui-warm-prepare",
            daemon=True,
        ).start()

    def _prepare(
        self,
        project_root: Path,
        interpreter: Path,
        env: Mapping[str, str],
        early: EarlyStart | None,
    ) -> None:
        try:
            self.server(project_root, interpreter, env, early)
        finally:
            self._prepare_done.set()

    def _single_run_request(
        self, project_root: Path, interpreter: Path, env: Mapping[str, str]
    ) -> socket.socket | None:
        """The run goes to the warm process prepared for it, once it is ready; another project's
        run (or a second run) starts cold."""
        if self._requested or (project_root, interpreter) not in self._prepared:
            return None
        self._requested = True
        if not self._prepare_done.wait(SINGLE_RUN_WAIT_S):
            self._log(f"the warm process of {project_root} was not ready: the run starts cold")
            self._abort_starting()
            return None
        return self._hand_over(self.server(project_root, interpreter, env))

    def server(
        self,
        project_root: Path,
        interpreter: Path,
        env: Mapping[str, str],
        early: EarlyStart | None = None,
    ) -> WarmServer | None:
        """The project's warm process, (re)started when it no longer matches; None if it cannot
        be used (said once). ``early`` (``prepare``) is used for the start, if one is needed
        and it was started for the same environment and modules; otherwise it is stopped."""
        key = (project_root, interpreter)
        server_env = server_environment({k: v for k, v in env.items() if k not in _PER_RUN})
        env_key = fingerprint_env(server_env)
        modules_file = self.modules_file(project_root, interpreter, env)
        if early is not None and (
            early.server_env != server_env or early.modules_file != str(modules_file)
        ):
            abandon(early)
            early = None
        try:
            return self._server(key, server_env, env_key, modules_file, early)
        finally:
            if early is not None and not early.taken:
                abandon(early)

    def _server(
        self,
        key: tuple[Path, Path],
        server_env: dict[str, str],
        env_key: str,
        modules_file: Path,
        early: EarlyStart | None,
    ) -> WarmServer | None:
        project_root = key[0]
        with self._lock:
            if self._closed:
                return None
            server = self._servers.get(key)
            if server is not None:
                why = server.stale_because(env_key, modules_file)
                if why and self.single_run:
                    # Prepared from what the last run used: this run differs. Cold, no restart.
                    self._log(f"not using the warm process of {project_root}: {why}")
                    del self._servers[key]
                    self._retire(server)
                    return None
                if why:
                    self._log(f"restarting the warm process of {project_root}: {why}")
                    del self._servers[key]
                    self._retire(server, drain=True)
                    server = None
            if server is None:
                if self.single_run and self._requested:
                    return None  # its start failed or was refused: cold
                refused = self._refused.get(key)
                if refused is not None and refused.holds(env_key, modules_file):
                    return None
                started = self._start(key, server_env, modules_file, early)
                if isinstance(started, _Refusal):
                    self._refused[key] = started
                    return None
                self._servers[key] = server = started
                self._announce(started)
            size = rss_mb(server.pid)
            if size is not None and size > MAX_RSS_MB:
                self._say(
                    f"the warm test process of {project_root} uses {size:.0f} MB (over "
                    f"{MAX_RSS_MB} MB): it is stopped, runs start cold"
                )
                del self._servers[key]
                self._retire(server)
                self._refused[key] = _Refusal(server, modules_file)
                return None
            return server

    def _start(
        self,
        key: tuple[Path, Path],
        env: dict[str, str],
        modules_file: Path,
        early: EarlyStart | None = None,
    ) -> WarmServer | _Refusal:
        project_root, interpreter = key
        try:
            server = WarmServer(
                interpreter,
                project_root,
                env,
                modules_file,
                self._launched,
                # A run of another gateui handed to it would end with this one's run.
                shared=not self.single_run,
                early=early,
            )
        except OSError as exc:
            self._say(
                f"cannot start a warm test process for {project_root} ({exc}): runs start cold"
            )
            return _Refusal(None, modules_file, fingerprint_env(env), project_root)
        finally:
            # Starts happen one at a time (under the pool's lock): this one's entry, if any.
            with self._starting_lock:
                self._starting.clear()
        report = server.report
        if self._closed:
            server.stop()  # closed while it preloaded: ended by close(), nothing to say
            return _Refusal(server, modules_file)
        if not server.ready:
            server.stop()
            self._say(
                f"no warm test process for {project_root}: {report.get('unsafe')}; runs start cold"
            )
            return _Refusal(server, modules_file)
        size = rss_mb(server.pid)
        self._log(
            f"warm process {server.pid} for {project_root} ({interpreter}): "
            f"{report.get('modules')} modules, {len(report.get('failed', {}))} not preloadable, "
            f"RSS {size if size is not None else report.get('rss_kb', 0) / 1024:.0f} MB"
        )
        return server

    # -- shared with other gateui processes ------------------------------------------------
    def _announce(self, server: WarmServer) -> None:
        if not server.report.get("listening"):
            return  # another gateui's warm process for this project has the name
        path = self.up_file(server.project_root, server.interpreter)
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(server.announcement()), encoding="utf-8")
            os.replace(temporary, path)

    def _retire(self, server: WarmServer, drain: bool = False) -> None:
        """Stop ``server`` and take back its announcement (if it is still its own). ``drain``:
        the runs it has in flight (a ``gateui run`` handed its run to it, a run of this session
        still ending) finish first; it exits then, and is stopped for good by ``close()`` at the
        latest."""
        path = self.up_file(server.project_root, server.interpreter)
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == server.pid:
                path.unlink()
        if not drain or server.proc.poll() is not None:
            server.stop()
            return
        server.drain()
        self._draining.append(server)
        threading.Thread(
            target=self._reap_drained, args=(server,), name="gateui-warm-drain", daemon=True
        ).start()

    def _reap_drained(self, server: WarmServer) -> None:
        server.proc.wait()
        server.stop()  # its guard is gone: what is left is closing descriptors and the token
        with self._lock:
            if server in self._draining:
                self._draining.remove(server)

    def _attach(
        self, project_root: Path, interpreter: Path, env: Mapping[str, str]
    ) -> socket.socket | None:
        """A run socket connected to the warm process another gateui keeps for the project, if
        one is up and was started for this environment, packages and configuration."""
        try:
            up = json.loads(self.up_file(project_root, interpreter).read_text(encoding="utf-8"))
            name, pid = str(up["name"]), int(up["pid"])
            path_stamps = [tuple(item) for item in up["path_stamps"]]
            config_stamps = [tuple(item) for item in up["config_stamps"]]
            env_key = str(up["env_key"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # none is up (the normal case): nothing to say
        server_env = server_environment({k: v for k, v in env.items() if k not in _PER_RUN})
        why = ""
        if env_key != fingerprint_env(server_env):
            why = "its environment variables differ from this run's"
        elif list(mtimes([Path(str(p[0])) for p in path_stamps])) != path_stamps:
            why = "the installed packages changed since it started"
        elif list(mtimes(config_files(project_root))) != config_stamps:
            why = "the pytest configuration changed since it started"
        if why:
            self._log(f"not using the warm process {pid} of {project_root}: {why}")
            return None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect("\0" + name)
            peer_pid, peer_uid = _peer(sock)
        except OSError:
            sock.close()
            return None  # its gateui is gone (the announcement outlived a kill -9)
        if peer_pid != pid or peer_uid != os.getuid():
            sock.close()
            return None
        self._log(f"run handed to the warm process {pid} of {project_root} (another gateui's)")
        return sock

    # -- notes and lifetime ----------------------------------------------------------------
    def take_notes(self) -> tuple[str, ...]:
        """What the user should be told, each once."""
        with self._lock:
            notes, self._notes = tuple(self._notes), []
        return notes

    def _say(self, text: str) -> None:
        self._log(text)
        if self.single_run:
            return  # a warm process nobody asked for: its trouble is logged only
        if text not in self._said:
            self._said.add(text)
            self._notes.append(text)

    def _log(self, text: str) -> None:
        append_line(self.repo_root / STATE_DIR / LOG_FILE, text)

    def _launched(self, server: WarmServer) -> None:
        with self._starting_lock:
            self._starting.append(server)
            closed = self._closed
        if closed:
            server.abort_start()

    def refused(self, project_root: Path, interpreter: Path) -> _Refusal | None:
        """Why the project's warm process could not be used, while that still holds."""
        with self._lock:
            return self._refused.get((project_root, interpreter))

    def _abort_starting(self) -> None:
        with self._starting_lock:
            starting = list(self._starting)
        for server in starting:
            server.abort_start()

    def close(self) -> None:
        # A warm process still preloading (seconds for a heavy stack) holds the lock while
        # it starts: ended first, so that quitting never waits for a preload.
        with self._starting_lock:
            self._closed = True
        self._abort_starting()
        with self._lock:
            self._closed = True
            servers, self._servers = list(self._servers.values()), {}
            servers += self._draining
        for server in servers:
            self._retire(server)

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_PER_RUN = frozenset({CHANNEL_ENV, KEY_ENV})
