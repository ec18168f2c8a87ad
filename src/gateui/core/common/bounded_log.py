"""A log file in ``.gateui/`` that keeps its newest lines and never grows past a bound.

gateui's logs are read when something went wrong, usually about the last few runs; a run that
appends a line every time (the warm process's log does) must not fill the disk over months of
use. Past ``limit`` bytes the file is cut to its newest half, at a line boundary, and replaced
whole (a reader never sees half a file). Writing fails quietly: a log is not worth a run.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

LOG_LIMIT_BYTES = 256 * 1024


def append_line(path: Path, text: str, limit: int = LOG_LIMIT_BYTES) -> None:
    """Append ``text`` as one time-stamped line; then keep the newest half if over ``limit``."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")
            size = handle.tell()
        if size > limit:
            _keep_newest(path, limit // 2)


def _keep_newest(path: Path, keep: int) -> None:
    data = path.read_bytes()
    tail = data[-keep:]
    start = tail.find(b"\n") + 1  # the first whole line (0 when no newline: keep it all)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_bytes(tail[start:])
        os.replace(partial, path)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
