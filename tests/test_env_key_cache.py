"""The environment key the plugin reports is kept between runs, and an install changes it.

Reading every installed distribution costs tens of milliseconds per run, so the plugin keeps the
key in the repository's ``.gateui/env-keys.json`` under a stamp of the environment's folders.
Each test here builds a real virtual environment (no pip: a ``.pth`` line lends it pytest) and
"installs" a package the way pip leaves one: a ``*.dist-info`` folder in site-packages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from gateui.core.running.injected import PLUGIN_DIR

pytestmark = pytest.mark.integration


def _environment(tmp_path: Path) -> tuple[Path, Path]:
    """A virtual environment (its python, its site-packages) that can import pytest."""
    folder = tmp_path / "env"
    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    found = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    site = Path(found.stdout.strip())
    # Outside the environment's prefix: pytest's own distribution is not part of its key.
    (site / "lend_pytest.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, site


def _key(python: Path, record_root: Path | str) -> str:
    code = f"import gateui_events as p; print(p._environment_key({str(record_root)!r}))"
    env = {**os.environ, "PYTHONPATH": str(PLUGIN_DIR), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("GATEUI_EVENTS", None)
    done = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


def _install(site: Path, name: str, version: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


@pytest.mark.skipif(sys.platform == "win32", reason="venv layout of POSIX systems")
def test_cached_key_equals_computed_key_and_an_install_changes_it(tmp_path: Path) -> None:
    python, site = _environment(tmp_path)
    repo = tmp_path / "repo"
    (repo / ".gateui").mkdir(parents=True)
    cache = repo / ".gateui" / "env-keys.json"

    first = _key(python, repo)
    assert first == _key(python, "")  # the same key as without any cache
    stored = json.loads(cache.read_text())
    assert list(stored.values()) == [first]

    # The next run takes the stored key: proven by planting another value under its stamp.
    stamp = next(iter(stored))
    cache.write_text(json.dumps({stamp: "planted"}))
    assert _key(python, repo) == "planted"
    cache.write_text(json.dumps({stamp: first}))

    _install(site, "fakepkg", "1.0")
    installed = _key(python, repo)
    assert installed != first
    assert installed == _key(python, "")
    assert _key(python, repo) == installed

    # An upgrade replaces the dist-info folder: a new key again, never the one before.
    (site / "fakepkg-1.0.dist-info" / "METADATA").unlink()
    (site / "fakepkg-1.0.dist-info").rmdir()
    _install(site, "fakepkg", "2.0")
    upgraded = _key(python, repo)
    assert upgraded not in (first, installed)
    assert upgraded == _key(python, "")


def test_without_a_state_folder_nothing_is_written(tmp_path: Path) -> None:
    python, _ = _environment(tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    assert _key(python, repo) == _key(python, "")
    assert not (repo / ".gateui").exists()
