"""``[tool.gateui]`` in a pyproject.toml: gateui's own settings. Every key is optional.

Recognised keys (unknown keys are errors, so a typo never silently does nothing):

```toml
[tool.gateui]
python = ".venv-test/bin/python"   # the tests' interpreter (relative to this file's folder)
exclude = ["tests/fixtures/*"]      # folders that hold no test project (sample repos as data)
warm = false                        # watch mode and the TUI: always start pytest cold
watch_ignore = ["docs/**", "*.md"]  # changes that never start a watch cycle (globs, repo-relative)

[tool.gateui.suites.fast]          # a named suite: a marker expression and/or paths
markers = "unit and not slow"
paths = ["tests/unit"]

[tool.gateui.suites.smoke-gate]    # or a command (no shell unless shell = true)
command = "./tools/test.sh --smoke-backend"
cwd = "."                          # relative to this file's folder
junit = "reports/junit.xml"        # optional: a JUnit XML report it writes
```
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateui.core.common.errors import ConfigError

_TOP_KEYS = {"python", "suites", "gate", "map", "exclude", "watch_ignore", "warm"}
_SUITE_KEYS = {"markers", "paths", "command", "cwd", "shell", "junit"}
_SUITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class SuiteSpec:
    """A suite the user declared under ``[tool.gateui.suites.NAME]``."""

    name: str
    markers: str | None = None
    paths: tuple[str, ...] = ()
    command: str | None = None
    cwd: str | None = None
    shell: bool = False
    junit: str | None = None
    """A JUnit XML report the command writes (relative to its cwd), read for per-test results."""
    declared_in: Path | None = None
    """The folder of the pyproject.toml that declares it (a command's cwd is relative to it)."""


@dataclass(frozen=True)
class GateuiConfig:
    """The ``[tool.gateui]`` table of one pyproject.toml (empty when there is none)."""

    source: Path | None = None
    python: str | None = None
    suites: Mapping[str, SuiteSpec] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    """Folders (globs, relative to the file) that hold no test project of this repository:
    fixtures, vendored code, sample repositories kept as test data."""
    watch_ignore: tuple[str, ...] = ()
    """Globs (relative to the file's folder; ``**`` spans folders) of files whose changes never
    start a watch cycle."""
    warm: bool = True
    """Watch mode and the TUI fork runs from a warm process (``core.running.warm``)."""
    raw: Mapping[str, Any] = field(default_factory=dict)


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error names the file and line."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(path, f"invalid TOML: {message}", line) from exc
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror}") from exc


def key_line(path: Path, key: str) -> int | None:
    """The first line that assigns ``key`` (or opens a table named ``key``), for messages."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    last = key.rsplit(".", 1)[-1]
    table = re.compile(r"^\s*\[+\s*" + re.escape(key) + r"\s*\]+")
    assign = re.compile(r"^\s*\"?" + re.escape(last) + r"\"?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if table.match(line) or assign.match(line):
            return number
    return None


def load_gateui_config(pyproject: Path) -> GateuiConfig:
    """Read ``[tool.gateui]`` from ``pyproject`` (missing file or table: defaults)."""
    if not pyproject.is_file():
        return GateuiConfig()
    table = load_toml(pyproject).get("tool", {}).get("gateui")
    if table is None:
        return GateuiConfig()
    if not isinstance(table, dict):
        raise ConfigError(pyproject, "[tool.gateui] must be a table", key_line(pyproject, "gateui"))
    _reject_unknown(pyproject, "tool.gateui", table, _TOP_KEYS)
    python = table.get("python")
    if python is not None and not isinstance(python, str):
        _type_error(pyproject, "tool.gateui.python", "a string (a path to an interpreter)")
    suites = _read_suites(pyproject, table.get("suites", {}))
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        _type_error(pyproject, "tool.gateui.exclude", "a list of folder globs")
    watch_ignore = table.get("watch_ignore", [])
    if not isinstance(watch_ignore, list) or not all(
        isinstance(g, str) and g.strip() for g in watch_ignore
    ):
        _type_error(pyproject, "tool.gateui.watch_ignore", "a list of file globs")
    warm = table.get("warm", True)
    if not isinstance(warm, bool):
        _type_error(pyproject, "tool.gateui.warm", "true or false")
    return GateuiConfig(
        source=pyproject,
        python=python,
        suites=suites,
        exclude=tuple(exclude),
        watch_ignore=tuple(watch_ignore),
        warm=warm,
        raw=table,
    )


def _read_suites(pyproject: Path, table: Any) -> dict[str, SuiteSpec]:
    if not isinstance(table, dict):
        _type_error(pyproject, "tool.gateui.suites", "a table of suites")
    suites: dict[str, SuiteSpec] = {}
    for name, spec in table.items():
        key = f"tool.gateui.suites.{name}"
        if not _SUITE_NAME.match(name):
            raise ConfigError(
                pyproject,
                f"[{key}]: a suite name is letters, digits, '_', '-', '.'",
                key_line(pyproject, key),
            )
        if not isinstance(spec, dict):
            _type_error(pyproject, key, "a table with markers and/or paths")
        _reject_unknown(pyproject, key, spec, _SUITE_KEYS)
        markers = spec.get("markers")
        if markers is not None and not isinstance(markers, str):
            _type_error(pyproject, f"{key}.markers", "a marker expression string")
        paths = spec.get("paths", [])
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            _type_error(pyproject, f"{key}.paths", "a list of paths")
        command = spec.get("command")
        if command is not None and not isinstance(command, str):
            _type_error(pyproject, f"{key}.command", "a command string")
        cwd = spec.get("cwd")
        if cwd is not None and not isinstance(cwd, str):
            _type_error(pyproject, f"{key}.cwd", "a path string")
        junit = spec.get("junit")
        if junit is not None and (not isinstance(junit, str) or command is None):
            _type_error(pyproject, f"{key}.junit", "a path string, on a suite with a command")
        shell = spec.get("shell", False)
        if not isinstance(shell, bool):
            _type_error(pyproject, f"{key}.shell", "true or false")
        if markers is None and not paths and command is None:
            raise ConfigError(
                pyproject,
                f"[{key}] selects nothing: give markers, paths or command",
                key_line(pyproject, key),
            )
        suites[name] = SuiteSpec(
            name=name,
            markers=markers,
            paths=tuple(paths),
            command=command,
            cwd=cwd,
            shell=shell,
            junit=junit,
            declared_in=pyproject.parent,
        )
    return suites


def _reject_unknown(path: Path, where: str, table: dict[str, Any], known: set[str]) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(
                path,
                f"unknown key {key!r} in [{where}] (known: {', '.join(sorted(known))})",
                key_line(path, f"{where}.{key}"),
            )


def _type_error(path: Path, key: str, expected: str) -> None:
    raise ConfigError(path, f"{key} must be {expected}", key_line(path, key))
