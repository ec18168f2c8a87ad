"""Throwaway virtual environments with another pytest, as the repos gateui runs on have.

They hold pytest (and xdist) but never gateui: exactly the situation the event plugin is built for.
Built once per machine under the user cache folder, guarded by a file lock for parallel workers.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import venv
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gateui-tests" / "venvs"


def target_python(*requirements: str, base: Path | None = None) -> Path:
    """An interpreter whose environment has exactly ``requirements`` installed, made from
    ``base`` (another Python installation) or else from the interpreter running the tests."""
    name = "-".join(r.replace("==", "-").replace(">", "").replace("<", "") for r in requirements)
    version = f"{sys.version_info[0]}{sys.version_info[1]}" if base is None else _version(base)
    folder = CACHE / f"py{version}-{name}"
    python = folder / "bin" / "python"
    ready = folder / ".ready"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            if base is None:
                venv.create(folder, with_pip=True, clear=True)
            else:
                subprocess.run(
                    [str(base), "-m", "venv", "--clear", str(folder)],
                    check=True,
                    capture_output=True,
                    timeout=300,
                )
            subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    *requirements,
                ],
                check=True,
                capture_output=True,
                timeout=300,
            )
            ready.write_text("ok\n")
    return python


def _version(python: Path) -> str:
    """``312`` for a Python 3.12 interpreter."""
    probe = subprocess.run(
        [str(python), "-c", "import sys; print(f'{sys.version_info[0]}{sys.version_info[1]}')"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return probe.stdout.strip()
