"""Affected selection on repositories as they are: a virtual environment git does not ignore,
installed packages with tests of their own, files outside testpaths, tests that write caches or
probe missing files, collection errors, narrowed scopes, branch switches and stashes.

Real git repositories, the real CLI in a subprocess, real pytest runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import CliResult, git, steps_repo

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]
Sample = Callable[[str], Path]


def events(cli: Cli, repo: Path, *args: str) -> tuple[CliResult, list[dict[str, object]]]:
    result = cli(["run", "--affected", "--json", *args], repo)
    return result, result.json_lines()


def outcomes(found: list[dict[str, object]]) -> dict[str, object]:
    """node id → outcome of every test an affected run ran."""
    return {str(e["nodeid"]): e["outcome"] for e in found if e["event"] == "test"}


def edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def lab_without_ignored_venv(sample_repo: Sample) -> Path:
    """The selection lab whose .gitignore does not list its .venv (Python 3.11's venv writes
    no .gitignore of its own), with a real venv inside that runs the project's tests."""
    repo = sample_repo("selection_lab")
    (repo / ".gitignore").write_text("__pycache__/\n.gateui/\n")
    commit_all(repo, "the venv is not ignored")
    venv = repo / ".venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    # pytest (and gateui's plugin needs) come from the interpreter running these tests.
    (site / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = site / "fakepkg" / "tests"
    installed.mkdir(parents=True)
    (site / "fakepkg" / "__init__.py").write_text("")
    # An installed package's own test, which cannot even be imported here.
    (installed / "test_fake.py").write_text(
        "import fakepkg_build_only_dependency\n\ndef test_fake():\n    pass\n"
    )
    assert "?? .venv/" in git(repo, "status", "--porcelain")
    return repo


def test_a_venv_git_does_not_ignore_is_not_part_of_the_change(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = lab_without_ignored_venv(sample_repo)
    assert cli(["run"], repo).code == 0
    edit(repo, "src/lab/util.py", "return x / 2", "return x / 3")
    result, found = events(cli, repo)
    # The project's affected test ran and its failure was found; nothing of the venv ran.
    assert outcomes(found) == {"tests/test_util.py::test_halve": "failed"}, result.stdout
    assert not [e for e in found if e["event"] == "collection_error"]
    assert result.code == 1
    header = cli(["run", "--affected"], repo).stdout.splitlines()[0]
    assert header.startswith("changed: src/lab/util.py → selected:"), header
    assert ".venv" not in header


def test_a_link_to_a_venv_git_does_not_ignore_is_not_part_of_the_change(
    sample_repo: Sample, cli: Cli, tmp_path: Path
) -> None:
    """The venv made elsewhere and linked as ``.venv``: git lists the link as a file."""
    repo = lab_without_ignored_venv(sample_repo)
    elsewhere = tmp_path / "envs" / "lab"
    elsewhere.parent.mkdir()
    (repo / ".venv").rename(elsewhere)
    (repo / ".venv").symlink_to(elsewhere, target_is_directory=True)
    assert "?? .venv\n" in git(repo, "status", "--porcelain")
    assert cli(["run"], repo).code == 0
    edit(repo, "src/lab/util.py", "return x / 2", "return x / 3")
    header = cli(["run", "--affected"], repo).stdout.splitlines()[0]
    assert header.startswith("changed: src/lab/util.py → selected:"), header
    assert ".venv" not in header


def test_discovery_never_collects_an_installed_packages_tests(tmp_path: Path, cli: Cli) -> None:
    # `pip install --target vendor/site-packages`: installed packages outside any venv, and a
    # norecursedirs that replaced pytest's defaults.
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "pytest.ini").write_text("[pytest]\nnorecursedirs = docs\n")
    (repo / "tests" / "test_own.py").write_text("def test_own():\n    pass\n")
    vendored = repo / "vendor" / "site-packages" / "fakepkg" / "tests"
    vendored.mkdir(parents=True)
    (vendored / "test_vendored.py").write_text("import missing_dependency\n\ndef test_v(): pass\n")
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "initial")
    result = cli(["discover", "--json"], repo)
    assert result.code == 0, result.stderr
    (project,) = json.loads(result.stdout)["projects"]
    assert project["tests"] == 1
    assert project["collection_errors"] == []
    # And a plain run collects only the project's tests too.
    run = cli(["run", "--json"], repo)
    assert run.code == 0, run.stdout
    assert outcomes(run.json_lines()) == {"tests/test_own.py::test_own": "passed"}


def test_a_collection_error_in_one_selected_file_does_not_hide_the_rest(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("selection_lab")
    assert cli(["run"], repo).code == 0
    edit(repo, "src/lab/util.py", "return x / 2", "return x / 3")
    edit(repo, "tests/test_core.py", "\n", "\nimport a_module_that_is_not_there\n")
    result, found = events(cli, repo)
    assert result.code == 1
    assert outcomes(found)["tests/test_util.py::test_halve"] == "failed"
    errors = [e["where"] for e in found if e["event"] == "collection_error"]
    assert errors == ["tests/test_core.py"]


def test_an_affected_run_that_ran_nothing_is_never_green(sample_repo: Sample, cli: Cli) -> None:
    repo = sample_repo("selection_lab")
    assert cli(["run"], repo).code == 0
    # The only affected file cannot be imported: reported as a failure of that file.
    edit(repo, "tests/test_core.py", "\n", "\nimport a_module_that_is_not_there\n")
    result, found = events(cli, repo)
    assert result.code == 1, result.stdout
    assert outcomes(found) == {}
    assert [e["where"] for e in found if e["event"] == "collection_error"] == ["tests/test_core.py"]
    git(repo, "checkout", "-q", "tests/test_core.py")
    # A hook drops every collected test: nothing ran, and the run says so instead of passing.
    (repo / "tests" / "conftest.py").write_text(
        (repo / "tests" / "conftest.py").read_text()
        + "\n\ndef pytest_collection_modifyitems(items):\n    items.clear()\n"
    )
    edit(repo, "src/lab/util.py", "return x / 2", "return x / 3")
    result = cli(["run", "--affected"], repo)
    assert result.code == 1, result.stdout + result.stderr
    assert "the affected tests could not be run: pytest ran none of them" in result.stderr


def test_files_outside_testpaths_are_never_selected(sample_repo: Sample, cli: Cli) -> None:
    repo = sample_repo("selection_lab")
    bench = repo / "bench"
    bench.mkdir()
    # A benchmark named like a test, importing the code and a tool only benchmarks have.
    (bench / "test_speed.py").write_text(
        "import benchmark_only_tool\nfrom lab.util import halve\n\ndef test_speed():\n"
        "    halve(4)\n"
    )
    commit_all(repo, "benchmarks")
    assert cli(["run"], repo).code == 0
    edit(repo, "src/lab/util.py", "return x / 2", "return x / 3")
    result, found = events(cli, repo)
    assert outcomes(found) == {"tests/test_util.py::test_halve": "failed"}
    assert not [e for e in found if e["event"] == "collection_error"], result.stdout
    # A change to the benchmark itself selects nothing either.
    git(repo, "checkout", "-q", "src/lab/util.py")
    assert cli(["run"], repo).code == 0
    edit(repo, "bench/test_speed.py", "halve(4)", "halve(8)")
    result, found = events(cli, repo)
    assert result.code == 0, result.stdout
    assert outcomes(found) == {}


PROBES = """\
import os
import random
from pathlib import Path

HERE = Path(__file__).parent.parent


def test_probes_a_missing_file():
    assert not (HERE / "local_overrides.toml").exists()
    try:
        open(HERE / "optional.cfg")
    except OSError:
        pass


def test_writes_a_cache_and_reads_it():
    cache = HERE / ".hypothesis" / "examples"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "db").write_text(str(random.random()))
    assert (cache / "db").read_text()


def test_reads_an_ignored_scratch_file():
    scratch = HERE / "scratch.out"
    scratch.write_text(str(random.random()))
    assert scratch.read_text()


def test_opens_a_pseudo_path():
    try:
        open(os.path.join(str(HERE), "<unknown>"))
    except OSError:
        pass


def test_reads_data():
    assert (HERE / "data.txt").read_text() == "1\\n"
"""


def test_recorded_reads_are_only_real_project_files(tmp_path: Path, cli: Cli) -> None:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (repo / ".gitignore").write_text("scratch.out\n.gateui/\n")
    (repo / "data.txt").write_text("1\n")
    (repo / "tests" / "test_probes.py").write_text(PROBES)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "initial")
    assert cli(["run"], repo).code == 0
    # Nothing changed: the tests' caches, scratch files and probes select nothing.
    result, found = events(cli, repo)
    assert result.code == 0, result.stdout
    assert outcomes(found) == {}
    # A real data file still selects its reader.
    (repo / "data.txt").write_text("2\n")
    result, found = events(cli, repo)
    assert outcomes(found) == {"tests/test_probes.py::test_reads_data": "failed"}
    # And a probed file that appears selects the test that looked for it.
    (repo / "data.txt").write_text("1\n")
    assert cli(["run"], repo).code == 0
    (repo / "optional.cfg").write_text("x\n")
    result, found = events(cli, repo)
    assert set(outcomes(found)) == {"tests/test_probes.py::test_probes_a_missing_file"}


def test_nothing_affected_in_the_requested_scope_is_not_a_failure(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("selection_lab")
    assert cli(["run"], repo).code == 0
    # test_halve is affected, and it is no smoke test.
    edit(repo, "src/lab/util.py", "return x / 2", "return x * 0.5")
    result = cli(["run", "--affected", "-m", "smoke"], repo)
    assert result.code == 0, result.stdout + result.stderr
    assert "nothing affected in -m smoke" in result.stdout
    result = cli(["run", "--affected", "smoke"], repo)
    assert result.code == 0, result.stdout + result.stderr
    assert "nothing affected in suite smoke" in result.stdout


def test_recordings_follow_file_versions_across_branches_and_stash(
    sample_repo: Sample, cli: Cli
) -> None:
    repo = sample_repo("selection_lab")
    assert cli(["run"], repo).code == 0
    git(repo, "checkout", "-q", "-b", "feature")
    edit(repo, "src/lab/util.py", "return x / 2", "return x * 0.5")
    commit_all(repo, "halve by multiplication")
    # On the branch, HEAD has the edit; the recording saw main's version: rerun.
    _, found = events(cli, repo)
    assert set(outcomes(found)) == {"tests/test_util.py::test_halve"}
    # The affected run recorded against the branch's version; back on main it differs again.
    git(repo, "checkout", "-q", "main")
    _, found = events(cli, repo)
    assert set(outcomes(found)) == {"tests/test_util.py::test_halve"}
    # A stashed edit: the run saw it, so the stash (back to HEAD) reruns, and so does the pop.
    edit(repo, "src/lab/util.py", "return x / 2", "return x * 0.5")
    _, found = events(cli, repo)
    assert set(outcomes(found)) == {"tests/test_util.py::test_halve"}
    git(repo, "stash", "-q")
    _, found = events(cli, repo)
    assert set(outcomes(found)) == {"tests/test_util.py::test_halve"}
    git(repo, "stash", "pop", "-q")
    _, found = events(cli, repo)
    assert set(outcomes(found)) == {"tests/test_util.py::test_halve"}
    _, found = events(cli, repo)
    assert outcomes(found) == {}


def test_recordings_follow_file_versions_across_a_rebase(sample_repo: Sample, cli: Cli) -> None:
    repo = sample_repo("selection_lab")
    git(repo, "checkout", "-q", "-b", "feature")
    edit(repo, "src/lab/util.py", "return x / 2", "return x * 0.5")
    commit_all(repo, "halve by multiplication")
    assert cli(["run"], repo).code == 0
    # main moves on (another file), and the branch is rebased onto it.
    git(repo, "checkout", "-q", "main")
    edit(repo, "src/lab/core.py", 'return f"value {x}"', 'return f"value: {x}"')
    commit_all(repo, "describe with a colon")
    git(repo, "checkout", "-q", "feature")
    git(repo, "rebase", "-q", "main")
    # The rebased commits are new, the branch's own file is the version recorded: only the
    # file main brought differs from what the tests ran against.
    _, found = events(cli, repo)
    assert outcomes(found) == {"tests/test_core.py::test_describe": "failed"}
    _, found = events(cli, repo)
    assert outcomes(found) == {"tests/test_core.py::test_describe": "failed"}


def test_a_moved_test_file_is_rerun(sample_repo: Sample, cli: Cli) -> None:
    repo = sample_repo("selection_lab")
    assert cli(["run"], repo).code == 0
    (repo / "tests" / "unit").mkdir()
    git(repo, "mv", "tests/test_extra.py", "tests/unit/test_extra.py")
    _, found = events(cli, repo)
    assert set(outcomes(found)) == {"tests/unit/test_extra.py::test_triple"}


HEAVY = """
from heavy.steps import count, finish, name


def test_counts_far():
    # More calls than the recorder's trace function follows: left unrecorded.
    assert count(60_000) == 60_000


def test_names():
    assert name() == "steps" and finish(0) is not None
"""
HOLDS_THE_PROFILER = """
import sys


def pytest_configure(config):
    # A profiling plugin's stand-in: with the test's thread's profiler taken, the recorder
    # follows it with a trace function, which gives up past its budget of calls.
    sys.setprofile(lambda frame, event, arg: None)
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="sys.monitoring records every test in full")
def test_a_test_too_long_to_record_is_still_selected_by_what_it_imports(
    tmp_path: Path, cli: Cli
) -> None:
    repo = steps_repo(
        tmp_path / "repo",
        "def step(total):\n    return total + 1\n\n\n"
        "def finish(total):\n    return total\n\n\n"
        "def count(n):\n    total = 0\n    for _ in range(n):\n        total = step(total)\n"
        "    return finish(total)\n\n\n"
        'def name():\n    return "steps"\n',
        HEAVY,
        HOLDS_THE_PROFILER,
    )
    assert cli(["run"], repo).code == 0
    # test_names was recorded (its file counts as recorded), test_counts_far only until the
    # recorder stopped tracing it: a change of what it ran after that must still select it,
    # by what its file imports.
    edit(repo, "heavy/steps.py", "    return total\n", "    return total + 1\n")
    result, found = events(cli, repo)
    assert outcomes(found) == {
        "tests/test_steps.py::test_counts_far": "failed",
        "tests/test_steps.py::test_names": "passed",
    }, result.stdout
    reasons = {e["nodeid"]: e["reason"] for e in found if e["event"] == "test"}
    assert reasons["tests/test_steps.py::test_counts_far"] == (
        "not fully recorded; imports heavy.steps (changed)"
    )
    # A comment changes nothing the unrecorded part could run: nothing is selected for it.
    edit(
        repo,
        "heavy/steps.py",
        "def finish(total):\n    return total + 1\n",
        "def finish(total):\n    return total\n",
    )
    assert cli(["run"], repo).code == 0
    edit(repo, "heavy/steps.py", "def finish(total):\n", "def finish(total):  # the end\n")
    result, found = events(cli, repo)
    assert outcomes(found) == {}, result.stdout
