"""Temporary folders that say whether the gateui that made them is still alive.

Each folder holds ``.gateui-owner``, locked (``flock``) by the process that made it for as long as
it uses the folder. The kernel drops the lock when that process dies, however it dies — ``kill
-9`` included — so a later gateui that can take the lock knows the folder is a dead run's
leftover and removes it. A live gateui's folder is never touched: its lock is held.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

OWNER_FILE = ".gateui-owner"
PREFIX = "gateui-"


@contextlib.contextmanager
def owned_tempdir(prefix: str) -> Iterator[Path]:
    """A fresh temporary folder named ``prefix…``, marked as this process's, removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    # Locked under another name first, then renamed: a sweep by another gateui, which takes any
    # ``OWNER_FILE`` it can lock for a dead run's, never finds it unlocked between its creation
    # and the lock.
    pending = folder / f"{OWNER_FILE}.new"
    owner = os.open(pending, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(owner, fcntl.LOCK_EX)
        os.write(owner, f"{os.getpid()}\n".encode())
        os.rename(pending, folder / OWNER_FILE)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(owner)


def remove_stale_tempdirs(
    before_removal: Callable[[Path], None] | None = None, root: Path | None = None
) -> list[Path]:
    """Remove the gateui folders in ``root`` (the temporary folder) whose owner has died;
    ``before_removal`` sees each one first. Returns what was removed."""
    base = Path(tempfile.gettempdir()) if root is None else root
    removed: list[Path] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for folder in entries:
        if not folder.name.startswith(PREFIX):
            continue
        try:
            owner = os.open(folder / OWNER_FILE, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            continue  # not ours, or not marked: left alone
        try:
            try:
                fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # its gateui is alive
            if before_removal is not None:
                before_removal(folder)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(owner)
    return removed
