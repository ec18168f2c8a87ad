"""Named suites of a project: by marker, by folder, and as the user declares them.

A suite is a way to select tests that gateui can hand to pytest: ``-m smoke``, ``tests/unit``, or a
declared mix of both. Counts come from the real collection, so markers that conftest hooks add at
collection time count too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import ClassVar

from gateui.core.common.config import SuiteSpec, key_line
from gateui.core.common.errors import ConfigError

# pytest's own markers: never suites, never "unregistered".
BUILTIN_MARKERS = frozenset(
    {
        "parametrize",
        "skip",
        "skipif",
        "xfail",
        "usefixtures",
        "filterwarnings",
        "tryfirst",
        "trylast",
    }
)
# Names that mean a kind of test wherever they appear, registered or not.
WELL_KNOWN_SUITES = frozenset(
    {
        "smoke",
        "unit",
        "integration",
        "e2e",
        "end_to_end",
        "functional",
        "acceptance",
        "regression",
        "system",
        "contract",
        "performance",
        "slow",
    }
)
# Markers that say how a test behaves rather than what kind it is: a test carrying only these is
# still "unmarked".
MODIFIER_MARKERS = frozenset({"slow", "flaky"})
# Requirement tags such as e2e_01 or req_12.
_REQUIREMENT = re.compile(r"^[A-Za-z][A-Za-z0-9]*_\d+$")


@dataclass(frozen=True)
class Suite:
    """A named selection of tests within one project."""

    name: str
    kind: str
    """marker, folder, config or command."""
    tests: int
    markers: str | None = None
    """The pytest ``-m`` expression that selects it, if any."""
    paths: tuple[str, ...] = ()
    """Paths (relative to the project root) that select it, if any."""
    command: str | None = None
    cwd: str | None = None
    """For a command: where it runs, relative to the repository root."""
    source: str = ""
    """For a command: where it is declared or was found (``backend/Makefile:8``)."""

    def selects(self) -> Callable[[TestInfo], bool]:
        """A predicate telling whether this suite holds a test (its path relative to the
        project root), by the suite's paths and marker expression, as pytest would select."""
        if self.kind == "command":
            return lambda test: False
        spec = SuiteSpec(self.name, markers=self.markers)
        matches = compile_marker_expression(spec, None)
        paths = self.paths

        def holds(test: TestInfo) -> bool:
            return _under_any(test.path, paths) and (matches is None or matches(test.markers))

        return holds

    def pytest_args(self, extra_markers: str | None = None) -> list[str]:
        """Arguments that make pytest run exactly this suite (and ``extra_markers``, if given)."""
        args = list(self.paths)
        expression = _and(self.markers, extra_markers)
        if expression:
            args += ["-m", expression]
        return args


def _and(left: str | None, right: str | None) -> str | None:
    if left and right:
        return f"({left}) and ({right})"
    return left or right


@dataclass(frozen=True)
class TestInfo:
    """What suite building needs of a collected test (paths relative to the project root)."""

    __test__: ClassVar[bool] = False  # not a test class for pytest

    nodeid: str
    path: str
    markers: tuple[str, ...]


def is_suite_marker(name: str, user_registered: Iterable[str]) -> bool:
    if name in BUILTIN_MARKERS:
        return False
    return name in WELL_KNOWN_SUITES or name in user_registered or bool(_REQUIREMENT.match(name))


def marker_suites(tests: Sequence[TestInfo], user_registered: Sequence[str]) -> list[Suite]:
    """One suite per kind-of-test marker in use, plus every marker the user registered."""
    counts: Counter[str] = Counter()
    for test in tests:
        counts.update(set(test.markers))
    names = {n for n in counts if is_suite_marker(n, user_registered)}
    names |= {n for n in user_registered if n not in BUILTIN_MARKERS}
    return [Suite(n, "marker", counts[n], markers=n) for n in sorted(names)]


def folder_suites(tests: Sequence[TestInfo], testpaths: Sequence[str]) -> list[Suite]:
    """One suite per first-level folder under each test root (tests/unit, tests/smoke…)."""
    bases = [PurePosixPath(p.rstrip("/")) for p in testpaths if p not in (".", "")]
    counts: Counter[str] = Counter()
    # Many tests share a file: one path computation per file.
    per_file: dict[str, str | None] = {}
    for test in tests:
        if test.path not in per_file:
            per_file[test.path] = _first_level_folder(PurePosixPath(test.path), bases)
        folder = per_file[test.path]
        if folder is not None:
            counts[folder] += 1
    return [Suite(f, "folder", counts[f], paths=(f,)) for f in sorted(counts)]


def _first_level_folder(path: PurePosixPath, bases: Sequence[PurePosixPath]) -> str | None:
    for base in bases:
        if base in path.parents:
            rest = path.relative_to(base).parts
            if len(rest) > 1:
                return (base / rest[0]).as_posix()
            # A file directly in a test root that is itself one of several roots: the root is
            # the folder (testpaths = ["tests/unit", "tests/integration"]).
            return base.as_posix() if len(bases) > 1 else None
    parts = path.parts
    if not bases and len(parts) > 2:
        return PurePosixPath(parts[0], parts[1]).as_posix()
    return None


def config_suites(
    tests: Sequence[TestInfo], specs: Mapping[str, SuiteSpec], source: Path | None
) -> list[Suite]:
    """Suites declared in ``[tool.gateui.suites]``, counted against the collected tests."""
    suites = []
    for spec in specs.values():
        if spec.command is not None:
            suites.append(Suite(spec.name, "command", 0, command=spec.command))
            continue
        compile_marker_expression(spec, source)  # a bad expression names its file and line
        suite = Suite(spec.name, "config", 0, markers=spec.markers, paths=spec.paths)
        holds = suite.selects()
        suites.append(replace(suite, tests=sum(1 for t in tests if holds(t))))
    return suites


def _under_any(path: str, prefixes: Sequence[str]) -> bool:
    if not prefixes:
        return True
    candidate = PurePosixPath(path)
    for prefix in prefixes:
        base = PurePosixPath(prefix.rstrip("/"))
        if candidate == base or base in candidate.parents:
            return True
    return False


def compile_marker_expression(
    spec: SuiteSpec, source: Path | None
) -> Callable[[Sequence[str]], bool] | None:
    """A predicate over a test's markers for ``spec.markers``, with pytest's own grammar."""
    if not spec.markers:
        return None
    from _pytest.mark import expression as pytest_expression

    # pytest 7 and 8 raise their own ParseError for a malformed expression; pytest 9 dropped
    # it for SyntaxError.
    malformed = (getattr(pytest_expression, "ParseError", SyntaxError), SyntaxError)
    try:
        expression = pytest_expression.Expression.compile(spec.markers)
    except malformed as exc:
        where = source or Path("pyproject.toml")
        key = f"tool.gateui.suites.{spec.name}"
        raise ConfigError(
            where,
            f"{key}.markers: invalid marker expression {spec.markers!r}: {exc}",
            key_line(where, key) if source else None,
        ) from exc

    def matches(markers: Sequence[str]) -> bool:
        present = set(markers)

        def has_marker(name: str, /, **kwargs: str | int | bool | None) -> bool:
            return name in present

        return expression.evaluate(has_marker)

    return matches


def build_suites(
    tests: Sequence[TestInfo],
    user_registered: Sequence[str],
    testpaths: Sequence[str],
    specs: Mapping[str, SuiteSpec],
    source: Path | None,
) -> list[Suite]:
    """All suites of one project: declared first (they win a name clash), then markers, folders."""
    suites: dict[str, Suite] = {}
    for suite in (
        *config_suites(tests, specs, source),
        *marker_suites(tests, user_registered),
        *folder_suites(tests, testpaths),
    ):
        suites.setdefault(suite.name, suite)
    return list(suites.values())


def unmarked_tests(tests: Sequence[TestInfo], suites: Sequence[Suite]) -> list[str]:
    """Tests that carry none of the project's kind-of-test markers."""
    kinds = {s.name for s in suites if s.kind == "marker" and s.name not in MODIFIER_MARKERS}
    if not kinds:
        return []
    return [t.nodeid for t in tests if not kinds.intersection(t.markers)]


def find_suite(suites: Sequence[Suite], name: str) -> Suite | None:
    """Look a suite up by name; a folder suite also answers to its last component (smoke). A
    marker no test carries gives way to a folder of that name (``tests/unit`` for ``unit``), as
    ``run_plan.resolve_suite`` decides."""
    folders = [s for s in suites if s.kind == "folder" and PurePosixPath(s.name).name == name]
    folder = folders[0] if len(folders) == 1 else None
    for suite in suites:
        if suite.name == name:
            if suite.kind == "marker" and suite.tests == 0 and folder is not None:
                return folder
            return suite
    return folder
