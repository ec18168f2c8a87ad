"""Helpers shared by the tests: real git repositories, the real CLI, process checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent / "samples"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "gateui tests",
    "GIT_AUTHOR_EMAIL": "tests@gateui.invalid",
    "GIT_COMMITTER_NAME": "gateui tests",
    "GIT_COMMITTER_EMAIL": "tests@gateui.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def init_repo(path: Path) -> Path:
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def run_cli(args: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> CliResult:
    """The real ``gateui`` console entry point, in a subprocess, as a user runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "gateui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        timeout=240,
    )
    return CliResult(result.returncode, result.stdout, result.stderr)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose; it only waits for its parent to reap it.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # reaped between the two looks
        return False


def without_privileges(args: Sequence[str]) -> list[str]:
    """``args`` run so that file permissions bind, also for root (which ``chmod`` alone does not
    stop): as root, with the capabilities that override them dropped (``setpriv``). Raises
    ``LookupError`` (for a skip) when neither is possible here."""
    if os.geteuid() != 0:
        return list(args)
    import shutil

    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise LookupError("running as root without setpriv: chmod cannot make a file unwritable")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *args]


def gate_report(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """``gateui gate --json ARGS`` in ``repo``: its exit code and its report."""
    result = run_cli(["gate", "--json", *args], repo, env)
    assert result.stdout.strip(), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return result.code, data


def run_cli_unprivileged(args: Sequence[str], cwd: Path) -> CliResult:
    """``run_cli`` with file permissions binding (see ``without_privileges``)."""
    result = subprocess.run(
        without_privileges([sys.executable, "-m", "gateui", *args]),
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=240,
    )
    return CliResult(result.returncode, result.stdout, result.stderr)


def small_repo(root: Path, failing: bool = False) -> Path:
    """A two-test Python repository (one test fails with ``failing``), committed."""
    (root / "src").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["src"]\n'
    )
    (root / "src" / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    verdict = "assert add(1, 1) == 3" if failing else "assert add(1, 1) == 2"
    (root / "tests" / "test_calc.py").write_text(
        f"from calc import add\n\n\ndef test_add():\n    {verdict}\n\n\n"
        "def test_more():\n    assert add(2, 2) == 4\n"
    )
    return init_repo(root)


def steps_repo(root: Path, steps: str, tests: str, conftest: str = "") -> Path:
    """A repository with a package ``heavy`` (its ``steps.py`` is ``steps``), one test file
    ``tests/test_steps.py`` (``tests``) and an optional ``tests/conftest.py``, committed."""
    (root / "tests").mkdir(parents=True)
    (root / "heavy").mkdir()
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\npythonpath = .\n")
    (root / ".gitignore").write_text(".gateui/\n")
    (root / "heavy" / "__init__.py").write_text("")
    (root / "heavy" / "steps.py").write_text(steps)
    (root / "tests" / "test_steps.py").write_text(tests)
    if conftest:
        (root / "tests" / "conftest.py").write_text(conftest)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def edit_once(repo: Path, rel: str, old: str, new: str) -> None:
    """Replace ``old``, found exactly once in ``rel``, with ``new``."""
    path = repo / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {rel}"
    path.write_text(text.replace(old, new))


def failing_in_full_run(repo: Path) -> set[str]:
    """The ground truth: what a plain full pytest run of the edited tree finds failing."""
    report = repo.parent / "truth.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=repo,
        capture_output=True,
        timeout=300,  # a guard against a hang
        check=False,
    )
    found = set()
    for case in ET.parse(report).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            classname, name = case.get("classname", ""), case.get("name", "")
            if not classname:  # a collection error: the module is the name
                found.add(name.replace(".", "/") + ".py")
            else:
                found.add(f"{classname.replace('.', '/')}.py::{name}")
    return found


def worktrees_listed(repo: Path) -> int:
    """How many worktrees git lists; 0 while git cannot list them (one half made: git writes a
    worktree's administrative files one after another, and a reader may come in between)."""
    try:
        return git(repo, "worktree", "list", "--porcelain").count("worktree ")
    except subprocess.CalledProcessError:
        return 0


def assert_no_worktree_left(repo: Path) -> None:
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    admin = repo / ".git" / "worktrees"
    assert not admin.exists() or not any(admin.iterdir())


def throwaway_venv(where: Path) -> tuple[Path, Path]:
    """A venv of its own (its site-packages to write into) that sees gateui's test packages."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120
    )
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    site = Path(purelib)
    (site / "gateui_tests_base.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, site


def write_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


SLOW_TEST = """
import os, pathlib, time

def test_slow():
    pathlib.Path(os.environ["GATEUI_TEST_STARTED"]).write_text(str(os.getpid()))
    time.sleep(600)
"""
"""A test that says it started (its pid in the file ``GATEUI_TEST_STARTED`` names), then
runs until it is stopped."""


def gateui_run_in_a_slow_test(tmp_path: Path) -> tuple[Path, subprocess.Popen[bytes], int]:
    """``gateui run`` of a repository whose last run left the note of its project (so this run
    starts its warm process early), stopped nowhere: the repository, the process, and the pid of
    its test process, once that test has started."""
    quick = {"test_slow.py": "def test_slow():\n    pass\n"}
    repo = init_repo(write_repo(tmp_path / "repo", quick))
    assert run_cli(["run"], repo).code == 0  # the note the next run starts from
    (repo / "test_slow.py").write_text(SLOW_TEST)
    started = tmp_path / "started"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateui", "run"],
        cwd=repo,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "GATEUI_TEST_STARTED": str(started)},
    )
    deadline = time.monotonic() + 120  # against a hang only
    while not (started.exists() and started.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not started.exists():
        proc.kill()
        raise AssertionError("the slow test never started")
    return repo, proc, int(started.read_text())
