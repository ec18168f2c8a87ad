"""A run's results as one JUnit XML file, the format CI servers read: one ``<testsuite>`` per
project (a monorepo run is one file), with pytest's conventions — an expected failure is a skip,
a module that failed to collect is an error case named after the module."""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from gateui.core.running.events import CollectionError, Event, RunSummary, TestFinished


@dataclass
class _Suite:
    name: str
    cases: list[ET.Element] = field(default_factory=list)
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time: float = 0.0


def _class_and_name(nodeid: str) -> tuple[str, str]:
    """``tests/test_x.py::TestA::test_b[1]`` → (``tests.test_x.TestA``, ``test_b[1]``)."""
    parts = nodeid.split("::")
    module = parts[0].removesuffix(".py").replace("/", ".")
    return ".".join([module, *parts[1:-1]]), parts[-1] if len(parts) > 1 else parts[0]


class JunitWriter:
    """Collects the events of a run; ``write`` puts the file in place in one step."""

    def __init__(self) -> None:
        self._suites: dict[str, _Suite] = {}

    def _suite(self, project: str) -> _Suite:
        name = "pytest" if project in (".", "") else project
        return self._suites.setdefault(name, _Suite(name))

    def handle(self, event: Event, suite_name: str | None = None) -> None:
        """Take one event; ``suite_name`` files it under that suite (a gate step) rather
        than under its project."""
        if isinstance(event, TestFinished):
            self._test(event, suite_name)
        elif isinstance(event, CollectionError):
            suite = self._suite(suite_name or _project_of(event.nodeid, self._suites))
            case = ET.Element("testcase", classname="", name=event.nodeid.removesuffix(".py"))
            error = ET.SubElement(case, "error", message="collection failure")
            error.text = event.message
            suite.errors += 1
            suite.cases.append(case)

    def _test(self, event: TestFinished, suite_name: str | None) -> None:
        suite = self._suite(suite_name or event.project)
        classname, name = _class_and_name(event.nodeid)
        case = ET.Element(
            "testcase",
            classname=classname,
            name=name,
            file=event.path or event.nodeid.split("::", 1)[0],
            time=f"{event.duration_s:.3f}",
        )
        if event.line is not None:
            case.set("line", str(event.line))
        result = event.result
        if result == "failed":
            suite.failures += 1
            failure = ET.SubElement(case, "failure", message=_first_line(event.longrepr))
            failure.text = event.longrepr
        elif result == "error":
            suite.errors += 1
            error = ET.SubElement(case, "error", message=_first_line(event.longrepr))
            error.text = event.longrepr
        elif result in ("skipped", "xfailed"):
            suite.skipped += 1
            kind = "pytest.xfail" if result == "xfailed" else "pytest.skip"
            reason = event.xfail if result == "xfailed" else event.longrepr
            ET.SubElement(case, "skipped", type=kind, message=reason or "")
        if event.stdout:
            ET.SubElement(case, "system-out").text = event.stdout
        if event.stderr:
            ET.SubElement(case, "system-err").text = event.stderr
        suite.time += event.duration_s
        suite.cases.append(case)

    def document(self, summary: RunSummary | None = None) -> ET.ElementTree:
        root = ET.Element("testsuites", name="gateui")
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for suite in self._suites.values():
            element = ET.SubElement(
                root,
                "testsuite",
                name=suite.name,
                tests=str(len(suite.cases)),
                failures=str(suite.failures),
                errors=str(suite.errors),
                skipped=str(suite.skipped),
                time=f"{suite.time:.3f}",
            )
            element.extend(suite.cases)
            totals["tests"] += len(suite.cases)
            totals["failures"] += suite.failures
            totals["errors"] += suite.errors
            totals["skipped"] += suite.skipped
        for key, value in totals.items():
            root.set(key, str(value))
        if summary is not None:
            root.set("time", f"{summary.duration_s:.3f}")
        return ET.ElementTree(root)

    def write(self, path: Path, summary: RunSummary | None = None) -> None:
        """Write atomically: a reader never sees half a file, an old file stays until then."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tree = self.document(summary)
        ET.indent(tree)
        fd, temporary = tempfile.mkstemp(prefix=".junit-", suffix=".xml", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            tree.write(handle, encoding="utf-8", xml_declaration=True)
        os.replace(temporary, path)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("E "):
            return line[1:].strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _project_of(nodeid: str, suites: dict[str, _Suite]) -> str:
    """The project a module belongs to, by the longest project folder it lies in."""
    owners = [name for name in suites if name != "pytest" and nodeid.startswith(name + "/")]
    return max(owners, key=len) if owners else "."
