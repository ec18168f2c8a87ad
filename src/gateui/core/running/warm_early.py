"""The first thing ``gateui run`` does: start the warm process its last run used, before gateui has
imported anything else.

A run forked from a warm process waits for that process's start (its interpreter, pytest and the
tests' libraries importing), not for gateui's own planning, which goes on beside it
(docs/benchmarks.md, "the demo on 3.12"). So every millisecond before the warm process starts is
a millisecond of the run, and this module imports nothing but the standard library's smallest
modules: the note of the last run is read with ``marshal`` (``json`` imports ``re``: ≈ 8 ms),
paths stay strings, and the guard is started by ``guard_spawn.fork_guard`` rather than
``subprocess`` (≈ 14 ms to import). It is called while gateui has a single thread, which that
needs.

The note (``write_hint``, written by ``warm_hint.remember`` at the end of a run) holds what the
start needs and would otherwise take hashing or TOML to work out: the project, its interpreter,
the run's environment, the list of modules to preload and the name of the file another gateui
announces its warm process in. Each is checked before it is used: the warm process starts only
when the interpreter is there, ``[tool.gateui] warm`` said yes and the project's
``pyproject.toml`` has not changed since, the environment's pytest plugin switches are the ones
the list was kept for, no other gateui keeps a warm process for the project, and a refusal the
last run met no longer holds. Otherwise nothing starts and the run is cold, as a first run is.
``WarmPool`` then checks the process against the planned run as it checks any (``warm_hint``).
"""

from __future__ import annotations

import _socket
import marshal
import os
import sys

from gateui.core.running.guard_spawn import (
    GuardChild,
    fork_guard,
    guard_argv,
    new_run_token,
    run_environment,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any, TypeGuard

_PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
PLUGIN_DIR = os.path.join(_PACKAGE, "pytest_plugin")
"""gateui's pytest plugin folder (``injected.PLUGIN_DIR`` is this path)."""
SERVER_FILE = os.path.join(_PACKAGE, "warm_server", "gateui_warm.py")
STATE_FOLDER = ".gateui"
"""``paths.STATE_DIR``, which this module cannot import (it imports pathlib and subprocess)."""
HINT_FILE = "run-hint.marshal"
HINT_VERSION = 1
SWITCH_VARIABLES = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")
"""Where the environment turns pytest plugins on and off (``plugin_switches``)."""
Stamp = tuple[str, int, int]


def hint_path(repo_root: str) -> str:
    return os.path.join(repo_root, STATE_FOLDER, "warm", HINT_FILE)


def plugin_switches(env: Mapping[str, str]) -> str:
    """What the environment says about the pytest plugins a run loads: the ``-p`` options of
    ``PYTEST_ADDOPTS``, ``PYTEST_PLUGINS`` and ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` ("" when it says
    nothing). Runs that differ in it import different modules (a plugin turned off no longer
    imports its library), so each keeps its own list of modules to preload. (The warm process
    reads ``-p no:NAME`` the same way, in the project's interpreter, where gateui cannot be
    imported: ``_blocked_plugins`` in ``warm_server/gateui_warm.py``.)"""
    addopts, plugins, no_autoload = (env.get(name, "") for name in SWITCH_VARIABLES)
    options: list[str] = []
    if "-p" in addopts:
        words = _split_like_a_shell(addopts)
        for index, word in enumerate(words):
            if word == "-p" and index + 1 < len(words):
                options.append(words[index + 1])
            elif word.startswith("-p") and len(word) > 2:
                options.append(word[2:])
    if not options and not plugins and not no_autoload:
        return ""
    said = [*sorted(set(options)), f"PYTEST_PLUGINS={plugins}", f"AUTOLOAD={no_autoload}"]
    return "\0".join(said)


def _split_like_a_shell(text: str) -> list[str]:
    """``shlex.split(text)``, as pytest splits ``PYTEST_ADDOPTS``; without importing ``shlex``
    (≈ 10 ms, ``re`` with it) where no quote, backslash or unusual space makes it differ from
    ``str.split``."""
    plain = not any(c in text for c in "'\"\\") and all(
        c in " \t\r\n" or not c.isspace() for c in text
    )
    if plain:
        return text.split()
    import shlex

    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def state_file(repo_root: str, project_root: str, interpreter: str, suffix: str, *more: str) -> str:
    """A file of the warm process of ``project_root`` in ``interpreter`` (and ``more``) in
    gateui's folder: named by a hash of them."""
    text = "\0".join([project_root, interpreter, *more])
    key = _sha256_hex(text.encode())[:16]
    return os.path.join(repo_root, STATE_FOLDER, "warm", f"{key}{suffix}")


def modules_file(
    repo_root: str, project_root: str, interpreter: str, env: Mapping[str, str]
) -> str:
    """The modules to preload for runs of the project in ``env``: one list per set of
    ``plugin_switches``, so that a plugin turned off for a while is not preloaded with
    everything it imported (the list is a union over runs)."""
    switches = plugin_switches(env)
    more = (switches,) if switches else ()
    return state_file(repo_root, project_root, interpreter, ".json", *more)


def up_file(repo_root: str, project_root: str, interpreter: str) -> str:
    """Where the project's warm process is announced to other gateui processes while up."""
    return state_file(repo_root, project_root, interpreter, ".up.json")


def _sha256_hex(data: bytes) -> str:
    """``hashlib.sha256(data).hexdigest()``, from CPython's own SHA-256 where it is built in:
    ``hashlib`` loads OpenSSL first (≈ 13 ms)."""
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]  # 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            from hashlib import sha256
    return str(sha256(data).hexdigest())


def stamps(paths: Iterable[str]) -> list[Stamp]:
    """Each path's (path, mtime in ns, size); -1, -1 for one that is not there."""
    found = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            found.append((path, -1, -1))
            continue
        found.append((path, info.st_mtime_ns, info.st_size))
    return found


def server_environment(base: Mapping[str, str]) -> dict[str, str]:
    """The warm process's environment: the runs' own, without anything that is per run."""
    env = {k: v for k, v in base.items() if not k.startswith("GATEUI_")}
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = PLUGIN_DIR + (os.pathsep + existing if existing else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def guess_repo_root(start: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """The work tree ``start`` is in, found as git finds it in the usual case (the nearest
    folder with a ``.git``), without starting git; None where git is told otherwise
    (``GIT_DIR``, ``GIT_WORK_TREE``) or there is no ``.git``. A guess: the run finds its
    repository with git, and a warm process started for another one is simply not used."""
    if "GIT_DIR" in environ or "GIT_WORK_TREE" in environ:
        return None
    folder = start
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def write_hint(repo_root: str, hint: dict[str, Any]) -> None:
    """Keep ``hint`` for the next run's ``start_early`` (unchanged files are not rewritten)."""
    path = hint_path(repo_root)
    data = marshal.dumps({**hint, "version": HINT_VERSION})
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return
    except OSError:
        pass
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        pass  # a note is an optimisation: the next run simply starts cold


def read_hint(path: str) -> dict[str, Any] | None:
    """The note at ``path``, or None: missing, unreadable, of another version or shape."""
    try:
        with open(path, "rb") as handle:
            hint = marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(hint, dict) or hint.get("version") != HINT_VERSION:
        return None
    if not all(isinstance(hint.get(key), str) for key in ("project_root", "interpreter")):
        return None
    env = hint.get("env")
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        return None
    pyproject = hint.get("pyproject")
    if not isinstance(hint.get("warm"), bool) or not _is_stamps(pyproject):
        return None
    if len(pyproject) != 1:  # the stamp of the one pyproject.toml the note's "warm" came from
        return None
    if "refused" in hint and not _is_stamps(hint["refused"]):
        return None
    return hint


def _is_stamps(value: object) -> TypeGuard[list[Stamp]]:
    return isinstance(value, list) and all(
        isinstance(s, tuple) and len(s) == 3 and isinstance(s[0], str) for s in value
    )


class EarlyStart:
    """A warm process starting for a run not yet planned: its guard, the control socket's end
    and the guard's status pipe, for ``WarmPool`` to take over (``warm_hint.adopt``)."""

    def __init__(
        self,
        repo_root: str,
        hint: dict[str, Any],
        env: dict[str, str],
        modules: str,
        server_env: dict[str, str],
        token: str,
        control_fd: int,
        status_read: int,
        proc: GuardChild,
    ) -> None:
        self.repo_root = repo_root
        self.project_root: str = hint["project_root"]
        self.interpreter: str = hint["interpreter"]
        self.modules_file = modules
        """The list of modules it preloads (``modules_file``)."""
        self.env = env
        """The run's environment the start assumed (the caller's, with the note's)."""
        self.server_env = server_env
        self.token = token
        self.control_fd = control_fd
        self.status_read = status_read
        self.proc = proc
        self.taken = False
        """Set once a ``WarmServer`` took it over, or it was stopped unused."""


def start_early(folder: str, environ: Mapping[str, str] = os.environ) -> EarlyStart | None:
    """Start the warm process the note of the repository ``folder`` is in names, if its checks
    (the module docstring) hold; None otherwise. Only while this process has a single thread."""
    if not sys.platform.startswith("linux") or not _standard_streams_open():
        return None
    if not _single_threaded():
        return None
    repo_root = guess_repo_root(os.path.realpath(folder), environ)
    hint = None if repo_root is None else read_hint(hint_path(repo_root))
    if repo_root is None or hint is None or not _still_holds(repo_root, hint):
        return None
    env = {**environ, **hint["env"]}
    server_env = server_environment(env)
    token = new_run_token()
    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    control_fd, theirs_fd = ours.detach(), theirs.detach()
    status_read, status_write = os.pipe()
    out_read, out_write = os.pipe()
    modules = modules_file(repo_root, hint["project_root"], hint["interpreter"], env)
    command = [hint["interpreter"], SERVER_FILE, str(theirs_fd), modules, ""]
    try:
        pid = fork_guard(
            guard_argv(status_write, token, (theirs_fd,), command),
            cwd=hint["project_root"],
            env=run_environment(server_env, token),
            stdout_fd=out_write,
            keep=(theirs_fd, status_write),
        )
    except OSError:
        for fd in (control_fd, status_read, out_read):
            os.close(fd)
        return None
    finally:
        for fd in (theirs_fd, status_write, out_write):
            os.close(fd)
    proc = GuardChild(pid, os.fdopen(out_read, "rb"))
    return EarlyStart(
        repo_root, hint, env, modules, server_env, token, control_fd, status_read, proc
    )


def _still_holds(repo_root: str, hint: dict[str, Any]) -> bool:
    if not os.path.exists(hint["interpreter"]) or not _warm_enabled(hint):
        return False
    if os.path.exists(up_file(repo_root, hint["project_root"], hint["interpreter"])):
        return False  # another gateui keeps one for the project: the run is handed to it
    refused = hint.get("refused")
    return refused is None or stamps(s[0] for s in refused) != refused


def _warm_enabled(hint: dict[str, Any]) -> bool:
    """``[tool.gateui] warm`` as the last run read it, unless the project's ``pyproject.toml``
    changed since: then it is read again."""
    if stamps([hint["pyproject"][0][0]]) == hint["pyproject"]:
        return bool(hint["warm"])
    return warm_enabled(hint["project_root"])


def warm_enabled(project_root: str | os.PathLike[str]) -> bool:
    """``[tool.gateui] warm`` of a repository or project; a sub-project's own ``warm = false``
    wins for it."""
    pyproject = os.path.join(project_root, "pyproject.toml")
    try:
        with open(pyproject, "rb") as handle:
            if b"warm" not in handle.read():
                # A file that cannot say otherwise is not parsed: TOML and the configuration's
                # types cost ≈ 20 ms to load, and every `gateui run` asks first thing.
                return True
    except OSError:
        return True
    from pathlib import Path

    from gateui.core.common.config import load_gateui_config
    from gateui.core.common.errors import ConfigError

    try:
        return load_gateui_config(Path(pyproject)).warm
    except ConfigError:
        return True  # reported where the configuration is read for the run itself


def _single_threaded() -> bool:
    """Forking is only safe with one thread (a caller of ``main`` in-process may have more)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _standard_streams_open() -> bool:
    """A descriptor 0, 1 or 2 that is closed would be reused by the pipes made here, and then
    replaced in the guard: such a gateui starts no warm process early."""
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    return True
