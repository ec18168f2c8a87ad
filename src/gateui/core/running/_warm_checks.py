"""What a warm process depends on, checked cheaply: whether warm processes are on for a project,
the pytest configuration files, and the stamps (mtime, size) that tell a change."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gateui.core.common.errors import ConfigError

CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def mtimes(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    stamps = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            stamps.append((str(path), -1, -1))
            continue
        stamps.append((str(path), info.st_mtime_ns, info.st_size))
    return tuple(stamps)


def warm_enabled(project_root: Path) -> bool:
    """``[tool.gateui] warm`` of a repository or project; a sub-project's own ``warm = false``
    wins for it."""
    pyproject = project_root / "pyproject.toml"
    try:
        if b"warm" not in pyproject.read_bytes():
            # Asked first thing by every `gateui run` (``warm_hint``): a file that cannot say
            # otherwise is not parsed (TOML and the configuration's types cost ≈ 20 ms to load).
            return True
    except OSError:
        return True
    from gateui.core.common.config import load_gateui_config

    try:
        return load_gateui_config(pyproject).warm
    except ConfigError:
        return True  # reported where the configuration is read for the run itself


def config_files(project_root: Path) -> list[Path]:
    return [project_root / name for name in CONFIG_FILES]


def plugin_switches(env: Mapping[str, str]) -> str:
    """What the environment says about the pytest plugins a run loads: the ``-p`` options of
    ``PYTEST_ADDOPTS``, ``PYTEST_PLUGINS`` and ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` ("" when it says
    nothing). Runs that differ in it import different modules (a plugin turned off no longer
    imports its library), so each keeps its own list of modules to preload. (The warm process
    reads ``-p no:NAME`` the same way, in the project's interpreter, where gateui cannot be
    imported: ``_blocked_plugins`` in ``warm_server/gateui_warm.py``.)"""
    addopts = env.get("PYTEST_ADDOPTS", "")
    options: list[str] = []
    if "-p" in addopts:
        import shlex  # only then: asked first thing by every `gateui run` (``warm_hint``)

        try:
            words = shlex.split(addopts)
        except ValueError:
            words = addopts.split()
        for index, word in enumerate(words):
            if word == "-p" and index + 1 < len(words):
                options.append(words[index + 1])
            elif word.startswith("-p") and len(word) > 2:
                options.append(word[2:])
    plugins = env.get("PYTEST_PLUGINS", "")
    no_autoload = env.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "")
    if not options and not plugins and not no_autoload:
        return ""
    said = [*sorted(set(options)), f"PYTEST_PLUGINS={plugins}", f"AUTOLOAD={no_autoload}"]
    return "\0".join(said)
