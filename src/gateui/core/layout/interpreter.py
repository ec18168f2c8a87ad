"""Which Python runs a project's tests: the project's own, never gateui's by accident."""

from __future__ import annotations

import sys
from pathlib import Path

from gateui.core.common.config import GateuiConfig
from gateui.core.common.errors import ConfigError

_VENV_NAMES = (".venv", "venv")


def venv_python(folder: Path) -> Path | None:
    """The interpreter of a virtual environment named .venv or venv inside ``folder``."""
    for name in _VENV_NAMES:
        for candidate in (
            folder / name / "bin" / "python",
            folder / name / "Scripts" / "python.exe",
        ):
            # A dangling link is still the project's environment (its base interpreter was
            # removed): running it names the problem; gateui's own Python would hide it.
            if candidate.exists() or candidate.is_symlink():
                return candidate
    return None


def find_interpreter(project_root: Path, repo_root: Path, config: GateuiConfig) -> Path:
    """The interpreter for ``project_root``.

    An explicit ``[tool.gateui] python`` wins (the user said so); then a ``.venv``/``venv`` in the
    project, then in the repository root; else the interpreter running gateui.
    """
    if config.python:
        base = config.source.parent if config.source else repo_root
        path = Path(config.python).expanduser()
        if not path.is_absolute():
            path = base / path
        if not path.exists():
            source = config.source or repo_root / "pyproject.toml"
            raise ConfigError(
                source, f"tool.gateui.python: {config.python!r} does not exist ({path})"
            )
        return path
    for folder in (project_root, repo_root):
        found = venv_python(folder)
        if found is not None:
            return found
    return Path(sys.executable)
