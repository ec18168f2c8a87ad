"""A configuration that cannot be used is exit 2, with file and line, in every command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers import git, run_cli, small_repo

pytestmark = pytest.mark.integration

BROKEN = {
    "gate threshold": ('\n[tool.gateui.gate]\nmin_pass_rate = "lots"\n', 6),
    "map without files": ('\n[[tool.gateui.map]]\ntests = "tests/test_calc.py"\n', 5),
    "map with both": (
        '\n[[tool.gateui.map]]\nfiles = "*.md"\ntests = "tests"\n\n'
        '[[tool.gateui.map]]\nfiles = "x"\ntests = "t"\nsuite = "s"\n',
        9,
    ),
}
COMMANDS = [
    ["discover"],
    ["discover", "--json"],
    ["run"],
    ["run", "--affected"],
    ["watch", "--no-tui"],
    ["explain", "tests/test_calc.py"],
]


@pytest.mark.parametrize("broken", sorted(BROKEN))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_broken_config_is_exit_2_naming_file_and_line(
    tmp_path: Path, broken: str, command: list[str]
) -> None:
    repo = small_repo(tmp_path / "repo")
    text, line = BROKEN[broken]
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + text)
    git(repo, "commit", "-qam", "broken config")
    result = run_cli(command, repo)
    assert result.code == 2, (result.stdout, result.stderr)
    assert f"{pyproject}:{line}: " in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def _refused_repo(tmp_path: Path, refusal: str) -> tuple[Path, dict[str, str], str]:
    """A committed repository that git itself refuses to use; the environment gateui runs in
    (no user or system git configuration, so no ``safe.directory`` of this machine's lets it
    in) and the words of git's reason."""
    repo = small_repo(tmp_path / "repo")
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    env = {"GIT_CONFIG_GLOBAL": str(empty), "GIT_CONFIG_NOSYSTEM": "1"}
    if refusal == "broken git config":
        with (repo / ".git" / "config").open("a") as config:
            config.write("[core\n")
        return repo, env, "bad config line"
    if os.geteuid() != 0:
        pytest.skip("only root can give the repository to another user here")
    os.chown(repo, 4321, 4321)
    probe = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=repo,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if probe.returncode == 0:
        pytest.skip(f"this git ({probe.stdout.strip()}) does not check who owns a repository")
    return repo, env, "dubious ownership"


@pytest.mark.parametrize("refusal", ["broken git config", "owned by another user"])
@pytest.mark.parametrize(
    "command",
    [COMMANDS[0], *COMMANDS[2:], ["gate"], ["hook", "install"]],
    ids=" ".join,
)
def test_a_repository_git_refuses_is_exit_2_with_gits_reason(
    tmp_path: Path, refusal: str, command: list[str]
) -> None:
    repo, env, reason = _refused_repo(tmp_path, refusal)
    result = run_cli(command, repo, env=env)
    assert result.code == 2, (result.stdout, result.stderr)
    assert f"{repo}: git will not use this repository: " in result.stderr, result.stderr
    assert reason in result.stderr
    if refusal == "owned by another user":
        assert f"safe.directory {repo}" in result.stderr  # git's own way out, passed on
    assert "Traceback" not in result.stderr
    assert not (repo / ".gateui").exists()
    assert not (repo / ".git" / "hooks" / "pre-push").exists()
