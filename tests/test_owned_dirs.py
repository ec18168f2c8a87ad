"""Temporary folders that say whether their gateui is alive: a sweep by another gateui (the next
gate removes dead runs' leftovers) never takes a folder its maker is using.

Real folders, a real second process sweeping the same temporary folder all along.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from gateui.core.common.owned_dirs import owned_tempdir

pytestmark = pytest.mark.unit

SWEEPER = """
import sys, time
from pathlib import Path
from gateui.core.common.owned_dirs import remove_stale_tempdirs
root, stop = Path(sys.argv[1]), Path(sys.argv[2])
print("sweeping", flush=True)
while not stop.exists():
    remove_stale_tempdirs(root=root)
"""


def test_a_folder_in_use_is_never_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    stop = tmp_path / "stop"
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    sweeper = subprocess.Popen(
        [sys.executable, "-c", SWEEPER, str(scratch), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sweeper.stdout is not None and sweeper.stdout.readline() == "sweeping\n"
        lost = 0
        for _ in range(3000):
            with owned_tempdir("gateui-cmd-") as folder:
                try:
                    (folder / "events.jsonl").write_bytes(b"")
                except FileNotFoundError:
                    lost += 1
        assert lost == 0, f"{lost} of 3000 folders were swept while in use"
    finally:
        stop.touch()
        sweeper.wait(timeout=60)
