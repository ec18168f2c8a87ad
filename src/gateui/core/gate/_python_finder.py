"""Finding, on this machine, the Python a matrix leg names ("3.10", "3.12.1", "pypy3.10"…).

Where a developer keeps interpreters, in this order: pyenv (``$PYENV_ROOT/versions`` or
``~/.pyenv/versions``), ``uv python find`` when uv is installed, then ``python3.X`` on PATH.
A candidate counts only once the interpreter itself says which version it is: a name is never
trusted (a broken pyenv shim, a ``python3.10`` that is a link to something else). Its answer is
kept on disk with a stamp of the interpreter's file (``stamped_store``): a later check does not
start it again, and one replaced or upgraded since (or pointed elsewhere) is asked again; a
launcher script (a pyenv shim, whose answer follows the user's pyenv settings) is always asked.
Nothing is remembered in the process itself beyond that: a long-lived process (watch, the TUI)
sees a Python installed or removed since, as a new one does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gateui.core.common.stamped_store import StampedStore, stamp_of

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?\s*$")
_ASK = "import sys; print('.'.join(map(str, sys.version_info[:3])))"


@dataclass(frozen=True)
class FoundPython:
    path: Path
    version: str
    """As the interpreter reports it: "3.10.13"."""
    where: str
    """How it was found: "pyenv", "uv", "PATH"."""


def parse_request(text: str) -> tuple[int, ...] | None:
    """ "3.10" → (3, 10); "3.12.1" → (3, 12, 1); "3.x" (the newest 3) → (3,); anything else
    (pypy3.10, "3.13-dev", ">=3.9") → None."""
    text = str(text).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?\.x", text):
        return tuple(int(part) for part in text[:-2].split("."))
    match = _VERSION.match(text)
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def find_python(request: str) -> FoundPython | None:
    """The newest interpreter here that matches ``request`` (None when there is none)."""
    wanted = parse_request(request)
    if wanted is None:
        return None
    return _find(wanted)


def _find(wanted: tuple[int, ...]) -> FoundPython | None:
    for where, candidates in (
        ("pyenv", _pyenv(wanted)),
        ("uv", _uv(wanted)),
        ("PATH", _on_path(wanted)),
    ):
        for candidate in candidates:
            version = _version_of(candidate)
            if version is not None and _matches(version, wanted):
                return FoundPython(candidate, version, where)
    return None


def _matches(version: str, wanted: tuple[int, ...]) -> bool:
    parts = tuple(int(p) for p in version.split("."))
    return parts[: len(wanted)] == wanted


def _pyenv(wanted: tuple[int, ...]) -> list[Path]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    try:
        names = [p.name for p in root.iterdir()]
    except OSError:
        return []
    found: list[tuple[tuple[int, ...], Path]] = []
    for name in names:
        parsed = parse_request(name)
        if parsed is None or parsed[: len(wanted)] != wanted:
            continue
        python = root / name / "bin" / "python"
        if python.exists():
            found.append((parsed, python))
    return [path for _, path in sorted(found, reverse=True)]


def _uv(wanted: tuple[int, ...]) -> list[Path]:
    uv = shutil.which("uv")
    if uv is None:
        return []
    try:
        result = subprocess.run(
            [uv, "python", "find", "--no-project", ".".join(map(str, wanted))],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    line = result.stdout.strip().splitlines()
    return [Path(line[-1])] if result.returncode == 0 and line else []


def _on_path(wanted: tuple[int, ...]) -> list[Path]:
    names = [f"python{wanted[0]}.{wanted[1]}"] if len(wanted) >= 2 else []
    names += [f"python{wanted[0]}"]
    found = [shutil.which(name) for name in names]
    return [Path(path) for path in found if path]


_VERSIONS = StampedStore("python-versions")


def _version_of(python: Path) -> str | None:
    """The version ``python`` reports ("3.10.13"), None when it does not run."""
    key = str(python)
    stamp = stamp_of([key])
    if stamp[0][1] is None:
        return None  # no such file
    if _is_script(python):
        # A launcher (a pyenv shim) answers with whatever it dispatches to today.
        return _ask_version(python)
    kept = _VERSIONS.load(key)
    if kept is not None and kept[0] == stamp and isinstance(kept[1], str):
        return kept[1]
    version = _ask_version(python)
    if version is not None:
        _VERSIONS.save(key, stamp, version)
    return version


def _is_script(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return False


def _ask_version(python: Path) -> str | None:
    try:
        result = subprocess.run(
            [str(python), "-c", _ASK],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
            env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = result.stdout.strip()
    return text if result.returncode == 0 and _VERSION.match(text) else None
