"""The event plugin in target environments with pytest 7 and 9 (gateui's own suite runs on 8),
none of which has gateui installed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from gateui.core.running.events import SessionStarted, TestFinished
from gateui.core.running.pytest_process import PytestCommand, PytestProcess
from target_envs import target_python

pytestmark = pytest.mark.integration

TARGETS = {
    "pytest7": ("pytest==7.4.4", "pytest-xdist==3.5.0"),
    "pytest9": ("pytest>=9,<10", "pytest-xdist>=3.8"),
}


@pytest.fixture(params=sorted(TARGETS), scope="module")
def target(request: pytest.FixtureRequest) -> tuple[str, Path]:
    name: str = request.param
    return name, target_python(*TARGETS[name])


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_plugin_streams_results_on_other_pytest_versions(
    sample_repo: Callable[[str], Path],
    target: tuple[str, Path],
    xdist: bool,
    request: pytest.FixtureRequest,
) -> None:
    if xdist:
        request.getfixturevalue("with_xdist")
    name, python = target
    root = sample_repo("faults")
    args = ("-n", "2") if xdist else ()
    events = list(PytestProcess(PytestCommand(root, root, python, args)).events())
    session = next(e for e in events if isinstance(e, SessionStarted))
    assert session.pytest_version.split(".")[0] == name[-1]
    assert session.xdist is xdist
    results = {e.nodeid: e for e in events if isinstance(e, TestFinished)}
    assert len(results) == 5
    assert all(r.outcome == "passed" for r in results.values())
    assert results["tests/test_faults.py::test_first"].markers == ("smoke",)


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_recordings_reach_gateui_on_other_pytest_versions(
    sample_repo: Callable[[str], Path],
    target: tuple[str, Path],
    xdist: bool,
    request: pytest.FixtureRequest,
) -> None:
    # Under xdist a test's recording is made in a worker and crosses to the controller on its
    # closing report.
    if xdist:
        request.getfixturevalue("with_xdist")
    _, python = target
    root = sample_repo("faults")
    args = ("-n", "2") if xdist else ()
    command = PytestCommand(root, root, python, args, env={"GATEUI_RECORD": str(root)})
    results = {e.nodeid: e for e in PytestProcess(command).events() if isinstance(e, TestFinished)}
    assert len(results) == 5
    for nodeid, result in results.items():
        assert result.deps is not None, nodeid
        assert result.deps["recorded"] is True
        name = nodeid.split("::", 1)[1]
        assert name in result.deps["funcs"]["tests/test_faults.py"], nodeid


def test_gateui_is_not_importable_in_the_target(target: tuple[str, Path]) -> None:
    # The premise of the plugin's design: only its own folder is on the path over there.
    import subprocess

    _, python = target
    probe = subprocess.run([str(python), "-c", "import gateui"], capture_output=True, text=True)
    assert probe.returncode != 0
    assert "No module named 'gateui'" in probe.stderr


def test_suite_marker_expressions_work_with_the_targets_pytest(target: tuple[str, Path]) -> None:
    # gateui itself may be installed next to any pytest (a plain `pip install gateui` takes the
    # newest): its suites are judged with pytest's own expression grammar, whose error type
    # changed in pytest 9.
    import subprocess

    _, python = target
    probe = (
        "from gateui.core.common.config import SuiteSpec\n"
        "from gateui.core.common.errors import ConfigError\n"
        "from gateui.core.layout.suites import Suite, TestInfo, compile_marker_expression\n"
        "holds = Suite('fast', 'marker', 0, markers='unit and not slow').selects()\n"
        "fast, slow = TestInfo('t', 't.py', ('unit',)), TestInfo('t', 't.py', ('unit', 'slow'))\n"
        "print(holds(fast), holds(slow))\n"
        "try:\n"
        "    compile_marker_expression(SuiteSpec('bad', markers='unit and ('), None)\n"
        "except ConfigError as exc:\n"
        "    print(exc)\n"
    )
    source = Path(__file__).resolve().parent.parent / "src"
    result = subprocess.run(
        [str(python), "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(source)},
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()[:2]
    assert first == "True False"
    assert "tool.gateui.suites.bad.markers: invalid marker expression 'unit and ('" in second


WINDOW_TARGETS = {
    # pluggy before 1.1 knows only old-style hook wrappers; newer ones run the plugin's
    # recording windows as new-style wrappers.
    "old-pluggy": ("pytest==7.4.4", "pluggy==1.0.0"),
    "pytest9": TARGETS["pytest9"],
}


@pytest.mark.parametrize("name", sorted(WINDOW_TARGETS))
def test_recording_windows_work_with_either_kind_of_hook_wrapper(tmp_path: Path, name: str) -> None:
    # The windows wrap pytest's fixture setup (set-up and teardown recorded, the value still
    # reaching the test) and the test call; a unittest case is recorded through its call phase.
    python = target_python(*WINDOW_TARGETS[name])
    (tmp_path / "lib.py").write_text(
        "def opened():\n    return 1\n\n\ndef closed():\n    return 2\n\n\n"
        "def prepared():\n    return 3\n\n\ndef checked():\n    return 4\n"
    )
    (tmp_path / "test_windows.py").write_text(
        "import unittest\n\nimport pytest\n\nimport lib\n\n\n"
        "@pytest.fixture\n"
        "def value():\n    yield lib.opened()\n    lib.closed()\n\n\n"
        "def test_fixture_value(value):\n    assert value == 1\n\n\n"
        "class Case(unittest.TestCase):\n"
        "    def setUp(self):\n        lib.prepared()\n\n"
        "    def test_case(self):\n        lib.checked()\n"
    )
    command = PytestCommand(
        tmp_path, tmp_path, python, ("-p", "no:cacheprovider"), env={"GATEUI_RECORD": str(tmp_path)}
    )
    events = list(PytestProcess(command).events())
    results = {e.nodeid: e for e in events if isinstance(e, TestFinished)}
    assert {nodeid: r.outcome for nodeid, r in results.items()} == {
        "test_windows.py::test_fixture_value": "passed",
        "test_windows.py::Case::test_case": "passed",
    }
    fixture_deps = results["test_windows.py::test_fixture_value"].deps
    case_deps = results["test_windows.py::Case::test_case"].deps
    assert fixture_deps is not None and case_deps is not None
    assert fixture_deps["funcs"]["lib.py"] == ["closed", "opened"]
    assert case_deps["funcs"]["lib.py"] == ["checked", "prepared"]
    version = next(e for e in events if isinstance(e, SessionStarted)).pytest_version
    assert version.split(".")[0] == ("7" if name == "old-pluggy" else "9")


MARKED_TESTS = """
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.db]


class TestOuter:
    pytestmark = pytest.mark.outer

    @pytest.mark.slow
    def test_method(self):
        pass

    class TestInner:
        @pytest.mark.inner
        @pytest.mark.outer
        def test_deep(self):
            pass


@pytest.mark.parametrize("x", [1, pytest.param(2, marks=pytest.mark.two)])
@pytest.mark.fn
def test_param(x):
    pass


def test_plain():
    pass
"""
MARKER_ORACLE = """
import json
import os


def pytest_collection_finish(session):
    if not session.items:
        return  # an xdist controller: its workers collect
    found = {}
    for item in session.items:
        names = {}
        for mark in item.iter_markers():
            names.setdefault(mark.name, None)
        found[item.nodeid] = list(names)
    # Each xdist worker writes the same; one whole file at a time.
    partial = os.environ["MARKER_ORACLE"] + f".{os.getpid()}"
    with open(partial, "w") as handle:
        json.dump(found, handle)
    os.replace(partial, os.environ["MARKER_ORACLE"])
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_markers_are_pytests_own_on_every_version(
    tmp_path: Path, target: tuple[str, Path], xdist: bool, request: pytest.FixtureRequest
) -> None:
    """Each test's markers, worked out once per module and class, are what pytest's own
    ``iter_markers`` gives (the test's own first, then each node above it); under xdist the
    workers work them out and send them with each result."""
    if xdist:
        request.getfixturevalue("with_xdist")
    import json
    import sys

    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_marked.py").write_text(MARKED_TESTS)
    (root / "tests" / "test_unmarked.py").write_text("def test_bare():\n    pass\n")
    (root / "tests" / "conftest.py").write_text(MARKER_ORACLE)
    oracle = tmp_path / "oracle.json"
    for python in (target[1], Path(sys.executable)):
        oracle.unlink(missing_ok=True)
        args = ("-n", "2") if xdist else ()
        command = PytestCommand(root, root, python, args, env={"MARKER_ORACLE": str(oracle)})
        events = PytestProcess(command).events()
        markers = {e.nodeid: list(e.markers) for e in events if isinstance(e, TestFinished)}
        expected = json.loads(oracle.read_text())
        assert len(markers) == 6
        assert markers == expected, python
        assert markers["tests/test_marked.py::TestOuter::TestInner::test_deep"] == [
            "outer",
            "inner",
            "slow",
            "db",
        ]
