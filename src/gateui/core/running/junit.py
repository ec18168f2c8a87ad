"""Per-test results from a JUnit XML report, for commands gateui cannot watch test by test.

A command that runs no pytest gateui can reach (another language's runner, pytest inside a
container) may still leave a JUnit report (``--junitxml=report.xml``, ``junit = "…"`` on the
suite). After it exits, its ``<testcase>`` elements become the same ``TestFinished`` events a live
run yields. The standard library's ``xml.etree`` is enough: the file comes from the user's own
command and is read once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gateui.core.common.paths import relative_path
from gateui.core.running.events import TestFinished

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}


def junit_paths(argv: Sequence[str], cwd: Path) -> list[Path]:
    """The reports a command line asks pytest to write (``--junitxml PATH`` in its forms)."""
    found: list[Path] = []
    words = list(argv)
    for index, word in enumerate(words):
        for option in ("--junitxml", "--junit-xml"):
            if word.startswith(option + "="):
                found.append(cwd / word.split("=", 1)[1])
            elif word == option and index + 1 < len(words):
                found.append(cwd / words[index + 1])
    return found


def read_junit(path: Path, base: Path, repo_root: Path, project: str = ".") -> list[TestFinished]:
    """The test cases of a report as results; node ids relative to ``repo_root``.

    ``base`` is the folder the test paths in the report are relative to (where the command ran).
    A case listed twice (pytest reports a teardown error as a second case) keeps its worst outcome.
    Raises ``ValueError`` when the file is not JUnit XML.
    """
    # Here, not at the top: every run plans with ``junit_paths``, few read a report (≈ 2 ms).
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ValueError(f"{path}: not a readable JUnit XML report ({exc})") from exc
    results: dict[str, TestFinished] = {}
    for case in _cases(root):
        result = _result(case, base, repo_root, project)
        earlier = results.get(result.nodeid)
        if earlier is None or _RANK[result.outcome] > _RANK[earlier.outcome]:
            results[result.nodeid] = result
    return list(results.values())


def _cases(root: ET.Element) -> Iterator[ET.Element]:
    if root.tag == "testcase":
        yield root
    yield from root.iter("testcase")


def _result(case: ET.Element, base: Path, repo_root: Path, project: str) -> TestFinished:
    name = case.get("name", "?")
    path, inner = _location(case.get("classname", ""), case.get("file"), base)
    parts = [p for p in (path, *inner, name) if p]
    nodeid = "::".join(parts)
    if path:
        nodeid = relative_path(base / path, repo_root) + nodeid[len(path) :]
    outcome, text = "passed", ""
    for child in case:
        tag = child.tag
        if tag in ("failure", "error"):
            outcome = "failed" if tag == "failure" else "error"
            text = (child.text or "").strip() or child.get("message", "")
            break
        if tag == "skipped":
            outcome = "skipped"
            text = child.get("message", "") or (child.text or "").strip()
    line = case.get("line")
    return TestFinished(
        nodeid=nodeid,
        path=nodeid.split("::", 1)[0],
        line=int(line) if line and line.isdigit() else None,
        outcome=outcome,
        duration_s=_seconds(case.get("time")),
        longrepr=text,
        project=project,
    )


def _location(classname: str, file: str | None, base: Path) -> tuple[str, list[str]]:
    """(test file relative to ``base``, classes inside it) from pytest's dotted classname.

    ``tests.api.test_x.TestA`` is ``tests/api/test_x.py`` and class ``TestA`` when that file
    exists; a classname that names no file (another tool's report) is kept as it is.
    """
    dotted = classname.split(".") if classname else []
    if file:
        module = Path(file).with_suffix("").as_posix().replace("/", ".")
        inner = dotted[len(module.split(".")) :] if classname.startswith(module) else []
        return Path(file).as_posix(), inner
    for cut in range(len(dotted), 0, -1):
        candidate = os.path.join(*dotted[:cut]) + ".py"
        if (base / candidate).is_file():
            return Path(candidate).as_posix(), dotted[cut:]
    return "", [classname] if classname else []


def _seconds(value: str | None) -> float:
    try:
        return round(float(value), 6) if value else 0.0
    except ValueError:
        return 0.0
