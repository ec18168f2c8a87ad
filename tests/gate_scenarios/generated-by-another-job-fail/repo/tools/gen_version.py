"""Write calc_version.py from VERSION (the build generates it; it is not committed)."""

from pathlib import Path

version = Path("VERSION").read_text().strip()
Path("calc_version.py").write_text(f"VERSION = {version!r}\n")
