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
from gateui.core.common.stamped_store import Stamp, StampedStore, stamp_of

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


_STORE = StampedStore("interpreters")
_CACHE: dict[str, tuple[Stamp, InterpreterInfo]] = {}
"""This process's answers, each with its stamp: a long-lived process (watch, the TUI) sees a
package installed since, as a new process does."""


def _stamp(interpreter: str, sys_path: Sequence[str]) -> Stamp:
    """What changes when the interpreter is replaced, upgraded or re-pointed, or packages are
    installed or removed (the folders on its sys.path gain or lose entries)."""
    return stamp_of([interpreter, *[p for p in sys_path if p]])


def _from_disk(key: str) -> tuple[Stamp, InterpreterInfo] | None:
    kept = _STORE.load(key)
    if kept is None:
        return None
    stamp, data = kept
    try:
        info = _info(Path(key), data)
    except (KeyError, TypeError, ValueError):
        return None
    return stamp, info


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
    for kept in (_CACHE.get(key), _from_disk(key)):
        if kept is not None and kept[0] == _stamp(key, kept[1].sys_path):
            _CACHE[key] = kept
            return kept[1]
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
    stamp = _stamp(key, info.sys_path)
    _CACHE[key] = (stamp, info)
    _STORE.save(key, stamp, data)
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
            from gateui.core.common.python_ast import literal_eval

            mapping = literal_eval(match.group(1))
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
