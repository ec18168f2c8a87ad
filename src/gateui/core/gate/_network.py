"""A step that failed because the network CI has is not reachable here: not a verdict on the code.

A GitHub-hosted runner always reaches github.com. When a step failed without a test failing, its
output says a host could not be reached (a name that does not resolve, a network that is down),
and github.com does not resolve here either, the step was cut off from what CI has: it is "not
reproduced here", not a failure (a pre-push from a train would otherwise be refused). Where
github.com resolves, the same output is CI's failure too (a host that does not exist anywhere),
and the step fails.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Sequence

PROBE_ENV = "GATEUI_NETWORK_PROBE"
"""The host whose name tells whether CI's network is reachable (default github.com; a GitHub
Enterprise server's name for its runners)."""
PROBE_TIMEOUT_S = 3.0
PROBE_KEPT_S = 60.0

_UNREACHABLE = re.compile(
    r"Could not resolve host"
    r"|Temporary failure in name resolution"
    r"|Name or service not known"
    r"|nodename nor servname provided"
    r"|No address associated with hostname"
    r"|Network is unreachable"
    r"|Failed to establish a new connection",
    re.IGNORECASE,
)
_probed: dict[str, tuple[float, bool]] = {}
_lock = threading.Lock()


def offline_failure(tail: Sequence[str]) -> str | None:
    """Why a failed step was cut off from CI's network, or None (its failure stands)."""
    line = next((text.strip() for text in reversed(tail) if _UNREACHABLE.search(text)), None)
    if line is None:
        return None
    host = os.environ.get(PROBE_ENV) or "github.com"
    if _resolves(host):
        return None
    return f"it needs the network, and {host} cannot be reached from here: {line[:200]}"


def _resolves(host: str) -> bool:
    """Whether ``host``'s name resolves, asked at most once a minute; a resolver that does not
    answer in ``PROBE_TIMEOUT_S`` counts as unreachable."""
    with _lock:
        seen = _probed.get(host)
        if seen is not None and time.monotonic() - seen[0] < PROBE_KEPT_S:
            return seen[1]
    answer: list[bool] = []

    def ask() -> None:
        try:
            socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
        except OSError:
            answer.append(False)
        else:
            answer.append(True)

    asker = threading.Thread(target=ask, daemon=True, name="gateui-network-probe")
    asker.start()
    asker.join(PROBE_TIMEOUT_S)
    resolved = bool(answer and answer[0])
    with _lock:
        _probed[host] = (time.monotonic(), resolved)
    return resolved
