"""Gate verdicts remembered per tree, so the push that follows a verified commit costs nothing.

The key is the commit's tree id (the content, whatever the commit message or author), the gate
definition's fingerprint, gateui's version, and each interpreter with its installed packages: a
changed test, a changed workflow or an upgraded dependency each make a new key. Only passing
verdicts are kept: a failure is checked again on the next push (it may have been flaky, or the
environment may have been fixed since), and a push is never blocked by a stale answer.

Stored in the repository's common git dir (shared by all its worktrees), as one small JSON file
written atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gateui import __version__

SCHEMA = 1
MAX_ENTRIES = 64
CACHE_DIR = "gateui"
CACHE_FILE = "gate-cache.json"
LAST_REPORT = "last-gate.json"


def cache_key(tree: str, definition_fingerprint: str, interpreters: Sequence[str]) -> str:
    data = {
        "schema": SCHEMA,
        "gateui": __version__,
        "tree": tree,
        "gate": definition_fingerprint,
        "interpreters": sorted(interpreters),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class VerdictCache:
    def __init__(self, git_dir: Path) -> None:
        self.folder = git_dir / CACHE_DIR
        self.path = self.folder / CACHE_FILE

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"schema": SCHEMA, "entries": {}}
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return {"schema": SCHEMA, "entries": {}}
        if not isinstance(data.get("entries"), dict):
            data["entries"] = {}
        return data

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self._load()["entries"].get(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("report"), dict):
            return None
        report: dict[str, Any] = entry["report"]
        return report

    def put(self, key: str, report: dict[str, Any]) -> None:
        if report.get("verdict") != "pass":
            return
        data = self._load()
        entries: dict[str, Any] = data["entries"]
        entries[key] = {"stored": time.time(), "report": report}
        if len(entries) > MAX_ENTRIES:
            oldest = sorted(entries, key=lambda k: entries[k].get("stored", 0))
            for stale in oldest[: len(entries) - MAX_ENTRIES]:
                del entries[stale]
        write_json(self.path, data)

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
