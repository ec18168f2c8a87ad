"""One run forked from a warm process, handled by gateui itself as it handles a started process.

gateui sends the warm process (``gateui/warm_server/gateui_warm.py``) the request on the run's own
socket — the pytest arguments, the working directory, the environment (the run token included) and
the descriptors for the run's stdin, output and event channel — and receives ``pid N`` and then
``status N`` (a wait status). No process is started for it on gateui's side: no guard, no stand-in,
so a forked run starts as soon as the warm process forks.

It keeps the guarantees of a guarded run: the forked run is a session of its own (a cancel signals
its whole process group), it dies with the warm process (parent-death signal), and the warm process
kills its process group when it exits or when this socket closes — which the kernel does when
gateui dies, ``kill -9`` included. Processes that escape the group still carry the run token and
are killed after the run like any run's.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

_HEADER = struct.Struct("!I")
_FIRST_CHUNK = 4096
PID_TIMEOUT_S = 30.0
"""How long the warm process may take to fork (it answers at once unless it is swapped out)."""


class WarmRunRefused(OSError):
    """The warm process did not take the run (it went away, or refused it): start it cold."""


class ForkedRun:
    """A forked run seen as ``subprocess.Popen`` is: ``pid``, ``stdout``, ``poll()``, ``wait()``.

    ``stdout`` carries the run's stdout and stderr, as a guarded process's pipe does."""

    def __init__(
        self,
        run_socket: socket.socket,
        args: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        channel_fd: int,
        extra_fds: Sequence[int] = (),
    ) -> None:
        """``channel_fd`` and ``extra_fds`` reach the run under the same numbers."""
        self._sock = run_socket
        self._pending = b""
        self.returncode: int | None = None
        self.lost = False
        """The warm process went away before the run's status came (it was killed)."""
        out_read, out_write = os.pipe()
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            body = json.dumps(
                {
                    "args": list(args),
                    "cwd": str(cwd),
                    "env": dict(env),
                    "fds": [0, 1, 2, channel_fd, *extra_fds],
                }
            ).encode()
            message = _HEADER.pack(len(body)) + body
            try:
                sent = socket.send_fds(
                    run_socket,
                    [message[:_FIRST_CHUNK]],
                    [null, out_write, out_write, channel_fd, *extra_fds],
                )
                run_socket.sendall(message[sent:])
            except OSError as exc:
                raise WarmRunRefused(f"the warm test process did not take the run ({exc})") from exc
        except BaseException:
            os.close(out_read)
            raise
        finally:
            # The warm process has its own copies now: the run's end is the pipe's end.
            os.close(null)
            os.close(out_write)
        self.stdout: IO[bytes] | None = open(out_read, "rb", buffering=0)  # noqa: SIM115
        try:
            self.pid = self._read_pid()
        except BaseException:
            self.stdout.close()
            raise

    def _read_pid(self) -> int:
        deadline = time.monotonic() + PID_TIMEOUT_S
        while True:
            for kind, value in self._messages(max(0.0, deadline - time.monotonic())):
                if kind == "pid":
                    return int(value)
                raise WarmRunRefused(f"the warm test process refused the run: {value}")
            if self.lost or time.monotonic() > deadline:
                raise WarmRunRefused("the warm test process did not fork the run")

    def _messages(self, timeout: float) -> list[tuple[str, str]]:
        """The complete lines the warm process sent within ``timeout`` (``lost`` on its end)."""
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            return []
        try:
            chunk = self._sock.recv(4096)
        except InterruptedError:
            return []
        except OSError:
            chunk = b""
        if not chunk:
            self.lost = True
            return []
        self._pending += chunk
        lines = self._pending.split(b"\n")
        self._pending = lines.pop()
        found = []
        for line in lines:
            kind, _, value = line.decode(errors="replace").partition(" ")
            found.append((kind, value))
        return found

    def _settle(self, timeout: float) -> None:
        if self.returncode is not None:
            return
        for kind, value in self._messages(timeout):
            if kind == "status":
                self.returncode = os.waitstatus_to_exitcode(int(value))
                self._close_socket()
                return
        if self.lost:
            # The warm process died (killed with its guard): so did the run.
            self.returncode = -signal.SIGKILL
            self._close_socket()

    def _close_socket(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()

    def poll(self) -> int | None:
        self._settle(0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = 1.0 if deadline is None else deadline - time.monotonic()
            if left < 0:
                raise subprocess.TimeoutExpired("forked run", timeout or 0.0)
            self._settle(min(left, 1.0))
        return self.returncode
