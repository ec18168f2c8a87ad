"""The architecture is checked, not hoped for.

The import-linter contracts in pyproject.toml (the core is headless, its capability packages form
layers, the TUI never imports the CLI, private modules stay private, no cycles) run against the
real source tree, and against copies of it with one forbidden import added, so a contract that
could never fail would show up here. docs/architecture.md draws what they say.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gateui
from gateui.core.running.injected import PLUGIN_DIR, PLUGIN_IMPLEMENTATION

pytestmark = pytest.mark.unit

PACKAGE = Path(gateui.__file__).resolve().parent
PROJECT = PACKAGE.parents[1]
MODULE_LINE_LIMIT = 700
# A module over the limit says why in a line of its docstring starting with this.
LONG_MODULE_MARK = "Why this module is long:"


def lint_imports(source_root: Path, config_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter over the ``gateui`` package found in ``source_root``."""
    script = (
        "import sys; from importlinter.cli import lint_imports;"
        " sys.exit(lint_imports(no_cache=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=config_dir,
        env={"PYTHONPATH": str(source_root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


def test_contracts_hold_on_the_source_tree() -> None:
    result = lint_imports(PACKAGE.parent, PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "added_import", "contract"),
    [
        ("core/running/events.py", "import textual", "The core needs no terminal UI"),
        ("core/selection/changes.py", "import gateui.cli", "The core needs no terminal UI"),
        ("core/common/paths.py", "import gateui.core.gate.model", "one direction only"),
        ("tui/model.py", "import gateui.cli", "The TUI never imports the CLI"),
        ("wording.py", "import gateui.core.gate._cache", "private to its package"),
        ("core/running/events.py", "import gateui.core.running.results", "No import cycles"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, added_import: str, contract: str
) -> None:
    copy = tmp_path / "src" / "gateui"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{added_import}  # added by the test\n")
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")

    result = lint_imports(tmp_path / "src", tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


@pytest.mark.parametrize("module", [PLUGIN_DIR / "gateui_events.py", PLUGIN_IMPLEMENTATION])
def test_event_plugin_imports_only_stdlib_and_pytest(module: Path) -> None:
    # The plugin is no package (its loader's folder goes on PYTHONPATH alone), so import-linter
    # cannot see it; its own source says what it imports.
    imported: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    allowed = set(sys.stdlib_module_names) | {"pytest", "__future__"}
    assert imported - allowed == set()
    assert sorted(p.name for p in module.parent.iterdir() if p.name != "__pycache__") == [
        module.name
    ]


def test_core_imports_without_textual() -> None:
    # What the contracts say statically, checked once at run time too: importing every core
    # module loads no Textual.
    import pkgutil

    import gateui.core

    modules = [m.name for m in pkgutil.walk_packages(gateui.core.__path__, "gateui.core.")]
    assert "gateui.core.running.pytest_process" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_modules_stay_small_or_say_why() -> None:
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "sample_repo" in path.parts:
            continue
        text = path.read_text()
        if text.count("\n") > MODULE_LINE_LIMIT and LONG_MODULE_MARK not in text:
            too_long.append(f"{path.relative_to(PACKAGE)}: {text.count(chr(10))} lines")
    assert too_long == [], f"over {MODULE_LINE_LIMIT} lines without '{LONG_MODULE_MARK}'"


def test_architecture_page_names_every_core_package_and_module() -> None:
    import pkgutil

    import gateui.core

    page = (PROJECT / "docs" / "architecture.md").read_text()
    missing = []
    for package in pkgutil.iter_modules(gateui.core.__path__):
        if f"core.{package.name}" not in page:
            missing.append(f"core.{package.name}")
        folder = PACKAGE / "core" / package.name
        for module in pkgutil.iter_modules([str(folder)]):
            if f"`{module.name}`" not in page:
                missing.append(f"core.{package.name}.{module.name}")
    assert missing == [], "docs/architecture.md does not name these"
