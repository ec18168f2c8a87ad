"""Standard output that can fail: closed (``gateui run >&-``), full (``> /dev/full``), or a reader
gone (``| head``). Each ends the command quietly with one line on stderr, never a traceback —
also not at interpreter shutdown, when Python flushes what is left."""

from __future__ import annotations

import io
import os
import sys


class OutputLost(OSError):
    """Standard output stopped taking what gateui writes (not a pipe whose reader left)."""


class _GuardedStdout(io.TextIOWrapper):
    """The same stream, with its write errors told apart from every other OSError."""

    def write(self, text: str) -> int:
        try:
            return super().write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputLost(exc.errno, exc.strerror) from exc

    def flush(self) -> None:
        try:
            super().flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputLost(exc.errno, exc.strerror) from exc


def stdout_closed() -> bool:
    """True when there is no standard output at all (file descriptor 1 closed)."""
    if sys.stdout is None:
        return True
    try:
        os.fstat(sys.stdout.fileno())
    except (OSError, ValueError):
        return True
    return False


def guard_stdout() -> None:
    """Replace ``sys.stdout`` by a guarded stream over the same file (same encoding, same
    buffering), so that a failing write raises ``OutputLost``."""
    current = sys.stdout
    if not isinstance(current, io.TextIOWrapper) or isinstance(current, _GuardedStdout):
        return  # already replaced (a test harness, a second call)
    current.flush()
    sys.stdout = _GuardedStdout(
        current.buffer,
        encoding=current.encoding,
        errors=current.errors,
        line_buffering=current.line_buffering,
        write_through=current.write_through,
    )
    # Both wrappers share one buffer: the original must never close it behind our back.
    current.detach()
    # ``shutil.get_terminal_size`` (and through it Textual's size on start and on SIGWINCH) asks
    # ``sys.__stdout__``: a detached wrapper there makes every answer the 80x24 fallback.
    if sys.__stdout__ is current:
        sys.__stdout__ = sys.stdout  # type: ignore[misc]  # typeshed marks it Final; it is a plain attribute


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so that what is still buffered (and Python's own
    flush at shutdown) goes nowhere instead of raising again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError):
        pass


def finish_stdout() -> str | None:
    """Flush what is left; the reason it could not be written, or None."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        return None
    except OSError as exc:
        silence_stdout()
        return exc.strerror or str(exc)
    return None
