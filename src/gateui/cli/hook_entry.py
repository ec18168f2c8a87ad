"""What the installed pre-push hook runs (``python -m gateui.hook_entry REMOTE URL`` lands here).

This module imports only the standard library at the top, so that the parts that must always
work do: the pushed refs are read from stdin once, the hook that was installed before gateui's
(``pre-push.legacy``) runs first with the same arguments and the same stdin bytes, and if
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
LEGACY_NAME = "pre-push.legacy"


def run_legacy(args: list[str], data: bytes, env: dict[str, str] | None = None) -> int:
    """Run the kept previous hook as git would have (same args, same stdin bytes)."""
    source = os.environ if env is None else env
    hook_path = source.get(HOOK_PATH_ENV)
    if not hook_path:
        return 0
    legacy = Path(hook_path).with_name(LEGACY_NAME)
    # Git ignores a hook that is not executable; so does gateui.
    if not legacy.is_file() or not os.access(legacy, os.X_OK):
        return 0
    sys.stderr.flush()
    result = subprocess.run([str(legacy), *args], input=data, check=False)
    return result.returncode


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
    sys.exit(main())
