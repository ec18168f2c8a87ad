"""The environment a gate step sees: a GitHub-hosted runner's, for a ``pull_request`` event, with
a private home and scratch space and none of the user's credentials.

What a step gets, whatever the user's shell had:

- ``CI=true``, ``GITHUB_ACTIONS=true``, ``GITHUB_EVENT_NAME=pull_request``,
  ``GITHUB_REF=refs/pull/<n>/merge`` (never ``refs/heads/…``), ``GITHUB_BASE_REF``,
  ``GITHUB_HEAD_REF``, ``GITHUB_SHA``, ``GITHUB_WORKSPACE``, ``RUNNER_OS``, ``RUNNER_ARCH``,
  ``RUNNER_TEMP``, ``TZ=UTC`` and a UTF-8 locale (``LANG=C.UTF-8``, no ``LC_*`` of the user's);
- ``HOME``, ``TMPDIR`` and ``RUNNER_TEMP``: empty folders of this check's scratch area (CI starts
  from an empty home too), the same for every step of a check, gone when the check ends;
- ``PRE_COMMIT_HOME``: gateui's own folder for pre-commit's hook environments
  (``~/.cache/gateui/pre-commit``), kept between checks and writable to the steps: with the
  private ``HOME``, pre-commit would fetch and build every hook again on every check (CI keeps
  them with ``actions/cache``). The user's own pre-commit cache is never written to;
- the runner files ``GITHUB_ENV``, ``GITHUB_PATH``, ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY``,
  fresh for each step; what a step writes to ``GITHUB_ENV`` / ``GITHUB_PATH`` holds for the later
  steps of its job, as on the runner.

Credentials are never handed to a step (``is_credential``): a variable is dropped when its name
is a known credential (``GH_TOKEN``, ``GITHUB_TOKEN``, ``SSH_AUTH_SOCK``…), starts with a cloud
provider's prefix (``AWS_``, ``AZURE_``, ``GOOGLE_``…), or contains ``TOKEN``, ``SECRET``,
``PASSWORD``, ``PASSWD``, ``CREDENTIAL``, ``API_KEY``, ``APIKEY``, ``PRIVATE_KEY`` or
``ACCESS_KEY``. The user's own ``GITHUB_*`` / ``RUNNER_*`` / ``ACTIONS_*`` / ``XDG_*`` variables
go too: the runner's replace them, and the XDG folders point into the user's home.

Nor do a user's shell settings that change what Python and pytest run reach a step
(``SHELL_ONLY``): ``PYTEST_ADDOPTS=--lf`` or ``-k`` in the user's profile would make the gate
run a part of what CI runs, ``PYTHONPATH=src`` would import what CI cannot, and
``PYTHONHASHSEED`` would hide an order that CI's random seed shows. A workflow that sets them
(``env:`` or ``$GITHUB_ENV``) still does, as on the runner.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gateui.core.common.stamped_store import CACHE_ROOT

PRE_COMMIT_HOME = CACHE_ROOT / "pre-commit"
"""pre-commit's hook environments, kept between checks (see the module docstring)."""
PULL_REQUEST_NUMBER = 1
"""The pull request's number in ``refs/pull/<n>/merge``: unknown before it exists."""
_CREDENTIAL_NAMES = frozenset(
    {
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "GH_ENTERPRISE_TOKEN",
        "GITHUB_ENTERPRISE_TOKEN",
        "SSH_AUTH_SOCK",
        "SSH_AGENT_PID",
        "GPG_AGENT_INFO",
        "GNUPGHOME",
        "KRB5CCNAME",
        "DBUS_SESSION_BUS_ADDRESS",
        "NETRC",
        "DOCKER_AUTH_CONFIG",
        "KUBECONFIG",
    }
)
_CREDENTIAL_PREFIXES = ("AWS_", "AZURE_", "ARM_", "GOOGLE_", "GCP_", "GCLOUD_", "CLOUDSDK_")
_CREDENTIAL_WORDS = (
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
)
_RUNNER_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "XDG_", "LC_")
SHELL_ONLY = frozenset(
    {
        "PYTEST_ADDOPTS",
        "PYTEST_PLUGINS",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
        "PYTHONPATH",
        "PYTHONHASHSEED",
        "PYTHONSTARTUP",
    }
)
"""The user's variables that a runner has not: they change what runs, so a step never sees
them (unless the workflow sets them)."""
_HEREDOC = re.compile(r"^([^=<\s]+)<<(.+)$")


def is_credential(name: str) -> bool:
    upper = name.upper()
    return (
        upper in _CREDENTIAL_NAMES
        or upper.startswith(_CREDENTIAL_PREFIXES)
        or any(word in upper for word in _CREDENTIAL_WORDS)
    )


def without_credentials(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without credentials and without the user's own runner variables."""
    return {
        k: v
        for k, v in env.items()
        if not is_credential(k) and not k.upper().startswith(_RUNNER_PREFIXES)
    }


def runner_os() -> str:
    if sys.platform.startswith("linux"):
        return "Linux"
    if sys.platform == "darwin":
        return "macOS"
    return "Windows" if sys.platform.startswith("win") else platform.system()


def runner_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}.get(
        machine, machine.upper()
    )


@dataclass(frozen=True)
class PullRequest:
    """The pull request a check stands for."""

    base: str
    head: str
    """The pushed branch's name (``HEAD`` when none is known)."""
    commit: str


@dataclass
class ScratchArea:
    """A check's private folders, inside its scratch folder: ``home``, ``tmp``, ``runner-temp``,
    and a folder per step for the runner files."""

    root: Path
    home: Path = field(init=False)
    tmp: Path = field(init=False)
    runner_temp: Path = field(init=False)

    def __post_init__(self) -> None:
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"
        self.runner_temp = self.root / "runner-temp"
        for folder in (self.home, self.tmp, self.runner_temp):
            folder.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class RunnerFiles:
    """One step's ``GITHUB_ENV``, ``GITHUB_PATH``, ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY``."""

    env: Path
    path: Path
    output: Path
    summary: Path

    @classmethod
    def create(cls, folder: Path) -> RunnerFiles:
        folder.mkdir(parents=True, exist_ok=True)
        files = cls(folder / "env", folder / "path", folder / "output", folder / "step_summary")
        for path in (files.env, files.path, files.output, files.summary):
            path.write_bytes(b"")
        return files

    def variables(self) -> dict[str, str]:
        return {
            "GITHUB_ENV": str(self.env),
            "GITHUB_PATH": str(self.path),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
        }

    def written_env(self) -> dict[str, str]:
        return parse_assignments(_read(self.env))

    def written_outputs(self) -> dict[str, str]:
        return parse_assignments(_read(self.output))

    def written_path(self) -> list[str]:
        return [line.strip() for line in _read(self.path).splitlines() if line.strip()]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def parse_assignments(text: str) -> dict[str, str]:
    """``NAME=value`` lines and ``NAME<<DELIMITER`` … ``DELIMITER`` blocks, as the runner reads
    ``$GITHUB_ENV`` and ``$GITHUB_OUTPUT``; a later assignment wins."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        heredoc = _HEREDOC.match(line)
        if heredoc:
            name, delimiter = heredoc.group(1), heredoc.group(2)
            body: list[str] = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            index += 1  # the delimiter
            values[name] = "\n".join(body)
        elif "=" in line:
            name, _, value = line.partition("=")
            if name.strip():
                values[name.strip()] = value
    return values


def runner_environment(
    base: Mapping[str, str], workspace: Path, scratch: ScratchArea, pull_request: PullRequest
) -> dict[str, str]:
    """``base`` without credentials, plus the runner's variables and private folders."""
    env = {k: v for k, v in without_credentials(base).items() if k not in SHELL_ONLY}
    env.update(
        {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_REF": f"refs/pull/{PULL_REQUEST_NUMBER}/merge",
            "GITHUB_REF_NAME": f"{PULL_REQUEST_NUMBER}/merge",
            "GITHUB_REF_TYPE": "branch",
            "GITHUB_BASE_REF": pull_request.base,
            "GITHUB_HEAD_REF": pull_request.head,
            "GITHUB_SHA": pull_request.commit,
            "GITHUB_WORKSPACE": str(workspace),
            "RUNNER_OS": runner_os(),
            "RUNNER_ARCH": runner_arch(),
            "RUNNER_TEMP": str(scratch.runner_temp),
            "HOME": str(scratch.home),
            "TMPDIR": str(scratch.tmp),
            "PRE_COMMIT_HOME": str(pre_commit_home()),
            "TZ": "UTC",
            "LANG": "C.UTF-8",
        }
    )
    env.pop("LANGUAGE", None)
    return env


def pre_commit_home() -> Path:
    """``PRE_COMMIT_HOME`` for the steps (made when missing; a folder that cannot be made is
    pre-commit's to report)."""
    with contextlib.suppress(OSError):
        PRE_COMMIT_HOME.mkdir(parents=True, exist_ok=True)
    return PRE_COMMIT_HOME


@dataclass
class JobState:
    """What the steps of one job hand on to the next: ``GITHUB_ENV`` and ``GITHUB_PATH``."""

    env: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    """``steps.<id>.outputs``, by the step's id (every step with an id that ran here)."""
    needs: dict[str, dict[str, str | None]] = field(default_factory=dict)
    """``needs.<job>.outputs``, by the job's key: the outputs of the jobs it needs that ran
    here (a job's ``outputs:`` evaluated when it ended; None: from a step that did not run
    here)."""
    results: dict[str, str | None] = field(default_factory=dict)
    """``needs.<job>.result``, by the job's key: ``success``, ``failure`` or ``skipped`` as the
    jobs it needs ended here; None where that is not known here (a step of it was not
    reproduced)."""

    def apply(self, env: dict[str, str]) -> None:
        env.update(self.env)
        if self.path:
            env["PATH"] = os.pathsep.join([*self.path, env.get("PATH", os.defpath)])

    def absorb(self, files: RunnerFiles, step_id: str) -> None:
        self.env.update(files.written_env())
        # A later GITHUB_PATH line comes first on PATH, as on the runner.
        self.path = [*reversed(files.written_path()), *self.path]
        if step_id:
            self.outputs[step_id] = files.written_outputs()

    def with_outputs(self, text: str) -> str:
        """``text`` with its ``${{ steps.<id>.outputs.<name> }}`` replaced by what those steps
        wrote to ``$GITHUB_OUTPUT`` (an output never written is empty, as on the runner), and
        its ``${{ needs.<job>.outputs.<name> }}`` and ``${{ needs.<job>.result }}`` by what the
        jobs it needs left. Raises ``MissingOutput`` for what is not known here."""

        def value(match: re.Match[str]) -> str:
            step, name = match.group(1), match.group(2)
            if step not in self.outputs:
                raise MissingOutput(
                    f"it uses steps.{step}.outputs.{name}, from a step that did not run here"
                )
            return self.outputs[step].get(name, "")

        def needed(match: re.Match[str]) -> str:
            job, name = match.group(1), match.group(2)
            if job not in self.needs:
                raise MissingOutput(
                    f"it uses needs.{job}.outputs.{name}, from a job whose outputs are not"
                    " known here (it did not run here, or is a matrix job)"
                )
            known = self.needs[job].get(name, "")
            if known is None:
                raise MissingOutput(
                    f"it uses needs.{job}.outputs.{name}, from a step that did not run here"
                )
            return known

        def result(match: re.Match[str]) -> str:
            job = match.group(1)
            known = self.results.get(job)
            if known is None:
                raise MissingOutput(
                    f"it uses needs.{job}.result, and how that job ended is not known here"
                    " (a step of it was not reproduced)"
                )
            return known

        text = NEEDS_RESULT.sub(result, text)
        return NEEDS_OUTPUT.sub(needed, STEP_OUTPUT.sub(value, text))


class MissingOutput(Exception):
    """A step output that this run cannot know: its step did not run here."""


STEP_OUTPUT = re.compile(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}")
"""``${{ steps.<id>.outputs.<name> }}``, left in a command by the inference for the run."""
NEEDS_OUTPUT = re.compile(r"\$\{\{\s*needs\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}")
"""``${{ needs.<job>.outputs.<name> }}``, left in a command for the run likewise."""
NEEDS_RESULT = re.compile(r"\$\{\{\s*needs\.([\w-]+)\.result\s*\}\}")
"""``${{ needs.<job>.result }}``: how a needed job ended, filled in likewise."""
KEPT_OUTPUT = re.compile(f"{STEP_OUTPUT.pattern}|{NEEDS_OUTPUT.pattern}|{NEEDS_RESULT.pattern}")
"""Any of them: what the run fills in."""
