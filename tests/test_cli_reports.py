"""What the CLI shows of a run: pytest's own failure reports, pytest's counts, ``-C`` as git
has it, JUnit XML for CI servers, versioned JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import CliResult, init_repo

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]

_FAILING = """\
import pytest


def test_usage_text():
    assert "Usage: tester run [OPTIONS] TARGET" == "Usage: tester run [OPTIONS] SUITE"


def helper(value):
    return value * 2


def test_through_a_helper():
    assert helper(2) == 5


@pytest.mark.xfail(reason="known")
def test_known():
    assert False


def test_fine():
    pass
"""


def _repo(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_cli.py").write_text(_FAILING)
    return init_repo(root)


def test_plain_output_ends_with_pytests_failure_reports(tmp_path: Path, cli: Cli) -> None:
    repo = _repo(tmp_path)
    result = cli(["run"], repo)
    assert result.code == 1
    out = result.stdout
    assert "= FAILURES =" in out.replace("=" * 3, "=")
    assert "_ tests/test_cli.py::test_usage_text _" in out
    # pytest's assertion diff, not a truncated headline
    assert "- Usage: tester run [OPTIONS] SUITE" in out
    assert "+ Usage: tester run [OPTIONS] TARGET" in out
    # the relevant traceback: the helper's call
    assert "helper(2) == 5" in out
    assert out.rstrip().splitlines()[-1].startswith("1 passed, 2 failed, 1 xfailed")


def test_a_chained_failure_is_named_by_the_exception_that_failed_the_test(
    tmp_path: Path, cli: Cli
) -> None:
    (tmp_path / "test_chain.py").write_text(
        "def helper(items):\n"
        "    try:\n"
        "        return len(items)\n"
        "    except TypeError:\n"
        "        return _missing_helper(items)\n\n\n"
        "def test_equal():\n"
        "    assert helper(iter([1, 2])) == 2\n"
    )
    result = cli(["run"], init_repo(tmp_path))
    assert result.code == 1
    # As pytest's short summary names it: the NameError, not the TypeError it happened in.
    headline = "FAILED test_chain.py::test_equal — NameError: name '_missing_helper' is not defined"
    assert headline in result.stdout
    assert "During handling of the above exception" in result.stdout  # the whole chain below


def test_a_module_skipped_as_it_is_collected_counts_as_pytest_counts_it(
    tmp_path: Path, cli: Cli
) -> None:
    """attrs' tests/test_3rd_party.py calls ``pytest.importorskip`` at module level: pytest
    counts the module as one skipped test."""
    (tmp_path / "test_third_party.py").write_text(
        "import pytest\n\npytest.importorskip('gateui_tests_not_installed')\n\n\n"
        "def test_pickles():\n    pass\n"
    )
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    init_repo(tmp_path)
    by_hand = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "1 passed, 1 skipped in " in by_hand.stdout
    assert "1 passed, 1 skipped in " in cli(["run"], tmp_path).stdout
    events = cli(["run", "--json"], tmp_path).json_lines()
    skipped = [e for e in events if e["event"] == "test" and e["outcome"] == "skipped"]
    assert [e["nodeid"] for e in skipped] == ["test_third_party.py"]
    assert (events[-1]["passed"], events[-1]["skipped"]) == (1, 1)


def test_tb_styles_shape_the_reports(tmp_path: Path, cli: Cli) -> None:
    repo = _repo(tmp_path)
    short = cli(["run", "--tb=short"], repo)
    assert "tests/test_cli.py:13: in test_through_a_helper" in short.stdout
    silent = cli(["run", "--tb=no"], repo)
    assert "FAILURES" not in silent.stdout
    assert "FAILED tests/test_cli.py::test_usage_text" in silent.stdout
    verbose = cli(["run", "-v"], repo)
    assert "PASSED tests/test_cli.py::test_fine" in verbose.stdout
    assert "XFAILED tests/test_cli.py::test_known" in verbose.stdout


def test_a_collection_error_names_its_exception(tmp_path: Path, cli: Cli) -> None:
    repo = _repo(tmp_path)
    (repo / "tests" / "test_broken.py").write_text("def test_x(:\n    pass\n")
    result = cli(["run"], repo)
    assert result.code == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("ERROR collecting"))
    assert "SyntaxError" in line


def test_json_summary_counts_as_pytest_and_carries_its_schema(tmp_path: Path, cli: Cli) -> None:
    repo = _repo(tmp_path)
    result = cli(["run", "--json", "-k", "not helper"], repo)
    summary = result.json_lines()[-1]
    assert summary["schema"] == 1
    assert {k: summary[k] for k in ("passed", "failed", "skipped", "xfailed", "deselected")} == {
        "passed": 1,
        "failed": 1,
        "skipped": 0,
        "xfailed": 1,
        "deselected": 1,
    }
    known = next(e for e in result.json_lines() if e.get("nodeid", "").endswith("test_known"))
    assert known["result"] == "xfailed"


def test_dash_c_works_as_git_c_for_every_command(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "repo").mkdir()
    repo = _repo(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = cli(["discover", "-C", str(repo), "--json"], elsewhere)
    assert found.code == 0, found.stderr
    document = json.loads(found.stdout)
    assert document["schema"] == 1
    assert Path(document["repo"]) == repo.resolve()
    # Paths after -C are relative to DIR, before or after the command.
    for argv in (
        ["run", "-C", str(repo), "tests/test_cli.py::test_fine", "--json"],
        ["-C", str(repo), "run", "tests/test_cli.py::test_fine", "--json"],
    ):
        ran = cli(argv, elsewhere)
        assert ran.code == 0, ran.stdout + ran.stderr
        assert ran.json_lines()[-1]["passed"] == 1
    missing = cli(["-C", str(tmp_path / "nope"), "discover"], elsewhere)
    assert missing.code == 2
    assert "nope" in missing.stderr


def test_junitxml_is_one_valid_file_for_a_two_project_run(tmp_path: Path, cli: Cli) -> None:
    for name, body in (("api", _FAILING), ("web", "def test_page():\n    pass\n")):
        project = tmp_path / "projects" / name
        (project / "tests").mkdir(parents=True)
        (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
        (project / "tests" / f"test_{name}.py").write_text(body)
    repo = init_repo(tmp_path)
    result = cli(["run", "--junitxml", "reports/junit.xml"], repo)
    assert result.code == 1, result.stdout + result.stderr
    root = ET.parse(repo / "reports" / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"projects/api", "projects/web"}
    api = suites["projects/api"]
    assert (api.get("tests"), api.get("failures"), api.get("errors"), api.get("skipped")) == (
        "4",
        "2",
        "0",
        "1",
    )
    assert suites["projects/web"].get("tests") == "1"
    assert root.get("tests") == "5"
    failure = api.find("testcase[@name='test_usage_text']/failure")
    assert failure is not None and "Usage: tester" in (failure.text or "")
    case = api.find("testcase[@name='test_known']")
    assert case is not None and case.get("classname") == "projects.api.tests.test_api"


_WARNING = """\
import warnings

warnings.warn("configured at import", UserWarning)


def old():
    warnings.warn("old() is deprecated, use new()", DeprecationWarning, stacklevel=2)


def test_a():
    old()


def test_b():
    for _ in range(2):
        old()


def test_quiet():
    pass
"""


def _pytests_own_warning_count(project: Path, *args: str) -> int:
    """The "N warnings" of pytest's own summary line, run by hand in ``project``."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
    )
    found = re.search(r"(\d+) warnings? in ", done.stdout)
    assert found, done.stdout
    return int(found.group(1))


def _warning_repo(root: Path) -> Path:
    project = root / "projects" / "lib"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (project / "tests" / "test_lib.py").write_text(_WARNING)
    init_repo(root)
    return project


def test_pytests_warnings_are_counted_and_summed_up_as_pytest_does(
    tmp_path: Path, cli: Cli
) -> None:
    project = _warning_repo(tmp_path)
    by_hand = _pytests_own_warning_count(project)
    assert by_hand == 4  # the import's, and each call of old()

    result = cli(["run"], tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"3 passed, {by_hand} warnings in " in out
    section = out[out.index(" warnings summary ") :]
    # Each kind once, under the tests that raised it, named from the repository root.
    assert section.count("DeprecationWarning: old() is deprecated, use new()") == 2
    assert "projects/lib/tests/test_lib.py::test_a\n" in section
    assert "projects/lib/tests/test_lib.py::test_b\n… 2 times in all\n" in section
    assert "test_quiet" not in section
    assert "UserWarning: configured at import" in section

    as_json = cli(["run", "--json"], tmp_path).json_lines()
    assert as_json[-1]["pytest_warnings"] == by_hand
    warnings = [line for line in as_json if line["event"] == "warning"]
    assert len(warnings) == by_hand
    assert {w["nodeid"] for w in warnings} == {
        None,
        "projects/lib/tests/test_lib.py::test_a",
        "projects/lib/tests/test_lib.py::test_b",
    }


def test_disable_warnings_hides_the_section_and_keeps_the_count(tmp_path: Path, cli: Cli) -> None:
    project = _warning_repo(tmp_path)
    by_hand = _pytests_own_warning_count(project, "--disable-warnings")
    result = cli(["run", "--", "--disable-warnings"], tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert f"3 passed, {by_hand} warnings in " in result.stdout
    assert "warnings summary" not in result.stdout
    assert "deprecated" not in result.stdout


def test_gate_writes_junit_per_step_and_versioned_json(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n\n"
        "[tool.gateui.gate]\n"
        'steps = [{ name = "tests", command = "python -m pytest -q" }]\n'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_cli.py").write_text(_FAILING)
    repo = init_repo(tmp_path)
    result = cli(["gate", "--json", "--no-cache", "--junitxml", "gate.xml"], repo)
    assert result.code == 1, result.stdout + result.stderr
    assert json.loads(result.stdout)["schema"] == 1
    suite = ET.parse(repo / "gate.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("tests", "4", "2")
