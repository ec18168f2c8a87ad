"""Counting and order as CI's plugins do them: a pytest-rerunfailures rerun attempt is not a passed
test; ``gateui gate --seed N`` replays pytest-randomly's and pytest-random-order's own seed and
every ``reproduce:`` line carries it; a random order whose plugin is missing here is not faked.
Real plugins in a throwaway environment, real workflows, the real ``gateui gate``."""

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

PLUGINS = (
    "pytest==9.2.0",
    "pytest-rerunfailures==16.7",
    "pytest-randomly==5.1.0",
    "pytest-random-order==1.2.0",
)

# test_lookup passes only after test_register ran: its result depends on the order.
ORDER_DEPENDENT = """
REGISTRY = []


def test_register():
    REGISTRY.append("csv")


def test_lookup():
    assert REGISTRY == ["csv"]
"""


@pytest.fixture(scope="module")
def plugins_python() -> Path:
    try:
        return target_python(*PLUGINS)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot install {', '.join(PLUGINS)} here: {exc.stderr!r}")


def make_repo(tmp_path: Path, command: str, tests: str, python: Path | None) -> Path:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_mod.py").write_text(textwrap.dedent(tests).lstrip())
    config = f'[tool.gateui]\npython = "{python}"\n' if python else ""
    (repo / "pyproject.toml").write_text(config)
    (repo / ".github" / "workflows").mkdir(parents=True)
    body = textwrap.indent(textwrap.dedent(command).strip("\n"), " " * 10)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - name: Tests\n        run: |\n" + body + "\n"
    )
    return init_repo(repo)


def gate(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    return gate_report(repo, "--no-cache", *args)


def the_step(report: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in report["steps"] if s["name"] == "Tests"]
    assert len(found) == 1, report["steps"]
    return found[0]


def test_a_rerun_attempt_is_not_a_passed_test(tmp_path: Path, plugins_python: Path) -> None:
    # By hand: `pytest -p no:randomly --reruns 2 tests` → "1 failed, 2 passed, 3 rerun":
    # test_flaky fails once then passes, test_broken fails three times.
    tests = """
        import os, pathlib

        def test_ok():
            pass

        def test_flaky():
            marker = pathlib.Path(os.environ["RUNNER_TEMP"]) / "flaky-ran"
            if not marker.exists():
                marker.write_text("1")
                assert False, "the first attempt fails"

        def test_broken():
            assert False
    """
    command = "python -m pytest -p no:randomly --reruns 2 tests"
    repo = make_repo(tmp_path, command, tests, plugins_python)
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    step = the_step(report)
    assert step["tests"] == {"passed": 2, "failed": 1, "skipped": 0, "xfailed": 0, "errors": 0}
    assert step["pass_rate"] == 66.67
    assert step["failed_tests"] == ["tests/test_mod.py::test_broken"]


def _seeds(python: Path, repo: Path, option: str, *extra: str) -> tuple[int, int]:
    """A seed that runs test_lookup first (it fails), and one that does not."""
    found: dict[bool, int] = {}
    for seed in range(1, 200):
        listed = subprocess.run(
            [str(python), "-m", "pytest", "--collect-only", "-q", *extra, f"{option}={seed}"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found.setdefault(listed.index("test_lookup") < listed.index("test_register"), seed)
        if len(found) == 2:
            return found[True], found[False]
    raise AssertionError("no seed puts the tests in both orders")


def test_seed_replays_pytest_randomlys_own_order(tmp_path: Path, plugins_python: Path) -> None:
    repo = make_repo(tmp_path, "python -m pytest tests", ORDER_DEPENDENT, plugins_python)
    bad, good = _seeds(plugins_python, repo, "--randomly-seed")
    code, report = gate(repo, "--seed", str(bad))
    assert (code, report["verdict"]) == (1, "fail"), report
    step = the_step(report)
    assert step["seed"] == bad
    assert step["reason"].endswith(f"(random order, seed {bad})")
    assert step["reproduce"].endswith(f"tests --randomly-seed={bad}")
    code, report = gate(repo, "--seed", str(good))
    assert (code, report["verdict"]) == (0, "pass"), report
    assert the_step(report)["reproduce"].endswith(f"--randomly-seed={good}")


def test_a_plugin_chosen_seed_is_reported_and_in_the_reproduce_line_of_a_script(
    tmp_path: Path, plugins_python: Path
) -> None:
    # A two-line script: pytest runs inside it, not as a step gateui runs itself.
    command = "echo running the tests\npython -m pytest tests"
    repo = make_repo(tmp_path, command, ORDER_DEPENDENT, plugins_python)
    bad, _ = _seeds(plugins_python, repo, "--randomly-seed")
    code, report = gate(repo, "--seed", str(bad))
    assert (code, report["verdict"]) == (1, "fail"), report
    step = the_step(report)
    assert step["reproduce"].startswith(f"export PYTEST_ADDOPTS=--randomly-seed={bad}; ")
    # Without --seed, the plugin's own seed is reported and replayable.
    code, report = gate(repo)
    step = the_step(report)
    assert isinstance(step["seed"], int)
    assert f"--randomly-seed={step['seed']}" in step["reproduce"]


def test_seed_replays_pytest_random_orders_own_order(tmp_path: Path, plugins_python: Path) -> None:
    command = "python -m pytest -p no:randomly --random-order tests"
    repo = make_repo(tmp_path, command, ORDER_DEPENDENT, plugins_python)
    bad, good = _seeds(
        plugins_python, repo, "--random-order-seed", "-p", "no:randomly", "--random-order"
    )
    code, report = gate(repo, "--seed", str(bad))
    assert (code, report["verdict"]) == (1, "fail"), report
    assert the_step(report)["reproduce"].endswith(f"--random-order-seed={bad}")
    code, report = gate(repo, "--seed", str(good))
    assert (code, report["verdict"]) == (0, "pass"), report


def test_a_random_order_whose_plugin_is_missing_is_not_faked(tmp_path: Path) -> None:
    # gateui's own interpreter has no pytest-random-order: CI's order cannot be reproduced.
    if importlib.util.find_spec("random_order") is not None:
        pytest.skip("pytest-random-order is installed beside gateui")
    repo = make_repo(tmp_path, "python -m pytest --random-order tests", ORDER_DEPENDENT, None)
    code, report = gate(repo, "--seed", "1")
    assert (code, report["verdict"]) == (3, "partial"), report
    step = the_step(report)
    assert step["verdict"] == "not-reproduced"
    assert "CI runs the tests in a random order (--random-order)" in step["why"]
    assert "seed" not in step  # gateui did not shuffle them itself
    assert not any("shuffled" in w for w in step["warnings"])
