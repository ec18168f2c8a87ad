"""gateui's pre-push hook in front of hook managers that dispatch on their own file name: the
user's hook still runs and still blocks a real ``git push``; ``hook status`` tells the truth."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import GIT_ENV, git, init_repo

pytestmark = pytest.mark.integration

# husky 9's shared runner ``.husky/_/h``, as it ships: the hook's name is its own file name.
HUSKY_H = """#!/usr/bin/env sh
[ "$HUSKY" = "2" ] && set -x
n=$(basename "$0")
s=$(dirname "$(dirname "$0")")/$n

[ ! -f "$s" ] && exit 0

if [ -f "$HOME/.huskyrc" ]; then
\techo "husky - '~/.huskyrc' is DEPRECATED, please move your code to ~/.config/husky/init.sh"
fi
i="${XDG_CONFIG_HOME:-$HOME/.config}/husky/init.sh"
[ -f "$i" ] && . "$i"

[ "${HUSKY-}" = "0" ] && exit 0

export PATH="node_modules/.bin:$PATH"
sh -e "$s" "$@"
c=$?

[ $c != 0 ] && echo "husky - $n script failed (code $c)"
[ $c = 127 ] && echo "husky - command not found in PATH=$PATH"
exit $c
"""
HUSKY_STUB = '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n'


def env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    base = {k: v for k, v in base.items() if k not in ("CI", "GATEUI_SKIP")}
    return base | GIT_ENV | {"PYTHONDONTWRITEBYTECODE": "1"}


def husky_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".husky" / "_").mkdir(parents=True)
    (repo / "README.md").write_text("hello\n")
    user_hook = repo / ".husky" / "pre-push"
    user_hook.write_text('echo "husky pre-push ran: $1"\nexit 1\n')
    for path, text in ((".husky/_/h", HUSKY_H), (".husky/_/pre-push", HUSKY_STUB)):
        (repo / path).write_text(text)
        (repo / path).chmod(0o755)
    init_repo(repo)
    git(repo, "config", "core.hooksPath", ".husky/_")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    return repo


def gateui(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateui", *args],
        cwd=repo,
        env=env(),
        capture_output=True,
        text=True,
        timeout=240,
    )


def push(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", "origin", "main"],
        cwd=repo,
        env=env(),
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_a_husky_hook_still_runs_and_blocks_after_hook_install(tmp_path: Path) -> None:
    repo = husky_repo(tmp_path)
    installed = gateui(repo, "hook", "install")
    assert installed.returncode == 0, installed.stderr
    assert (repo / ".husky" / "_" / "pre-push.gateui-kept").read_text() == HUSKY_STUB
    pushed = push(repo)
    output = pushed.stdout + pushed.stderr
    assert pushed.returncode != 0, output
    assert "husky pre-push ran: origin" in output
    assert "husky - pre-push script failed (code 1)" in output
    remote_refs = git(tmp_path / "remote.git", "for-each-ref")
    assert remote_refs == ""


def test_hook_status_says_a_kept_hook_without_its_exec_bit_does_not_run(tmp_path: Path) -> None:
    repo = husky_repo(tmp_path)
    assert gateui(repo, "hook", "install").returncode == 0
    kept = repo / ".husky" / "_" / "pre-push.gateui-kept"
    status = gateui(repo, "hook", "status")
    assert "kept as pre-push.gateui-kept, run first" in status.stdout
    kept.chmod(0o644)
    status = gateui(repo, "hook", "status")
    assert "is not executable: it does NOT run" in status.stdout, status.stdout
    # And indeed it does not: the push goes through, as git alone would let it.
    assert push(repo).returncode == 0


# -- pre-commit ---------------------------------------------------------------------------------
# A local pre-push hook (no download): it says it ran, and blocks while BLOCK_PUSH exists.
PRE_COMMIT_CONFIG = """repos:
  - repo: local
    hooks:
      - id: block-push
        name: block push
        entry: sh -c 'echo "pre-commit pre-push hook ran"; test ! -e BLOCK_PUSH'
        language: system
        stages: [pre-push]
        always_run: true
        pass_filenames: false
"""


def pre_commit_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository with the real pre-commit's pre-push hook installed (skips without it)."""
    pytest.importorskip("pre_commit", reason="pre-commit is not installed in this environment")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("hello\n")
    (repo / ".pre-commit-config.yaml").write_text(PRE_COMMIT_CONFIG)
    init_repo(repo)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    environment = env() | {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
        cwd=repo,
        env=environment,
        check=True,
        capture_output=True,
        timeout=240,
    )
    return repo, environment


def push_with(repo: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", "origin", "main"],
        cwd=repo,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
    )


def gateui_with(
    repo: Path, environment: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateui", *args],
        cwd=repo,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_a_pre_commit_hook_still_runs_and_blocks_after_hook_install(tmp_path: Path) -> None:
    repo, environment = pre_commit_repo(tmp_path)
    hooks = repo / ".git" / "hooks"
    pre_commit_script = (hooks / "pre-push").read_bytes()
    installed = gateui_with(repo, environment, "hook", "install")
    assert installed.returncode == 0, installed.stderr
    # Not pre-commit's own ".legacy" name: pre-commit would refuse to run (migration mode).
    assert not (hooks / "pre-push.legacy").exists()
    assert (hooks / "pre-push.gateui-kept").read_bytes() == pre_commit_script

    (repo / "BLOCK_PUSH").write_text("")
    blocked = push_with(repo, environment)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "pre-commit pre-push hook ran" in output
    assert "migration mode" not in output
    assert git(tmp_path / "remote.git", "for-each-ref") == ""

    (repo / "BLOCK_PUSH").unlink()
    pushed = push_with(repo, environment)
    output = pushed.stdout + pushed.stderr
    assert pushed.returncode == 0, output
    assert re.search(r"block push\.+Passed", output), output  # pre-commit hides a pass's output
    assert "refs/heads/main" in git(tmp_path / "remote.git", "for-each-ref")

    status = gateui_with(repo, environment, "hook", "status")
    assert "kept as pre-push.gateui-kept, run first" in status.stdout, status.stdout
    assert gateui_with(repo, environment, "hook", "uninstall").returncode == 0
    assert (hooks / "pre-push").read_bytes() == pre_commit_script
    assert not (hooks / "pre-push.gateui-kept").exists()


def _as_an_older_gateui_left_it(repo: Path) -> Path:
    """pre-commit's hook kept as ``pre-push.legacy`` behind gateui's hook, as older gateui did."""
    from gateui.core.gate.hooks import hook_script

    hooks = repo / ".git" / "hooks"
    os.replace(hooks / "pre-push", hooks / "pre-push.legacy")
    (hooks / "pre-push").write_text(hook_script(os.path.abspath(sys.executable)))
    (hooks / "pre-push").chmod(0o755)
    return hooks


def test_an_older_install_is_moved_off_pre_commits_legacy_name_by_hook_install(
    tmp_path: Path,
) -> None:
    repo, environment = pre_commit_repo(tmp_path)
    pre_commit_script = (repo / ".git/hooks/pre-push").read_bytes()
    hooks = _as_an_older_gateui_left_it(repo)
    status = gateui_with(repo, environment, "hook", "status")
    assert "kept as pre-push.legacy, run first" in status.stdout, status.stdout

    moved = gateui_with(repo, environment, "hook", "install")
    assert moved.returncode == 0, moved.stderr
    assert "moved your previous pre-push hook from pre-push.legacy" in moved.stdout
    assert not (hooks / "pre-push.legacy").exists()
    assert (hooks / "pre-push.gateui-kept").read_bytes() == pre_commit_script

    (repo / "BLOCK_PUSH").write_text("")
    blocked = push_with(repo, environment)
    assert blocked.returncode != 0
    assert "pre-commit pre-push hook ran" in blocked.stdout + blocked.stderr
    assert gateui_with(repo, environment, "hook", "uninstall").returncode == 0
    assert (hooks / "pre-push").read_bytes() == pre_commit_script


def test_an_older_install_is_moved_by_the_hook_itself_at_the_next_push(tmp_path: Path) -> None:
    repo, environment = pre_commit_repo(tmp_path)
    pre_commit_script = (repo / ".git/hooks/pre-push").read_bytes()
    hooks = _as_an_older_gateui_left_it(repo)
    (repo / "BLOCK_PUSH").write_text("")
    blocked = push_with(repo, environment)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "moved your previous pre-push hook from pre-push.legacy" in output
    assert "pre-commit pre-push hook ran" in output
    assert "migration mode" not in output
    assert (hooks / "pre-push.gateui-kept").read_bytes() == pre_commit_script
    assert not (hooks / "pre-push.legacy").exists()


def test_uninstall_of_an_older_install_restores_the_hook_it_kept(tmp_path: Path) -> None:
    repo, environment = pre_commit_repo(tmp_path)
    pre_commit_script = (repo / ".git/hooks/pre-push").read_bytes()
    hooks = _as_an_older_gateui_left_it(repo)
    assert gateui_with(repo, environment, "hook", "uninstall").returncode == 0
    assert (hooks / "pre-push").read_bytes() == pre_commit_script
    assert not (hooks / "pre-push.legacy").exists()


def test_pre_commit_installed_over_gateui_then_gateui_again_runs_each_once(
    tmp_path: Path,
) -> None:
    repo, environment = pre_commit_repo(tmp_path)
    hooks = repo / ".git" / "hooks"
    pre_commit_script = (hooks / "pre-push").read_bytes()
    (hooks / "pre-push").unlink()
    assert gateui_with(repo, environment, "hook", "install").returncode == 0
    # pre-commit over gateui: pre-commit keeps gateui's hook as its pre-push.legacy and runs it.
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
        cwd=repo,
        env=environment,
        check=True,
        capture_output=True,
        timeout=240,
    )
    assert b"gateui-managed-hook" in (hooks / "pre-push.legacy").read_bytes()
    (repo / "BLOCK_PUSH").write_text("")
    blocked = push_with(repo, environment)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert output.count("gateui: checking the PR gate") == 1, output
    assert "pre-commit pre-push hook ran" in output

    # gateui installed again: pre-commit is kept, gateui's older copy goes, each runs once.
    again = gateui_with(repo, environment, "hook", "install")
    assert again.returncode == 0, again.stderr
    assert not (hooks / "pre-push.legacy").exists()
    assert (hooks / "pre-push.gateui-kept").read_bytes() == pre_commit_script
    blocked = push_with(repo, environment)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    assert "pre-commit pre-push hook ran" in output and "migration mode" not in output
    (repo / "BLOCK_PUSH").unlink()
    pushed = push_with(repo, environment)
    output = pushed.stdout + pushed.stderr
    assert pushed.returncode == 0, output
    assert output.count("gateui: checking the PR gate") == 1, output
