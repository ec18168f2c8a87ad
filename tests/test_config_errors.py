"""A configuration that cannot be used is exit 2, with file and line, in every command."""

from __future__ import annotations

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
