"""The gate scenario corpus: loading ``tests/gate_scenarios/<name>/``, building each one as a
real git repository, and the tool environments a scenario names.

A scenario folder holds:

- ``scenario.toml``: ``why`` (one line: what CI does with this repository and why), ``area``
  (what part of CI semantics it exercises), optional ``tools`` (the environment CI's install
  steps produce, default ``ci``), ``local`` (the ``.venv`` the user has when running the gate,
  default ``tools``), ``slow``, ``partial_here`` (words the gate's reason must contain where
  it cannot reproduce a step here: an explained disagreement); and a ``[ci]`` table with the
  recorded verdict (``verdict``, ``failed`` = ``["job / step", ...]``), written by
  ``bench/ci_by_hand.py --record``.
- ``repo/``: the files of the base branch ``main`` (its first commit).
- ``pr/`` (optional): files the pull request adds or changes, committed on branch ``feature``
  (a file named ``.delete`` inside lists paths the pull request deletes). Without it the branch
  carries one empty commit.
- ``base_moved/`` (optional): files committed on ``main`` after the branch was made, so the
  pull request's merge commit differs from its head.
- ``local/`` (optional): files put in the user's work tree but never committed (ignored files).

Nothing here imports gateui: the scenarios are built as a user's repository would be.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "gate_scenarios"
CACHE = Path(os.environ.get("GATEUI_SCENARIO_CACHE", Path.home() / ".cache" / "gateui-scenarios"))
IDENTITY = {
    "GIT_AUTHOR_NAME": "scenario",
    "GIT_AUTHOR_EMAIL": "scenario@example.invalid",
    "GIT_COMMITTER_NAME": "scenario",
    "GIT_COMMITTER_EMAIL": "scenario@example.invalid",
}

# The packages each tool environment holds, pinned: what the corpus's workflows `pip install`.
_CI = [
    "pytest==8.4.2",
    "ruff==0.17.6",
    "mypy==2.4.1",
    "flake8==7.4.1",
    "tox==4.64.4",
    "nox==2026.8.17",
    "django==5.2.17",
    "pytest-cov==7.1.0",
    "pytest-random-order==1.2.0",
    "pytest-rerunfailures==16.7",
    "pytest-json-report==1.5.0",
    "pyyaml",
]
TOOLSETS: dict[str, list[str]] = {
    "ci": _CI,
    # pytest-randomly shuffles every run once installed: only where a workflow installs it.
    "ci-randomly": [*_CI, "pytest-randomly==5.1.0"],
    # A developer's environment without CI's pytest plugins.
    "bare": ["pytest==8.4.2", "ruff==0.17.6"],
    # What a matrix leg on another interpreter installs.
    "legs": ["pytest==8.4.2"],
}
DEFAULT_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


class ToolsUnavailable(Exception):
    """A tool environment could not be built here (no network to the package index)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    folder: Path
    why: str
    area: str
    tools: str
    local: str
    slow: bool
    partial_here: str | None
    """Where the gate cannot reproduce a step here: words its reason must contain."""
    recorded: dict[str, Any] = field(default_factory=dict)

    @property
    def expected(self) -> str | None:
        verdict = self.recorded.get("verdict")
        return str(verdict) if verdict is not None else None


def load(folder: Path) -> Scenario:
    data = tomllib.loads((folder / "scenario.toml").read_text())
    tools = str(data.get("tools", "ci"))
    return Scenario(
        name=folder.name,
        folder=folder,
        why=str(data["why"]),
        area=str(data["area"]),
        tools=tools,
        local=str(data.get("local", tools)),
        slow=bool(data.get("slow", False)),
        partial_here=data.get("partial_here"),
        recorded=dict(data.get("ci", {})),
    )


def scenarios(names: list[str] | None = None) -> list[Scenario]:
    found = sorted(p for p in CORPUS.iterdir() if (p / "scenario.toml").is_file())
    if names:
        unknown = set(names) - {p.name for p in found}
        if unknown:
            raise SystemExit(f"no such scenario: {', '.join(sorted(unknown))}")
        found = [p for p in found if p.name in names]
    return [load(p) for p in found]


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | IDENTITY
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {repo}: {result.stderr.strip()}")
    return result.stdout


def _overlay(source: Path, dest: Path) -> None:
    for path in sorted(source.rglob("*")):
        if path.is_dir() or (path.name == ".delete" and path.parent == source):
            continue
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    deletions = source / ".delete"
    if deletions.is_file():
        for line in deletions.read_text().splitlines():
            if line.strip():
                (dest / line.strip()).unlink()


def build(scenario: Scenario, dest: Path, local_python: Path | None = None) -> Path:
    """The scenario as a git repository at ``dest``, on branch ``feature`` (the pull request)
    with base ``main``, its remote ``origin`` a bare clone beside it (fetched); ``local_python``'s
    environment is linked as the user's ``.venv``."""
    dest.mkdir(parents=True)
    git(dest, "init", "-q", "-b", "main")
    _overlay(scenario.folder / "repo", dest)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--allow-empty", "-m", "base")
    git(dest, "checkout", "-q", "-b", "feature")
    if (scenario.folder / "pr").is_dir():
        _overlay(scenario.folder / "pr", dest)
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "-m", "the pull request's change")
    else:
        git(dest, "commit", "-q", "--allow-empty", "-m", "the pull request")
    if (scenario.folder / "base_moved").is_dir():
        git(dest, "checkout", "-q", "main")
        _overlay(scenario.folder / "base_moved", dest)
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "-m", "the base moved on")
        git(dest, "checkout", "-q", "feature")
    # The user's remote, fetched: ``origin/main`` is the base as the user last saw it.
    remote = dest.with_name(dest.name + ".git")
    git(dest.parent, "clone", "-q", "--bare", str(dest), str(remote))
    git(dest, "remote", "add", "origin", str(remote))
    git(dest, "fetch", "-q", "origin")
    if (scenario.folder / "local").is_dir():
        _overlay(scenario.folder / "local", dest)
    if local_python is not None:
        (dest / ".venv").symlink_to(local_python.parent.parent, target_is_directory=True)
        with (dest / ".git" / "info" / "exclude").open("a") as exclude:
            exclude.write(".venv\n")
    return dest


def interpreter(version: str) -> Path | None:
    """The machine's interpreter for ``3.X``: pyenv's, else ``python3.X`` on PATH."""
    if version == DEFAULT_PYTHON:
        return Path(sys.base_prefix) / "bin" / f"python{version}"
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv.glob(f"{version}.*"), reverse=True):
        binary = candidate / "bin" / f"python{version}"
        if binary.exists():
            return binary
    found = shutil.which(f"python{version}")
    return Path(found) if found else None


def tools_python(toolset: str, version: str = DEFAULT_PYTHON) -> Path:
    """The interpreter of the tool environment ``toolset`` on Python ``version``, built once
    (pinned packages from the package index) and kept under the cache folder."""
    packages = TOOLSETS[toolset]
    digest = hashlib.sha256("\n".join(packages).encode()).hexdigest()[:10]
    folder = CACHE / f"{toolset}-py{version}-{digest}"
    python = folder / "bin" / "python"
    complete = folder / ".complete"
    if complete.exists():
        return python
    base = interpreter(version)
    if base is None:
        raise ToolsUnavailable(f"no Python {version} on this machine")
    CACHE.mkdir(parents=True, exist_ok=True)
    with _locked(CACHE / f".{folder.name}.lock"):
        if complete.exists():
            return python
        shutil.rmtree(folder, ignore_errors=True)
        made = subprocess.run(
            [str(base), "-m", "venv", str(folder)], capture_output=True, text=True, check=False
        )
        if made.returncode != 0:
            raise ToolsUnavailable(f"cannot make a venv with {base}: {made.stderr.strip()}")
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *packages],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise ToolsUnavailable(
                f"could not install the {toolset} tools: {result.stderr.strip()[-400:]}"
            )
        complete.write_text("\n".join(packages) + "\n")
    return python


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
