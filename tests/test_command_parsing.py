"""Reading command suites, JUnit reports and ExUnit files: text in, facts out (nothing runs)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gateui.core.exunit.mix import MixProject, discover_mix, find_mix_projects, parse_test_file
from gateui.core.layout.command_suites import (
    expand_braces,
    match_command_suite,
    proposed_command_suites,
    script_flags,
)
from gateui.core.running.command_process import command_environment
from gateui.core.running.junit import junit_paths, read_junit
from gateui.wording import failure_headline
from helpers import SAMPLES

pytestmark = pytest.mark.unit


def write(folder: Path, name: str, text: str, executable: bool = False) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    if executable:
        path.chmod(0o755)
    return path


def test_makefile_targets_that_run_tests_are_proposed() -> None:
    backend = SAMPLES / "strict_markers_backend" / "backend"
    suites = proposed_command_suites(backend, SAMPLES / "strict_markers_backend")
    assert [(s.name, s.command, s.source) for s in suites] == [
        ("test", "make test", "backend/Makefile:5"),
        ("test-unit", "make test-unit", "backend/Makefile:8"),
        ("test-integration", "make test-integration", "backend/Makefile:11"),
    ]
    assert all(s.cwd == backend for s in suites)


def test_a_test_script_is_proposed_with_the_modes_its_usage_offers() -> None:
    repo = SAMPLES / "web_api_monorepo"
    suites = proposed_command_suites(repo, repo)
    assert [(s.name, s.command) for s in suites] == [
        ("test", "./tools/test.sh"),
        ("smoke-backend", "./tools/test.sh --smoke-backend"),
    ]
    # Help flags are not modes; a case arm with alternatives gives each of them.
    text = "case $1 in\n  --fast|--quick) ;;\n  -h|--help) ;;\nesac\n"
    assert script_flags(text) == ["--fast", "--quick"]


def test_scripts_must_be_executable_and_say_test(tmp_path: Path) -> None:
    write(tmp_path, "scripts/run_tests.sh", "#!/bin/sh\npytest\n", executable=True)
    write(tmp_path, "scripts/lint_tests.sh", "#!/bin/sh\nruff\n", executable=True)
    write(tmp_path, "scripts/test_data.sh", "#!/bin/sh\n", executable=False)
    write(tmp_path, "scripts/deploy.sh", "#!/bin/sh\n", executable=True)
    assert [s.command for s in proposed_command_suites(tmp_path, tmp_path)] == [
        "./scripts/run_tests.sh"
    ]


def test_tox_envs_and_nox_sessions_that_run_tests(tmp_path: Path) -> None:
    write(
        tmp_path,
        "tox.ini",
        """
        [tox]
        envlist = py{310,311}, lint, docs

        [testenv]
        commands = pytest {posargs}

        [testenv:lint]
        commands = ruff check .

        [testenv:docs]
        commands = mkdocs build

        [testenv:integration]
        commands = python -m pytest -m integration

        [testenv:.pkg]
        # tox's own package build (attrs has one): it inherits [testenv]'s commands, never runs
        # them.
        pass_env = SETUPTOOLS_SCM_PRETEND_VERSION
        """,
    )
    write(
        tmp_path,
        "noxfile.py",
        """
        import nox

        @nox.session(python=["3.11"])
        def unit(session):
            session.run("pytest", "-m", "unit")

        @nox.session(name="type-check")
        def types(session):
            session.run("mypy", "src")

        @nox.session
        def smoke(session):
            session.run("./tools/smoke.sh", external=True)

        def helper():
            pass
        """,
    )
    suites = proposed_command_suites(tmp_path, tmp_path)
    assert [(s.name, s.command) for s in suites] == [
        ("tox-py310", "tox -e py310"),
        ("tox-py311", "tox -e py311"),
        ("tox-integration", "tox -e integration"),
        ("nox-unit", "nox -s unit"),
        ("nox-smoke", "nox -s smoke"),
    ]
    assert suites[-2].source == "noxfile.py:4"
    assert expand_braces("py{310,311}-{unit,e2e}") == [
        "py310-unit",
        "py310-e2e",
        "py311-unit",
        "py311-e2e",
    ]


def test_a_proposal_whose_name_is_taken_answers_to_its_tool_prefix(tmp_path: Path) -> None:
    write(tmp_path, "Makefile", "smoke:\n\tpython -m pytest -m smoke\n")
    suites = proposed_command_suites(tmp_path, tmp_path)
    found = match_command_suite(suites, "make-smoke")
    assert found is not None and found.command == "make smoke"


def test_commands_get_the_plugin_through_the_environment(tmp_path: Path) -> None:
    env = command_environment(
        {"PYTEST_ADDOPTS": "-x"}, tmp_path / "ch", inject_pytest=True, key="k1"
    )
    assert env["PYTEST_ADDOPTS"] == "-x -p gateui_events"
    assert (env["GATEUI_EVENTS"], env["GATEUI_EVENTS_KEY"]) == (str(tmp_path / "ch"), "k1")
    assert env["PYTHONPATH"].endswith("pytest_plugin")
    assert (
        "pass_env+=PYTEST_ADDOPTS,PYTHONPATH,GATEUI_EVENTS,GATEUI_EVENTS_KEY" in env["TOX_OVERRIDE"]
    )
    plain = command_environment({}, tmp_path / "ch", inject_pytest=False, key="k2")
    assert "PYTEST_ADDOPTS" not in plain and plain["GATEUI_EVENTS"] == str(tmp_path / "ch")
    assert plain["GATEUI_EVENTS_KEY"] == "k2"


def test_junit_report_to_results(tmp_path: Path) -> None:
    write(tmp_path, "backend/tests/test_x.py", "")
    report = write(
        tmp_path,
        "backend/out.xml",
        """
        <?xml version="1.0" encoding="utf-8"?>
        <testsuites><testsuite name="pytest" tests="4">
          <testcase classname="tests.test_x" name="test_ok" time="0.012"/>
          <testcase classname="tests.test_x.TestA" name="test_bad[1]" time="0.5">
            <failure message="assert 1 == 2">def test_bad(): assert 1 == 2</failure>
          </testcase>
          <testcase classname="tests.test_x" name="test_skip"><skipped message="later"/></testcase>
          <testcase classname="tests.test_x" name="test_ok">
            <error message="teardown">boom</error>
          </testcase>
          <testcase classname="ExUnit.Smoke" name="works" time="0.1"/>
        </testsuite></testsuites>
        """,
    )
    results = read_junit(report, tmp_path / "backend", tmp_path, "backend")
    summary = {r.nodeid: (r.outcome, r.duration_s) for r in results}
    assert summary == {
        # A case listed twice (call, then a teardown error) keeps the worse outcome.
        "backend/tests/test_x.py::test_ok": ("error", 0.0),
        "backend/tests/test_x.py::TestA::test_bad[1]": ("failed", 0.5),
        "backend/tests/test_x.py::test_skip": ("skipped", 0.0),
        "ExUnit.Smoke::works": ("passed", 0.1),
    }
    bad = next(r for r in results if r.outcome == "failed")
    assert "assert 1 == 2" in bad.longrepr and bad.project == "backend"
    assert junit_paths(["pytest", "--junitxml=r.xml", "--junit-xml", "s.xml"], tmp_path) == [
        tmp_path / "r.xml",
        tmp_path / "s.xml",
    ]
    (tmp_path / "broken.xml").write_text("<testsuite")
    with pytest.raises(ValueError, match="not a readable JUnit XML"):
        read_junit(tmp_path / "broken.xml", tmp_path, tmp_path)


def test_exunit_tests_and_tags_from_source() -> None:
    text = textwrap.dedent(
        """
        defmodule MyApp.SomeTest do
          use ExUnit.Case, async: true
          @moduletag :smoke

          defmodule Helper do
            defstruct [:a]
          end

          @tag timeout: 1_000
          @tag :slow
          test "slow one", %{} do
            :ok
          end

          describe "a \\"quoted\\" group" do
            @describetag integration: true
            test "inside", do: :ok
          end

          # test "commented out"
          test "pending"

          property "a property" do
          end
        end
        """
    )
    tests = parse_test_file(text, "test/some_test.exs")
    assert [(t.nodeid, t.tags, t.line) for t in tests] == [
        ("test/some_test.exs::slow one", ("smoke", "slow"), 12),
        ('test/some_test.exs::a "quoted" group::inside', ("smoke", "integration"), 18),
        ("test/some_test.exs::pending", ("smoke",), 22),
        ("test/some_test.exs::a property", ("smoke",), 24),
    ]
    assert {t.module for t in tests} == {"MyApp.SomeTest"}


def test_exunit_default_excludes_in_their_forms(tmp_path: Path) -> None:
    write(tmp_path, "mix.exs", "defmodule X.MixProject do\nend\n")
    write(
        tmp_path,
        "test/test_helper.exs",
        """
        ExUnit.configure(exclude: [integration: true, type: :db], include: [:wip])
        ExUnit.start(exclude: :slow)
        """,
    )
    (project,) = find_mix_projects(tmp_path)
    assert project.excludes == ("integration", "type:db", "slow")
    assert project.includes == ("wip",)


def test_the_elixir_sample_as_discovery_reads_it() -> None:
    root = SAMPLES / "elixir_taskqueue"
    view = discover_mix(MixProject(root=root, repo_root=root, excludes=("slow",)))
    assert len(view.tests) == 19
    assert view.used == {"balance": 2, "slow": 1, "smoke": 11}
    folders = {s.name: (s.tests, view.excluded_in(s)) for s in view.suites if s.kind == "folder"}
    assert folders == {"test/smoke": (11, 1), "test/task_queue": (8, 0)}
    assert len(view.unmarked) == 8


def test_failure_headlines_of_pytest_and_exunit() -> None:
    assert failure_headline("def t():\n>   assert 1 == 2\nE   assert 1 == 2\nx.py:3") == (
        "assert 1 == 2"
    )
    exunit = (
        "  1) test adds (MathTest)\n     test/math_test.exs:5\n     Assertion with == failed\n"
        "     code:  assert 1 + 1 == 3\n     left:  2\n     right: 3\n     stacktrace:\n"
        "       test/math_test.exs:6: (test)\n"
    )
    assert failure_headline(exunit) == "Assertion with == failed (left: 2, right: 3)"
    raised = "  1) test x (T)\n     test/t.exs:2\n     ** (RuntimeError) boom\n     stacktrace:\n"
    assert failure_headline(raised) == "** (RuntimeError) boom"
