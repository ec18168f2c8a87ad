"""SIGTERM and SIGHUP unwind like Ctrl-C does, so every ``finally`` runs (process-group kills,
worktree removal) before gateui exits. Standard library only: the pre-push hook's entry uses it
before anything else of gateui is imported."""

from __future__ import annotations

import signal
from types import FrameType


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM/SIGHUP, with exit code 128 + the signal."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Terminated(128 + signum)


def unwind_on_termination() -> None:
    """From now on SIGTERM and SIGHUP raise ``Terminated`` in the main thread."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)


def interruption(stop: BaseException) -> str:
    """``interrupted by SIGTERM``: what stopped a command (Ctrl-C is SIGINT), for its report."""
    code = stop.code if isinstance(stop, Terminated) else 128 + signal.SIGINT
    try:
        name = signal.Signals(int(code or 0) - 128).name
    except (TypeError, ValueError):
        name = "a signal"
    return f"interrupted by {name}"
