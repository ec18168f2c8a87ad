"""The git pre-push hook: installing it safely, and knowing what a push sends.

Installation goes where git really looks (``git rev-parse --git-path hooks``, which honours
``core.hooksPath``). The script carries a marker line, so gateui recognises its own hook, and the
absolute path of the interpreter that runs gateui (a GUI git client's PATH is not the shell's).
A pre-push hook that was there before is kept as ``pre-push.gateui-kept`` and run first with the
same arguments and the same stdin bytes; uninstalling puts it back by renaming, byte for byte and
with its mode. Installing twice changes nothing; uninstalling a hook gateui did not write is
refused.

Why not ``pre-push.legacy``: that name belongs to hook managers. pre-commit's own hook runs
``<hook>.legacy`` itself (its "migration mode") and refuses to run at all when it finds its own
script there, so a pre-commit hook kept under that name would block every push. gateui's kept
name is one no hook manager dispatches on; an install by an older gateui that kept the hook as
``pre-push.legacy`` is moved to the new name by ``install`` (and by the hook itself when it runs).

Git writes one line per pushed ref on the hook's stdin:
``<local ref> SP <local oid> SP <remote ref> SP <remote oid> LF``.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gateui.core.common.errors import GateuiError
from gateui.core.gate.gitops import Git, is_zero_oid

HOOK_NAME = "pre-push"
KEPT_NAME = "pre-push.gateui-kept"
"""Where the user's previous pre-push hook is kept (a name no hook manager dispatches on)."""
LEGACY_NAME = "pre-push.legacy"
"""Where older gateui kept it, and where pre-commit keeps the hook it replaced."""
MARKER = "# gateui-managed-hook"
HOOK_PATH_ENV = "GATEUI_HOOK_PATH"


def hook_script(python: str) -> str:
    """The hook: runs gateui with ``python``; if that is gone, says so, runs the kept legacy hook
    if any, and lets the push through."""
    py = shlex.quote(python)
    return f"""#!/bin/sh
{MARKER} v1: installed by `gateui hook install`, removed by `gateui hook uninstall`
# (which puts back the hook that was here before, kept as {KEPT_NAME}).
GATEUI_PYTHON={py}
{HOOK_PATH_ENV}="$0"
export {HOOK_PATH_ENV}
if "$GATEUI_PYTHON" -c 'import gateui.hook_entry' >/dev/null 2>&1; then
    exec "$GATEUI_PYTHON" -m gateui.hook_entry "$@"
fi
legacy="$(dirname "$0")/{KEPT_NAME}"
echo "gateui: cannot run gateui with $GATEUI_PYTHON (moved, or gateui uninstalled)." >&2
echo "gateui: the push goes through WITHOUT the PR gate check." >&2
echo "gateui: reinstall gateui there and run 'gateui hook install' again, or remove this hook:" >&2
if [ -e "$legacy" ]; then
    echo "gateui:   mv \\"$legacy\\" \\"$0\\"   (puts your previous pre-push hook back)" >&2
    exec "$legacy" "$@"
else
    echo "gateui:   rm \\"$0\\"" >&2
fi
exit 0
"""


def hooks_dir(repo_root: Path) -> Path:
    return Git(repo_root).git_path("hooks")


@dataclass(frozen=True)
class HookStatus:
    hooks_dir: Path
    installed: bool
    """gateui's hook is the pre-push hook."""
    other_hook: bool
    """A pre-push hook gateui did not write is there."""
    legacy: bool
    """A previous hook is kept (see ``kept_name``)."""
    legacy_runs: bool
    """The kept hook is executable: without its exec bit git would not run it, nor does gateui."""
    python: str | None
    """The interpreter gateui's hook runs (from the script)."""
    python_ok: bool
    current: bool
    """The installed script is exactly what ``install`` would write now."""
    kept_name: str = KEPT_NAME
    """The kept hook's file name: ``pre-push.legacy`` for an install by an older gateui that
    ``install`` has not moved yet."""

    def as_json(self) -> dict[str, object]:
        return {
            "hooks_dir": str(self.hooks_dir),
            "installed": self.installed,
            "other_hook": self.other_hook,
            "legacy": self.legacy,
            "legacy_runs": self.legacy_runs,
            "kept_name": self.kept_name if self.legacy else None,
            "python": self.python,
            "python_ok": self.python_ok,
            "current": self.current,
        }


def _gateui_python() -> str:
    # Not resolved: a virtualenv's python is a symlink, and resolving it leaves the virtualenv.
    return os.path.abspath(sys.executable)


def _is_ours(path: Path) -> bool:
    try:
        return MARKER.encode() in path.read_bytes()
    except OSError:
        return False


def _present(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _old_kept(folder: Path) -> Path | None:
    """A hook an older gateui kept as ``pre-push.legacy`` in front of its own hook (None if
    there is none). With gateui's hook at ``pre-push``, a ``pre-push.legacy`` that is not
    gateui's can only be what gateui kept: pre-commit's migration keeps the hook *it* replaced
    there, which would make pre-commit the ``pre-push`` hook, not gateui."""
    hook, legacy = folder / HOOK_NAME, folder / LEGACY_NAME
    if _present(hook) and _is_ours(hook) and _present(legacy) and not _is_ours(legacy):
        return legacy
    return None


def migrate_kept(folder: Path) -> str:
    """Move a hook kept by an older gateui as ``pre-push.legacy`` to ``pre-push.gateui-kept``
    (pre-commit refuses to run while its own script sits at ``pre-push.legacy``); returns what
    happened, in words ("" when there was nothing to move)."""
    old = _old_kept(folder)
    kept = folder / KEPT_NAME
    if old is None or _present(kept):
        return ""
    os.replace(old, kept)  # a rename keeps the bytes, the mode and a symlink as they are
    return f"moved your previous pre-push hook from {old.name} to {kept.name}"


def status(repo_root: Path) -> HookStatus:
    folder = hooks_dir(repo_root)
    hook = folder / HOOK_NAME
    exists = _present(hook)
    ours = exists and _is_ours(hook)
    python = None
    if ours:
        for line in hook.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("GATEUI_PYTHON="):
                words = shlex.split(line[len("GATEUI_PYTHON=") :])
                python = words[0] if words else None
    current = ours and hook.read_text(encoding="utf-8", errors="replace") == hook_script(
        _gateui_python()
    )
    kept = folder / KEPT_NAME
    if not _present(kept):
        kept = _old_kept(folder) or kept
    return HookStatus(
        hooks_dir=folder,
        installed=ours,
        other_hook=exists and not ours,
        legacy=_present(kept),
        legacy_runs=kept.is_file() and os.access(kept, os.X_OK),
        python=python,
        python_ok=python is not None and os.access(python, os.X_OK),
        current=current,
        kept_name=kept.name,
    )


def install(repo_root: Path) -> str:
    """Install the hook; returns what happened, in words."""
    folder = hooks_dir(repo_root)
    folder.mkdir(parents=True, exist_ok=True)
    hook = folder / HOOK_NAME
    kept_path = folder / KEPT_NAME
    script = hook_script(_gateui_python())
    kept = ""
    if _present(hook):
        if _is_ours(hook):
            moved = migrate_kept(folder)
            also = f"; {moved}" if moved else ""
            if hook.read_text(encoding="utf-8", errors="replace") == script:
                return f"already installed in {folder} (nothing changed){also}"
            _write_executable(hook, script)
            return f"updated the gateui pre-push hook in {folder}{also}"
        if _present(kept_path):
            raise GateuiError(
                f"{hook} is not gateui's and {kept_path} already exists: move one of them away"
                f" first (gateui keeps your hook as {KEPT_NAME} and will not overwrite it)"
            )
        legacy = folder / LEGACY_NAME
        if _is_ours(legacy):
            # gateui's own hook, kept by pre-commit's migration when pre-commit was installed
            # over it: the hook written now replaces it (left there, it would run twice).
            legacy.unlink()
            kept = f"; removed the older gateui hook that {hook.name} kept as {legacy.name}"
        # A rename keeps the bytes, the mode and even a symlink exactly as they are.
        os.replace(hook, kept_path)
        kept += f"; your previous pre-push hook is kept as {kept_path} and runs first"
    _write_executable(hook, script)
    return f"installed the gateui pre-push hook in {folder}{kept}"


def uninstall(repo_root: Path) -> str:
    folder = hooks_dir(repo_root)
    hook = folder / HOOK_NAME
    kept = folder / KEPT_NAME
    if not _present(hook):
        if _present(kept):
            raise GateuiError(
                f"no pre-push hook in {folder}, but {kept} is there: rename it to pre-push"
                " yourself if you want it back"
            )
        return f"no pre-push hook in {folder}: nothing to uninstall"
    if not _is_ours(hook):
        raise GateuiError(f"{hook} was not written by gateui: left as it is")
    if not _present(kept):
        kept = _old_kept(folder) or kept
    hook.unlink()
    if _present(kept):
        os.replace(kept, hook)
        return f"removed the gateui pre-push hook; your previous hook is back as {hook}"
    return f"removed the gateui pre-push hook from {folder}"


def _write_executable(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=".gateui-hook-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o755)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


# -- what a push sends -------------------------------------------------------------------------
@dataclass(frozen=True)
class PushedRef:
    local_ref: str
    local_oid: str
    remote_ref: str
    remote_oid: str

    @property
    def is_delete(self) -> bool:
        return is_zero_oid(self.local_oid)

    @property
    def is_tag(self) -> bool:
        return self.local_ref.startswith("refs/tags/") or self.remote_ref.startswith("refs/tags/")

    @property
    def is_new(self) -> bool:
        return is_zero_oid(self.remote_oid)

    @property
    def branch(self) -> str:
        ref = self.remote_ref
        return ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref


def parse_pushed_refs(data: bytes) -> list[PushedRef]:
    refs = []
    for raw in data.decode("utf-8", errors="surrogateescape").splitlines():
        words = raw.split()
        if len(words) != 4:
            continue
        refs.append(PushedRef(*words))
    return refs


@dataclass(frozen=True)
class RefCheck:
    ref: PushedRef
    commit: str
    new_commits: int
    since: str | None
    """Where the pushed range starts (for the change's files when no base branch is known)."""


@dataclass(frozen=True)
class RefSkip:
    ref: PushedRef
    why: str


def plan_push(git: Git, remote: str, refs: list[PushedRef]) -> tuple[list[RefCheck], list[RefSkip]]:
    """Which pushed refs need a check: every one that brings new commits. Deletes (an all-zero
    local oid, 40 or 64 long) and tags are skipped; for a new branch the new commits are those
    not on any of the remote's refs."""
    checks: list[RefCheck] = []
    skips: list[RefSkip] = []
    for ref in refs:
        if ref.is_delete:
            skips.append(RefSkip(ref, f"deletes {ref.remote_ref}"))
            continue
        if ref.is_tag:
            skips.append(RefSkip(ref, f"a tag ({ref.remote_ref})"))
            continue
        if not ref.is_new and git.object_exists(ref.remote_oid):
            exclude = [ref.remote_oid]
            since: str | None = ref.remote_oid
        else:
            exclude = [f"--remotes={remote}"] if _is_remote_name(git, remote) else ["--remotes"]
            since = None
        new = git.new_commits(ref.local_oid, exclude)
        if not new:
            skips.append(RefSkip(ref, f"no new commits for {ref.remote_ref}"))
            continue
        if since is None:
            oldest = new[-1]
            parent = git.try_run("rev-parse", "--verify", "--quiet", f"{oldest}^")
            since = parent.strip() if parent else None
        checks.append(RefCheck(ref, ref.local_oid, len(new), since))
    return checks, skips


def _is_remote_name(git: Git, remote: str) -> bool:
    return (
        bool(remote)
        and "/" not in remote
        and ":" not in remote
        and bool(git.try_run("config", "--get", f"remote.{remote}.url"))
    )
