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


def target_python(*requirements: str) -> Path:
    """An interpreter whose environment has exactly ``requirements`` installed."""
    name = "-".join(r.replace("==", "-").replace(">", "").replace("<", "") for r in requirements)
    folder = CACHE / f"py{sys.version_info[0]}{sys.version_info[1]}-{name}"
    python = folder / "bin" / "python"
    ready = folder / ".ready"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            venv.create(folder, with_pip=True, clear=True)
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
