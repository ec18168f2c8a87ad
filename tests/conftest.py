"""Shared fixtures: sample repositories copied to tmp_path and committed to real git repos."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The sample repositories are data: their tests run only inside the gateui tests that use them.
collect_ignore_glob = ["samples/*"]

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


@pytest.fixture
def sample_repo(tmp_path: Path) -> Callable[[str], Path]:
    """Copy ``tests/samples/NAME`` (or the bundled demo repo, "demo") into a fresh git repo."""

    def make(name: str) -> Path:
        if name == "demo":
            from gateui.demo import SAMPLE_REPO

            source = SAMPLE_REPO
        else:
            source = SAMPLES / name
        target = tmp_path / name
        shutil.copytree(
            source, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
        )
        return init_repo(target)

    return make


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


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    return run_cli


@pytest.fixture(autouse=True)
def _no_bytecode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Sample repos run in subprocesses that inherit this; keep their trees free of __pycache__.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    yield
