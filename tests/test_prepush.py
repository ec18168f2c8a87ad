"""Real ``git push`` to a local bare remote with gateui's pre-push hook installed.

One repository (the web_api monorepo sample, whose PR gate is ``./tools/test.sh --smoke-backend``
from ci-fast.yml) serves the whole module: each test works on branches of its own, so the tests
do not depend on each other's order.
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import GIT_ENV, SAMPLES, git, init_repo

pytestmark = pytest.mark.integration

RANGES = "projects/web_api/web_api/ranges.py"
GOOD = "min(end, size - 1)"
BROKEN = "min(end, size)"
FAILING_TEST = (
    "projects/web_api/tests/test_download_range.py::test_parse_range[bytes=95-500-expected3]"
)


@dataclass
class Pushing:
    repo: Path
    remote: Path
    env: dict[str, str]

    def push(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **extra}
        return subprocess.run(
            ["git", "push", "origin", *args],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )

    def branch(self, name: str, broken: bool = False, note: str = "") -> str:
        """A new branch off main with one commit: the off-by-one bug, or a harmless edit."""
        git(self.repo, "checkout", "-q", "-B", name, "main")
        path = self.repo / RANGES
        text = path.read_text()
        path.write_text(text.replace(GOOD, BROKEN) if broken else text)
        (self.repo / "docs/usage_guide.md").write_text(f"notes for {name} {note}\n")
        git(self.repo, "commit", "-q", "-am", f"{name}: {'break' if broken else 'docs'}")
        return git(self.repo, "rev-parse", "HEAD").strip()

    def remote_has(self, ref: str) -> bool:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", ref],
            cwd=self.remote,
            capture_output=True,
            env=self.env,
        )
        return result.returncode == 0


def clean_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") and k not in ("CI", "GATEUI_SKIP", "PRE_COMMIT")
    }
    return env | GIT_ENV | {"PYTHONDONTWRITEBYTECODE": "1"}


def make_pushing_repo(base: Path) -> Pushing:
    repo = base / "web_api_monorepo"
    shutil.copytree(
        SAMPLES / "web_api_monorepo",
        repo,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"),
    )
    init_repo(repo)
    remote = base / "remote.git"
    git(base, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    env = clean_env()
    installed = subprocess.run(
        [sys.executable, "-m", "gateui", "hook", "install"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    pushing = Pushing(repo, remote, env)
    # main is where branches start from; its own check is not what these tests are about.
    first = pushing.push("main", GATEUI_SKIP="1")
    assert first.returncode == 0, first.stderr
    return pushing


@pytest.fixture(scope="module")
def pushing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushing]:
    yield make_pushing_repo(tmp_path_factory.mktemp("push"))


def test_a_green_new_branch_is_pushed(pushing: Pushing) -> None:
    pushing.branch("green")
    result = pushing.push("green")
    assert result.returncode == 0, result.stderr
    assert "checking the PR gate for green" in result.stderr
    assert "Run backend smoke — exit 0 — 26 passed" in result.stderr
    assert "PR gate: PASS" in result.stderr
    assert pushing.remote_has("refs/heads/green")


def test_a_failing_gate_blocks_the_push_and_names_step_and_tests(pushing: Pushing) -> None:
    pushing.branch("broken", broken=True)
    result = pushing.push("broken")
    assert result.returncode != 0
    err = result.stderr
    assert "the PR gate would FAIL for broken: Run backend smoke: exit 1 — 1 failed:" in err
    assert FAILING_TEST in err
    assert "push blocked" in err and "GATEUI_SKIP=1 git push" in err
    assert not pushing.remote_has("refs/heads/broken")


def test_an_uncommitted_fix_does_not_make_a_broken_commit_pass(pushing: Pushing) -> None:
    pushing.branch("dirty-fix", broken=True)
    ranges = pushing.repo / RANGES
    ranges.write_text(ranges.read_text().replace(BROKEN, GOOD))
    status = git(pushing.repo, "status", "--porcelain")
    try:
        result = pushing.push("dirty-fix")
        assert result.returncode != 0
        assert "checked in a temporary worktree" in result.stderr
        assert FAILING_TEST in result.stderr
        assert not pushing.remote_has("refs/heads/dirty-fix")
        # The fix is still there, uncommitted; no worktree is left behind.
        assert git(pushing.repo, "status", "--porcelain") == status == f" M {RANGES}\n"
        assert git(pushing.repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    finally:
        git(pushing.repo, "checkout", "-q", "--", RANGES)


def test_three_refs_in_one_push_a_branch_a_tag_and_a_delete(pushing: Pushing) -> None:
    pushing.branch("doomed")
    assert pushing.push("doomed", GATEUI_SKIP="1").returncode == 0
    git(pushing.repo, "tag", "v1.0", "main")
    pushing.branch("feature", note="three refs")
    result = pushing.push("feature", "refs/tags/v1.0", ":doomed")
    assert result.returncode == 0, result.stderr
    err = result.stderr
    # Only the branch with new commits is checked; the tag and the delete are not.
    assert err.count("checking the PR gate for") == 1
    assert "checking the PR gate for feature" in err
    assert pushing.remote_has("refs/heads/feature")
    assert pushing.remote_has("refs/tags/v1.0")
    assert not pushing.remote_has("refs/heads/doomed")


def test_gateui_skip_and_ci_let_a_broken_push_through(pushing: Pushing) -> None:
    pushing.branch("skipped", broken=True)
    skipped = pushing.push("skipped", GATEUI_SKIP="1")
    assert skipped.returncode == 0, skipped.stderr
    assert "GATEUI_SKIP=1 — the PR gate is not checked" in skipped.stderr
    pushing.branch("in-ci", broken=True)
    in_ci = pushing.push("in-ci", CI="true")
    assert in_ci.returncode == 0, in_ci.stderr
    assert "PR gate" not in in_ci.stderr
    assert pushing.remote_has("refs/heads/skipped") and pushing.remote_has("refs/heads/in-ci")


def test_without_a_terminal_on_fail_warn_lets_the_push_through(pushing: Pushing) -> None:
    git(pushing.repo, "checkout", "-q", "-B", "warned", "main")
    (pushing.repo / "pyproject.toml").write_text('[tool.gateui.gate]\non_fail = "warn"\n')
    ranges = pushing.repo / RANGES
    ranges.write_text(ranges.read_text().replace(GOOD, BROKEN))
    git(pushing.repo, "add", "-A")
    git(pushing.repo, "commit", "-q", "-m", "warn only, and broken")
    result = pushing.push("warned")
    assert result.returncode == 0, result.stderr
    assert "the PR gate would FAIL for warned" in result.stderr
    assert 'on_fail = "warn": the push goes through anyway' in result.stderr
    assert pushing.remote_has("refs/heads/warned")


def _push_on_terminal(pushing: Pushing, branch: str, answer: bytes) -> tuple[int, str]:
    """``git push`` with a pseudo-terminal as its controlling terminal; answer the prompt."""
    master, slave = os.openpty()

    def controlling_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        ["git", "push", "origin", branch],
        cwd=pushing.repo,
        env=pushing.env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=controlling_terminal,  # the pty becomes the controlling terminal
    )
    os.close(slave)
    seen = b""
    answered = False
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered and b"push anyway? [y/N]" in seen:
                os.write(master, answer)
                answered = True
            if proc.poll() is not None and not ready:
                break
        proc.wait(timeout=60)
    finally:
        os.close(master)
    return proc.returncode, seen.decode(errors="replace")


def test_with_a_terminal_the_user_is_asked(pushing: Pushing) -> None:
    pushing.branch("asked-no", broken=True)
    code, text = _push_on_terminal(pushing, "asked-no", b"n\n")
    assert "push anyway? [y/N]" in text
    assert code != 0
    assert not pushing.remote_has("refs/heads/asked-no")
    pushing.branch("asked-yes", broken=True)
    code, text = _push_on_terminal(pushing, "asked-yes", b"y\n")
    assert code == 0, text
    assert "pushing anyway" in text
    assert pushing.remote_has("refs/heads/asked-yes")


def test_an_existing_hook_runs_first_with_the_same_stdin_and_args(
    tmp_path: Path,
) -> None:
    pushing = make_pushing_repo(tmp_path)
    hooks = pushing.repo / ".git/hooks"
    record = tmp_path / "legacy-saw"
    legacy_text = (
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{record}.args"\n'
        f'cat > "{record}.stdin"\n'
        'exit "${LEGACY_EXIT:-0}"\n'
    ).encode()
    # Put a hook in place before gateui's: uninstall, write it, install again.
    env = pushing.env
    run = [sys.executable, "-m", "gateui", "hook"]
    subprocess.run([*run, "uninstall"], cwd=pushing.repo, env=env, check=True)
    (hooks / "pre-push").write_bytes(legacy_text)
    (hooks / "pre-push").chmod(0o755)
    subprocess.run([*run, "install"], cwd=pushing.repo, env=env, check=True)

    sha = pushing.branch("chained")
    result = pushing.push("chained")
    assert result.returncode == 0, result.stderr
    assert (record.with_suffix(".args")).read_text().split() == ["origin", str(pushing.remote)]
    zero = "0" * len(sha)
    assert record.with_suffix(".stdin").read_bytes() == (
        f"refs/heads/chained {sha} refs/heads/chained {zero}\n".encode()
    )
    assert "PR gate: PASS" in result.stderr

    # The legacy hook's verdict stands: it refuses, the push stops before gateui runs.
    pushing.branch("refused")
    refused = pushing.push("refused", LEGACY_EXIT="3")
    assert refused.returncode != 0
    assert "PR gate" not in refused.stderr
    assert not pushing.remote_has("refs/heads/refused")

    # gateui no longer where the hook says: it says how to fix that and lets the push through,
    # still running the kept hook.
    hook = hooks / "pre-push"
    installed = hook.read_text()
    hook.write_text(
        installed.replace(
            f"GATEUI_PYTHON={os.path.abspath(sys.executable)}", "GATEUI_PYTHON=/gone/python"
        )
    )
    pushing.branch("orphaned", broken=True)
    orphaned = pushing.push("orphaned")
    assert orphaned.returncode == 0, orphaned.stderr
    assert "cannot run gateui with /gone/python" in orphaned.stderr
    assert "gateui hook install" in orphaned.stderr and "mv " in orphaned.stderr
    assert record.with_suffix(".stdin").read_bytes().startswith(b"refs/heads/orphaned ")
    hook.write_text(installed)

    subprocess.run([*run, "uninstall"], cwd=pushing.repo, env=env, check=True)
    assert (hooks / "pre-push").read_bytes() == legacy_text
    assert not (hooks / "pre-push.gateui-kept").exists()


def test_pre_commit_runs_the_same_check(pushing: Pushing) -> None:
    """pre-commit's pre-push stage passes no stdin on, only its PRE_COMMIT_* variables."""
    import yaml

    (hook,) = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["stages"]) == (
        "gateui-gate",
        "gateui hook run-pre-push",
        ["pre-push"],
    )
    assert hook["pass_filenames"] is False
    sha = pushing.branch("via-pre-commit", broken=True)
    main = git(pushing.repo, "rev-parse", "main").strip()
    env = pushing.env | {
        "PRE_COMMIT": "1",
        "PRE_COMMIT_FROM_REF": main,
        "PRE_COMMIT_TO_REF": sha,
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/via-pre-commit",
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/via-pre-commit",
        "PRE_COMMIT_REMOTE_NAME": "origin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gateui", *hook["entry"].split()[1:]],
        cwd=pushing.repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 1
    assert "the PR gate would FAIL for via-pre-commit: Run backend smoke: exit 1" in result.stderr
    assert FAILING_TEST in result.stderr


EXTRA_WORKFLOW = """on: pull_request
jobs:
  licenses:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: example-org/license-check@v2
"""


def _partial_branch(pushing: Pushing, name: str, on_partial: str | None) -> None:
    """A branch whose gate is partial: its tests pass, and an action it adds runs only on
    GitHub. By hand: `ruff check projects` → 0, `./tools/test.sh --smoke-backend` → 0; the
    license-check action cannot run here."""
    git(pushing.repo, "checkout", "-q", "-B", name, "main")
    workflow = pushing.repo / ".github/workflows/licenses.yml"
    workflow.write_text(EXTRA_WORKFLOW)
    if on_partial is not None:
        (pushing.repo / "pyproject.toml").write_text(
            f'[tool.gateui.gate]\non_partial = "{on_partial}"\n'
        )
    git(pushing.repo, "add", "-A")
    git(pushing.repo, "commit", "-q", "-m", f"{name}: a check that runs only on GitHub")


@pytest.mark.parametrize(
    ("on_partial", "pushed", "says"),
    [
        (None, True, 'on_partial = "warn": the push goes through; CI checks the rest'),
        ("warn", True, 'on_partial = "warn": the push goes through; CI checks the rest'),
        ("allow", True, "not reproduced here: Run example-org/license-check@v2"),
        ("block", False, 'on_partial = "block": not pushed unchecked'),
    ],
)
def test_a_partial_gate_is_handled_per_on_partial(
    pushing: Pushing, on_partial: str | None, pushed: bool, says: str
) -> None:
    name = f"partial-{on_partial or 'default'}"
    _partial_branch(pushing, name, on_partial)
    result = pushing.push(name)
    assert (result.returncode == 0) is pushed, result.stderr
    assert f"the PR gate is PARTIAL for {name}" in result.stderr
    assert "not reproduced here: Run example-org/license-check@v2" in result.stderr
    assert says in result.stderr
    assert pushing.remote_has(f"refs/heads/{name}") is pushed


def test_pre_commit_without_to_ref_checks_the_pushed_branch_not_head(pushing: Pushing) -> None:
    """Some pre-commit versions name only the branch: the pushed branch is checked even when
    HEAD is another (good) branch."""
    pushing.branch("pushed-broken", broken=True)
    git(pushing.repo, "checkout", "-q", "main")
    env = pushing.env | {
        "PRE_COMMIT": "1",
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/pushed-broken",
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/pushed-broken",
        "PRE_COMMIT_REMOTE_NAME": "origin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gateui", "hook", "run-pre-push"],
        cwd=pushing.repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 1, result.stderr
    assert "the PR gate would FAIL for pushed-broken" in result.stderr
