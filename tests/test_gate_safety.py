"""Running the gate is safe, and steps see a CI runner: real repositories, real workflows, the
real ``gateui gate``; steps that try to do damage, leave processes behind, or hang."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import pytest

from gateui.core.gate._sandbox import unavailable_reason
from helpers import init_repo, run_cli

pytestmark = pytest.mark.integration

SANDBOX_MISSING = unavailable_reason(os.environ)


def make_repo(
    tmp_path: Path, steps: str, job: str = "", extra: dict[str, str] | None = None
) -> Path:
    """A repository with one passing test and a pull_request workflow of ``steps``."""
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    (repo / "pyproject.toml").write_text('[project]\nname = "r"\nversion = "0"\n')
    (repo / ".gitignore").write_text(".env\n.venv/\n")
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    body = textwrap.indent(textwrap.dedent(steps).strip("\n"), " " * 6)
    job_lines = textwrap.indent(textwrap.dedent(job).strip("\n"), " " * 4)
    (workflows / "ci.yml").write_text(
        "on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        + (job_lines + "\n" if job_lines.strip() else "")
        + "    steps:\n      - uses: actions/checkout@v4\n"
        + body
        + "\n"
    )
    for name, text in (extra or {}).items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return init_repo(repo)


def gate(repo: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    result = run_cli(["gate", "--json", "--no-cache"], repo, env)
    assert result.stdout.strip(), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return result.code, data


def step_reasons(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["verdict"], s["reason"]) for s in report["steps"]]


def test_git_clean_in_a_step_leaves_the_users_ignored_files(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        """
        - run: |
            git clean -fdx
            python -m pytest -q
        """,
    )
    # The work tree is exactly the commit, plus ignored files of the user's own.
    (repo / ".env").write_text("SECRET=1\n")
    (repo / ".venv").mkdir()
    (repo / ".venv" / "keep.txt").write_text("keep\n")
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), report
    assert report["checked_in"] == "worktree"
    assert (repo / ".env").read_text() == "SECRET=1\n"
    assert (repo / ".venv" / "keep.txt").read_text() == "keep\n"


def test_steps_see_a_pull_request_runner_without_the_users_credentials(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        """
        - run: |
            check() { if ! eval "$1"; then echo "not as on the runner: $1"; exit 1; fi; }
            check 'test -z "${GH_TOKEN:-}${GITHUB_TOKEN:-}${AWS_SECRET_ACCESS_KEY:-}"'
            check 'test -z "${SSH_AUTH_SOCK:-}${MY_API_TOKEN:-}"'
            check 'test "$CI" = true && test "$GITHUB_ACTIONS" = true'
            check 'test "$GITHUB_EVENT_NAME" = pull_request'
            check 'test "$GITHUB_REF" = refs/pull/1/merge'
            check 'test "$GITHUB_BASE_REF" = main && test -n "$GITHUB_HEAD_REF"'
            check 'test "$GITHUB_WORKSPACE" = "$PWD" && test "$RUNNER_OS" = Linux'
            check 'test "$TZ" = UTC && test "$(date +%Z)" = UTC'
            check 'case "$LANG" in *UTF-8*) true;; *) false;; esac'
            check 'test "$HOME" != "$USER_HOME" && test -z "$(ls -A "$HOME")"'
            check 'test -d "$RUNNER_TEMP" && test -w "$TMPDIR" && test "$TMPDIR" != /tmp'
            python -m pytest -q
          env:
            USER_HOME: ${{ env.USER_HOME_SEEN }}
        """,
        job="env:\n  USER_HOME_SEEN: " + str(tmp_path / "home"),
    )
    home = tmp_path / "home"
    home.mkdir()
    secrets = {
        "HOME": str(home),
        "GH_TOKEN": "ghp_x",
        "GITHUB_TOKEN": "ghs_x",
        "AWS_SECRET_ACCESS_KEY": "aws",
        "SSH_AUTH_SOCK": "/tmp/agent.sock",
        "MY_API_TOKEN": "t",
        "TZ": "Europe/Paris",
        "GITHUB_REF": "refs/heads/feature",
    }
    code, report = gate(repo, secrets)
    assert (code, report["verdict"]) == (0, "pass"), step_reasons(report)


def test_the_users_pytest_and_python_settings_do_not_reach_a_step(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        """
        - run: |
            case "$PYTHONPATH" in *from-the-workflow*) ;; *) exit 1;; esac
            case "$PYTHONPATH ${PYTEST_ADDOPTS:-} ${PYTHONHASHSEED:-}" in
              *elsewhere*|*test_broken*|*" 0") exit 1;;
            esac
          env:
            PYTHONPATH: from-the-workflow
        - run: python -m pytest -q
        """,
        extra={"tests/test_broken.py": "def test_broken():\n    assert 1 == 2\n"},
    )
    # In the user's shell: a profile that runs only what failed last, or deselects the broken
    # test, and a PYTHONPATH of their own. CI has none of them: the broken test fails there.
    shell = {
        "PYTEST_ADDOPTS": "-k 'not test_broken'",
        "PYTHONPATH": str(tmp_path / "elsewhere"),
        "PYTHONHASHSEED": "0",
    }
    code, report = gate(repo, shell)
    assert (code, report["verdict"]) == (1, "fail"), step_reasons(report)
    workflow_set, tests = report["steps"][-2:]
    assert workflow_set["verdict"] == "pass", workflow_set
    assert tests["verdict"] == "fail" and tests["failed_tests"] == [
        "tests/test_broken.py::test_broken"
    ]


def test_runner_files_carry_env_and_path_to_the_jobs_later_steps(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        """
        - run: |
            echo "GREETING=hello" >> "$GITHUB_ENV"
            printf 'NOTE<<EOF\\nline one\\nline two\\nEOF\\n' >> "$GITHUB_ENV"
            mkdir -p "$RUNNER_TEMP/tools"
            printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/tools/my-tool"
            chmod +x "$RUNNER_TEMP/tools/my-tool"
            echo "$RUNNER_TEMP/tools" >> "$GITHUB_PATH"
            echo "answer=42" >> "$GITHUB_OUTPUT"
            echo "### summary" >> "$GITHUB_STEP_SUMMARY"
            python -m pytest -q
        - run: |
            test "$GREETING" = hello
            test "$NOTE" = "$(printf 'line one\\nline two')"
            test "$(my-tool)" = tool-ran
            python -m pytest -q
        """,
    )
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), step_reasons(report)


@pytest.mark.skipif(bool(SANDBOX_MISSING), reason=f"no read-only sandbox: {SANDBOX_MISSING}")
def test_a_step_cannot_delete_or_write_outside_its_worktree(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / "x").write_text("mine\n")
    repo = make_repo(
        tmp_path,
        f"""
        - run: |
            rm -f {outside} || true
            echo changed > {tmp_path}/new-file.txt || true
            echo changed > "$USER_REPO/tests/test_ok.py" || true
            rm -rf "$USER_HOME/x" || true
            echo written-in-the-worktree > generated.txt
            python -m pytest -q
          env:
            USER_REPO: {tmp_path / "repo"}
            USER_HOME: {home}
        """,
    )
    before = (repo / "tests" / "test_ok.py").read_text()
    code, report = gate(repo, {"HOME": str(home)})
    assert (code, report["verdict"]) == (0, "pass"), step_reasons(report)
    assert outside.read_text() == "precious\n"
    assert not (tmp_path / "new-file.txt").exists()
    assert (repo / "tests" / "test_ok.py").read_text() == before
    assert (home / "x").read_text() == "mine\n"
    assert not (repo / "generated.txt").exists()


@pytest.mark.skipif(bool(SANDBOX_MISSING), reason=f"no read-only sandbox: {SANDBOX_MISSING}")
def test_a_step_that_fails_writing_outside_its_worktree_is_not_reproduced(tmp_path: Path) -> None:
    """more-itertools' ``make package`` first runs its ``requirements`` target, a pip install
    into the project's environment: the sandbox refuses it, where CI's runner is the job's to
    write. The step is not a failure of the code: it is not reproduced, and nothing changed."""
    target = tmp_path / "env" / "site-packages"
    target.mkdir(parents=True)
    repo = make_repo(
        tmp_path,
        f"""
        - run: |
            python -c "open('{target / "installed.txt"}', 'w').write('x')"
            python -m pytest -q
        """,
    )
    code, report = gate(repo)
    assert (code, report["verdict"]) == (3, "partial"), step_reasons(report)
    (reason,) = [r for v, r in step_reasons(report) if v == "not-reproduced"]
    assert reason.startswith(f"it writes {target / 'installed.txt'}, outside its checkout"), reason
    assert not (target / "installed.txt").exists()


def test_without_the_sandbox_home_is_still_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "x").write_text("mine\n")
    repo = make_repo(
        tmp_path,
        """
        - run: |
            rm -f "$HOME/x"
            rm -rf ~/.config
            python -m pytest -q
        """,
    )
    (home / ".config").mkdir()
    code, report = gate(repo, {"HOME": str(home), "GATEUI_SANDBOX": "off"})
    assert (code, report["verdict"]) == (0, "pass"), step_reasons(report)
    assert (home / "x").read_text() == "mine\n"
    assert (home / ".config").is_dir()


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find processes")
def test_a_background_process_in_a_step_neither_hangs_the_gate_nor_survives(
    tmp_path: Path,
) -> None:
    marker = f"gateui-leftover-{os.getpid()}"
    repo = make_repo(
        tmp_path,
        f"""
        - run: |
            python -c "import time; time.sleep(600)" {marker} &
            python -m pytest -q
        """,
    )
    # run_cli's own timeout (240 s) is far below the server's 600 s: the gate did not wait.
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), step_reasons(report)
    assert _processes_with(marker) == []


def test_a_hanging_step_ends_at_its_timeout_minutes_as_ci_reports_it(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        """
        - run: |
            sleep 200
            python -m pytest -q
          timeout-minutes: 0.05
        """,
    )
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    assert step_reasons(report)[-1] == (
        "fail",
        "The action has timed out (timeout-minutes: 0.05).",
    )


def test_a_jobs_timeout_minutes_counts_all_its_steps(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        """
        - run: |
            sleep 1
            python -m pytest -q
        - run: |
            sleep 200
            python -m pytest -q
        """,
        job="timeout-minutes: 0.2",
    )
    code, report = gate(repo)
    assert (code, report["verdict"]) == (1, "fail"), report
    # Whichever step the job's time runs out in (on a loaded machine, maybe the first) fails so.
    message = "has exceeded the maximum execution time of 0.2 minutes"
    assert [r for v, r in step_reasons(report) if v == "fail" and message in r], report


def test_a_step_without_timeout_ends_at_the_gate_wide_default(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        """
        - run: |
            sleep 200
            python -m pytest -q
        """,
    )
    code, report = gate(repo, {"GATEUI_STEP_TIMEOUT_MINUTES": "0.05"})
    assert (code, report["verdict"]) == (1, "fail"), report
    assert step_reasons(report)[-1][1].startswith("The action has timed out (gateui's limit")


def test_a_workflow_for_closed_pull_requests_is_not_a_check(tmp_path: Path) -> None:
    closed = (
        "on:\n  pull_request:\n    types: [closed]\njobs:\n  after:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: |\n          exit 1\n          python -m pytest -q\n"
    )
    repo = make_repo(
        tmp_path,
        """
        - run: python -m pytest -q
        """,
        extra={".github/workflows/closed.yml": closed},
    )
    code, report = gate(repo)
    assert (code, report["verdict"]) == (0, "pass"), step_reasons(report)
    assert all("closed.yml" not in s["origin"] for s in report["steps"])
