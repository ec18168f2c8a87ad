"""What a workflow's ``uses:`` step is to the gate.

Checking out, setting up interpreters and tools, caches and artifacts prepare the runner: the
gate runs in a checkout with the project's own environment, so they are environment steps and
CI's verdict does not hang on them. Actions that publish (releases, package uploads, coverage
services, deployments) are left out like publishing commands. Any other action may check the
code and runs only on GitHub: it is not reproduced here, and the verdict says so (``partial``).

Artifacts are handed between jobs by gateui itself (``_artifacts``). Well-known actions that check
code run as the command they run on the runner (``local_command``): the official pre-commit
action, ruff's actions, black's and pyright's; where the tool is missing here, the step is not
reproduced and names it. Two more are decided here as they decide on the runner
(``action_command``): ``dorny/paths-filter`` (``_paths_filter``) and ``re-actors/alls-green``,
the "all green" check that fails when a job it is given did not end acceptably.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateui.core.gate._paths_filter import NotAnswered, is_paths_filter, paths_filter_outputs
from gateui.core.gate.model import (
    KIND_DOWNLOAD_ARTIFACT,
    KIND_UPLOAD_ARTIFACT,
    LEFT_OUT_PUBLISH,
    LEFT_OUT_SETUP,
    UNREPRODUCED,
)

_ARTIFACT_ACTIONS = {
    "actions/upload-artifact": KIND_UPLOAD_ARTIFACT,
    "actions/download-artifact": KIND_DOWNLOAD_ARTIFACT,
}

_ENVIRONMENT = {
    "actions/checkout",
    "actions/cache",
    "actions/upload-pages-artifact",
    "actions/configure-pages",
    "actions/github-script-setup",
    "docker/login-action",
    "docker/setup-buildx-action",
    "docker/setup-qemu-action",
    "docker/metadata-action",
    "hynek/setup-cached-uv",
    "pre-commit/action-cache",
    "extractions/setup-just",
    "taiki-e/install-action",
    "jdx/mise-action",
    # The runner itself: hardening its network, cancelling superseded runs, a debugging shell.
    "step-security/harden-runner",
    "styfle/cancel-workflow-action",
    "mxschmitt/action-tmate",
}
_PUBLISH = {
    "actions/deploy-pages",
    "actions/create-release",
    "actions/upload-release-asset",
    "codecov/codecov-action",
    "coverallsapp/github-action",
    "pypa/gh-action-pypi-publish",
    "softprops/action-gh-release",
    "ncipollo/release-action",
    "peaceiris/actions-gh-pages",
    "JamesIves/github-pages-deploy-action",
    "docker/build-push-action",
    "marocchino/sticky-pull-request-comment",
    "peter-evans/create-pull-request",
    "peter-evans/create-or-update-comment",
    "stefanzweifel/git-auto-commit-action",
}
# Setting up a tool: "setup-<tool>" is how such actions are named (actions/setup-python,
# astral-sh/setup-uv, pnpm/action-setup, conda-incubator/setup-miniconda…).
_SETUP_NAME = re.compile(r"(?:^|[-/])(?:setup|install)(?:-|$)|^action-setup$|cache", re.I)


@dataclass(frozen=True)
class ActionRole:
    left_out: str
    why: str
    remedy: str = ""


def artifact_action(uses: str) -> str | None:
    """The step kind for an artifact action gateui performs itself (None for other actions)."""
    return _ARTIFACT_ACTIONS.get(uses.split("@", 1)[0].strip())


def action_role(uses: str) -> ActionRole:
    """How the gate treats ``uses: <uses>``."""
    if uses.startswith("docker://"):
        return ActionRole(
            UNREPRODUCED,
            f"the container action {uses} runs only on the CI runner",
            "declare the check it makes as a command in [tool.gateui.gate] steps to run it here",
        )
    if uses.startswith("./"):
        return ActionRole(
            UNREPRODUCED,
            f"the local action {uses} is not run by gateui",
            "run its commands from a `run:` step, or declare them in [tool.gateui.gate] steps",
        )
    name = uses.split("@", 1)[0]
    repository = "/".join(name.split("/")[:2])
    action = name.rsplit("/", 1)[-1]
    if repository in _ENVIRONMENT or name in _ENVIRONMENT:
        return ActionRole(LEFT_OUT_SETUP, f"environment setup ({uses})")
    if repository in _PUBLISH or name in _PUBLISH:
        return ActionRole(LEFT_OUT_PUBLISH, f"publishing ({uses})")
    if _SETUP_NAME.search(action) or _SETUP_NAME.search(repository.split("/")[-1]):
        return ActionRole(LEFT_OUT_SETUP, f"environment setup ({uses})")
    return ActionRole(
        UNREPRODUCED,
        f"the action {uses} runs only on GitHub",
        "declare the check it makes as a command in [tool.gateui.gate] steps to run it here",
    )


@dataclass(frozen=True)
class LocalCommand:
    """What a well-known checking action runs on the runner, as a ``run:`` script."""

    script: str
    working_directory: str | None = None
    note: str = ""
    """What the report says of it (by default: the command it runs)."""


def _text(inputs: Mapping[str, Any], key: str, default: str = "") -> str:
    value = inputs.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip() or default


def _pre_commit(inputs: Mapping[str, Any]) -> LocalCommand:
    # pre-commit/action: `pre-commit run --show-diff-on-failure --color=always <extra_args>`,
    # extra_args defaulting to --all-files.
    extra = _text(inputs, "extra_args", "--all-files")
    return LocalCommand(f"pre-commit run --show-diff-on-failure --color=always {extra}")


def _ruff(inputs: Mapping[str, Any]) -> LocalCommand:
    # astral-sh/ruff-action and chartboost/ruff-action: `ruff <args> <src>`, args defaulting
    # to `check` (arguments without a subcommand are check's).
    args = _text(inputs, "args", "check")
    if shlex.split(args)[:1] not in (["check"], ["format"]):
        args = f"check {args}"
    src = " ".join(shlex.quote(p) for p in _text(inputs, "src", ".").split())
    return LocalCommand(f"ruff {args} {src}")


def _black(inputs: Mapping[str, Any]) -> LocalCommand:
    # psf/black: `black <options> <src>`, options defaulting to `--check --diff`.
    options = _text(inputs, "options", "--check --diff")
    src = _text(inputs, "src", ".")
    return LocalCommand(f"black {options} {src}")


def _pyright(inputs: Mapping[str, Any]) -> LocalCommand:
    # jakebailey/pyright-action: `pyright [--project P] <extra-args>` in its working-directory.
    words = ["pyright"]
    project = _text(inputs, "project")
    if project:
        words += ["--project", shlex.quote(project)]
    extra = _text(inputs, "extra-args")
    if extra:
        words.append(extra)
    return LocalCommand(" ".join(words), _text(inputs, "working-directory") or None)


_CHECKING_ACTIONS: dict[str, Callable[[Mapping[str, Any]], LocalCommand]] = {
    "pre-commit/action": _pre_commit,
    "astral-sh/ruff-action": _ruff,
    "chartboost/ruff-action": _ruff,
    "psf/black": _black,
    "jakebailey/pyright-action": _pyright,
}


def local_command(uses: str, inputs: Mapping[str, Any]) -> LocalCommand | None:
    """The command a well-known checking action runs (None for any other action)."""
    make = _CHECKING_ACTIONS.get(uses.split("@", 1)[0].strip())
    return make(inputs) if make is not None else None


def action_command(
    uses: str,
    inputs: Mapping[str, Any],
    needs: Sequence[str],
    changed: Sequence[str] | None,
    read_file: Callable[[str], str | None],
) -> LocalCommand | NotAnswered | None:
    """What a well-known action runs here (None for any other action): a checking action's
    command, paths-filter's outputs for this pull request, alls-green's decision on the results
    of the jobs its job ``needs``; ``NotAnswered`` where it cannot be told here."""
    if is_paths_filter(uses):
        answer = paths_filter_outputs(inputs, changed, read_file)
        if isinstance(answer, NotAnswered):
            return answer
        return LocalCommand(answer.script(), note=answer.note())
    if uses.split("@", 1)[0].strip().lower() == ALLS_GREEN:
        return _alls_green(inputs, needs)
    return local_command(uses, inputs)


ALLS_GREEN = "re-actors/alls-green"
# The action's contract (its job_outcome module): a job it is given must have ended with one of
# these results, by the lists it is given.
_REQUIRED = ("success",)
_MAY_BE_SKIPPED = ("success", "skipped")
_MAY_FAIL = ("success", "failure", "cancelled", "skipped")


def _alls_green(inputs: Mapping[str, Any], needs: Sequence[str]) -> LocalCommand | NotAnswered:
    jobs = re.sub(r"\s+", "", _text(inputs, "jobs")).lower()
    if jobs != "${{tojson(needs)}}":
        return NotAnswered("its jobs input is not the needs context (toJSON(needs))")
    if not needs:
        return NotAnswered("its job needs no job: the action fails on an empty needs context")
    may_fail = _names(_text(inputs, "allowed-failures", "[]"))
    may_skip = _names(_text(inputs, "allowed-skips", "[]"))
    if may_fail is None or may_skip is None:
        return NotAnswered("its allowed-failures or allowed-skips is computed on the runner")
    lines = [
        "# What re-actors/alls-green decides: each job it is given ended acceptably.",
        "verdict=success",
        "judge() {",
        "  name=$1; result=$2; shift 2",
        '  for acceptable in "$@"; do',
        '    if [ "$result" = "$acceptable" ]; then echo "ok   $name: $result"; return 0; fi',
        "  done",
        '  echo "FAIL $name: $result (acceptable: $*)"; verdict=failure',
        "}",
    ]
    for key in needs:
        acceptable = (
            _MAY_FAIL if key in may_fail else _MAY_BE_SKIPPED if key in may_skip else _REQUIRED
        )
        result = "${{ needs." + key + ".result }}"
        lines.append(f'judge {shlex.quote(key)} "{result}" {" ".join(acceptable)}')
    lines += [
        'if [ "$verdict" = success ]; then good=true; else good=false; fi',
        'bad=$([ "$good" = true ] && echo false || echo true)',
        'printf "result=%s\\nsuccess=%s\\nfailure=%s\\n" "$verdict" "$good" "$bad" \\',
        '  >> "$GITHUB_OUTPUT"',
        '[ "$verdict" = success ]',
    ]
    note = f"CI runs the action {ALLS_GREEN}; here its decision on: {', '.join(needs)}"
    return LocalCommand("\n".join(lines), note=note)


def _names(text: str) -> list[str] | None:
    """A list input as the action reads it: JSON, else comma-separated (empty names dropped)."""
    if "${{" in text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = text.split(",")
    if not isinstance(value, list):
        value = [value]
    return [str(name).strip() for name in value if str(name).strip()]
