"""Lint, format and types are part of the test command, so CI fails on them as on a test.

The tools run exactly as a contributor runs them (configured in pyproject.toml), over the source,
the tests, the benchmarks and the scripts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PROJECT = Path(__file__).resolve().parents[1]
CHECKED = ["src", "tests", "bench", "scripts"]


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=PROJECT, capture_output=True, text=True
    )


def test_ruff_finds_no_lint_error() -> None:
    result = run_tool("ruff", "check", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted_as_ruff_formats_it() -> None:
    result = run_tool("ruff", "format", "--check", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_no_type_error() -> None:
    result = run_tool("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
