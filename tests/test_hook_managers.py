"""gateui's pre-push hook in front of hook managers that dispatch on their own file name: the
user's hook still runs and still blocks a real ``git push``; ``hook status`` tells the truth."""

from __future__ import annotations

import os
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
    assert (repo / ".husky" / "_" / "pre-push.legacy").read_text() == HUSKY_STUB
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
    kept = repo / ".husky" / "_" / "pre-push.legacy"
    status = gateui(repo, "hook", "status")
    assert "kept as pre-push.legacy, run first" in status.stdout
    kept.chmod(0o644)
    status = gateui(repo, "hook", "status")
    assert "is not executable: it does NOT run" in status.stdout, status.stdout
    # And indeed it does not: the push goes through, as git alone would let it.
    assert push(repo).returncode == 0
