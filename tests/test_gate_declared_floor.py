"""A declared ``cov_fail_under`` applies over inferred steps too (the stricter floor wins, as the
README says), and a floor that cannot be checked here is never a pass. Real pytest-cov in a
throwaway environment, real workflows, the real ``gateui gate``."""

from __future__ import annotations

import importlib.util
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from helpers import gate_report, init_repo
from target_envs import target_python

pytestmark = pytest.mark.integration

COV = ("pytest==9.2.0", "pytest-cov==7.1.0")
WORKFLOW = """
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Tests
        run: python -m pytest --cov=pkg tests
"""


@pytest.fixture(scope="module")
def cov_python() -> Path:
    try:
        return target_python(*COV)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot install {', '.join(COV)} here: {exc.stderr!r}")


def make_repo(tmp_path: Path, python: Path | None, floor: str) -> Path:
    """Half of pkg/calc.py is covered by its tests."""
    repo = tmp_path / "repo"
    files = {
        ".github/workflows/ci.yml": WORKFLOW,
        "pkg/__init__.py": "",
        "pkg/calc.py": "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n",
        "tests/test_calc.py": "from pkg.calc import add\n\n\ndef test_add():\n"
        "    assert add(1, 2) == 3\n",
        "pyproject.toml": (f'[tool.gateui]\npython = "{python}"\n' if python else "")
        + '[tool.pytest.ini_options]\npythonpath = ["."]\n'
        + (f"[tool.gateui.gate]\ncov_fail_under = {floor}\n" if floor else ""),
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(textwrap.dedent(text))
    return init_repo(repo)


def gate(repo: Path) -> tuple[int, dict[str, Any]]:
    return gate_report(repo, "--no-cache")


def the_step(report: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in report["steps"] if s["name"] == "Tests"]
    assert len(found) == 1, report["steps"]
    return found[0]


def test_without_a_declared_floor_the_ci_step_passes(tmp_path: Path, cov_python: Path) -> None:
    code, report = gate(make_repo(tmp_path, cov_python, ""))
    assert (code, report["verdict"]) == (0, "pass"), report


def test_a_declared_floor_fails_an_inferred_step_under_it(tmp_path: Path, cov_python: Path) -> None:
    code, report = gate(make_repo(tmp_path, cov_python, "90"))
    assert (code, report["verdict"]) == (1, "fail"), report
    step = the_step(report)
    assert "--cov-fail-under=90" in step["reproduce"]
    assert any("coverage" in w and "< 90" in w for w in step["warnings"]), step


def test_a_declared_floor_without_pytest_cov_here_is_partial_never_a_pass(
    tmp_path: Path,
) -> None:
    if importlib.util.find_spec("pytest_cov") is not None:
        pytest.skip("pytest-cov is installed beside gateui")
    code, report = gate(make_repo(tmp_path, None, "90"))
    assert (code, report["verdict"]) == (3, "partial"), report
    step = the_step(report)
    assert step["verdict"] == "not-reproduced"
    assert "the coverage floor of 90% is not checked: pytest-cov is not installed" in step["why"]
