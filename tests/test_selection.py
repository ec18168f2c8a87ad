"""Affected-test selection, rule by rule, on real git repos with real edits and real pytest runs.

Each test records a full run first (``gateui run`` records by default), edits the tree the way a
developer would, and asks ``gateui run --affected --json`` what it runs and why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import CliResult, git, init_repo

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]


def affected(cli: Cli, repo: Path, *args: str) -> dict[str, str]:
    """node id → reason for every test ``run --affected`` ran."""
    result = cli(["run", "--affected", "--json", *args], repo)
    assert result.code in (0, 1), result.stderr
    events = result.json_lines()
    assert events[-1]["event"] == "summary"
    return {e["nodeid"]: e["reason"] for e in events if e["event"] == "test"}


def edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def lab(sample_repo: Callable[[str], Path], cli: Cli) -> Path:
    repo = sample_repo("selection_lab")
    assert cli(["run"], repo).code == 0
    return repo


def test_nothing_changed_selects_nothing(lab: Path, cli: Cli) -> None:
    assert affected(cli, lab) == {}


def test_a_changed_function_body_selects_the_tests_that_executed_it(lab: Path, cli: Cli) -> None:
    edit(lab, "src/lab/util.py", "return x / 2", "return x * 0.5")
    selected = affected(cli, lab)
    assert selected == {"tests/test_util.py::test_halve": "executed lab.util.halve (changed)"}


def test_a_function_used_through_a_relative_import(lab: Path, cli: Cli) -> None:
    # core.compute calls util.double, imported with `from .util import double`.
    edit(lab, "src/lab/util.py", "return x * SCALE", "return SCALE * x")
    selected = affected(cli, lab)
    assert set(selected) == {
        "tests/test_core.py::test_compute",
        "tests/test_smoke.py::test_smoke_compute",
        "tests/test_util.py::test_double[1-2]",
        "tests/test_util.py::test_double[2-4]",
        "tests/test_util.py::test_double[5-10]",
    }
    assert selected["tests/test_core.py::test_compute"] == "executed lab.util.double (changed)"


def test_a_statement_run_at_import_selects_importers_through_relative_imports(
    lab: Path, cli: Cli
) -> None:
    edit(lab, "src/lab/util.py", "SCALE = 2", "SCALE = 2\nprint('util loaded')")
    selected = affected(cli, lab)
    # test_core imports lab.core, which imports .util: the src layout and the relative import
    # must both resolve for test_describe (which never executed util code) to be here.
    assert selected["tests/test_core.py::test_describe"] == (
        "imports lab.core → lab.util (a statement run at import changed (line 2))"
    )
    assert "tests/test_util.py::test_halve" in selected
    assert "tests/test_render.py::test_render" not in selected


def test_parametrize_data_selects_the_test_it_decorates(lab: Path, cli: Cli) -> None:
    edit(lab, "tests/test_util.py", "(5, 10)]", "(5, 10), (6, 12)]")
    selected = affected(cli, lab)
    assert set(selected) == {
        "tests/test_util.py::test_double[1-2]",
        "tests/test_util.py::test_double[2-4]",
        "tests/test_util.py::test_double[5-10]",
        "tests/test_util.py::test_double[6-12]",
    }
    assert selected["tests/test_util.py::test_double[6-12]"] == "test_util.test_double (changed)"


def test_a_data_file_selects_the_tests_that_read_it(lab: Path, cli: Cli) -> None:
    edit(lab, "tests/data/settings.json", '"limit": 3', '"limit": 4')
    selected = affected(cli, lab)
    assert selected == {
        "tests/test_settings.py::test_settings_mode": "read tests/data/settings.json (changed)"
    }


def test_a_conftest_fixture_selects_only_its_users(lab: Path, cli: Cli) -> None:
    edit(lab, "tests/conftest.py", "return [1, 2, 3]", "return [1, 2, 3][:]")
    selected = affected(cli, lab)
    assert selected == {"tests/test_util.py::test_halve": "executed conftest.numbers (changed)"}


def test_a_conftest_hook_selects_the_tests_it_applies_to(lab: Path, cli: Cli) -> None:
    nested = lab / "tests" / "unit"
    nested.mkdir()
    (nested / "conftest.py").write_text("def pytest_collection_modifyitems(items):\n    pass\n")
    (nested / "test_nested.py").write_text("def test_nested():\n    assert True\n")
    git(lab, "add", "-A")
    git(lab, "commit", "-qm", "nested tests")
    assert cli(["run"], lab).code == 0
    edit(lab, "tests/unit/conftest.py", "    pass", "    items.sort(key=lambda i: i.name)")
    selected = affected(cli, lab)
    assert set(selected) == {"tests/unit/test_nested.py::test_nested"}


def test_pytest_configuration_selects_the_whole_project(lab: Path, cli: Cli) -> None:
    edit(
        lab, "pyproject.toml", 'testpaths = ["tests"]', 'testpaths = ["tests"]\nxfail_strict = true'
    )
    selected = affected(cli, lab)
    assert len(selected) == 15
    assert set(selected.values()) == {"pyproject.toml changed: it can affect every test"}


def test_map_globs_select_their_tests(lab: Path, cli: Cli) -> None:
    edit(lab, "templates/page.html", "<h1>", "<h1 class='title'>")
    selected = affected(cli, lab)
    assert selected == {
        "tests/test_render.py::test_render": "templates/page.html changed (map: templates/*.html)"
    }


def test_a_file_no_test_reads_selects_tests_mentioning_it(lab: Path, cli: Cli) -> None:
    (lab / "docs" / "notes.txt").write_text("release notes, revised\n")
    selected = affected(cli, lab)
    assert selected == {
        "tests/test_docs.py::test_notes_txt_is_documented": (
            "mentions notes.txt (docs/notes.txt changed)"
        )
    }


def test_test_data_read_at_collection_selects_the_tests_beside_it(tmp_path: Path, cli: Cli) -> None:
    """tomlkit's conftest parametrizes a test over toml-test's JSON files as pytest collects:
    no test reads them as it runs, and no test names them."""
    cases = tmp_path / "tests" / "cases" / "integer"
    cases.mkdir(parents=True)
    (cases / "zero.json").write_text('{"text": "0", "value": 0}\n')
    (cases / "one.json").write_text('{"text": "1", "value": 1}\n')
    (tmp_path / "tests" / "conftest.py").write_text(
        "import json\nimport pathlib\n\n"
        "CASES = pathlib.Path(__file__).parent / 'cases'\n\n\n"
        "def pytest_generate_tests(metafunc):\n"
        "    if 'case' in metafunc.fixturenames:\n"
        "        files = sorted(CASES.rglob('*.json'))\n"
        "        values = [json.loads(f.read_text()) for f in files]\n"
        "        metafunc.parametrize('case', values, ids=[f.stem for f in files])\n"
    )
    (tmp_path / "tests" / "test_decode.py").write_text(
        "def test_decode(case):\n    assert int(case['text']) == case['value']\n"
    )
    (tmp_path / "tests" / "test_other.py").write_text("def test_other():\n    pass\n")
    (tmp_path / "README.md").write_text("a decoder\n")
    init_repo(tmp_path)
    assert cli(["run"], tmp_path).code == 0

    (cases / "zero.json").write_text('{"text": "0", "value": 7}\n')
    reason = "tests/cases/integer/zero.json changed; no test read it as it ran: the tests of tests/"
    assert affected(cli, tmp_path) == {
        "tests/test_decode.py::test_decode[one]": reason,
        "tests/test_decode.py::test_decode[zero]": reason,
        "tests/test_other.py::test_other": reason,
    }
    result = cli(["run", "--affected"], tmp_path)
    assert result.code == 1 and "FAILED tests/test_decode.py::test_decode[zero]" in result.stdout


def test_data_read_once_and_kept_selects_the_tests_using_what_was_kept(
    tmp_path: Path, cli: Cli
) -> None:
    """python-dateutil reads its zoneinfo tarball for the first test that asks for a zone and
    keeps it: the tests after that one use it without reading the file."""
    (tmp_path / "pkg" / "data").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "data" / "zones.json").write_text('{"London": 0, "Paris": 1}\n')
    (tmp_path / "pkg" / "zones.py").write_text(
        "import json\nimport pathlib\n\n_KEPT = {}\n\n\n"
        "def offset(zone):\n"
        "    if not _KEPT:\n"
        "        path = pathlib.Path(__file__).parent / 'data' / 'zones.json'\n"
        "        _KEPT.update(json.loads(path.read_text()))\n"
        "    return _KEPT[zone]\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_zones.py").write_text(
        "from pkg.zones import offset\n\n\n"
        "def test_paris():\n    assert offset('Paris') == 1\n\n\n"
        "def test_london():\n    assert offset('London') == 0\n"
    )
    (tmp_path / "tests" / "test_other.py").write_text("def test_other():\n    pass\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'
    )
    init_repo(tmp_path)
    assert cli(["run"], tmp_path).code == 0

    (tmp_path / "pkg" / "data" / "zones.json").write_text('{"London": 1, "Paris": 1}\n')
    assert affected(cli, tmp_path) == {
        "tests/test_zones.py::test_paris": "read pkg/data/zones.json (changed)",
        "tests/test_zones.py::test_london": (
            "ran pkg.zones.offset, which read pkg/data/zones.json (changed)"
        ),
    }


def test_anything_else_selects_the_smoke_suite(lab: Path, cli: Cli) -> None:
    (lab / "README.md").write_text("# lab, now with a README\n")
    selected = affected(cli, lab)
    assert selected == {
        "tests/test_smoke.py::test_smoke_compute": (
            "README.md changed; no test reads it: smoke suite"
        )
    }


def broken_files(cli: Cli, repo: Path) -> set[str]:
    """Test files ``run --affected`` tried and found broken (collection errors)."""
    result = cli(["run", "--affected", "--json"], repo)
    assert result.code == 1
    return {e["where"] for e in result.json_lines() if e["event"] == "collection_error"}


def test_a_renamed_module_selects_the_tests_that_used_its_old_path(lab: Path, cli: Cli) -> None:
    git(lab, "mv", "src/lab/extra.py", "src/lab/extra_ops.py")
    explained = cli(["explain", "tests/test_extra.py::test_triple"], lab).stdout
    assert "selected — executed code in lab.extra (deleted)" in explained
    # Its import is broken now, and the run says so.
    assert broken_files(cli, lab) == {"tests/test_extra.py"}


def test_a_deleted_data_file_selects_its_readers(lab: Path, cli: Cli) -> None:
    (lab / "tests" / "data" / "settings.json").unlink()
    selected = affected(cli, lab)
    assert selected == {
        "tests/test_settings.py::test_settings_mode": "read tests/data/settings.json (deleted)"
    }


def test_a_deleted_module_selects_its_importers(lab: Path, cli: Cli) -> None:
    (lab / "src" / "lab" / "util.py").unlink()
    # test_core never executed util code directly... it did (compute → double); test_describe
    # did not, yet it imports lab.core, which imports the deleted module.
    explained = cli(["explain", "tests/test_core.py::test_describe"], lab).stdout
    assert "test_describe: selected" in explained
    assert broken_files(cli, lab) == {
        "tests/test_core.py",
        "tests/test_smoke.py",
        "tests/test_util.py",
    }


def test_a_new_test_is_selected(lab: Path, cli: Cli) -> None:
    edit(
        lab,
        "tests/test_extra.py",
        "def test_triple():",
        "def test_triple_zero():\n    assert triple(0) == 0\n\n\ndef test_triple():",
    )
    selected = affected(cli, lab)
    assert selected["tests/test_extra.py::test_triple_zero"] == "new test"


def test_failed_tests_are_selected_again_and_run_first(lab: Path, cli: Cli) -> None:
    edit(lab, "src/lab/util.py", "return x / 2", "return x / 3")
    first = cli(["run", "--affected", "--json"], lab)
    assert first.code == 1
    edit(lab, "src/lab/util.py", "return x * SCALE", "return SCALE * x")
    result = cli(["run", "--affected", "--json"], lab)
    order = [e["nodeid"] for e in result.json_lines() if e["event"] == "test"]
    # Its module runs first, whole and in pytest's order (module fixtures are never split).
    first_module = [n for n in order if n.startswith("tests/test_util.py::")]
    assert order[: len(first_module)] == first_module
    assert "tests/test_util.py::test_halve" in first_module
    reasons = {e["nodeid"]: e["reason"] for e in result.json_lines() if e["event"] == "test"}
    assert reasons["tests/test_util.py::test_halve"] == "failed last time"
    assert len(order) == 6


def test_selection_combines_with_a_marker_expression(lab: Path, cli: Cli) -> None:
    edit(lab, "src/lab/util.py", "return x * SCALE", "return SCALE * x")
    assert set(affected(cli, lab, "-m", "smoke")) == {"tests/test_smoke.py::test_smoke_compute"}
    edit(lab, "src/lab/util.py", "return SCALE * x", "return x * SCALE + 0")
    assert set(affected(cli, lab, "smoke")) == {"tests/test_smoke.py::test_smoke_compute"}
    # The other affected tests were not run, so they are still owed.
    assert set(affected(cli, lab)) == {
        "tests/test_core.py::test_compute",
        "tests/test_util.py::test_double[1-2]",
        "tests/test_util.py::test_double[2-4]",
        "tests/test_util.py::test_double[5-10]",
    }


def test_since_selects_against_the_merge_base(lab: Path, cli: Cli) -> None:
    git(lab, "checkout", "-qb", "feature")
    edit(lab, "src/lab/util.py", "return x / 2", "return x * 0.5")
    git(lab, "commit", "-qam", "halve by multiplication")
    # Against HEAD nothing is uncommitted; against main the branch's change counts.
    assert affected(cli, lab, "--since", "main") == {
        "tests/test_util.py::test_halve": "executed lab.util.halve (changed)"
    }


def test_another_environment_falls_back_to_the_import_graph(lab: Path, cli: Cli) -> None:
    from target_envs import target_python

    other = target_python("pytest==7.4.4", "pytest-xdist==3.5.0")
    os.symlink(other.parent.parent, lab / ".venv")
    edit(lab, "src/lab/util.py", "return x / 2", "return x * 0.5")
    selected = affected(cli, lab)
    # No recording in that environment: every test file importing lab.util, not just halve's.
    assert "tests/test_core.py::test_describe" in selected
    assert "tests/test_util.py::test_double[1-2]" in selected
    assert selected["tests/test_util.py::test_halve"].startswith("not recorded yet; ")
    shutil.rmtree(lab / ".gateui", ignore_errors=True)


def test_explain_says_why_and_why_not(lab: Path, cli: Cli) -> None:
    edit(lab, "src/lab/util.py", "return x / 2", "return x * 0.5")
    yes = cli(["explain", "tests/test_util.py::test_halve"], lab)
    assert (
        "tests/test_util.py::test_halve: selected — executed lab.util.halve (changed)" in yes.stdout
    )
    no = cli(["explain", "tests/test_render.py::test_render"], lab)
    assert "tests/test_render.py::test_render: not selected — it executed" in no.stdout
    assert "none of them changed" in no.stdout
    # A node id that names no test is a mistake, said as one.
    typo = cli(["explain", "tests/test_render.py::test_rendr"], lab)
    assert typo.code == 2
    assert "tests/test_render.py has no test or class named test_rendr" in typo.stderr


def test_fixture_teardown_and_unittest_code_are_recorded(lab: Path, cli: Cli) -> None:
    (lab / "tests" / "test_lifecycle.py").write_text(
        "import unittest\n\n"
        "import pytest\n\n"
        "from lab.core import describe\n"
        "from lab.extra import triple\n\n\n"
        "@pytest.fixture\n"
        "def resource():\n"
        "    yield 1\n"
        "    triple(1)  # cleanup runs project code\n\n\n"
        "def test_uses_resource(resource):\n"
        "    assert resource == 1\n\n\n"
        "class Lifecycle(unittest.TestCase):\n"
        "    def tearDown(self):\n"
        "        describe(0)\n\n"
        "    def test_nothing(self):\n"
        "        self.assertTrue(True)\n"
    )
    git(lab, "add", "-A")
    git(lab, "commit", "-qm", "lifecycle tests")
    assert cli(["run"], lab).code == 0
    edit(lab, "src/lab/extra.py", "return x * 3", "return 3 * x")
    edit(lab, "src/lab/core.py", 'return f"value {x}"', 'return "value " + str(x)')
    selected = affected(cli, lab)
    assert selected["tests/test_lifecycle.py::test_uses_resource"] == (
        "executed lab.extra.triple (changed)"
    )
    assert selected["tests/test_lifecycle.py::Lifecycle::test_nothing"] == (
        "executed lab.core.describe (changed)"
    )


def test_code_run_outside_test_windows_is_never_missed(lab: Path, cli: Cli) -> None:
    """Collection-time helpers, import-time decorator bodies and higher-scoped fixtures run
    outside the test that depends on them; their changes must still select it."""
    (lab / "src" / "lab" / "registry.py").write_text(
        "HANDLERS = {}\n\n\n"
        "def register(fn):\n"
        "    HANDLERS[fn.__name__] = fn\n"
        "    return fn\n\n\n"
        "@register\n"
        "def greet():\n"
        "    return 'hi'\n"
    )
    (lab / "tests" / "test_outside.py").write_text(
        "import pytest\n\n"
        "from lab.registry import HANDLERS\n\n\n"
        "def cases():\n"
        "    return [1, 2]\n\n\n"
        "@pytest.fixture(scope='session')\n"
        "def shared():\n"
        "    return {'n': 1}\n\n\n"
        "@pytest.mark.parametrize('value', cases())\n"
        "def test_case(value):\n"
        "    assert value in (1, 2)\n\n\n"
        "def test_registry():\n"
        "    assert 'greet' in HANDLERS\n\n\n"
        "def test_shared_first(shared):\n"
        "    assert shared['n'] == 1\n\n\n"
        "def test_shared_second(shared):\n"
        "    assert shared['n'] == 1\n"
    )
    git(lab, "add", "-A")
    git(lab, "commit", "-qm", "outside-window code")
    assert cli(["run"], lab).code == 0
    edit(lab, "tests/test_outside.py", "return [1, 2]", "return [1, 2, 3]")
    assert "tests/test_outside.py::test_case[3]" in affected(cli, lab)
    edit(
        lab,
        "src/lab/registry.py",
        "HANDLERS[fn.__name__] = fn",
        "HANDLERS[fn.__name__.upper()] = fn",
    )
    assert "tests/test_outside.py::test_registry" in affected(cli, lab)
    edit(lab, "tests/test_outside.py", "return {'n': 1}", "return {'n': 2}")
    selected = affected(cli, lab)
    assert {
        "tests/test_outside.py::test_shared_first",
        "tests/test_outside.py::test_shared_second",
    } <= set(selected)
