"""What every gate check pays before its first step, kept small without giving up correctness:
the gate read from the commit through one ``git cat-file --batch``, interpreters asked once and
asked again when they change, and only the command's own modules imported."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateui.core.common.stamped_store import StampedStore
from gateui.core.gate import _python_finder
from gateui.core.gate.gitops import GitError
from gateui.core.gate.sources import DirSource, GitTreeSource
from gateui.core.layout import interpreter_info as info_module
from helpers import gate_report, git, init_repo

pytestmark = pytest.mark.integration

PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"


def _tree(repo: Path) -> None:
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: pull_request\n")
    (repo / ".github" / "workflows" / "lint.yaml").write_text("on: push\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n# é ü\n', encoding="utf-8")
    (repo / "scripts").mkdir()
    (repo / "scripts" / "test").write_text("#!/bin/sh\npytest\n")
    (repo / "scripts" / "test").chmod(0o755)
    (repo / "scripts" / "nested").mkdir()
    (repo / "scripts" / "nested" / "deep.txt").write_text("deep\n")
    (repo / "scripts" / "link").symlink_to("test")
    (repo / "name with spaces.txt").write_text("spaces\n")


def _same_answers(commit: GitTreeSource, folder: DirSource) -> None:
    for path in [
        "pyproject.toml",
        ".github/workflows/ci.yml",
        "./scripts/test",
        "scripts/nested/deep.txt",
        "name with spaces.txt",
        "missing.txt",
        "scripts",
        "scripts/nested/",
    ]:
        assert commit.read_text(path) == folder.read_text(path) or (
            folder.read_text(path) is None and commit.read_text(path) is None
        ), path
        assert commit.is_dir(path) == folder.is_dir(path), path
    for path in [".", "", ".github/workflows", "scripts", "scripts/nested", "nowhere", "x/y"]:
        assert commit.list_files(path) == folder.list_files(path), path


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_a_commit_reads_as_its_checkout_does(tmp_path: Path, object_format: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    if object_format == "sha256":
        probe = subprocess.run(
            ["git", "init", "-q", "--object-format=sha256", str(tmp_path / "probe")],
            capture_output=True,
            check=False,
        )
        if probe.returncode != 0:
            pytest.skip("this git cannot make SHA-256 repositories")
    git(repo, "init", "-q", "-b", "main", f"--object-format={object_format}")
    _tree(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "files")
    head = git(repo, "rev-parse", "HEAD").strip()
    # The work tree moves on; the commit's files are still what is read.
    (repo / "pyproject.toml").write_text("changed\n")
    source = GitTreeSource(repo, head)
    try:
        assert source.read_text("pyproject.toml") == '[project]\nname = "x"\n# é ü\n'
        assert source.read_text("scripts/link") == "test"  # a link reads as its target's name
        git(repo, "checkout", "-q", "--", "pyproject.toml")
        _same_answers(source, DirSource(repo))
    finally:
        source.close()
    assert source._proc.returncode is not None  # the git process is gone


def test_a_name_that_is_no_commit_is_a_git_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.txt").write_text("a\n")
    init_repo(repo)
    with pytest.raises(GitError, match="not a commit"):
        GitTreeSource(repo, "0" * 40)


def test_one_process_answers_the_ref_the_tree_and_another_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.txt").write_text("first\n")
    init_repo(repo)
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "a.txt").write_text("second\n")
    git(repo, "commit", "-q", "-am", "second")
    git(repo, "tag", "-a", "-m", "annotated", "v1")
    second = git(repo, "rev-parse", "HEAD").strip()
    source = GitTreeSource(repo, "v1")  # a name, peeled to the commit as rev-parse does
    try:
        assert source.commit == second
        assert source.tree_of(first) == git(repo, "rev-parse", f"{first}^{{tree}}").strip()
        older = source.at(first)
        assert (older.commit, older.read_text("a.txt")) == (first, "first\n")
        older.close()  # the process belongs to the source it came from: still answering
        assert source.read_text("a.txt") == "second\n"
        with pytest.raises(GitError, match="not a commit"):
            source.tree_of("no-such-ref")
    finally:
        source.close()
    assert source._proc.returncode is not None


# -- interpreters, asked once and again when they change ----------------------------------------


def _counting_interpreter(folder: Path, real: Path, log: Path) -> Path:
    """An interpreter that notes each start in ``log`` before running ``real``."""
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "python"
    wrapper.write_text(f'#!/bin/sh\necho started >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def _starts(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture
def own_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The answers kept under ``tmp_path`` (not the user's cache folder), none in memory."""
    root = tmp_path / "cache"
    monkeypatch.setattr(info_module, "_STORE", StampedStore("interpreters", root))
    monkeypatch.setattr(info_module, "_CACHE", {})
    monkeypatch.setattr(_python_finder, "_VERSIONS", StampedStore("python-versions", root))
    return root


def test_an_interpreter_is_asked_once_then_again_when_it_changes(
    tmp_path: Path, own_stores: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([str(PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True)
    log = tmp_path / "starts.log"
    python = _counting_interpreter(tmp_path / "bin", venv / "bin" / "python", log)

    first = info_module.interpreter_info(python)
    assert _starts(log) == 1
    assert info_module.interpreter_info(python) == first
    assert _starts(log) == 1  # this process remembers
    info_module._CACHE.clear()  # a new process: the answer comes from the cache folder
    assert info_module.interpreter_info(python).fingerprint() == first.fingerprint()
    assert _starts(log) == 1

    # A package installed into the environment: its site-packages folder changes.
    site = next(Path(p) for p in first.sys_path if p.endswith("site-packages"))
    (site / "newly_installed-1.0.dist-info").mkdir()
    (site / "newly_installed-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: newly-installed\nVersion: 1.0\n"
    )
    again = info_module.interpreter_info(python)  # the same process sees it (watch, the TUI)
    assert _starts(log) == 2
    assert again.has("newly-installed") and not first.has("newly-installed")

    # The interpreter replaced in place (an upgrade): asked again, in a new process too.
    info_module._CACHE.clear()
    python.write_text(python.read_text() + "# upgraded\n")
    info_module.interpreter_info(python)
    assert _starts(log) == 3


def test_a_python_pointed_elsewhere_reports_its_new_version(
    tmp_path: Path, own_stores: Path
) -> None:
    others = sorted(
        p
        for p in (Path.home() / ".pyenv" / "versions").glob("3.*/bin/python3.*")
        if p.name.count(".") == 1 and p.resolve() != PYTHON.resolve()
    )
    if not others:
        pytest.skip("needs a second Python (pyenv) to point at")
    link = tmp_path / "python"
    link.symlink_to(PYTHON)
    here = _python_finder._version_of(link)
    assert here == ".".join(map(str, sys.version_info[:3]))
    link.unlink()
    link.symlink_to(others[0])
    other = _python_finder._version_of(link)
    assert other is not None and other != here
    assert other.startswith(others[0].name.removeprefix("python"))


def test_a_launcher_script_is_asked_every_time(tmp_path: Path, own_stores: Path) -> None:
    log = tmp_path / "starts.log"
    shim = _counting_interpreter(tmp_path / "shims", PYTHON, log)
    assert _python_finder._version_of(shim) == _python_finder._version_of(shim)
    assert _starts(log) == 2  # a pyenv shim answers with what it dispatches to today


def test_a_python_installed_later_is_found_by_the_same_process(
    tmp_path: Path, own_stores: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "pyenv"
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no python3.X on PATH, no uv
    version = ".".join(map(str, sys.version_info[:3]))
    minor = ".".join(map(str, sys.version_info[:2]))
    assert _python_finder.find_python(minor) is None
    (root / "versions" / version / "bin").mkdir(parents=True)
    (root / "versions" / version / "bin" / "python").symlink_to(PYTHON)
    found = _python_finder.find_python(minor)
    assert found is not None and found.version == version and found.where == "pyenv"
    # ... and one removed since is no longer offered.
    (root / "versions" / version / "bin" / "python").unlink()
    assert _python_finder.find_python(minor) is None


# -- the command line imports only the command's modules -----------------------------------------


def test_every_command_is_registered_by_the_module_the_table_names() -> None:
    from gateui.cli.main import COMMAND_MODULES, build_parser

    def commands(parser: argparse.ArgumentParser) -> set[str]:
        found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return set(found[0].choices)

    assert commands(build_parser()) == set(COMMAND_MODULES)
    for name in COMMAND_MODULES:
        assert name in commands(build_parser(name))


def test_a_gate_check_imports_neither_other_commands_nor_gitpython(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.txt").write_text("a\n")
    init_repo(repo)
    script = (
        "import json, sys\n"
        "from gateui.cli.main import main\n"
        "code = main(['gate', '--json', '--no-cache'])\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=repo,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        timeout=120,
        check=False,
    )
    modules = set(json.loads(result.stderr.strip().splitlines()[-1]))
    assert "gateui.core.gate.check" in modules  # the check did run
    assert not {"git", "gateui.cli.demo", "gateui.cli.run", "gateui.cli.watch"} & modules


# -- pre-commit's hook environments, built once ---------------------------------------------------

PRE_COMMIT_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: hello
        name: hello
        entry: python -c "print('hello from the hook environment')"
        language: python
        pass_filenames: false
        always_run: true
"""
PRE_COMMIT_WORKFLOW = """\
on: pull_request
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pre-commit run --all-files
"""


def _environments(home: Path) -> dict[str, tuple[int, int]]:
    """Each hook environment pre-commit built under ``home``: its inode and time."""
    found = {}
    for folder in home.glob("repo*/py_env-*"):
        stat = folder.stat()
        found[str(folder.relative_to(home))] = (stat.st_ino, stat.st_mtime_ns)
    return found


def test_a_second_check_reuses_the_pre_commit_environments(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "lint.yml").write_text(PRE_COMMIT_WORKFLOW)
    (repo / ".pre-commit-config.yaml").write_text(PRE_COMMIT_CONFIG)
    (repo / "README.md").write_text("hello\n")
    init_repo(repo)
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    code, first = gate_report(repo, "--no-cache", env=env)
    if first["verdict"] == "partial" and "could not set up its hooks" in json.dumps(first):
        pytest.skip("pre-commit cannot build its hook environment here (no package index)")
    assert (code, first["verdict"]) == (0, "pass"), first
    home = cache / "gateui" / "pre-commit"
    built = _environments(home)
    assert built, "pre-commit built its environment under gateui's folder"

    code, second = gate_report(repo, "--no-cache", env=env)
    assert (code, second["verdict"]) == (0, "pass"), second
    assert _environments(home) == built  # the same environment, not built again
