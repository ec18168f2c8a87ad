"""A run's stand-in under the guard when its pytest is forked from a warm process.

It runs as ``python -I -S _warm_client.py RUN_SOCKET_FD CHANNEL_FD -- ARGS…`` in gateui's own
interpreter, standard library only (executed by path, never imported), started by ``launch`` like
any test command — so the guard, the run token and the parent-death signals apply to it. It hands
the warm process (``gateui/warm_server/gateui_warm.py``) the request: the pytest arguments, its
working directory, its environment (the run token included) and its standard streams and event
channel; then it waits for the forked run and exits the way the run did. Signals it receives
(a cancel) go on to the run's process group; when it dies, the warm process kills the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import struct
import sys

_HEADER = struct.Struct("!I")


class _Client:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pid = 0
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._forward)

    def _forward(self, signum: int, frame: object) -> None:
        if not self.pid:
            os._exit(128 + signum)  # not forked yet: the warm process sees us go and skips it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def request(self, args: list[str], channel_fd: int) -> None:
        fds = [0, 1, 2, channel_fd]
        body = json.dumps(
            {"args": args, "cwd": os.getcwd(), "env": dict(os.environ), "fds": fds}
        ).encode()
        message = _HEADER.pack(len(body)) + body
        sent = socket.send_fds(self.sock, [message[:4096]], fds)
        self.sock.sendall(message[sent:])

    def wait(self) -> int:
        """The run's wait status; exits with a message if the warm process went away."""
        pending = b""
        while True:
            try:
                chunk = self.sock.recv(4096)
            except InterruptedError:
                continue
            if not chunk:
                sys.stderr.write("gateui: the warm test process went away during the run\n")
                os._exit(1)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                kind, _, value = line.decode(errors="replace").partition(" ")
                if kind == "pid":
                    self.pid = int(value)
                elif kind == "status":
                    return int(value)
                else:
                    sys.stderr.write(f"gateui: the warm test process refused the run: {value}\n")
                    os._exit(1)


def _exit_like(status: int) -> None:
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        os._exit(code)
    sig = -code
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)


def main(argv: list[str]) -> None:
    sock = socket.socket(fileno=int(argv[1]))
    channel_fd = int(argv[2])
    client = _Client(sock)
    client.request(argv[4:], channel_fd)
    # The run holds the channel and the output now: their end is the run's end.
    os.close(channel_fd)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    os.close(null)
    _exit_like(client.wait())


if __name__ == "__main__":
    main(sys.argv)
