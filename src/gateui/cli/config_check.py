"""One check of the repository's gateui configuration for every command that reads it, so that
a broken ``[tool.gateui.gate]`` or ``[[tool.gateui.map]]`` is exit 2 everywhere, with file and
line, instead of an error in one command and silence in the others."""

from __future__ import annotations

from pathlib import Path


def check_config(repo_root: Path) -> None:
    """Raise ``ConfigError`` for the first unusable part of the configuration. (``[tool.gateui]``
    itself is checked where projects are loaded.)"""
    from gateui.core.gate.infer import check_gate_config
    from gateui.core.selection.file_map import load_map

    check_gate_config(repo_root)
    load_map(repo_root)
