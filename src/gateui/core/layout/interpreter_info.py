"""Facts about the interpreter that runs a project's tests, asked of that interpreter once.

- which distributions it has (does it have pytest-xdist for ``-n auto``? pytest-cov?);
- a fingerprint of it and its packages, for the gate's verdict cache;
- the folders of the user's checkout it imports from (editable installs), so that a gate run in a
  temporary worktree imports the worktree's code and not the user's uncommitted edits.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateui.core.common.errors import InterpreterError

_SCRIPT = r"""
import json, os, sys
dists = []
try:
    from importlib import metadata
    for d in metadata.distributions():
        name = (d.metadata["Name"] or "").strip()
        if name:
            dists.append([name, d.version])
except Exception:
    pass
finders = []
for entry in sys.path:
    try:
        names = os.listdir(entry) if entry and os.path.isdir(entry) else []
    except OSError:
        names = []
    for name in names:
        if name.startswith("__editable__") and name.endswith(".py"):
            finders.append(os.path.join(entry, name))
print(json.dumps({"executable": sys.executable, "version": list(sys.version_info[:3]),
                  "prefix": sys.prefix,
                  "path": sys.path, "dists": sorted(dists), "finders": finders}))
"""
_MAPPING = re.compile(r"^MAPPING\s*(?::[^=]*)?=\s*(\{.*?\})\s*$", re.MULTILINE | re.DOTALL)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class InterpreterInfo:
    path: Path
    executable: str
    prefix: str
    """``sys.prefix`` over there: the environment (a virtualenv's folder)."""
    version: tuple[int, ...]
    sys_path: tuple[str, ...]
    distributions: dict[str, str]
    """Normalised name → version."""
    editable_roots: tuple[str, ...]
    """Folders the interpreter imports from through editable-install finders."""

    def has(self, distribution: str) -> bool:
        return normalize(distribution) in self.distributions

    @property
    def version_text(self) -> str:
        return ".".join(str(v) for v in self.version)

    def fingerprint(self) -> str:
        text = "\n".join(
            [
                str(self.path),
                self.version_text,
                *(f"{n}=={v}" for n, v in sorted(self.distributions.items())),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def paths_inside(self, root: Path) -> list[tuple[str, Path]]:
        """Import folders inside ``root`` (the user's work tree): each as it appears on the
        interpreter's sys.path (or in an editable finder) and resolved."""
        root = root.resolve()
        found: list[tuple[str, Path]] = []
        for entry in (*self.sys_path, *self.editable_roots):
            if not entry or not Path(entry).is_absolute():
                continue
            resolved = Path(entry).resolve()
            if (resolved == root or root in resolved.parents) and entry not in dict(found):
                found.append((entry, resolved))
        return found


_CACHE: dict[str, InterpreterInfo] = {}
DISK_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "gateui"
    / "interpreters.json"
)


def _stamp(paths: Sequence[str]) -> list[list[object]]:
    """Modification times that change when packages are installed or removed: the folders on
    sys.path (site-packages gains or loses entries) and the interpreter itself."""
    stamp: list[list[object]] = []
    for path in paths:
        try:
            stamp.append([path, os.stat(path).st_mtime_ns])
        except OSError:
            stamp.append([path, None])
    return stamp


def _from_disk(key: str) -> InterpreterInfo | None:
    try:
        entry = json.loads(DISK_CACHE.read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(entry, dict):
        return None
    data = entry.get("data")
    stamp = entry.get("stamp")
    if not isinstance(data, dict) or not isinstance(stamp, list):
        return None
    if _stamp([key, *[p for p in data.get("path", []) if p]]) != stamp:
        return None
    return _info(Path(key), data)


def _to_disk(key: str, data: dict[str, Any]) -> None:
    paths = [p for p in data.get("path", []) if isinstance(p, str) and p]
    try:
        DISK_CACHE.parent.mkdir(parents=True, exist_ok=True)
        try:
            table = json.loads(DISK_CACHE.read_text(encoding="utf-8"))
            if not isinstance(table, dict):
                table = {}
        except (OSError, ValueError):
            table = {}
        table[key] = {"stamp": _stamp([key, *paths]), "data": data}
        temp = DISK_CACHE.with_name(f"{DISK_CACHE.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(table), encoding="utf-8")
        os.replace(temp, DISK_CACHE)
    except OSError:
        pass


def _info(interpreter: Path, data: dict[str, Any]) -> InterpreterInfo:
    return InterpreterInfo(
        path=interpreter,
        executable=data["executable"],
        prefix=data.get("prefix", ""),
        version=tuple(data["version"]),
        sys_path=tuple(p for p in data["path"] if p),
        distributions={normalize(n): v for n, v in data["dists"]},
        editable_roots=tuple(_finder_roots(data.get("finders", []))),
    )


def interpreter_info(interpreter: Path) -> InterpreterInfo:
    """Ask ``interpreter`` about itself: once per process, and again only when its packages
    changed (the answer is kept in the user's cache folder)."""
    key = str(interpreter)
    cached = _CACHE.get(key) or _from_disk(key)
    if cached is not None:
        _CACHE[key] = cached
        return cached
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    try:
        result = subprocess.run(
            [str(interpreter), "-c", _SCRIPT],
            capture_output=True,
            text=True,
            cwd="/",
            env=env,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterError(f"{interpreter}: cannot run: {exc}") from exc
    if result.returncode != 0:
        raise InterpreterError(f"{interpreter}: cannot run: {result.stderr.strip()[-500:]}")
    data = json.loads(result.stdout)
    info = _info(interpreter, data)
    _CACHE[key] = info
    _to_disk(key, data)
    return info


def _finder_roots(files: Sequence[str]) -> list[str]:
    """The folders holding the packages a setuptools editable finder maps to."""
    roots: list[str] = []
    for file in files:
        try:
            text = Path(file).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        match = _MAPPING.search(text)
        if not match:
            continue
        try:
            import ast

            mapping = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            continue
        if isinstance(mapping, dict):
            for target in mapping.values():
                if isinstance(target, str):
                    roots.append(str(Path(target).parent))
    return roots


def forget(interpreter: Path) -> None:
    """Drop what is known about ``interpreter`` (after installing into it, say)."""
    _CACHE.pop(str(interpreter), None)
