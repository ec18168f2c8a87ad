"""The core works without a terminal UI: importing all of it must not import Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import gateui.core

pytestmark = pytest.mark.unit


def test_core_imports_without_textual() -> None:
    modules = [m.name for m in pkgutil.walk_packages(gateui.core.__path__, "gateui.core.")]
    assert "gateui.core.runner" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_event_plugin_imports_only_stdlib_and_pytest() -> None:
    from gateui.core.runner import PLUGIN_DIR

    source = (PLUGIN_DIR / "gateui_events.py").read_text()
    import ast

    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    allowed = set(sys.stdlib_module_names) | {"pytest", "__future__"}
    assert imported - allowed == set()
    # Its folder holds nothing else, so putting it on PYTHONPATH adds only the plugin.
    assert sorted(p.name for p in PLUGIN_DIR.iterdir() if p.name != "__pycache__") == [
        "gateui_events.py"
    ]
