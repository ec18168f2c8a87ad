"""Answers kept on disk for as long as the files they were computed from stay as they were.

Asking an interpreter about itself means starting it (tens of milliseconds each, more for one
that lists its packages); every check of the gate asks the same few. The answer is kept in the
user's cache folder, one small file per question, with a *stamp* of the files it depends on:
each file's resolved path, inode, size and modification time, and those of the link itself when
it is one. An interpreter upgraded or replaced in place (new inode, size or time), a virtualenv's
``python`` pointed elsewhere (another resolved path), a package installed (its ``site-packages``
folder changes) — each changes the stamp, and the question is asked again.

One file per question, not one table: reading the answer a check needs must not mean reading
every answer ever kept (a table grows with every temporary virtualenv seen).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CACHE_ROOT = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gateui"
KEEP_AT_MOST = 256
"""Answers kept per store; past that the least recently written go (each is asked again)."""

Stamp = list[list[object]]


def path_stamp(path: str) -> list[object]:
    """What changes when the file at ``path`` is replaced, upgraded or re-pointed."""
    try:
        link = os.lstat(path)
        target = os.stat(path)
    except OSError:
        return [path, None]
    return [
        path,
        os.path.realpath(path),
        target.st_ino,
        target.st_size,
        target.st_mtime_ns,
        link.st_ino,
        link.st_mtime_ns,
    ]


def stamp_of(paths: Iterable[str]) -> Stamp:
    return [path_stamp(path) for path in paths]


class StampedStore:
    """Answers (JSON data) by key, each with the stamp it was computed under."""

    def __init__(self, name: str, root: Path | None = None) -> None:
        self.folder = (root or CACHE_ROOT) / name

    def _file(self, key: str) -> Path:
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def load(self, key: str) -> tuple[Stamp, Any] | None:
        """The stamp and data kept for ``key`` (None when nothing, or something unreadable, is
        kept). The caller compares the stamp with the files as they are now."""
        try:
            entry = json.loads(self._file(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        stamp = entry.get("stamp")
        if not isinstance(stamp, list):
            return None
        return stamp, entry.get("data")

    def save(self, key: str, stamp: Stamp, data: Any) -> None:
        """Keep ``data`` for ``key`` (atomically: a reader sees the old answer or the new one).
        A cache folder that cannot be written only means asking again next time."""
        target = self._file(key)
        # Per process and thread: the gate's jobs, running at the same time, save answers too.
        temp = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            temp.write_text(json.dumps({"key": key, "stamp": stamp, "data": data}), "utf-8")
            os.replace(temp, target)
            self._prune()

    def _prune(self) -> None:
        entries = list(self.folder.glob("*.json"))
        if len(entries) <= KEEP_AT_MOST:
            return
        by_age = sorted(entries, key=lambda p: p.stat().st_mtime_ns if p.exists() else 0)
        for old in by_age[: len(entries) - KEEP_AT_MOST]:
            with contextlib.suppress(OSError):
                old.unlink()
