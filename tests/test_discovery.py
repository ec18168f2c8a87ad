"""``gateui discover`` over the sample repos: counts are exact, and come from real collection."""

from __future__ import annotations

import json
import venv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers import CliResult, git

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]


def discover_json(cli: Cli, repo: Path) -> dict[str, Any]:
    result = cli(["discover", "--json"], repo)
    assert result.code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def project(data: dict[str, Any], root: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in data["projects"] if p["root"] == root)
    return found


def suite_counts(proj: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {s["name"]: (s["kind"], s["tests"]) for s in proj["suites"]}


def test_monorepo_has_one_project_per_sub_project(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("web_api_monorepo")
    data = discover_json(cli, repo)
    assert data["repo"] == str(repo)
    assert [p["root"] for p in data["projects"]] == ["projects/web_api", "projects/worker"]
    web_api = project(data, "projects/web_api")
    assert web_api["tests"] == 26
    assert web_api["config_file"] == "projects/web_api/pyproject.toml"
    assert suite_counts(web_api) == {"smoke": ("marker", 4)}
    assert web_api["markers"]["registered"] == ["smoke"]
    assert web_api["markers"]["used"] == {"smoke": 4}
    assert web_api["markers"]["unregistered"] == []
    assert web_api["collection_errors"] == []
    assert all(n.startswith("projects/web_api/tests/") for n in web_api["unmarked"])
    assert len(web_api["unmarked"]) == 22
    worker = project(data, "projects/worker")
    assert (worker["tests"], suite_counts(worker)) == (4, {"smoke": ("marker", 2)})


def test_markers_added_by_a_conftest_hook_count(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("strict_markers_backend")
    backend = project(discover_json(cli, repo), "backend")
    assert backend["tests"] == 22
    assert suite_counts(backend) == {
        "unit": ("marker", 15),
        "integration": ("marker", 6),
        "tests/domain": ("folder", 15),
        "tests/api": ("folder", 6),
        # The Makefile's targets that run pytest are suites too (tests/test_command_suites.py).
        "test": ("command", 0),
        "test-unit": ("command", 0),
        "test-integration": ("command", 0),
    }
    assert backend["markers"]["used"] == {"integration": 6, "unit": 15}
    assert backend["unmarked"] == [
        "backend/tests/test_llm_helpers.py::test_truncate_for_prompt_cuts_at_word_boundary"
    ]


def test_unregistered_marker_under_strict_markers_is_located_and_reported(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("strict_markers_backend")
    backend = project(discover_json(cli, repo), "backend")
    assert backend["markers"]["unregistered"] == [
        {"name": "intergration", "where": "backend/tests/api/test_billing_api.py:4"}
    ]
    (error,) = backend["collection_errors"]
    assert error["where"] == "backend/tests/api/test_billing_api.py"
    assert "'intergration' not found in `markers` configuration option" in error["message"]


def test_unregistered_marker_without_strict_markers_comes_from_the_warning(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("strict_markers_backend")
    config = repo / "backend" / "pyproject.toml"
    config.write_text(config.read_text().replace('addopts = "--strict-markers"', ""))
    backend = project(discover_json(cli, repo), "backend")
    assert backend["collection_errors"] == []
    assert backend["tests"] == 23
    assert backend["markers"]["unregistered"] == [
        {"name": "intergration", "where": "backend/tests/api/test_billing_api.py:4"}
    ]


def test_requirement_markers_are_suites(sample_repo: Callable[[str], Path], cli: Cli) -> None:
    repo = sample_repo("e2e_requirements")
    root = project(discover_json(cli, repo), ".")
    assert root["tests"] == 22
    counts = suite_counts(root)
    assert {k: v for k, v in counts.items() if v[0] == "marker"} == {
        "e2e": ("marker", 15),
        "e2e_01": ("marker", 5),
        "e2e_02": ("marker", 4),
        "e2e_03": ("marker", 4),
        "e2e_04": ("marker", 3),
    }
    assert len(root["unmarked"]) == 7
    assert all(n.startswith("tests/test_unit_helpers.py::") for n in root["unmarked"])


def test_pass_rate_backend_counts(sample_repo: Callable[[str], Path], cli: Cli) -> None:
    repo = sample_repo("passrate_backend")
    data = discover_json(cli, repo)
    assert [p["root"] for p in data["projects"]] == ["backend"]
    backend = project(data, "backend")
    assert backend["tests"] == 60
    assert backend["config_file"] == "backend/pytest.ini"
    assert suite_counts(backend)["smoke"] == ("marker", 5)
    assert suite_counts(backend)["integration"] == ("marker", 3)


def test_broken_files_are_collection_errors_not_crashes(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("faults")
    (repo / "tests" / "test_broken.py").write_text("def test_x(:\n    pass\n")
    (repo / "tests" / "sub").mkdir()
    (repo / "tests" / "sub" / "conftest.py").write_text("raise RuntimeError('conftest boom')\n")
    (repo / "tests" / "sub" / "test_y.py").write_text("def test_y():\n    pass\n")
    data = discover_json(cli, repo)
    root = project(data, ".")
    assert root["tests"] == 5
    errors = {e["where"]: e["message"] for e in root["collection_errors"]}
    assert "SyntaxError" in errors["tests/test_broken.py"]
    conftest_errors = [m for w, m in errors.items() if w.startswith("tests/sub")]
    assert conftest_errors and "conftest boom" in conftest_errors[0]
    plain = cli(["discover"], repo)
    assert plain.code == 0
    assert "collection error: tests/test_broken.py" in plain.stdout


def test_static_view_prints_first_then_the_confirmed_counts(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("strict_markers_backend")
    lines = cli(["discover"], repo).stdout.splitlines()
    static = next(i for i, line in enumerate(lines) if "by static scan" in line)
    confirmed = next(i for i, line in enumerate(lines) if line.startswith("backend  —  22 tests"))
    assert static < confirmed


def test_declared_suites_are_counted(sample_repo: Callable[[str], Path], cli: Cli) -> None:
    repo = sample_repo("strict_markers_backend")
    (repo / "pyproject.toml").write_text(
        "[tool.gateui.suites.fast]\n"
        'markers = "unit and not integration"\n'
        'paths = ["backend/tests/domain"]\n'
    )
    backend = project(discover_json(cli, repo), "backend")
    assert suite_counts(backend)["fast"] == ("config", 15)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.gateui]\npython = 3\n", "pyproject.toml:2: tool.gateui.python must be a string"),
        ("[tool.gateui]\npyhton = 'x'\n", "pyproject.toml:2: unknown key 'pyhton'"),
        ("[tool.gateui\n", "pyproject.toml:1: invalid TOML"),
        (
            "[tool.gateui.suites.fast]\nmarkers = 'unit and'\n",
            "pyproject.toml:1: tool.gateui.suites.fast.markers: invalid marker expression",
        ),
    ],
)
def test_bad_configuration_names_file_and_line_and_exits_2(
    sample_repo: Callable[[str], Path], cli: Cli, text: str, message: str
) -> None:
    repo = sample_repo("faults")
    (repo / "pyproject.toml").write_text(text)
    result = cli(["discover"], repo)
    assert result.code == 2
    assert message in result.stderr
    assert (repo / "pyproject.toml").read_text() == text  # nothing of the user's is touched


def test_project_venv_is_used_and_a_missing_pytest_there_is_named(
    sample_repo: Callable[[str], Path], cli: Cli
) -> None:
    repo = sample_repo("faults")
    venv.create(repo / ".venv", with_pip=False)
    result = cli(["discover", "--json"], repo)
    assert result.code == 2
    root = project(json.loads(result.stdout), ".")
    assert root["interpreter"] == str(repo / ".venv" / "bin" / "python")
    assert "pytest is not installed" in root["interpreter_error"]


def test_gitignored_folders_are_not_projects(sample_repo: Callable[[str], Path], cli: Cli) -> None:
    repo = sample_repo("faults")
    scratch = repo / "scratch"
    scratch.mkdir()
    (scratch / "pytest.ini").write_text("[pytest]\n")
    (scratch / "test_tmp.py").write_text("def test_tmp():\n    pass\n")
    (repo / ".gitignore").write_text("scratch/\n")
    git(repo, "add", ".gitignore")
    assert [p["root"] for p in discover_json(cli, repo)["projects"]] == ["."]


def test_a_folder_outside_git_is_discovered_by_walking(tmp_path: Path, cli: Cli) -> None:
    import shutil

    from helpers import SAMPLES

    plain = tmp_path / "plain"
    shutil.copytree(SAMPLES / "e2e_requirements", plain)
    venv.create(plain / "env", with_pip=False)  # a virtualenv is never searched for tests
    (plain / "env" / "test_inside_venv.py").write_text("def test_no():\n    pass\n")
    data = discover_json(cli, plain)
    assert data["repo"] == str(plain)
    assert [(p["root"], p["tests"]) for p in data["projects"]] == [(".", 22)]


def test_excluded_folders_hold_no_project(sample_repo: Callable[[str], Path], cli: Cli) -> None:
    repo = sample_repo("web_api_monorepo")
    (repo / "pyproject.toml").write_text('[tool.gateui]\nexclude = ["projects/work*"]\n')
    assert [p["root"] for p in discover_json(cli, repo)["projects"]] == ["projects/web_api"]
    (repo / "pyproject.toml").write_text('[tool.gateui]\nexclude = "projects"\n')
    result = cli(["discover"], repo)
    assert result.code == 2
    assert "pyproject.toml:2: tool.gateui.exclude must be a list of folder globs" in result.stderr
