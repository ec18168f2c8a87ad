"""Artifacts between jobs, handed over locally: ``actions/upload-artifact`` keeps a copy of the
files its ``path:`` matches, ``actions/download-artifact`` copies them into the later job's
checkout, as the runner would (upload-artifact v4 semantics: the files are stored relative to the
least common ancestor of the search paths; hidden files are left out unless
``include-hidden-files: true``, from v4.4 on; downloading without a ``name`` puts each artifact in
a folder of its own name unless ``merge-multiple: true``).

An artifact that could not be produced here (its upload did not run, or found no files) is never
a download failure: the download, and its job's later steps, are not reproduced, and say why.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import shutil
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gateui.core.gate.model import (
    KIND_DOWNLOAD_ARTIFACT,
    KIND_UPLOAD_ARTIFACT,
    NOT_REPRODUCED,
    GateStep,
    StepOutcome,
    StepResult,
)

_WILDCARD = re.compile(r"[*?\[]")
_VERSION = re.compile(r"@v(\d+)(?:\.(\d+))?")
_HIDDEN_FROM = (4, 4)
"""upload-artifact leaves hidden files out from v4.4.0 on (``@v4`` is the newest v4)."""


@dataclass(frozen=True)
class ArtifactResult:
    """What an artifact step did: ``message`` says it in one line."""

    message: str
    failed: bool = False
    """CI fails the step too (``if-no-files-found: error``)."""
    not_reproduced: str = ""
    """Why the step could not be reproduced here ("" when it was)."""


@dataclass
class ArtifactStore:
    """The artifacts of one gate run, kept under ``root``."""

    root: Path
    stored: dict[str, Path] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    """Artifacts a step would upload on CI that are not here: why, in words."""

    def not_uploaded(self, inputs: Mapping[str, str], why: str) -> None:
        """An upload step that did not run here."""
        name = inputs.get("name") or "artifact"
        if name not in self.stored:
            self.missing[name] = f"its upload did not run here ({why})"

    def upload(
        self, uses: str, inputs: Mapping[str, str], workspace: Path, job_unreproduced: str = ""
    ) -> ArtifactResult:
        name = inputs.get("name") or "artifact"
        patterns = [line.strip() for line in inputs.get("path", "").splitlines() if line.strip()]
        if not patterns:
            why = f"artifact {name}: no path given (CI fails this step: path is required)"
            return ArtifactResult(why, failed=True)
        outside = [p for p in patterns if _outside(p.lstrip("!"))]
        if outside:
            why = f"artifact {name}: {outside[0]} is outside the checkout"
            self.missing[name] = why
            return ArtifactResult(why, not_reproduced=why)
        hidden = _true(inputs.get("include-hidden-files")) or not _hides_hidden_files(uses)
        files, root = _matches(patterns, workspace, include_hidden=hidden)
        if not files:
            what = ", ".join(patterns)
            why = f"no files found for artifact {name} ({what})"
            self.missing[name] = why + (f", after {job_unreproduced}" if job_unreproduced else "")
            behaviour = (inputs.get("if-no-files-found") or "warn").strip().lower()
            if behaviour == "error":
                if job_unreproduced:
                    # An earlier step of the job could not run here: the files may well be there
                    # on CI.
                    return ArtifactResult(why, not_reproduced=f"{why}, after {job_unreproduced}")
                return ArtifactResult(f"{why} (if-no-files-found: error — CI fails too)", True)
            return ArtifactResult(f"{why} (if-no-files-found: {behaviour}; nothing uploaded)")
        target = self.root / _folder_name(name, len(self.stored))
        if target.exists():
            shutil.rmtree(target)
        for path in files:
            destination = target / path.relative_to(root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination, follow_symlinks=False)
        self.stored[name] = target
        self.missing.pop(name, None)
        return ArtifactResult(f"kept {len(files)} file(s) as artifact {name} for later jobs")

    def download(self, inputs: Mapping[str, str], workspace: Path) -> ArtifactResult:
        path = (inputs.get("path") or ".").strip() or "."
        if _outside(path):
            why = f"download path {path} is outside the checkout"
            return ArtifactResult(why, not_reproduced=why)
        destination = workspace / path
        if not _inside(destination, workspace):
            why = f"download path {path} leads outside the checkout"
            return ArtifactResult(why, not_reproduced=why)
        name = (inputs.get("name") or "").strip()
        if name:
            if name not in self.stored:
                why = self._absent(name)
                return ArtifactResult(why, not_reproduced=why)
            count = _copy_tree(self.stored[name], destination)
            return ArtifactResult(f"copied {count} file(s) of artifact {name} into {path}")
        pattern = (inputs.get("pattern") or "*").strip() or "*"
        wanted = sorted(n for n in [*self.stored, *self.missing] if fnmatch.fnmatchcase(n, pattern))
        absent = [n for n in wanted if n not in self.stored]
        if absent:
            why = self._absent(absent[0]) + (
                f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""
            )
            return ArtifactResult(why, not_reproduced=why)
        if not wanted:
            why = f"no artifact matching {pattern} was uploaded here"
            return ArtifactResult(why, not_reproduced=why)
        merge = _true(inputs.get("merge-multiple"))
        count = 0
        for each in wanted:
            count += _copy_tree(self.stored[each], destination if merge else destination / each)
        return ArtifactResult(f"copied {count} file(s) of {len(wanted)} artifact(s) into {path}")

    def _absent(self, name: str) -> str:
        if name in self.missing:
            return f"artifact {name} is not here: {self.missing[name]}"
        return f"artifact {name} is not uploaded by any step that ran here"


def _folder_name(name: str, index: int) -> str:
    return f"{index}-" + re.sub(r"[^\w.-]", "_", name)


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _outside(path: str) -> bool:
    text = path.strip()
    if text.startswith(("/", "~", "$")):
        return True
    return os.path.normpath(text).startswith("..")


def _inside(path: Path, folder: Path) -> bool:
    resolved, root = path.resolve(), folder.resolve()
    return resolved == root or root in resolved.parents


def _hides_hidden_files(uses: str) -> bool:
    match = _VERSION.search(uses)
    if match is None:
        return True  # a commit or branch: today's upload-artifact
    major, minor = int(match.group(1)), match.group(2)
    if minor is None:
        return major >= _HIDDEN_FROM[0]  # @v4 moves with v4's newest release
    return (major, int(minor)) >= _HIDDEN_FROM


def _search_path(pattern: str, workspace: Path) -> Path:
    """Where a pattern's search starts: its part before the first wildcard (a file's folder)."""
    parts = Path(os.path.normpath(pattern)).parts
    fixed: list[str] = []
    for part in parts:
        if _WILDCARD.search(part):
            return workspace.joinpath(*fixed)
        fixed.append(part)
    path = workspace.joinpath(*fixed)
    return path if path.is_dir() else path.parent


def _common_root(paths: Iterable[Path]) -> Path:
    return Path(os.path.commonpath([str(p) for p in paths]))


def _matches(patterns: list[str], workspace: Path, include_hidden: bool) -> tuple[list[Path], Path]:
    """The files the patterns select (``!`` lines exclude) and the root they are stored under."""
    included = [p for p in patterns if not p.startswith("!")]
    excluded = [p[1:].strip() for p in patterns if p.startswith("!")]
    roots = {_search_path(p, workspace) for p in included}
    root = _common_root(roots) if roots else workspace
    chosen: dict[Path, Path] = {}
    for pattern in included:
        start = _search_path(pattern, workspace)
        for found in _expand(pattern, workspace):
            if not include_hidden and _is_hidden(found, start):
                continue
            chosen[found] = start
    for pattern in excluded:
        for found in _expand(pattern, workspace):
            chosen.pop(found, None)
    return sorted(chosen), root


def _expand(pattern: str, workspace: Path) -> list[Path]:
    files: list[Path] = []
    for match in glob.glob(pattern, root_dir=workspace, recursive=True, include_hidden=True):
        path = workspace / match
        if path.is_dir() and not path.is_symlink():
            files.extend(p for p in path.rglob("*") if p.is_file() or p.is_symlink())
        elif path.is_file() or path.is_symlink():
            files.append(path)
    return files


def _is_hidden(path: Path, start: Path) -> bool:
    try:
        parts = path.relative_to(start).parts
    except ValueError:
        parts = path.parts
    return any(part.startswith(".") for part in parts)


def _copy_tree(source: Path, destination: Path) -> int:
    count = 0
    for path in sorted(source.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target, follow_symlinks=False)
        count += 1
    return count


class HandOver:
    """What a gate run's jobs hand on to later jobs: the artifacts, and which jobs cannot go on
    here because an artifact they download could not be handed over."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store
        self._lock = threading.RLock()
        """Jobs running at the same time hand over from their own threads."""
        self.unreproduced: dict[str, str] = {}
        """Jobs with a step not reproduced here: the first such step's name."""
        self.blocked_jobs: dict[str, str] = {}
        """Jobs whose later steps would miss an artifact: why."""

    def skipped(self, step: GateStep, result: StepResult) -> None:
        with self._lock:
            if step.kind == KIND_UPLOAD_ARTIFACT:
                self.store.not_uploaded(dict(step.action_inputs), result.reason)
            self.finished(step, result)

    def finished(self, step: GateStep, result: StepResult) -> None:
        with self._lock:
            if result.verdict != NOT_REPRODUCED:
                return
            self.unreproduced.setdefault(step.job, step.name)
            if step.kind == KIND_DOWNLOAD_ARTIFACT:
                self.blocked_jobs.setdefault(step.job, result.reason)

    def blocked(self, step: GateStep) -> StepResult | None:
        """A step of a job that cannot go on here: not reproduced (None: it can run)."""
        with self._lock:
            why = self.blocked_jobs.get(step.job)
            if why is None:
                return None
            outcome = StepOutcome(not_reproduced=f"not run here: {why}")
            return StepResult(step, NOT_REPRODUCED, outcome.not_reproduced, outcome=outcome)

    def perform(self, step: GateStep, outcome: StepOutcome, workspace: Path) -> None:
        """Run an artifact step (gateui performs it itself) into ``outcome``."""
        with self._lock:
            inputs = dict(step.action_inputs)
            if step.kind == KIND_UPLOAD_ARTIFACT:
                earlier = self.unreproduced.get(step.job, "")
                after = f"the step {earlier!r}, not reproduced here" if earlier else ""
                done = self.store.upload(step.command, inputs, workspace, after)
            else:
                done = self.store.download(inputs, workspace)
            outcome.reproduce = f"{step.command} (gateui hands artifacts over locally)"
            outcome.exit_code = 1 if done.failed else 0
            outcome.output_tail = [done.message]
            outcome.not_reproduced = done.not_reproduced
