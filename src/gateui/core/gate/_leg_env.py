"""A matrix leg's environment: a virtualenv of the leg's Python, built by the job's own install
commands, kept between runs.

Kept under ``$XDG_CACHE_HOME/gateui/legs/<key>`` (``~/.cache`` without it). The key is the
interpreter's exact version and path, the install commands (with their working directories), and
the content of the files they install from: ``requirements*.txt`` and constraints named by
``-r`` / ``-c`` (and the files those include), and the ``pyproject.toml``, ``setup.cfg`` and
``setup.py`` of every local project they install. The same key reuses the environment; any change
builds a new one. Pruned after each build: the ``ALWAYS_KEPT`` most recently used stay, and
beyond them those used in the last ``RECENT_DAYS`` days, up to ``MAX_ENVIRONMENTS`` in all.
(A count alone rebuilt environments in turn, 10 s each, as soon as a week's work — or one run of
a workflow corpus — needed one more than it kept.)

The project's own installs (``pip install -e '.[test]'``, ``pip install .``) point at one
checkout; on reuse the leg must import the checkout being checked. Editable installs of projects
that build no code are pointed at it (``_editable_repoint``: a path rewritten in site-packages,
no pip, no network); anything else is installed again from it, without its dependencies
(``--no-deps``).

Installing runs pip as the user would by hand (their pip configuration, index and cache), with
credentials left out of the environment; an environment is used only once its build completed
(``leg.json`` is written last). A build holds a lock on the environment's folder, as does a run
using it, so two gateui processes never change one environment under each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gateui.core.commands.classify import simple_commands
from gateui.core.gate._editable_repoint import (
    can_repoint,
    keep_generated,
    repoint,
    restore_generated,
)
from gateui.core.gate._python_finder import FoundPython
from gateui.core.gate._runner_env import without_credentials

SCHEMA = 1
ALWAYS_KEPT = 12
RECENT_DAYS = 7
MAX_ENVIRONMENTS = 64
METADATA = "leg.json"
INSTALL_TIMEOUT_S = 20 * 60
_OPTIONS_WITH_FILES = {"-r", "--requirement", "-c", "--constraint"}
_PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


def legs_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gateui" / "legs"


@dataclass(frozen=True)
class LegEnvironment:
    folder: Path
    python: Path
    """The environment's interpreter (``folder/bin/python``)."""
    base: FoundPython
    key: str
    reused: bool
    seconds: float
    """Building it, or (reused) installing the project's own code again."""
    refreshed: str = ""
    """On reuse, how the project's own code was brought to the checkout: "repointed" (its
    editable installs point there now), "reinstalled" (pip installed it again) or "" (nothing
    of the checkout is installed)."""


class LegBuildError(Exception):
    """The leg's environment could not be built: ``reason`` in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def environment_key(base: FoundPython, installs: Sequence[tuple[str, str]], checkout: Path) -> str:
    files: dict[str, str] = {}
    for cwd, command in installs:
        for path in _files_of(cwd, command, checkout):
            relative = os.path.relpath(path, checkout)
            files[relative] = _digest(path)
    data = {
        "schema": SCHEMA,
        "python": [base.version, str(base.path)],
        "installs": [list(pair) for pair in installs],
        "files": files,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _install_words(command: str) -> Iterator[list[str]]:
    for words in simple_commands(command):
        if "install" in words:
            yield words[words.index("install") + 1 :]


@dataclass
class _Sources:
    """What one install command reads from the checkout."""

    files: list[Path]
    """``-r`` / ``-c`` files and those they include."""
    local: list[list[str]]
    """Each local project it installs, as words (``["-e", ".[test]"]``, ``["./pkg"]``), from the
    command or from its requirement files."""


def _sources(cwd: str, command: str, checkout: Path) -> _Sources:
    folder = checkout / cwd
    sources = _Sources([], [])
    for words in _install_words(command):
        for index, word in enumerate(words):
            value = None
            if word in _OPTIONS_WITH_FILES and index + 1 < len(words):
                value = words[index + 1]
            elif word.startswith(("--requirement=", "--constraint=")):
                value = word.split("=", 1)[1]
            elif word.startswith(("-r", "-c")) and len(word) > 2 and not word.startswith("--"):
                value = word[2:]
            if value is not None:
                _requirement_file(folder / value, folder, sources, depth=0)
            else:
                before = words[index - 1] if index else ""
                editable = before in ("-e", "--editable")
                if local_projects(["-e", word] if editable else [word], folder):
                    sources.local.append(["-e", word] if editable else [word])
    return sources


def _files_of(cwd: str, command: str, checkout: Path) -> list[Path]:
    """The files an install command reads from the checkout (``-r``/``-c`` files and what they
    include, and each local project's metadata)."""
    folder = checkout / cwd
    sources = _sources(cwd, command, checkout)
    found = list(sources.files)
    for words in sources.local:
        for path in local_projects(words, folder):
            found.extend(path / name for name in _PROJECT_FILES)
    return found


def _requirement_file(path: Path, folder: Path, sources: _Sources, depth: int) -> None:
    """Read a requirements file: the files it includes, and the local projects it installs
    (pip reads their paths relative to the working directory, ``folder``)."""
    if path in sources.files:
        return
    sources.files.append(path)
    if depth > 4:
        return
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] in _OPTIONS_WITH_FILES:
            _requirement_file(path.parent / words[1], folder, sources, depth + 1)
        elif len(words) >= 2 and words[0] in ("-e", "--editable"):
            if local_projects(words[:2], folder):
                sources.local.append(["-e", words[1]])
        elif words and words[0].startswith((".", "/")) and local_projects(words[:1], folder):
            sources.local.append(words[:1])


def local_projects(words: Sequence[str], folder: Path) -> list[Path]:
    """The local folders an install's words name (``.``, ``-e ./pkg``, ``'.[test]'``)."""
    projects: list[Path] = []
    for index, word in enumerate(words):
        target = word.split("=", 1)[1] if word.startswith("--editable=") else word
        if target.startswith("-"):
            continue
        if index and words[index - 1] in _OPTIONS_WITH_FILES:
            continue
        if target.startswith((".", "/")) or (index and words[index - 1] in ("-e", "--editable")):
            path = target.split("[", 1)[0]
            if not path.startswith(("git+", "http:", "https:")) and (folder / path).is_dir():
                projects.append((folder / path).resolve())
    return projects


def project_reinstalls(
    installs: Sequence[tuple[str, str]], checkout: Path
) -> list[tuple[str, str]]:
    """The commands that install the checkout's own code again, without dependencies."""
    again: list[tuple[str, str]] = []
    for cwd, command in installs:
        wanted = [w for words in _sources(cwd, command, checkout).local for w in words]
        if wanted:
            line = ["python", "-m", "pip", "install", "--no-deps", *wanted]
            again.append((cwd, " ".join(shlex.quote(w) for w in line)))
    return again


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    folder.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(f"{folder}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


class LegEnvironments:
    """The leg environments of one gate run: each prepared once, its lock held until
    ``close()``."""

    def __init__(self, stop: Callable[[], bool] = lambda: False) -> None:
        self._hold = contextlib.ExitStack()
        self._ready: dict[str, tuple[LegEnvironment, Path]] = {}
        """Each environment prepared, and the checkout its project's installs point at."""
        self._stop = stop
        """True once the gate is cancelled: a running install is stopped."""

    def close(self) -> None:
        self._hold.close()

    def get(
        self, base: FoundPython, installs: Sequence[tuple[str, str]], checkout: Path
    ) -> LegEnvironment:
        """The leg's environment, built or reused. Raises ``LegBuildError`` when an install
        fails."""
        key = environment_key(base, installs, checkout)
        if key in self._ready:
            ready, pointed_at = self._ready[key]
            if pointed_at == checkout:
                return ready
            # Another job's checkout (every job has its own): the lock is held already.
            started = time.monotonic()
            refreshed = self._refresh(ready.folder, base, installs, checkout)
            moved = replace(
                ready, reused=True, seconds=time.monotonic() - started, refreshed=refreshed
            )
            self._ready[key] = (moved, checkout)
            return moved
        root = legs_folder()
        folder = root / f"py{base.version}-{key}"
        # The lock is held until close() once the environment is ready; a failed or cancelled
        # build releases it at once, so a later gate run in the same process (TUI, watch)
        # does not wait on it for ever.
        with contextlib.ExitStack() as attempt:
            attempt.enter_context(locked(folder))
            started = time.monotonic()
            python = folder / "bin" / "python"
            reused = (folder / METADATA).is_file() and python.exists()
            refreshed = ""
            if reused:
                refreshed = self._refresh(folder, base, installs, checkout)
            else:
                shutil.rmtree(folder, ignore_errors=True)
                try:
                    _build(base, installs, checkout, folder, self._stop)
                except BaseException:
                    shutil.rmtree(folder, ignore_errors=True)
                    raise
            self._hold.enter_context(attempt.pop_all())
        _prune(root, keep=folder)
        seconds = time.monotonic() - started
        ready = LegEnvironment(folder, python, base, key, reused, seconds, refreshed)
        self._ready[key] = (ready, checkout)
        return ready

    def _refresh(
        self,
        folder: Path,
        base: FoundPython,
        installs: Sequence[tuple[str, str]],
        checkout: Path,
    ) -> str:
        """Bring a reused environment's installs of the project to ``checkout``."""
        metadata_path = folder / METADATA
        try:
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            metadata = {}
        local = [
            (cwd, words)
            for cwd, command in installs
            for words in _sources(cwd, command, checkout).local
        ]
        if not local:
            os.utime(metadata_path)
            return ""
        before = [Path(p) for p in metadata.get("checkout", ()) if isinstance(p, str)]
        projects = [p for cwd, words in local for p in local_projects(words, checkout / cwd)]
        refreshed = "reinstalled"
        # An environment whose generated files were never kept (an older gateui built it)
        # is installed again once, and keeps them from then on.
        knows_generated = bool(metadata.get("generated_kept"))
        if (
            before
            and knows_generated
            and all(words[0] == "-e" for _, words in local)
            and can_repoint(projects)
        ):
            now = _checkout_paths(checkout)
            try:
                pointed = sum(
                    repoint(folder, old, new) for old, new in zip(before, now, strict=False)
                )
            except OSError:
                pointed = 0  # a file could not be rewritten: pip installs the project again
            if pointed or [str(p) for p in before] == [str(p) for p in now]:
                refreshed = "repointed"
                restore_generated(folder, checkout)
        if refreshed == "reinstalled":
            for cwd, command in project_reinstalls(installs, checkout):
                _run(command, cwd, checkout, folder, base, self._stop)
            keep_generated(folder, checkout)
            metadata["generated_kept"] = True
        metadata["checkout"] = [str(p) for p in _checkout_paths(checkout)]
        metadata_path.write_text(json.dumps(metadata, indent=1), encoding="utf-8")
        return refreshed


def _build(
    base: FoundPython,
    installs: Sequence[tuple[str, str]],
    checkout: Path,
    folder: Path,
    stop: Callable[[], bool],
) -> None:
    _create(base, folder)
    for cwd, command in installs:
        _run(command, cwd, checkout, folder, base, stop)
    keep_generated(folder, checkout)
    metadata = {
        "schema": SCHEMA,
        "python": str(base.path),
        "version": base.version,
        "installs": [list(pair) for pair in installs],
        "built": time.time(),
        "checkout": [str(p) for p in _checkout_paths(checkout)],
        "generated_kept": True,
    }
    (folder / METADATA).write_text(json.dumps(metadata, indent=1), encoding="utf-8")


def _create(base: FoundPython, folder: Path) -> None:
    """An environment of ``base`` with pip in it, as setup-python's interpreter has.

    virtualenv copies pip (and, before 3.12, setuptools) from its own cache: ≈ 0.7 s of CPU.
    ``python -m venv`` installs them with ensurepip, which byte-compiles every module: ≈ 6 s, more
    than installing pytest takes. virtualenv no longer seeds Python 3.8; there, and wherever it
    fails, ``venv`` makes the environment."""
    env = {k: v for k, v in _clean(os.environ).items() if not k.startswith("VIRTUALENV_")}
    seeded = [sys.executable, "-m", "virtualenv", "--quiet", "--no-periodic-update"]
    made = _failure([*seeded, "--python", str(base.path), str(folder)], env) is None
    if made and (folder / "bin" / "python").exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    failure = _failure([str(base.path), "-m", "venv", str(folder)], env)
    if failure is not None:
        raise LegBuildError(f"cannot create a virtualenv with {base.path}: {failure}")


def _failure(argv: list[str], env: dict[str, str]) -> str | None:
    """Run ``argv``: None when it succeeded, else the last line it wrote to stderr."""
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return None if done.returncode == 0 else _last_line(done.stderr)


def _checkout_paths(checkout: Path) -> list[Path]:
    """The checkout as an install may have written it: as given, then resolved."""
    return [checkout, checkout.resolve()]


def _clean(env: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    kept = without_credentials(dict(env))
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_USER", "PYTHONUSERBASE"):
        kept.pop(name, None)
    if "HOME" in env:
        kept["HOME"] = env["HOME"]  # pip's own cache and configuration
    return kept


def _run(
    command: str,
    cwd: str,
    checkout: Path,
    folder: Path,
    base: FoundPython,
    stop: Callable[[], bool],
) -> None:
    env = _clean(os.environ)
    env["VIRTUAL_ENV"] = str(folder)
    env["PATH"] = os.pathsep.join([str(folder / "bin"), env.get("PATH", os.defpath)])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        process = subprocess.Popen(
            ["bash", "-e", "-c", command],
            cwd=checkout / cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise LegBuildError(f"`{command}` cannot start: {exc}") from exc
    deadline = time.monotonic() + INSTALL_TIMEOUT_S
    try:
        while True:
            try:
                stdout, stderr = process.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if stop():
                    raise LegBuildError(f"`{command}` stopped: the gate was cancelled") from None
                if time.monotonic() > deadline:
                    limit = INSTALL_TIMEOUT_S // 60
                    raise LegBuildError(f"`{command}` did not finish in {limit} min") from None
    finally:
        # pip and whatever it started (build backends) end with the install, however it ends.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.returncode is None:
            process.wait()
    if process.returncode != 0:
        last = _last_line(stderr) or _last_line(stdout)
        raise LegBuildError(
            f"`{command}` failed (exit {process.returncode}) on Python {base.version}: {last}"
        )


def _last_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        stripped = line.strip()
        if stripped and not stripped.startswith(("[notice]", "WARNING: You are using pip")):
            return stripped[:300]
    return ""


def _prune(root: Path, keep: Path) -> None:
    """Remove the environments the policy above does not keep (never one in use). An
    environment's last use is its ``leg.json``'s time: every run writes it."""
    try:
        used = {
            p: (p / METADATA).stat().st_mtime
            for p in root.iterdir()
            if p.is_dir() and (p / METADATA).is_file()
        }
    except OSError:
        return
    recent = time.time() - RECENT_DAYS * 86400
    newest_first = sorted(used, key=lambda p: used[p], reverse=True)
    for rank, stale in enumerate(newest_first):
        if rank < ALWAYS_KEPT or (rank < MAX_ENVIRONMENTS and used[stale] >= recent):
            continue
        if stale == keep:
            continue
        handle = os.open(f"{stale}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # in use
            shutil.rmtree(stale, ignore_errors=True)
        finally:
            os.close(handle)
