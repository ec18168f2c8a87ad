"""Reading pytest's configuration statically, with pytest's own choice of file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from gateui.core.common.errors import ConfigError
from gateui.core.layout.pytest_config import (
    DEFAULT_NORECURSEDIRS,
    DEFAULT_PYTHON_FILES,
    PytestConfig,
    find_config,
    has_config_in,
    read_config_in,
)

pytestmark = pytest.mark.unit


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text), encoding="utf-8")
    return path


def read(folder: Path) -> PytestConfig:
    config = read_config_in(folder)
    assert config is not None
    return config


# --------------------------------------------------------------------------- each file kind

FILE_KINDS = [
    ("pytest.toml", '[pytest]\ntestpaths = ["tests"]\n', "[pytest]"),
    (".pytest.toml", '[pytest]\ntestpaths = ["tests"]\n', "[pytest]"),
    ("pytest.ini", "[pytest]\ntestpaths = tests\n", "[pytest]"),
    (".pytest.ini", "[pytest]\ntestpaths = tests\n", "[pytest]"),
    (
        "pyproject.toml",
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        "[tool.pytest.ini_options]",
    ),
    ("pyproject.toml", '[tool.pytest]\ntestpaths = ["tests"]\n', "[tool.pytest]"),
    ("tox.ini", "[tox]\nenvlist = py311\n[pytest]\ntestpaths = tests\n", "[pytest]"),
    ("setup.cfg", "[metadata]\nname = x\n[tool:pytest]\ntestpaths = tests\n", "[tool:pytest]"),
]


@pytest.mark.parametrize(("name", "text", "section"), FILE_KINDS)
def test_each_file_kind_is_read(tmp_path: Path, name: str, text: str, section: str) -> None:
    write(tmp_path, name, text)
    config = read(tmp_path)
    assert config.config_file == tmp_path / name
    assert config.directory == tmp_path
    assert config.section == section
    assert config.testpaths == ("tests",)


@pytest.mark.parametrize(
    ("winner", "loser"),
    [
        (FILE_KINDS[0], FILE_KINDS[2]),  # pytest.toml before pytest.ini (pytest 9)
        (FILE_KINDS[2], FILE_KINDS[3]),  # pytest.ini before .pytest.ini
        (FILE_KINDS[3], FILE_KINDS[4]),  # .pytest.ini before pyproject.toml
        (FILE_KINDS[4], FILE_KINDS[6]),  # pyproject.toml before tox.ini
        (FILE_KINDS[6], FILE_KINDS[7]),  # tox.ini before setup.cfg
    ],
)
def test_precedence_between_two_files_in_one_folder(
    tmp_path: Path, winner: tuple[str, str, str], loser: tuple[str, str, str]
) -> None:
    write(tmp_path, winner[0], winner[1])
    write(tmp_path, loser[0], loser[1].replace("tests", "other"))
    config = read(tmp_path)
    assert config.config_file.name == winner[0]
    assert config.testpaths == ("tests",)


def test_a_lower_file_is_never_parsed_once_one_matched(tmp_path: Path) -> None:
    # pytest stops at pytest.ini: a broken tox.ini next to it does not matter.
    write(tmp_path, "pytest.ini", "[pytest]\n")
    write(tmp_path, "tox.ini", "this is not ini\n")
    assert read(tmp_path).config_file.name == "pytest.ini"


@pytest.mark.parametrize("text", ["", "# nothing\n", "[other]\nkey = value\n"])
def test_pytest_ini_without_section_still_matches(tmp_path: Path, text: str) -> None:
    write(tmp_path, "pytest.ini", text)
    write(tmp_path, "tox.ini", "[pytest]\ntestpaths = tests\n")
    config = read(tmp_path)
    assert config.config_file.name == "pytest.ini"
    assert config.testpaths == ()
    assert config.values == {}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", "[project]\nname = 'x'\n[tool.ruff]\nline-length = 99\n"),
        ("pyproject.toml", "[tool.pytest]\n"),  # an empty native table does not count
        ("tox.ini", "[tox]\nenvlist = py311\n"),
        ("setup.cfg", "[metadata]\nname = x\n"),
    ],
)
def test_a_file_without_the_section_does_not_match(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path, name, text)
    assert read_config_in(tmp_path) is None
    assert not has_config_in(tmp_path)
    # A later candidate in the same folder is then the one pytest takes.
    later, section = (
        ("tox.ini", "[pytest]") if name == "setup.cfg" else ("setup.cfg", "[tool:pytest]")
    )
    write(tmp_path, later, f"{section}\n")
    assert read(tmp_path).config_file.name == later


def test_setup_cfg_with_a_plain_pytest_section_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "setup.cfg", "[metadata]\nname = x\n\n[pytest]\naddopts = -ra\n")
    with pytest.raises(ConfigError, match=r"tool:pytest") as caught:
        read_config_in(tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 4)


# --------------------------------------------------------------------------- pytest 9 tables


def test_pytest9_native_tool_pytest_table(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        """\
        [tool.pytest]
        minversion = "9.0"
        addopts = ["-ra", "--tb=short"]
        testpaths = ["tests", "integration"]
        markers = ["slow: takes a while"]
        strict = true
        """,
    )
    config = read(tmp_path)
    assert config.section == "[tool.pytest]"
    assert config.addopts == ("-ra", "--tb=short")
    assert config.testpaths == ("tests", "integration")
    assert config.markers == {"slow": "takes a while"}
    assert config.minversion == "9.0"
    assert config.strict_markers is True  # strict = true enables strict_markers
    assert config.values["strict"] is True  # native types are kept


def test_pytest9_native_table_wants_lists_not_strings(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", '[tool.pytest]\ntestpaths = ["t"]\naddopts = "-ra"\n')
    with pytest.raises(ConfigError, match=r"addopts must be a list of strings") as caught:
        read_config_in(tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 3)


def test_pytest9_refuses_both_tool_pytest_tables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.pytest]\naddopts = ["-ra"]\n\n'
        '[tool.pytest.ini_options]\naddopts = "-ra"\n',
    )
    with pytest.raises(ConfigError, match=r"both \[tool.pytest\]") as caught:
        read_config_in(tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 4)


def test_ini_options_strings_and_lists_are_both_accepted(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        """\
        [tool.pytest.ini_options]
        addopts = "-ra  --color=yes -p 'no:cacheprovider'"
        testpaths = ["tests"]
        python_files = "check_*.py test_*.py"
        minversion = 7.0
        """,
    )
    config = read(tmp_path)
    assert config.addopts == ("-ra", "--color=yes", "-p", "no:cacheprovider")
    assert config.testpaths == ("tests",)
    assert config.python_files == ("check_*.py", "test_*.py")
    assert config.minversion == "7.0"  # pytest str()s ini_options scalars


# --------------------------------------------------------------------------- values


def test_ini_line_lists_and_defaults(tmp_path: Path) -> None:
    write(
        tmp_path,
        "tox.ini",
        """\
        [pytest]
        testpaths =
            tests
            docs
        pythonpath = src .
        norecursedirs = .git build*
        python_classes = Test *Suite
        python_functions = test check_
        """,
    )
    config = read(tmp_path)
    assert config.testpaths == ("tests", "docs")
    assert config.pythonpath == ("src", ".")
    assert config.norecursedirs == (".git", "build*")
    assert config.python_classes == ("Test", "*Suite")
    assert config.python_functions == ("test", "check_")
    assert config.python_files == DEFAULT_PYTHON_FILES
    assert config.values["pythonpath"] == "src ."


def test_unset_options_get_pytests_defaults(tmp_path: Path) -> None:
    write(tmp_path, "pytest.ini", "[pytest]\n")
    config = read(tmp_path)
    assert config.python_files == ("test_*.py", "*_test.py")
    assert config.python_classes == ("Test",)
    assert config.python_functions == ("test",)
    assert config.norecursedirs == DEFAULT_NORECURSEDIRS
    assert "venv" in config.norecursedirs
    assert (config.addopts, config.markers, config.minversion) == ((), {}, None)
    assert config.strict_markers is False


def test_markers_with_descriptions_and_arguments(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pytest.ini",
        """\
        [pytest]
        markers =
            slow: takes a while: more than 1s
            serial

            api(version, *, retries=1): calls the HTTP API
            webtest (url): spaced signature
        """,
    )
    assert read(tmp_path).markers == {
        "slow": "takes a while: more than 1s",
        "serial": "",
        "api": "calls the HTTP API",
        "webtest": "spaced signature",
    }


def test_ini_keeps_case_and_percent_signs(tmp_path: Path) -> None:
    # pytest's iniconfig has no interpolation and does not lowercase keys.
    write(tmp_path, "pytest.ini", "[pytest]\naddopts = --cov-fail-under=90%%\nMyKey = 1\n")
    config = read(tmp_path)
    assert config.addopts == ("--cov-fail-under=90%%",)
    assert config.values["MyKey"] == "1"


@pytest.mark.parametrize(
    ("lines", "strict"),
    [
        ("addopts = -ra --strict-markers", True),
        ("addopts = --strict", True),  # pytest 8: alias; pytest 9: strict mode
        ("addopts = -ra", False),
        ("strict_markers = true", True),  # pytest 9 key
        ("strict = yes", True),  # pytest 9 key, INI truth words
        ("strict = true\nstrict_markers = false", False),  # the explicit key beats strict
        ("addopts = --strict-markers\nstrict_markers = false", True),  # the flag overrides
    ],
)
def test_strict_markers(tmp_path: Path, lines: str, strict: bool) -> None:
    write(tmp_path, "pytest.ini", f"[pytest]\n{lines}\n")
    assert read(tmp_path).strict_markers is strict


def test_values_are_read_only(tmp_path: Path) -> None:
    write(tmp_path, "pytest.ini", "[pytest]\nfoo = bar\n")
    values = read(tmp_path).values
    assert values == {"foo": "bar"}
    with pytest.raises(TypeError):
        values["foo"] = "baz"  # type: ignore[index]


# --------------------------------------------------------------------------- walking up


def test_find_config_walks_up_to_the_first_match(tmp_path: Path) -> None:
    write(tmp_path, "setup.cfg", "[tool:pytest]\n")
    write(tmp_path, "a/tox.ini", "[pytest]\ntestpaths = t\n")
    write(tmp_path, "a/b/pyproject.toml", "[project]\nname = 'b'\n")  # no table: walk on
    (tmp_path / "a/b/c").mkdir()
    config = find_config(tmp_path / "a/b/c", tmp_path)
    assert config is not None
    assert (config.config_file, config.directory) == (tmp_path / "a/tox.ini", tmp_path / "a")


def test_find_config_looks_in_start_and_stop_inclusive(tmp_path: Path) -> None:
    write(tmp_path, "pytest.ini", "[pytest]\n")
    (tmp_path / "x/y").mkdir(parents=True)
    found = find_config(tmp_path / "x/y", tmp_path)
    assert found is not None and found.directory == tmp_path
    assert find_config(tmp_path / "x/y", tmp_path / "x") is None
    start = find_config(tmp_path, tmp_path)
    assert start is not None and start.directory == tmp_path


def test_find_config_from_a_file_uses_its_folder(tmp_path: Path) -> None:
    write(tmp_path, "pkg/pytest.ini", "[pytest]\n")
    test_file = write(tmp_path, "pkg/test_x.py", "")
    config = find_config(test_file, tmp_path)
    assert config is not None and config.directory == tmp_path / "pkg"


def test_find_config_falls_back_to_the_closest_pyproject(tmp_path: Path) -> None:
    # pytest >= 8.1: when nothing matched, the first pyproject.toml seen fixes the rootdir.
    write(tmp_path, "pyproject.toml", "[project]\nname = 'outer'\n")
    write(tmp_path, "inner/pyproject.toml", "[project]\nname = 'inner'\n")
    (tmp_path / "inner/tests").mkdir()
    config = find_config(tmp_path / "inner/tests", tmp_path)
    assert config is not None
    assert config.config_file == tmp_path / "inner/pyproject.toml"
    assert config.section == ""
    assert (config.testpaths, config.markers, config.values) == ((), {}, {})


def test_find_config_without_any_file(tmp_path: Path) -> None:
    assert find_config(tmp_path, tmp_path) is None


# --------------------------------------------------------------------------- errors


def test_malformed_toml_reports_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\naddopts = -ra\n',
    )
    with pytest.raises(ConfigError, match="invalid TOML") as caught:
        read_config_in(tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 3)
    assert "at line" not in caught.value.message  # the position went into .line
    assert str(caught.value).startswith(f"{path}:3: ")


def test_malformed_toml_found_while_walking_up(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", "[tool\n")
    (tmp_path / "sub").mkdir()
    with pytest.raises(ConfigError) as caught:
        find_config(tmp_path / "sub", tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 1)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("addopts = -ra\n[pytest]\n", 1, "before any"),
        ("[pytest]\naddopts = -ra\ntestpaths = t\naddopts = -q\n", 4, "duplicate option"),
        ("[pytest]\n[other]\n[pytest]\n", 3, "duplicate section"),
        ("[pytest]\naddopts = -ra\nnot an option line\n", 3, "cannot parse"),
    ],
)
def test_malformed_ini_reports_file_and_line(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    path = write(tmp_path, "tox.ini", text)
    with pytest.raises(ConfigError, match=words) as caught:
        read_config_in(tmp_path)
    assert (caught.value.path, caught.value.line) == (path, line)


def test_undecodable_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "setup.cfg"
    path.write_bytes(b"[tool:pytest]\naddopts = \xff\xfe\n")
    with pytest.raises(ConfigError, match="UTF-8") as caught:
        read_config_in(tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 2)


@pytest.mark.parametrize(
    ("name", "text", "line", "words"),
    [
        ("pyproject.toml", "[tool.pytest.ini_options]\nmarkers = 3\n", 2, "markers must be"),
        ("pyproject.toml", '[tool.pytest.ini_options]\ntestpaths = ["a", 1]\n', 2, "item 1"),
        ("pyproject.toml", "[tool]\npytest = 3\n", 2, "'tool.pytest' must be a table"),
        ("pyproject.toml", "[tool.pytest]\nstrict = 'yes'\n", 2, "strict must be true or"),
        ("pytest.toml", "[pytest]\nminversion = 9\n", 2, "minversion must be a string"),
        ("pytest.toml", "addopts = ['-ra']\n", 1, "under a \\[pytest\\] table"),
        ("pytest.ini", "[pytest]\n\nstrict_markers = maybe\n", 3, "truth value"),
        ("tox.ini", "[pytest]\naddopts = -k 'unclosed\n", 2, "cannot be split"),
    ],
)
def test_wrong_type_names_file_key_and_line(
    tmp_path: Path, name: str, text: str, line: int, words: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ConfigError, match=words) as caught:
        read_config_in(tmp_path)
    assert (caught.value.path, caught.value.line) == (path, line)


def test_has_config_in_never_raises(tmp_path: Path) -> None:
    write(tmp_path, "tox.ini", "garbage before sections\n")
    assert has_config_in(tmp_path)  # pytest stops there too, with an error
    assert not has_config_in(tmp_path / "missing")


# --------------------------------------------------------------------------- real pytest


def _pytest_choice(folder: Path) -> Path | None:
    """The config file real pytest picks when run in ``folder``, read from its header."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    command = [sys.executable, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider"]
    result = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    # pytest 7: "rootdir: R, configfile: C" on one line; pytest 8 and 9: two lines.
    rootdir = re.search(r"^rootdir: ([^,\n]+)", result.stdout, re.MULTILINE)
    assert rootdir is not None, result.stdout + result.stderr
    configfile = re.search(r"configfile: (.+)$", result.stdout, re.MULTILINE)
    return Path(rootdir.group(1)) / configfile.group(1).strip() if configfile else None


@pytest.mark.integration
def test_choice_matches_real_pytest(tmp_path: Path) -> None:
    scenarios: dict[str, dict[str, str]] = {
        "ini_over_pyproject": {
            "pytest.ini": "[pytest]\n",
            "pyproject.toml": "[tool.pytest.ini_options]\n",
        },
        "empty_pytest_ini": {"pytest.ini": "", "tox.ini": "[pytest]\n"},
        "pyproject_without_table": {
            "pyproject.toml": "[project]\nname = 'x'\n",
            "setup.cfg": "[tool:pytest]\n",
        },
        "tox_over_setup_cfg": {"tox.ini": "[pytest]\n", "setup.cfg": "[tool:pytest]\n"},
        "walk_up/run/here": {
            "walk_up/setup.cfg": "[tool:pytest]\n",
            "walk_up/run/tox.ini": "[testenv]\ncommands = pytest\n",
        },
    }
    major_minor = tuple(int(part) for part in pytest.__version__.split(".")[:2])
    if major_minor >= (8, 1):
        scenarios["fallback/run"] = {"fallback/pyproject.toml": "[project]\nname = 'x'\n"}
    for folder, files in scenarios.items():
        top = tmp_path / folder.split("/")[0]
        for name, text in files.items():
            write(top if "/" not in name else tmp_path, name, text)
        run_in = tmp_path / folder
        run_in.mkdir(parents=True, exist_ok=True)
        ours = find_config(run_in)  # no stop: walk up as far as pytest does
        assert (ours.config_file if ours else None) == _pytest_choice(run_in), folder
