"""A broken project environment is named as such, and a collection error says what is wrong.

Never a silent fall-back to gateui's own interpreter (the tests would "pass" in the wrong
environment), and never a "collection error in pyproject.toml".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_cli, small_repo

pytestmark = pytest.mark.integration


def broken_venv(repo: Path) -> Path:
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "pyvenv.cfg").write_text("home = /nowhere/bin\n")
    return repo / ".venv" / "bin" / "python"


@pytest.mark.parametrize("command", [["run"], ["discover"]])
def test_a_dangling_venv_python_is_named_not_replaced(tmp_path: Path, command: list[str]) -> None:
    repo = small_repo(tmp_path / "repo")
    os.symlink("/nowhere/bin/python3.99", broken_venv(repo))

    result = run_cli(command, repo)

    assert result.code == 2, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert "dangling link to /nowhere/bin/python3.99" in said
    assert "passed" not in result.stdout  # the tests did not run in gateui's interpreter
    assert "collection error" not in said


def test_an_interpreter_that_exits_at_once_is_named(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    python = broken_venv(repo)
    python.write_text("#!/bin/sh\necho 'cannot find the standard library' >&2\nexit 3\n")
    python.chmod(0o755)

    result = run_cli(["run"], repo)

    assert result.code == 2, result.stdout + result.stderr
    assert "exited with status 3 before pytest started" in result.stderr
    assert "cannot find the standard library" in result.stderr
    assert "collection error" not in result.stdout + result.stderr


def test_an_interpreter_whose_pytest_fails_to_import_names_the_exception_and_its_place(
    tmp_path: Path,
) -> None:
    repo = small_repo(tmp_path / "repo")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    (site,) = (repo / ".venv" / "lib").glob("python3.*/site-packages")
    # A pytest of another age: its import fails three frames deep, under a long path.
    legacy = site / "pytest" / "_legacy"
    legacy.mkdir(parents=True)
    (site / "pytest" / "__init__.py").write_text("from pytest._legacy import compat\n")
    (legacy / "__init__.py").write_text("")
    (legacy / "compat.py").write_text("import os\n\nfrom UserDict import DictMixin\n")

    for command in (["run"], ["discover"]):
        result = run_cli(command, repo)
        assert result.code == 2, result.stdout + result.stderr
        assert (
            "before pytest started: ModuleNotFoundError: No module named 'UserDict' "
            f"(at {legacy / 'compat.py'}:3)"
        ) in result.stdout + result.stderr


def test_a_syntax_error_names_the_exception_not_just_the_place(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    (repo / "tests" / "test_broken.py").write_text("def test_x(:\n    pass\n")

    for command in (["run"], ["discover"]):
        result = run_cli(command, repo)
        lines = [line for line in result.stdout.splitlines() if "test_broken.py" in line]
        assert any("SyntaxError" in line for line in lines), result.stdout


def test_discover_reports_a_workflow_that_does_not_parse(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: [pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: pytest\n     - run: misindented\n"
    )
    small_repo(repo)

    plain = run_cli(["discover"], repo)
    as_json = json.loads(run_cli(["discover", "--json"], repo).stdout)

    assert ".github/workflows/ci.yml:7" in plain.stdout
    assert "invalid YAML" in plain.stdout
    assert "no CI workflow found" not in plain.stdout
    assert any(
        ".github/workflows/ci.yml:7" in step["command"] + step.get("reason", "") + step["origin"]
        for step in as_json["gate"]["steps"]
    ), as_json["gate"]
