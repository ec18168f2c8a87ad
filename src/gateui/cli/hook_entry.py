"""What the installed pre-push hook runs (``python -m gateui.hook_entry REMOTE URL`` lands here).

This module imports only the standard library at the top, so that the parts that must always
work do: the pushed refs are read from stdin once, the hook that was installed before gateui's
(``pre-push.gateui-kept``) runs first with the same arguments and the same stdin bytes, and if
anything in gateui itself breaks, the user is told plainly that it is a gateui bug, not a
failing test, and the push goes through.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from gateui.cli.signals import unwind_on_termination

HOOK_PATH_ENV = "GATEUI_HOOK_PATH"
# The same names as gateui.core.gate.hooks (this module imports only the standard library).
HOOK_NAME = "pre-push"
KEPT_NAME = "pre-push.gateui-kept"
LEGACY_NAME = "pre-push.legacy"
MARKER = b"# gateui-managed-hook"


def run_legacy(args: list[str], data: bytes, env: dict[str, str] | None = None) -> int:
    """Run the kept previous hook as git would have (same args, same stdin bytes)."""
    source = os.environ if env is None else env
    hook_path = source.get(HOOK_PATH_ENV)
    if not hook_path:
        return 0
    hook = Path(hook_path)
    migrate_old_kept(hook)
    legacy = hook.with_name(KEPT_NAME)
    # Git ignores a hook that is not executable; so does gateui.
    if not legacy.is_file() or not os.access(legacy, os.X_OK):
        return 0
    # The kept hook is gateui's own (never run it inside itself).
    if legacy.resolve() == hook.resolve() or _is_ours(legacy):
        return 0
    sys.stderr.flush()
    # The hook managers inside see themselves as git's ``pre-push`` hook, even when gateui's
    # hook runs under another name (as pre-commit's ``pre-push.legacy``).
    as_hook = hook.with_name(HOOK_NAME)
    result = subprocess.run(
        legacy_command(legacy, as_hook, args),
        input=data,
        env={**source, KEPT_HOOK_ENV: str(legacy)},
        check=False,
    )
    return result.returncode


def _is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_bytes()
    except OSError:
        return False


def migrate_old_kept(hook: Path) -> None:
    """An older gateui kept the previous hook as ``pre-push.legacy``, the name on which
    pre-commit's own hook runs its migration mode (and refuses to run when it finds itself
    there). Move it to gateui's kept name once, saying so."""
    if hook.name != HOOK_NAME or not _is_ours(hook):
        return
    old, new = hook.with_name(LEGACY_NAME), hook.with_name(KEPT_NAME)
    if not (old.exists() or old.is_symlink()) or _is_ours(old) or new.exists() or new.is_symlink():
        return
    try:
        os.replace(old, new)
    except OSError:
        return
    sys.stderr.write(
        f"gateui: moved your previous pre-push hook from {old.name} to {new.name}"
        " (pre-commit refuses to run while a pre-push.legacy is there)\n"
    )


_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash"})
KEPT_HOOK_ENV = "GATEUI_KEPT_HOOK"


def legacy_command(legacy: Path, hook: Path, args: list[str]) -> list[str]:
    """How to run the kept hook so that it sees itself as ``hook`` (its ``$0``).

    Hook managers dispatch on their own file name: husky 9's ``.husky/_/pre-push`` runs
    ``.husky/$(basename "$0")``, pre-commit and lefthook look next to ``$0``. Run under its kept
    name such a hook would find nothing and pass. A shell script is therefore
    read by its shell with ``$0`` set to the hook's real path (the script's own path is in
    ``GATEUI_KEPT_HOOK``); any other program runs as is."""
    shell = _shell_of(legacy)
    if shell is None:
        return [str(legacy), *args]
    return [*shell, "-c", f'. "${KEPT_HOOK_ENV}"', str(hook), *args]


def _shell_of(script: Path) -> list[str] | None:
    try:
        with script.open("rb") as handle:
            first = handle.readline(256).decode(errors="replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if words and Path(words[0]).name == "env":
        words = [w for w in words[1:] if not w.startswith("-")]
    if not words or Path(words[0]).name not in _SHELLS:
        return None
    return words[:1]


def report_bug(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    log = Path(tempfile.gettempdir()) / "gateui-pre-push-crash.log"
    try:
        log.write_text(text, encoding="utf-8")
        where = f" (traceback in {log})"
    except OSError:
        where = ""
    sys.stderr.write(
        "gateui: the pre-push check itself failed — a bug in gateui, not a failing test:\n"
        f"gateui:   {type(exc).__name__}: {exc}{where}\n"
        "gateui: the push goes through unchecked. Please report this bug.\n"
    )


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    unwind_on_termination()  # SIGTERM/SIGHUP unwind, so a temporary worktree is removed
    try:
        data = sys.stdin.buffer.read() if not sys.stdin.isatty() else b""
    except OSError:
        data = b""
    code = run_legacy(args, data)
    if code != 0:
        return code
    try:
        from gateui.cli.prepush import run_pre_push
        from gateui.core.common.errors import GateuiError
    except Exception as exc:
        report_bug(exc)
        return 0
    try:
        return run_pre_push(args, data)
    except KeyboardInterrupt:
        sys.stderr.write("gateui: interrupted — the push is cancelled\n")
        return 130
    except GateuiError as exc:
        sys.stderr.write(
            f"gateui: the PR gate could not be evaluated ({exc}); the push goes through unchecked\n"
        )
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:
        report_bug(exc)
        return 0


if __name__ == "__main__":
    from gateui.cli.process_exit import exit_now

    exit_now(main())
