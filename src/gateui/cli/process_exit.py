"""Leaving the process once a command has finished: without tearing the interpreter down.

At a normal exit Python frees every object it holds: each module, the parsed workflows, the
results of a run of thousands of tests. For a command that is about to end, that is time spent
after the answer is known (≈ 10 to 20 ms per command, paid by every pre-push check and after every
run). Only the console entry points use this; ``main()`` itself returns, so a caller that runs
it in-process (a test, a wrapper) keeps its interpreter.

What a normal exit does that still matters is done first: the ``atexit`` functions (logging's
flush, ``weakref.finalize`` clean-ups), and the standard streams are flushed. Where a
non-daemon thread is still alive, the normal exit runs instead: it waits for such threads, and
one that is writing must not be cut off. Daemon threads end either way, as at a normal exit.
What a finaliser would have closed at teardown is closed by the command itself (the
dependency store's SQLite connection: ``cli.run``), never left to this exit.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def exit_now(code: int) -> NoReturn:
    """End the process with ``code``, skipping the interpreter's teardown where that is safe."""
    if _non_daemon_threads():
        raise SystemExit(code)
    # What exit would flush: a stream that cannot take it (a reader gone) is the normal exit's
    # to report, as it would have been.
    _flush_or_exit(code)
    atexit._run_exitfuncs()
    _flush_or_exit(code)
    os._exit(code)


def _flush_or_exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed: nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            raise SystemExit(code) from None


def _non_daemon_threads() -> bool:
    main_thread = threading.main_thread()
    return any(t is not main_thread and not t.daemon for t in threading.enumerate())
