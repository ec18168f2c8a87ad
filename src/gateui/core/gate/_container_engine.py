"""Whether a container engine answers here, for jobs with ``container:`` or ``services:``.

A ``docker`` (or ``podman``) program is often only a client: without a daemon it answers nothing.
The engine is asked once per process (``docker info``, a few seconds at most), so a job's
reason can say what is missing: no engine at all, or a client whose daemon does not answer.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class EngineStatus:
    answers: bool
    detail: str
    """"docker 24.0.7 answers", "docker is installed but its daemon does not answer: …"."""


@functools.cache
def container_engine() -> EngineStatus:
    tried: list[str] = []
    for name in ("docker", "podman"):
        program = shutil.which(name)
        if program is None:
            continue
        try:
            result = subprocess.run(
                [program, "info", "--format", "{{.ServerVersion}}"],
                capture_output=True,
                text=True,
                timeout=PROBE_TIMEOUT_S,
                check=False,
                env={k: v for k, v in os.environ.items() if k != "DOCKER_CLI_HINTS"},
            )
        except subprocess.TimeoutExpired:
            tried.append(
                f"{name} is installed but its daemon did not answer in {PROBE_TIMEOUT_S:g} s"
            )
            continue
        except OSError as exc:
            tried.append(f"{name} cannot start: {exc}")
            continue
        version = result.stdout.strip()
        if result.returncode == 0 and version:
            return EngineStatus(True, f"{name} {version} answers")
        message = _first_line(result.stderr) or f"exit {result.returncode}"
        tried.append(f"{name} is installed but its daemon does not answer ({message})")
    if not tried:
        return EngineStatus(False, "no container engine (docker, podman) is installed here")
    return EngineStatus(False, "; ".join(tried))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def engine_text() -> str:
    """What a container job's reason says about the engine here."""
    status = container_engine()
    if status.answers:
        return f"{status.detail}, but gateui does not start a job's containers"
    return status.detail
