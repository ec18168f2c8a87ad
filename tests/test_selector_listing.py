"""Watch mode's selector keeps the repository's listing current from the changes it is given, so
that a cycle plans without asking git for the whole tree again (and still sees a new project
file, such as a ``mix.exs``, that the plan looks for)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from gateui.core.discovery.discover import load_projects
from gateui.core.running.results import ResultsStore
from gateui.core.selection.depstore import DepStore
from gateui.core.selection.selector import Selector
from helpers import init_repo


def make_selector(repo: Path) -> Selector:
    return Selector(repo, load_projects(repo), DepStore(repo), ResultsStore.load(repo))


@pytest.mark.integration
def test_files_appearing_and_going_are_listed_and_edits_list_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "core.py").write_text("def f():\n    return 1\n")
    (repo / "test_core.py").write_text("from pkg.core import f\n\ndef test_f():\n    assert f()\n")
    init_repo(repo)
    selector = make_selector(repo)
    listing = selector.files
    assert PurePosixPath("pkg/core.py") in listing

    # An edit of a listed file: the same listing, not a new one from git.
    (repo / "pkg" / "core.py").write_text("def f():\n    return 2\n")
    selector.refresh(["pkg/core.py"])
    assert selector.files is listing

    # A file that appears (not Python: the graph keeps its links) is listed at once.
    (repo / "app").mkdir()
    (repo / "app" / "mix.exs").write_text("defmodule App.MixProject do\nend\n")
    selector.refresh(["app/mix.exs"])
    assert PurePosixPath("app/mix.exs") in selector.files

    # A Python file that appears is listed and joins the import graph.
    (repo / "pkg" / "extra.py").write_text("from pkg.core import f\n")
    selector.refresh(["pkg/extra.py"])
    assert PurePosixPath("pkg/extra.py") in selector.files
    assert "pkg/extra.py" in selector.graph.files
    assert "pkg/core.py" in selector.graph.edges["pkg/extra.py"]

    # Files that go are gone from both.
    (repo / "app" / "mix.exs").unlink()
    (repo / "pkg" / "extra.py").unlink()
    selector.refresh(["app/mix.exs", "pkg/extra.py"])
    assert PurePosixPath("app/mix.exs") not in selector.files
    assert PurePosixPath("pkg/extra.py") not in selector.files
    assert "pkg/extra.py" not in selector.graph.files

    # A .gitignore change can hide listed (untracked) files: the tree is listed again.
    (repo / "scratch.log").write_text("x\n")
    selector.refresh(["scratch.log"])
    assert PurePosixPath("scratch.log") in selector.files
    (repo / ".gitignore").write_text("*.log\n")
    selector.refresh([".gitignore"])
    assert PurePosixPath("scratch.log") not in selector.files
    assert PurePosixPath(".gitignore") in selector.files
