"""Shapes of real projects that affected selection met on open-source packages' own test suites
(``bench/selection_corpus.py``), each reproduced in a small repository.

- A src layout whose ``src`` folder holds the package's metadata (``pkg.egg-info``, as an
  sdist or ``setup.py egg_info`` leaves it) and reaches ``sys.path`` through pytest's
  ``pythonpath``: the environment key seen inside pytest must be the one gateui computes, or no
  recording ever applies.
- A module that imports a fixed module through a call (``__import__("concurrent.futures")``):
  not dynamic, so its edits still select by name.
- A method added to a base class: a subclass inherits that method, nothing else about it
  changed.
- A class attribute whose name other objects have too (attrs' ``_InstanceOfValidator.type``
  against ``Attribute.type``): a read of ``.type`` observes the class only in a test that can
  hold one. A test that gets an instance without naming the class (from a factory, a module's
  binding made at import, a fixture set up by an earlier test, a parametrize argument) and
  reads the attribute inside a function it hands it to, is still selected; so is every test
  holding an instance of a class whose body feeds generated code (a dataclass field).

Real git repositories, the real CLI in a subprocess, real pytest runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import CliResult, edit_once, failing_in_full_run, git

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]


def affected(cli: Cli, repo: Path) -> dict[str, str]:
    """node id → reason for every test ``run --affected`` ran."""
    result = cli(["run", "--affected", "--json"], repo)
    assert result.code in (0, 1), result.stdout + result.stderr
    return {str(e["nodeid"]): str(e["reason"]) for e in result.json_lines() if e["event"] == "test"}


def write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def committed_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    write(repo, {".gitignore": "__pycache__/\n.gateui/\n", **files})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


PYTHONPATH_SRC = '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["src"]\n'


def test_package_metadata_in_the_src_folder_keeps_the_recordings(tmp_path: Path, cli: Cli) -> None:
    repo = committed_repo(
        tmp_path,
        {
            "pyproject.toml": PYTHONPATH_SRC,
            # What an sdist ships (and `setup.py egg_info` writes): found on sys.path inside
            # pytest (pythonpath = src), not in a plain interpreter.
            "src/shapes.egg-info/PKG-INFO": "Metadata-Version: 2.1\nName: shapes\nVersion: 1.0\n",
            "src/shapes/__init__.py": "",
            "src/shapes/calc.py": "def area(w, h):\n    return w * h\n\n\n"
            "def perimeter(w, h):\n    return 2 * (w + h)\n",
            "tests/test_calc.py": "from shapes.calc import area, perimeter\n\n\n"
            "def test_area():\n    assert area(2, 3) == 6\n\n\n"
            "def test_perimeter():\n    assert perimeter(2, 3) == 10\n",
        },
    )
    assert cli(["run"], repo).code == 0
    edit_once(repo, "src/shapes/calc.py", "return w * h", "return w * h + 0")
    # Recorded: only the test that executed the edited function, by its recording.
    selected = affected(cli, repo)
    assert list(selected) == ["tests/test_calc.py::test_area"], selected
    assert "not recorded" not in selected["tests/test_calc.py::test_area"]


def test_a_module_importing_a_fixed_name_by_call_is_followed_by_name(
    tmp_path: Path, cli: Cli
) -> None:
    repo = committed_repo(
        tmp_path,
        {
            "pyproject.toml": PYTHONPATH_SRC,
            "src/jobs/__init__.py": "from .runner import *  # noqa: F403\n",
            "src/jobs/runner.py": '__all__ = ["Runner", "LIMIT"]\n\nLIMIT = 3\n\n\n'
            "class Runner:\n    def __init__(self):\n"
            "        # Lazily: an import statement written as a call.\n"
            "        self.pool = __import__('concurrent.futures').futures\n\n"
            "    def limit(self):\n        return LIMIT\n",
            "tests/test_runner.py": "from jobs import Runner\n\n\n"
            "def test_pool():\n    assert Runner().pool is not None\n\n\n"
            "def test_limit():\n    assert Runner().limit() == 3\n",
            "tests/test_other.py": "import jobs\n\n\ndef test_other():\n    assert jobs\n",
        },
    )
    assert cli(["run"], repo).code == 0
    edit_once(
        repo, "src/jobs/runner.py", "LIMIT = 3\n", "LIMIT = 3\n\n\ndef spare():\n    return 0\n"
    )
    assert affected(cli, repo) == {}
    edit_once(repo, "src/jobs/runner.py", "LIMIT = 3\n", "LIMIT = 4\n")
    selected = affected(cli, repo)
    assert list(selected) == ["tests/test_runner.py::test_limit"], selected
    assert selected["tests/test_runner.py::test_limit"] == "reads jobs.runner.LIMIT, changed"
    # A name computed at run time still cannot be followed: every importer, with the reason.
    git(repo, "checkout", "-q", ".")
    edit_once(repo, "src/jobs/runner.py", "'concurrent.futures'", "'concurrent.' + 'futures'")
    git(repo, "commit", "-qam", "computed module name")
    assert cli(["run"], repo).code == 0
    edit_once(repo, "src/jobs/runner.py", "LIMIT = 3\n", "LIMIT = 3\nSPARE = 0\n")
    selected = affected(cli, repo)
    assert set(selected) == {
        "tests/test_runner.py::test_pool",
        "tests/test_runner.py::test_limit",
        "tests/test_other.py::test_other",
    }
    assert "calls __import__() with a computed name" in selected["tests/test_other.py::test_other"]


def test_a_method_added_to_a_base_class_selects_only_what_reads_it(
    tmp_path: Path, cli: Cli
) -> None:
    repo = committed_repo(
        tmp_path,
        {
            "pyproject.toml": PYTHONPATH_SRC,
            "src/store/__init__.py": "",
            "src/store/base.py": "class Store:\n"
            "    def __init__(self):\n        self.items = []\n\n"
            "    def add(self, item):\n        self.items.append(item)\n        return self\n",
            "src/store/kinds.py": "from store.base import Store\n\n\n"
            "class Stack(Store):\n    def pop(self):\n        return self.items.pop()\n\n\n"
            "class Queue(Store):\n    def pop(self):\n        return self.items.pop(0)\n",
            "tests/test_kinds.py": "from store.kinds import Queue, Stack\n\n\n"
            "def test_stack():\n    assert Stack().add(1).add(2).pop() == 2\n\n\n"
            "def test_queue():\n    assert Queue().add(1).add(2).pop() == 1\n",
        },
    )
    assert cli(["run"], repo).code == 0
    edit_once(
        repo,
        "src/store/base.py",
        "    def add(self, item):",
        "    def size(self):\n        return len(self.items)\n\n    def add(self, item):",
    )
    # Stack and Queue inherit `size`; no test reads `size`.
    assert affected(cli, repo) == {}
    # A test that reads it is selected, through the subclass it uses.
    edit_once(
        repo,
        "tests/test_kinds.py",
        "def test_queue():",
        "def test_size():\n    assert Stack().add(1).size() == 1\n\n\ndef test_queue():",
    )
    assert set(affected(cli, repo)) == {"tests/test_kinds.py::test_size"}
    # A changed method of the base reaches the tests that ran it through either subclass.
    edit_once(repo, "src/store/base.py", "        return self\n", "        return self or self\n")
    assert set(affected(cli, repo)) == {
        "tests/test_kinds.py::test_stack",
        "tests/test_kinds.py::test_queue",
        "tests/test_kinds.py::test_size",
    }


POLICY_FILES = {
    "pyproject.toml": PYTHONPATH_SRC,
    "src/policy/__init__.py": "",
    # No method: making one runs no recorded code of it; nothing but its factory names it.
    "src/policy/limits.py": "class Policy:\n    limit = 3\n\n\n"
    "def default_policy():\n    return Policy()\n",
    "src/policy/check.py": "def allowed(policy, n):\n    return n <= policy.limit\n",
    # Made at import, through the factory: no statement names Policy.
    "src/policy/defaults.py": "from policy.limits import default_policy\n\n"
    "DEFAULT = default_policy()\n",
    # A dataclass: its generated __repr__ shows the fields, whatever reads them.
    "src/policy/window.py": "from dataclasses import dataclass\n\n\n"
    "@dataclass\nclass Window:\n    size: int = 3\n\n\n"
    "def make_window():\n    return Window()\n\n\nSTANDARD = make_window()\n",
    "tests/test_policy.py": "import pytest\n\n"
    "from policy.check import allowed\n"
    "from policy.defaults import DEFAULT\n"
    "from policy.limits import default_policy\n"
    "from policy.window import STANDARD\n\n\n"
    "@pytest.fixture(scope='module')\ndef shared():\n    return default_policy()\n\n\n"
    "def test_from_factory():\n    assert allowed(default_policy(), 3)\n\n\n"
    "def test_made_at_import():\n    assert allowed(DEFAULT, 3)\n\n\n"
    "def test_fixture_first(shared):\n    assert shared is not None\n\n\n"
    "def test_fixture_later(shared):\n    assert allowed(shared, 3)\n\n\n"
    "@pytest.mark.parametrize('policy', [default_policy()])\n"
    "def test_parametrized(policy):\n    assert allowed(policy, 3)\n\n\n"
    "def test_window_repr():\n    assert repr(STANDARD) == 'Window(size=3)'\n",
    # Reads `.limit` and `.size` on objects of its own: the classes above never reach it.
    "tests/test_other.py": "from types import SimpleNamespace\n\n\n"
    "def test_namespace():\n"
    "    box = SimpleNamespace(limit=3, size=3)\n"
    "    assert box.limit == box.size\n",
}


def test_a_class_attribute_read_through_an_argument_selects_the_tests_that_can_hold_the_class(
    tmp_path: Path, cli: Cli
) -> None:
    repo = committed_repo(tmp_path, POLICY_FILES)
    assert cli(["run"], repo).code == 0
    # Breaking: every test that hands a Policy to `allowed` fails; each is selected though
    # none names Policy or runs any code of it.
    edit_once(repo, "src/policy/limits.py", "    limit = 3\n", "    limit = 2\n")
    readers = {
        "tests/test_policy.py::test_from_factory",
        "tests/test_policy.py::test_made_at_import",
        "tests/test_policy.py::test_fixture_later",
        "tests/test_policy.py::test_parametrized[policy0]",
    }
    assert failing_in_full_run(repo) == readers
    selected = affected(cli, repo)
    assert readers <= set(selected), selected
    assert "tests/test_other.py::test_namespace" not in selected
    assert "tests/test_policy.py::test_window_repr" not in selected
    reason = selected["tests/test_policy.py::test_made_at_import"]
    assert reason == "reads policy.limits.Policy.limit, changed", reason
    # A same-value respelling selects the same tests, and still not the namespace test.
    git(repo, "checkout", "-q", ".")
    edit_once(repo, "src/policy/limits.py", "    limit = 3\n", "    limit = 1 + 2\n")
    selected = affected(cli, repo)
    assert readers <= set(selected) and "tests/test_other.py::test_namespace" not in selected


def test_a_dataclass_field_selects_every_test_holding_one(tmp_path: Path, cli: Cli) -> None:
    repo = committed_repo(tmp_path, POLICY_FILES)
    assert cli(["run"], repo).code == 0
    # The generated __repr__ shows the new default of an instance made at import; the test
    # reads no field, names no Window and runs no recorded code of it.
    edit_once(repo, "src/policy/window.py", "    size: int = 3\n", "    size: int = 4\n")
    assert failing_in_full_run(repo) == {"tests/test_policy.py::test_window_repr"}
    selected = affected(cli, repo)
    assert "tests/test_policy.py::test_window_repr" in selected, selected
    assert "tests/test_other.py::test_namespace" not in selected
    assert not any("limits" in r for r in selected.values()), selected
    reason = selected["tests/test_policy.py::test_window_repr"]
    assert reason == (
        "can reach policy.window.Window through policy.window.STANDARD; "
        "policy.window.Window.size changed"
    ), reason
