"""A suite name means one thing for the CLI, the TUI and the gate: a marker when tests carry
it, else the folder of that name; and a suite's count is its real count."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gateui.core.layout.suites import TestInfo, build_suites, find_suite
from helpers import CliResult, init_repo

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]


def _folder_layout(root: Path, pyproject: str = "") -> Path:
    (root / "pyproject.toml").write_text(pyproject or "[tool.pytest.ini_options]\n")
    for folder, name in (("unit", "test_maths"), ("integration", "test_wiring")):
        (root / "tests" / folder).mkdir(parents=True)
        (root / "tests" / folder / f"{name}.py").write_text(
            "def test_one():\n    pass\n\ndef test_two():\n    pass\n"
        )
    return init_repo(root)


def test_run_unit_on_a_folder_layout_runs_the_folder(tmp_path: Path, cli: Cli) -> None:
    repo = _folder_layout(tmp_path)
    result = cli(["run", "unit", "--json"], repo)
    assert result.code == 0, result.stdout + result.stderr
    tests = [e["nodeid"] for e in result.json_lines() if e["event"] == "test"]
    assert sorted(tests) == [
        "tests/unit/test_maths.py::test_one",
        "tests/unit/test_maths.py::test_two",
    ]


def test_a_registered_but_unused_marker_gives_way_to_its_folder(tmp_path: Path, cli: Cli) -> None:
    repo = _folder_layout(tmp_path, '[tool.pytest.ini_options]\nmarkers = ["unit: fast tests"]\n')
    result = cli(["run", "unit", "--json"], repo)
    assert result.code == 0, result.stdout + result.stderr
    assert result.json_lines()[-1]["selected"] == 2


@pytest.mark.unit
def test_the_tuis_lookup_picks_the_folder_over_an_empty_marker_suite() -> None:
    tests = [TestInfo("tests/unit/test_a.py::test_a", "tests/unit/test_a.py", ())]
    suites = build_suites(tests, ["unit"], ["tests"], {}, None)
    found = find_suite(suites, "unit")
    assert found is not None
    assert (found.kind, found.name) == ("folder", "tests/unit")


def test_a_marker_suite_the_addopts_deselect_shows_its_real_count(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n"
        'addopts = "-m \\"not property\\""\n'
        'markers = ["property: generated cases", "unit: fast"]\n'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.property\ndef test_generated():\n    pass\n\n"
        "@pytest.mark.property\ndef test_generated_more():\n    pass\n\n"
        "@pytest.mark.unit\ndef test_plain():\n    pass\n"
    )
    repo = init_repo(tmp_path)
    result = cli(["discover", "--json"], repo)
    assert result.code == 0, result.stderr
    project = json.loads(result.stdout)["projects"][0]
    counts = {s["name"]: s["tests"] for s in project["suites"]}
    assert counts["property"] == 2
    assert counts["unit"] == 1
    assert project["unmarked"] == []
    assert project["tests"] == 1  # what a plain run runs
