"""What a command line says before it is parsed: its command word, and for ``gateui run`` the
folder it will work in. Read by the console entry before anything else is imported (``entry``),
so it imports nothing but ``os``; ``main`` parses the command line properly."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from gateui.core.running.warm_early import EarlyStart

COMMANDS = ("discover", "run", "demo", "tui", "watch", "explain", "gate", "hook")
"""Every command word (``main.COMMAND_MODULES`` names their modules)."""


def command_word(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names (after any ``-C DIR``), when it is one of gateui's; None
    otherwise (an option such as ``--help``, a path meaning ``tui``, a mistyped command)."""
    start = 0
    while start + 1 < len(argv) and argv[start] == "-C":
        start += 2
    if start < len(argv) and argv[start] in COMMANDS:
        return argv[start]
    return None


def run_folder(argv: Sequence[str]) -> str | None:
    """For ``gateui [-C DIR]… run …``, before its arguments are parsed: the folder the run will
    work in, from the ``-C`` options alone; None for another command or ``--help``. Where this
    reading is wrong, the warm process started from it is for another project, and the run
    simply starts cold."""
    if "--" in argv:
        argv = argv[: list(argv).index("--")]  # the rest is pytest's
    if command_word(argv) != "run" or any(a in ("-h", "--help") for a in argv):
        return None
    folder = os.getcwd()
    options = iter(argv)
    for arg in options:
        if arg == "-C":
            folder = os.path.join(folder, next(options, "."))
        elif arg.startswith("-C"):
            folder = os.path.join(folder, arg[2:])
    return folder


def early_start(argv: Sequence[str]) -> EarlyStart | None:
    """For ``gateui run``: the warm process of the project the repository's last run went to,
    starting now (``core.running.warm_early``); None for another command, or where none starts.
    A folder that is not there (the working one, or ``-C``'s) starts none: the run says so."""
    try:
        folder = run_folder(argv)
        if folder is None:
            return None
        from gateui.core.running.warm_early import start_early

        return start_early(folder)
    except OSError:
        return None
