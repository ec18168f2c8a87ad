"""Recording on the interpreters that have ``sys.monitoring`` (Python 3.12+), for real.

The plugin records with ``sys.monitoring`` there and with a trace function on 3.11 and older: two
mechanisms that must report the same dependencies. Each test runs the plugin in a virtual
environment of that interpreter (pytest only, never gateui), then lets ``run --affected`` pick
tests after an edit. An interpreter that is not installed on this machine is skipped, named.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection
from pathlib import Path

import pytest

from gateui.core.running.events import SessionStarted, TestFinished
from gateui.core.running.pytest_process import PytestCommand, PytestProcess
from helpers import CliResult, git
from target_envs import target_python

pytestmark = pytest.mark.integration

PYENV = Path("/root/.pyenv/versions")
INTERPRETERS = {
    "3.12": PYENV / "3.12.1" / "bin" / "python",
    "3.13": PYENV / "3.13.0" / "bin" / "python",
}
PYTEST = "pytest==8.4.2"


@pytest.fixture(params=sorted(INTERPRETERS), scope="module")
def monitored_python(request: pytest.FixtureRequest) -> tuple[str, Path]:
    version: str = request.param
    base = INTERPRETERS[version]
    if not base.exists():
        pytest.skip(f"Python {version} is not installed here ({base})")
    return version, target_python(PYTEST, base=base)


def _record(root: Path, python: Path, kept: _Kept | None = None) -> dict[str, TestFinished]:
    command = PytestCommand(
        root, root, python, env={"GATEUI_RECORD": str(root)}, kept_recordings=kept
    )
    events = list(PytestProcess(command).events())
    session = next(e for e in events if isinstance(e, SessionStarted))
    assert session.python.startswith(str(python.parent.parent)), session.python
    return {e.nodeid: e for e in events if isinstance(e, TestFinished)}


class _Kept:
    """The answer selection would give (``CurrentRecordings``), fixed: these tests' recordings
    are current."""

    def __init__(self, nodeids: Collection[str]) -> None:
        self.nodeids = nodeids

    def prepare(self) -> None:
        return None

    def current(self, env: str) -> Collection[str]:
        return self.nodeids


# Collection ends once the list of kept tests has reached the plugin's pipe: the first test
# then knows it (as in a suite whose collection takes longer than gateui's answer).
_WAIT_FOR_THE_LIST = """
import os, select

def pytest_collection_finish(session):
    fd = os.environ.get("GATEUI_RECORD_SKIP", "fd:")[3:]
    if fd:
        select.select([int(fd)], [], [], 60)
"""


def test_sys_monitoring_records_what_the_trace_function_records(
    sample_repo: Callable[[str], Path], monitored_python: tuple[str, Path]
) -> None:
    version, python = monitored_python
    root = sample_repo("selection_lab")
    monitored = _record(root, python)
    traced = _record(root, Path(sys.executable))
    assert sys.version_info < (3, 12), "the trace-function side must run on an older Python"
    assert set(monitored) == set(traced)
    assert len(monitored) > 10
    for nodeid, result in monitored.items():
        mine, theirs = result.deps, traced[nodeid].deps
        assert mine is not None and theirs is not None, nodeid
        if mine["recorded"] or theirs["recorded"]:
            assert mine["funcs"] == theirs["funcs"], (version, nodeid)
            assert mine["reads"] == theirs["reads"], (version, nodeid)
    halve = monitored["tests/test_util.py::test_halve"].deps
    assert halve is not None and "halve" in halve["funcs"]["src/lab/util.py"]


def test_selection_after_an_edit_on_a_monitored_interpreter(
    sample_repo: Callable[[str], Path],
    monitored_python: tuple[str, Path],
    cli: Callable[..., CliResult],
) -> None:
    _, python = monitored_python
    repo = sample_repo("selection_lab")
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + f'\n[tool.gateui]\npython = "{python}"\n')
    git(repo, "commit", "-qam", "run the tests on another interpreter")
    assert cli(["run"], repo).code == 0
    path = repo / "src/lab/util.py"
    path.write_text(path.read_text().replace("return x / 2", "return x * 0.5", 1))
    result = cli(["run", "--affected", "--json"], repo)
    assert result.code == 0, result.stderr
    tests = {e["nodeid"]: e["reason"] for e in result.json_lines() if e["event"] == "test"}
    assert tests == {"tests/test_util.py::test_halve": "executed lab.util.halve (changed)"}


def test_where_the_monitoring_tools_are_taken_the_trace_function_records(
    tmp_path: Path, sample_repo: Callable[[str], Path], monitored_python: tuple[str, Path]
) -> None:
    # Another tool (a coverage or debugging tool of the future) holds the two tool ids the
    # recorder would use, from interpreter start: the trace function records instead.
    version, python = monitored_python
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import sys\n\nfor tool in (3, 4):\n    sys.monitoring.use_tool_id(tool, 'other')\n"
    )
    root = sample_repo("selection_lab")
    command = PytestCommand(
        root, root, python, env={"GATEUI_RECORD": str(root), "PYTHONPATH": str(site)}
    )
    events = list(PytestProcess(command).events())
    found = {e.nodeid: e for e in events if isinstance(e, TestFinished)}
    traced = _record(root, Path(sys.executable))
    assert set(found) == set(traced) and len(found) > 10
    for nodeid, result in found.items():
        deps = result.deps
        assert deps is not None and deps["recorded"], (version, nodeid)
        assert deps["funcs"] == (traced[nodeid].deps or {}).get("funcs"), (version, nodeid)


def test_tests_that_record_after_others_kept_theirs_record_all_they_executed(
    sample_repo: Callable[[str], Path], monitored_python: tuple[str, Path]
) -> None:
    # The recorder starts watching for the project's code only when the first test records:
    # here the first half of the tests keep their recordings. What those tests (and the
    # imports) ran before must still be found in the tests that record after them.
    version, python = monitored_python
    root = sample_repo("selection_lab")
    (root / "conftest.py").write_text(_WAIT_FOR_THE_LIST)
    full = _record(root, Path(sys.executable))  # the trace-function side, for reference
    order = list(full)
    kept, recording = order[: len(order) // 2], order[len(order) // 2 :]
    found = _record(root, python, _Kept(kept))
    assert list(found) == order
    for nodeid in kept:
        deps = found[nodeid].deps
        assert deps is None or not deps.get("funcs"), (version, nodeid)
    for nodeid in recording:
        deps, expected = found[nodeid].deps, full[nodeid].deps
        assert deps is not None and expected is not None, (version, nodeid)
        assert deps["funcs"] == expected["funcs"], (version, nodeid)

    # The case this is about: functions the kept tests ran come back in recorded ones.
    def functions(nodeids: list[str]) -> set[tuple[str, str]]:
        return {
            (file, name)
            for nodeid in nodeids
            for file, names in ((full[nodeid].deps or {}).get("funcs") or {}).items()
            for name in names
            if file.startswith("src/")
        }

    assert functions(kept) & functions(recording)
