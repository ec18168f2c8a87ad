"""What a warm process depends on, checked cheaply: the pytest configuration files, and the stamps
(mtime, size) that tell a change (``warm_early.stamps``, as paths)."""

from __future__ import annotations

from pathlib import Path

from gateui.core.running.warm_early import stamps

CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def mtimes(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    return tuple(stamps(str(path) for path in paths))


def config_files(project_root: Path) -> list[Path]:
    return [project_root / name for name in CONFIG_FILES]
