"""``[tool.gateui.gate]``: the gate as the user declares it.

```toml
[tool.gateui.gate]
on_fail = "block"              # pre-push without a terminal: "block" (default) or "warn"
on_partial = "warn"            # pre-push when some steps could not be reproduced here:
                               # "warn" (default: push, saying which), "block" or "allow"
base = "main"                  # the pull requests' target branch (workflow branch filters)
min_pass_rate = 98             # percent, passed / (passed + failed + errors), per pytest step
cov_fail_under = 80            # coverage floor (needs pytest-cov in the project's interpreter)
strict_markers = true          # run pytest steps with --strict-markers
require_markers = ["unit", "integration"]   # every test carries one of these (in the root
                                            # project, or in every project if the root is none)
random_order = true            # each pytest step once more in an order gateui shuffles
legs = "all"                   # CI matrix legs run here: "all" (default), "local" (the Python
                               # version of the project's interpreter) or a number of versions
concurrent_jobs = 2            # CI jobs run at the same time, as on GitHub (default: the
                               # machine's CPU count; 1 runs them one after another)
steps = [
  { name = "unit", suite = "unit" },
  { name = "smoke", command = "./tools/test.sh --smoke-backend" },
  { markers = "integration", cwd = "backend", min_pass_rate = 100 },
]
```

Without ``steps`` the gate is inferred from the CI workflows; ``on_fail`` and ``base`` still apply,
and declared thresholds add checks to the inferred pytest steps (they can fail a step, never pass
one that CI fails).

Parsing works on the text of the commit being checked, so errors name ``pyproject.toml`` and the
line in that commit.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateui.core.common.errors import ConfigError
from gateui.core.gate.model import (
    LEGS_CHOICES,
    LEGS_DEFAULT,
    ON_FAIL_CHOICES,
    ON_PARTIAL_CHOICES,
    Thresholds,
)

_GATE_KEYS = {
    "steps",
    "on_fail",
    "on_partial",
    "base",
    "min_pass_rate",
    "cov_fail_under",
    "strict_markers",
    "require_markers",
    "random_order",
    "legs",
    "concurrent_jobs",
}
_STEP_KEYS = {
    "name",
    "suite",
    "markers",
    "paths",
    "command",
    "cwd",
    "shell",
    "min_pass_rate",
    "cov_fail_under",
    "strict_markers",
    "require_markers",
    "random_order",
}
_THRESHOLD_KEYS = ("min_pass_rate", "cov_fail_under", "strict_markers", "require_markers")


@dataclass(frozen=True)
class DeclaredStep:
    name: str
    suite: str | None
    markers: str | None
    paths: tuple[str, ...]
    command: str | None
    cwd: str
    shell: bool
    thresholds: Thresholds
    line: int | None


@dataclass(frozen=True)
class GateConfig:
    """The ``[tool.gateui.gate]`` table (all defaults when there is none)."""

    present: bool = False
    steps: tuple[DeclaredStep, ...] | None = None
    """None: infer the steps from CI."""
    on_fail: str = "block"
    on_partial: str = "warn"
    base: str | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    line: int | None = None
    legs: str = LEGS_DEFAULT
    """"all", "local", or a number of Python versions (as text)."""
    concurrent_jobs: int | None = None
    """How many jobs run at the same time (None: the machine's CPU count)."""


def _line(text: str, key: str, after: int = 0) -> int | None:
    """The first line (after line ``after``) that assigns ``key`` or opens table ``key``."""
    last = key.rsplit(".", 1)[-1]
    table = re.compile(r"^\s*\[+\s*" + re.escape(key) + r"\s*\]+")
    assign = re.compile(r"(^|[{,\s])\"?" + re.escape(last) + r"\"?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if number <= after:
            continue
        if table.match(line) or assign.search(line):
            return number
    return None


def parse_gate_config(text: str | None, display_path: Path) -> GateConfig:
    """Read ``[tool.gateui.gate]`` from the text of a pyproject.toml."""
    if text is None:
        return GateConfig()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(display_path, f"invalid TOML: {message}", line) from exc
    gateui = data.get("tool", {}).get("gateui")
    if not isinstance(gateui, dict):
        return GateConfig()
    table = gateui.get("gate")
    if table is None:
        return GateConfig()
    reader = _Reader(text, display_path)
    if not isinstance(table, dict):
        reader.fail("tool.gateui.gate", "[tool.gateui.gate] must be a table")
    reader.reject_unknown("tool.gateui.gate", table, _GATE_KEYS)
    on_fail = table.get("on_fail", "block")
    if on_fail not in ON_FAIL_CHOICES:
        reader.fail(
            "tool.gateui.gate.on_fail",
            f"tool.gateui.gate.on_fail must be one of {', '.join(ON_FAIL_CHOICES)}"
            f" (got {on_fail!r})",
        )
    on_partial = table.get("on_partial", "warn")
    if on_partial not in ON_PARTIAL_CHOICES:
        reader.fail(
            "tool.gateui.gate.on_partial",
            f"tool.gateui.gate.on_partial must be one of {', '.join(ON_PARTIAL_CHOICES)}"
            f" (got {on_partial!r})",
        )
    base = table.get("base")
    if base is not None and (not isinstance(base, str) or not base):
        reader.fail("tool.gateui.gate.base", "tool.gateui.gate.base must be a branch name")
    legs = reader.legs(table.get("legs", LEGS_DEFAULT))
    concurrent_jobs = reader.concurrent_jobs(table.get("concurrent_jobs"))
    thresholds = reader.thresholds("tool.gateui.gate", table, Thresholds())
    steps = None
    if "steps" in table:
        steps = reader.steps(table["steps"], thresholds)
    return GateConfig(
        present=True,
        steps=steps,
        on_fail=on_fail,
        on_partial=on_partial,
        base=base,
        thresholds=thresholds,
        line=_line(text, "tool.gateui.gate"),
        legs=legs,
        concurrent_jobs=concurrent_jobs,
    )


class _Reader:
    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.path = path
        self.gate_line = _line(text, "tool.gateui.gate") or 0

    def fail(self, key: str, message: str, line: int | None = None) -> None:
        raise ConfigError(self.path, message, line or _line(self.text, key, self.gate_line - 1))

    def reject_unknown(self, where: str, table: dict[str, Any], known: set[str]) -> None:
        for key in table:
            if key not in known:
                self.fail(
                    f"{where}.{key}",
                    f"unknown key {key!r} in [{where}] (known: {', '.join(sorted(known))})",
                )

    def legs(self, value: Any) -> str:
        """``legs``: "all", "local" or a positive whole number (of Python versions)."""
        if isinstance(value, str) and value in LEGS_CHOICES:
            return value
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return str(value)
        self.fail(
            "tool.gateui.gate.legs",
            'tool.gateui.gate.legs must be "all", "local" or a number of Python versions'
            f" (1 or more; got {value!r})",
        )
        raise AssertionError  # fail() raises

    def concurrent_jobs(self, value: Any) -> int | None:
        """``concurrent_jobs``: a whole number, 1 or more (absent: None)."""
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        self.fail(
            "tool.gateui.gate.concurrent_jobs",
            "tool.gateui.gate.concurrent_jobs must be a whole number of jobs, 1 or more"
            f" (1 runs them one after another; got {value!r})",
        )
        raise AssertionError  # fail() raises

    def thresholds(self, where: str, table: dict[str, Any], inherited: Thresholds) -> Thresholds:
        values: dict[str, Any] = {
            "min_pass_rate": inherited.min_pass_rate,
            "cov_fail_under": inherited.cov_fail_under,
            "strict_markers": inherited.strict_markers,
            "require_markers": inherited.require_markers,
            "random_order": inherited.random_order,
        }
        for key in ("min_pass_rate", "cov_fail_under"):
            if key in table:
                value = table[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    self.fail(f"{where}.{key}", f"{where}.{key} must be a number (a percentage)")
                if not 0 <= value <= 100:
                    self.fail(f"{where}.{key}", f"{where}.{key} must be between 0 and 100")
                values[key] = float(value)
        for key in ("strict_markers", "random_order"):
            if key in table:
                if not isinstance(table[key], bool):
                    self.fail(f"{where}.{key}", f"{where}.{key} must be true or false")
                values[key] = table[key]
        if "require_markers" in table:
            markers = table["require_markers"]
            if isinstance(markers, str):
                markers = [markers]
            if (
                not isinstance(markers, list)
                or not markers
                or not all(isinstance(m, str) and re.fullmatch(r"\w+", m) for m in markers)
            ):
                self.fail(
                    f"{where}.require_markers",
                    f"{where}.require_markers must be a list of marker names",
                )
            values["require_markers"] = tuple(markers)
        return Thresholds(**values)

    def steps(self, raw: Any, inherited: Thresholds) -> tuple[DeclaredStep, ...]:
        if not isinstance(raw, list):
            self.fail("tool.gateui.gate.steps", "tool.gateui.gate.steps must be a list of steps")
        steps: list[DeclaredStep] = []
        names: set[str] = set()
        for index, item in enumerate(raw):
            where = f"tool.gateui.gate.steps[{index}]"
            line = self._step_line(index)
            if not isinstance(item, dict):
                self.fail(
                    where, f"{where} must be a table (suite, markers, paths or command)", line
                )
            for key in item:
                if key not in _STEP_KEYS:
                    self.fail(
                        where,
                        f"unknown key {key!r} in {where} (known: {', '.join(sorted(_STEP_KEYS))})",
                        line,
                    )
            selectors = [k for k in ("suite", "markers", "command") if item.get(k) is not None]
            if "paths" in item and "command" not in item and "suite" not in item:
                selectors = selectors or ["paths"]
            if not selectors:
                self.fail(
                    where, f"{where} selects nothing: give suite, markers, paths or command", line
                )
            if "command" in item and len(selectors) > 1:
                self.fail(where, f"{where}: a command step takes no suite or markers", line)
            if "suite" in item and "markers" in item:
                self.fail(where, f"{where}: give suite or markers, not both", line)
            for key in ("name", "suite", "markers", "command", "cwd"):
                if key in item and (not isinstance(item[key], str) or not item[key].strip()):
                    self.fail(where, f"{where}.{key} must be a non-empty string", line)
            paths = item.get("paths", [])
            if isinstance(paths, str):
                paths = [paths]
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                self.fail(where, f"{where}.paths must be a list of paths", line)
            if "shell" in item and not isinstance(item["shell"], bool):
                self.fail(where, f"{where}.shell must be true or false", line)
            cwd = str(item.get("cwd", ".")).strip().strip("/") or "."
            if cwd.startswith("..") or Path(cwd).is_absolute():
                self.fail(where, f"{where}.cwd must be a folder inside the repository", line)
            name = (
                item.get("name")
                or item.get("suite")
                or item.get("markers")
                or (item.get("command") or " ".join(paths))
            )
            if name in names:
                name = f"{name} ({index + 1})"
            names.add(name)
            try:
                thresholds = self.thresholds(where, item, inherited)
            except ConfigError as exc:
                raise ConfigError(self.path, exc.message, line) from exc
            steps.append(
                DeclaredStep(
                    name=name,
                    suite=item.get("suite"),
                    markers=item.get("markers"),
                    paths=tuple(paths),
                    command=item.get("command"),
                    cwd=cwd,
                    shell=bool(item.get("shell", False)),
                    thresholds=thresholds,
                    line=line,
                )
            )
        return tuple(steps)

    def _step_line(self, index: int) -> int | None:
        """The line where step ``index`` starts: its inline table's ``{`` or its ``[[…]]``
        header (an approximation for messages only)."""
        start = _line(self.text, "tool.gateui.gate.steps", self.gate_line - 1) or self.gate_line
        count = -1
        for number, line in enumerate(self.text.splitlines(), start=1):
            if number < start:
                continue
            if re.match(r"^\s*\[\[\s*tool\.gateui\.gate\.steps\s*\]\]", line):
                count += 1
                if count == index:
                    return number
                continue
            for _ in re.finditer(r"\{", line.split("#", 1)[0]):
                count += 1
                if count == index:
                    return number
        return None
