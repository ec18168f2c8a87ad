"""On Linux with bubblewrap (``bwrap``): a step sees the whole filesystem read-only, except its
checkout and the check's scratch area (and the event channel gateui reads, and gateui's own folder
of pre-commit environments kept between checks: ``_runner_env.PRE_COMMIT_HOME``).

``/dev`` and ``/proc`` stay as they are and the network is not touched: a step runs the way it
would on the runner, but ``rm -rf ~``, a write to the user's work tree or to a file anywhere else
fails with "Read-only file system". The processes stay in gateui's process namespace, so the
guard still finds and stops whatever a step leaves running.

Where bwrap is missing or cannot create its namespaces (unprivileged user namespaces switched
off), steps run without it: then the private ``HOME``, ``TMPDIR`` and the checkout being a
temporary worktree are the protection (``unavailable_reason`` says why).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from gateui.core.running.channel import CHANNEL_ENV

SANDBOX_ENV = "GATEUI_SANDBOX"
"""``off`` runs steps without bubblewrap even where it is available."""
_PROBE_TIMEOUT_S = 20


@functools.cache
def _probe(bwrap: str) -> str:
    """Empty when ``bwrap`` can set up a read-only root here; else what went wrong."""
    try:
        result = subprocess.run(
            [bwrap, "--ro-bind", "/", "/", "--dev-bind", "/dev", "/dev", "--", "true"],
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{bwrap} cannot run: {exc}"
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        return f"{bwrap} cannot create its sandbox here: {message[-1] if message else 'failed'}"
    return ""


def unavailable_reason(env: Mapping[str, str]) -> str:
    """Why steps run without the read-only sandbox ("" when they run in it)."""
    if env.get(SANDBOX_ENV, "").lower() in ("off", "0", "no", "false"):
        return f"{SANDBOX_ENV}=off"
    if not sys.platform.startswith("linux"):
        return "the read-only sandbox needs Linux (bubblewrap)"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    return _probe(bwrap)


def sandboxed(argv: Sequence[str], env: Mapping[str, str], writable: Iterable[Path]) -> list[str]:
    """``argv`` run by bwrap with everything read-only but ``writable`` (and the folder of the
    event channel named in ``env``). Call only when ``unavailable_reason`` is empty."""
    bwrap = shutil.which("bwrap") or "bwrap"
    wrapped = [
        bwrap,
        "--ro-bind",
        "/",
        "/",
        "--dev-bind",
        "/dev",
        "/dev",
        "--bind",
        "/proc",
        "/proc",
    ]
    folders = [Path(p).resolve() for p in writable]
    channel = env.get(CHANNEL_ENV, "")
    if channel and not channel.startswith("fd:"):
        folders.append(Path(channel).resolve().parent)
    for folder in dict.fromkeys(folders):
        wrapped += ["--bind", str(folder), str(folder)]
    # No --chdir: bwrap stays in the folder it was started in (the step's working directory).
    wrapped += ["--", *argv]
    return wrapped
