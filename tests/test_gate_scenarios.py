"""Realistic repositories with real workflows, each gated by the real ``gateui gate``.

Every scenario records the verdict CI gives, found by running the workflow's steps by hand in a
clean clone as the runner does (``bash -e {0}`` for a plain ``run:``, ``bash --noprofile --norc
-eo pipefail {0}`` for ``shell: bash``, ``if:`` / ``continue-on-error`` / ``needs`` honoured, the
tools CI installs taken as installed). The comment above each scenario says which commands were
run and what exit status each gave; where a tool CI installs is missing on this machine, the step
cannot be reproduced and the expected verdict is ``partial``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers import gate_report, init_repo

pytestmark = pytest.mark.integration

CALC = """
def add(a, b):
    return a + b
"""
TESTS = """
from calc import add


def test_add():
    assert add(2, 2) == 4


def test_add_negative():
    assert add(-1, 1) == 0
"""
BROKEN_TEST = """

def test_add_strings():
    assert add("a", "b") == "ab "
"""
SCRIPTS_TEST = """#!/usr/bin/env bash
# The project's test entry point (CI runs it as `scripts/test`).
set -euo pipefail
python -m pytest -q tests "$@"
"""

# -- the project whose CI test step is `scripts/test` ----------------------------------------------
SCRIPTS_PROJECT = {
    "calc.py": CALC,
    "tests/test_calc.py": TESTS,
    "scripts/test": SCRIPTS_TEST,
    "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n",
    ".github/workflows/ci.yml": """
        name: ci
        on:
          pull_request:
        jobs:
          lint:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.11"
              - run: pip install ruff
              - run: ruff check .
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.11"
                  cache: pip
              - uses: actions/cache@v4
                with:
                  path: ~/.cache/pip
                  key: pip
              - run: pip install pytest
              - name: Test
                run: scripts/test
              - uses: actions/upload-artifact@v4
                if: always()
                with:
                  name: logs
                  path: logs/
    """,
}


def make_repo(tmp_path: Path, files: dict[str, str], name: str = "project") -> Path:
    repo = tmp_path / name
    for path, text in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip())
        if path.startswith("scripts/"):
            target.chmod(0o755)
    return init_repo(repo)


def gate(repo: Path) -> tuple[int, dict[str, Any]]:
    return gate_report(repo, "--no-cache")


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {step["name"]: step["verdict"] for step in report["steps"]}


def test_a_project_test_script_named_test_runs_and_fails_the_gate(tmp_path: Path) -> None:
    # By hand, in a clean clone: `bash -e` of `ruff check .` → 0; `bash -e` of `scripts/test`
    # → 1 (test_add_strings fails). CI: the lint job passes, the test job fails → fail.
    # (gateui once took `scripts/test` for the shell builtin `test`, skipped it, and said PASS.)
    repo = make_repo(tmp_path, {**SCRIPTS_PROJECT, "tests/test_calc.py": TESTS + BROKEN_TEST})
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    steps = verdicts(report)
    assert steps["Run ruff check ."] == "pass"
    assert steps["Test"] == "fail"
    test = next(s for s in report["steps"] if s["name"] == "Test")
    assert test["failed_tests"] == ["tests/test_calc.py::test_add_strings"]
    # Environment steps are left out without making the verdict partial.
    for name in (
        "Run actions/checkout@v4",
        "Run actions/setup-python@v5",
        "Run actions/cache@v4",
        "Run pip install pytest",
    ):
        assert steps[name] == "skipped", name
    # The upload runs after the failure (if: always()), as on CI; there are no logs to keep.
    assert steps["Run actions/upload-artifact@v4"] == "pass"
    assert report["not_reproduced"] == []


def test_the_same_project_passes_when_its_tests_pass(tmp_path: Path) -> None:
    # By hand: `ruff check .` → 0; `scripts/test` → 0. CI: pass. Nothing is left unreproduced:
    # checkout, setup-python, cache, pip install and upload-artifact are the environment.
    repo = make_repo(tmp_path, SCRIPTS_PROJECT)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    assert not any("do not run here" in w for w in report["warnings"])


LINT_PROJECT = {
    "calc.py": "import os\n" + CALC,
    "tests/test_calc.py": TESTS,
    "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n",
    ".github/workflows/checks.yml": """
        on: pull_request
        jobs:
          lint:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: pip install ruff mypy
              - name: Lint
                run: ruff check .
              - name: Format
                run: ruff format --check .
          tests:
            needs: [lint]
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: python -m pytest -q
    """,
}


def test_lint_runs_and_a_job_that_needs_it_is_skipped_when_it_fails(tmp_path: Path) -> None:
    # By hand: `bash -e` of `ruff check .` → 1 (2 errors, among them F401 `os` imported but
    # unused); the next step of the job is not run (a failed step ends the job); the `tests` job
    # needs `lint`, so CI skips it. CI: fail.
    repo = make_repo(tmp_path, LINT_PROJECT)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    steps = {s["name"]: s for s in report["steps"]}
    assert steps["Lint"]["verdict"] == "fail"
    assert "F401" in "\n".join(steps["Lint"]["output_tail"])
    assert steps["Format"]["verdict"] == "skipped"
    assert steps["Run python -m pytest -q"]["verdict"] == "skipped"
    assert "the job it needs (lint) failed" in steps["Run python -m pytest -q"]["reason"]


MISSING_TOOLS = {
    "calc.py": CALC,
    "tests/test_calc.py": TESTS,
    "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n",
    ".github/workflows/ci.yml": """
        on: pull_request
        jobs:
          checks:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - run: pip install flake8 tox tox-uv
              - name: flake8
                run: flake8 .
              - name: tox via uvx
                run: uvx --with=tox-uv tox run -e py311-tests
              - name: flake8 as a module
                run: python -m flake8 --count .
              - name: tests
                run: python -m pytest -q
              - name: third-party check
                uses: example-org/license-check@v2
    """,
}


def test_a_tool_that_is_not_installed_here_makes_the_verdict_partial(tmp_path: Path) -> None:
    # By hand, on this machine: `bash -e` of `flake8 .` → 127 (flake8: command not found); of
    # `uvx --with=tox-uv tox run -e py311-tests` → 127 (uvx: command not found); of
    # `python -m flake8 --count .` → 1 ("No module named flake8"); `python -m pytest -q` → 0.
    # On CI `pip install flake8 tox tox-uv` provides them (and uvx comes with the runner's
    # tools), and the license-check action runs there only: none of these can be told here.
    # Expected: partial, exit 3, each named with why and what would reproduce it.
    repo = make_repo(tmp_path, MISSING_TOOLS)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (3, "partial"), report
    steps = {s["name"]: s for s in report["steps"]}
    assert steps["flake8"]["verdict"] == "not-reproduced"
    assert steps["flake8"]["reason"] == "flake8 not found here; install it to check this step"
    assert steps["tox via uvx"]["verdict"] == "not-reproduced"
    assert steps["tox via uvx"]["reason"].startswith("uvx not found here")
    assert steps["flake8 as a module"]["verdict"] == "not-reproduced"
    assert "flake8 is not installed in" in steps["flake8 as a module"]["reason"]
    assert steps["tests"]["verdict"] == "pass"
    assert steps["third-party check"]["verdict"] == "not-reproduced"
    listed = {item["name"]: item for item in report["not_reproduced"]}
    assert set(listed) == {"flake8", "tox via uvx", "flake8 as a module", "third-party check"}
    assert listed["flake8"]["to_reproduce"] == "install it to check this step"
    assert "runs only on GitHub" in listed["third-party check"]["why"]
    assert listed["third-party check"]["to_reproduce"]
    assert report["reason"].startswith("1 step(s) passed; 4 not reproduced here: flake8")


SEMANTICS = {
    "report.py": """
        import sys
        print("checked", sys.argv[1:])
    """,
    "validate.json": '{"ok": true}\n',
    "scripts/validate.sh": """#!/usr/bin/env bash
        set -e
        python -c "import json; json.load(open('validate.json'))"
        echo valid
    """,
    ".github/workflows/ci.yml": """
        on: pull_request
        jobs:
          shells:
            runs-on: ubuntu-latest
            steps:
              - name: default shell ignores a failure inside a pipeline
                run: false | cat
              - name: validate
                run: ./scripts/validate.sh
              - name: allowed to fail
                continue-on-error: true
                run: exit 4
              - name: only after a failure
                if: failure()
                run: exit 9
              - name: on push only
                if: github.event_name == 'push'
                run: exit 9
              - name: publish
                run: |
                  python -m build
                  twine upload dist/*
              - name: needs a secret
                env:
                  API_KEY: ${{ secrets.API_KEY }}
                run: python report.py
              - name: bash with pipefail
                shell: bash
                run: false | cat
              - name: after the failure
                run: echo never
              - name: always
                if: always()
                run: python report.py always >> "$GITHUB_STEP_SUMMARY"
    """,
}


def test_shell_semantics_conditions_publishing_and_secrets_as_on_the_runner(
    tmp_path: Path,
) -> None:
    # By hand: `bash -e` of `false | cat` → 0 (no pipefail); `./scripts/validate.sh` → 0;
    # `exit 4` → 4 but continue-on-error; `if: failure()` is false so far; `if: github.event_name
    # == 'push'` is false on a PR; the publish step uploads (never run from here, CI's verdict
    # on a PR does not hang on it); the secret step is left out; `bash --noprofile --norc -eo
    # pipefail` of `false | cat` → 1; `echo never` is then skipped; `always()` runs → 0.
    # CI: fail, on "bash with pipefail".
    repo = make_repo(tmp_path, SEMANTICS)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    steps = {s["name"]: s for s in report["steps"]}
    expected = {
        "default shell ignores a failure inside a pipeline": "pass",
        "validate": "pass",
        "allowed to fail": "pass",
        "only after a failure": "skipped",
        "on push only": "skipped",
        "publish": "skipped",
        "needs a secret": "skipped",
        "bash with pipefail": "fail",
        "after the failure": "skipped",
        "always": "pass",
    }
    assert {name: steps[name]["verdict"] for name in expected} == expected
    assert "continue-on-error" in steps["allowed to fail"]["reason"]
    assert "publishing (twine upload)" in steps["publish"]["reason"]
    assert "secrets.API_KEY" in steps["needs a secret"]["reason"]
    assert report["reason"].startswith("bash with pipefail: exit 1")


PASS_RATE = {
    "calc.py": CALC,
    "tests/test_calc.py": TESTS + BROKEN_TEST,
    "manage.py": """
        import sys
        import unittest

        if sys.argv[1:] == ["test"]:
            suite = unittest.defaultTestLoader.discover("checks")
            result = unittest.TextTestRunner().run(suite)
            sys.exit(0 if result.wasSuccessful() else 1)
    """,
    "checks/test_manage.py": """
        import unittest


        class T(unittest.TestCase):
            def test_ok(self):
                self.assertEqual(1 + 1, 2)
    """,
    "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = ['.']\n",
    ".github/workflows/ci.yml": """
        on: pull_request
        jobs:
          tests:
            runs-on: ubuntu-latest
            steps:
              - name: django-style tests
                run: python manage.py test
              - name: suite
                continue-on-error: true
                run: python -m pytest -q --junitxml=report.xml
              - name: pass rate at least 60%
                run: |
                  pip install --quiet defusedxml
                  python - <<'EOF'
                  import sys
                  import xml.etree.ElementTree as ET
                  suite = ET.parse("report.xml").getroot().find("testsuite")
                  total = int(suite.get("tests"))
                  bad = int(suite.get("failures")) + int(suite.get("errors"))
                  rate = 100 * (total - bad) / total
                  print(f"pass rate {rate:.1f}%")
                  sys.exit(0 if rate >= 60 else 1)
                  EOF
    """,
}


def test_manage_py_test_and_a_pass_rate_checker_in_a_heredoc_run(tmp_path: Path) -> None:
    # By hand: `python manage.py test` → 0 (1 test OK); `python -m pytest -q
    # --junitxml=report.xml` → 1 (3 passed, 1 failed) but continue-on-error; the heredoc step
    # (its `pip install` is environment setup, left to the environment) → 0: 75.0% ≥ 60%.
    # CI: pass.
    repo = make_repo(tmp_path, PASS_RATE)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    steps = {s["name"]: s for s in report["steps"]}
    assert steps["django-style tests"]["verdict"] == "pass"
    assert steps["suite"]["tests"]["failed"] == 1
    assert steps["pass rate at least 60%"]["verdict"] == "pass"

    # Raise the floor: the heredoc exits 1 (75.0% < 90%) → CI fails.
    workflow = repo / ".github/workflows/ci.yml"
    workflow.write_text(workflow.read_text().replace("rate >= 60", "rate >= 90"))
    init_commit(repo)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert verdicts(report)["pass rate at least 60%"] == "fail"


def init_commit(repo: Path) -> None:
    from helpers import git

    git(repo, "commit", "-q", "-am", "change")


INVALID = {
    ".github/workflows/broken.yml": """
        on: pull_request
        jobs:
          t:
            runs-on: ubuntu-latest
            steps:
              - run: echo "unclosed
                  name: x
                - run: true
    """,
}


@pytest.mark.parametrize(
    ("files", "where", "words"),
    [
        pytest.param(INVALID, ".github/workflows/broken.yml:7", "invalid YAML", id="yaml"),
        pytest.param(
            {
                ".github/workflows/schema.yml": """
                    on: pull_request
                    jobs:
                      t:
                        steps:
                          - run: true
                      u:
                        runs-on: ubuntu-latest
                        steps:
                          - run: true
                            uses: actions/checkout@v4
                """
            },
            ".github/workflows/schema.yml:3",
            "runs-on is required",
            id="schema",
        ),
        pytest.param(
            {
                ".github/workflows/caller.yml": """
                    on: pull_request
                    jobs:
                      call:
                        uses: ./.github/workflows/missing.yml
                """
            },
            ".github/workflows/caller.yml:3",
            "the reusable workflow ./.github/workflows/missing.yml does not exist",
            id="missing-reusable",
        ),
    ],
)
def test_an_invalid_workflow_file_fails_the_gate_naming_file_and_line(
    tmp_path: Path, files: dict[str, str], where: str, words: str
) -> None:
    # GitHub runs nothing of such a file and reports a failed check ("Invalid workflow file");
    # by hand: `python -c "import yaml; yaml.safe_load(open(F))"` raises at line 7 for the YAML
    # case; the schema case has a job without runs-on (line 3) and a step with both run and uses.
    repo = make_repo(tmp_path, {"README.md": "x\n", **files})
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert where in report["reason"]
    assert words in report["reason"]


def test_a_working_directory_that_does_not_exist_fails(tmp_path: Path) -> None:
    # By hand: `cd backend` → 1 (no such directory): the runner fails the step before running
    # it. CI: fail, naming the folder.
    repo = make_repo(
        tmp_path,
        {
            ".github/workflows/ci.yml": """
                on: pull_request
                jobs:
                  t:
                    runs-on: ubuntu-latest
                    defaults:
                      run:
                        working-directory: backend
                    steps:
                      - run: python -c "print('hi')"
            """
        },
    )
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert "working directory backend does not exist" in report["reason"]
