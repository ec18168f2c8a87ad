"""One check of the repository's gateui configuration for every command that reads it, so that
a broken ``[tool.gateui.gate]`` or ``[[tool.gateui.map]]`` is exit 2 everywhere, with file and
line, instead of an error in one command and silence in the others."""

from __future__ import annotations

import tomllib
from pathlib import Path


def check_config(repo_root: Path) -> None:
    """Raise ``ConfigError`` for the first unusable part of the configuration. (``[tool.gateui]``
    itself is checked where projects are loaded.)"""
    from gateui.core.selection.file_map import load_map

    if _may_declare_gate(repo_root / "pyproject.toml"):
        # The gate's parser brings the workflow reader (and YAML) with it: ≈ 25 ms of every
        # `gateui run`, for a table most projects do not have.
        from gateui.core.gate.infer import check_gate_config

        check_gate_config(repo_root)
    load_map(repo_root)


def _may_declare_gate(pyproject: Path) -> bool:
    """False only when the file is missing or is valid TOML without ``[tool.gateui.gate]``:
    the gate's own parser then has nothing to refuse. Anything else (unreadable, invalid TOML)
    goes to that parser, which words the error."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError):
        return True
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return True
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        return True
    gateui = tool.get("gateui")
    return isinstance(gateui, dict) and "gate" in gateui
