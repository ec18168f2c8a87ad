"""``[[tool.gateui.map]]``: files that select tests or a suite, as the user declares them.

```toml
[[tool.gateui.map]]
files = "templates/**"
suite = "smoke"
```
Every error names the pyproject.toml and the line of the entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gateui.core.common.config import key_line, load_toml
from gateui.core.common.errors import ConfigError


@dataclass(frozen=True)
class MapEntry:
    """``[[tool.gateui.map]]``: files matching ``files`` select ``tests`` or a ``suite``."""

    files: str
    tests: str | None = None
    suite: str | None = None


def load_map(repo_root: Path) -> list[MapEntry]:
    pyproject = repo_root / "pyproject.toml"
    if not pyproject.is_file():
        return []
    raw = load_toml(pyproject).get("tool", {}).get("gateui", {}).get("map", [])
    if not isinstance(raw, list):
        raise ConfigError(
            pyproject,
            "tool.gateui.map must be an array of tables ([[tool.gateui.map]])",
            key_line(pyproject, "tool.gateui.map"),
        )
    entries = []
    for index, item in enumerate(raw):
        where = _map_entry_line(pyproject, index)
        if not isinstance(item, dict) or not isinstance(item.get("files"), str):
            raise ConfigError(
                pyproject, f'[[tool.gateui.map]] #{index + 1}: needs files = "<glob>"', where
            )
        tests, suite = item.get("tests"), item.get("suite")
        if (tests is None) == (suite is None) or not all(
            v is None or isinstance(v, str) for v in (tests, suite)
        ):
            raise ConfigError(
                pyproject,
                f"[[tool.gateui.map]] #{index + 1}: give exactly one of tests or suite (a string)",
                where,
            )
        entries.append(MapEntry(item["files"], tests, suite))
    return entries


def _map_entry_line(pyproject: Path, index: int) -> int | None:
    """The line of the ``index``-th ``[[tool.gateui.map]]`` header (or of an inline ``map =``)."""
    try:
        lines = pyproject.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    header = re.compile(r"^\s*\[\[\s*tool\.gateui\.map\s*\]\]")
    found = [n for n, line in enumerate(lines, start=1) if header.match(line)]
    if index < len(found):
        return found[index]
    return key_line(pyproject, "tool.gateui.map")
