"""The ``gateui`` console script and ``python -m gateui``: ``gateui run`` starts its warm process
before anything else is imported (``core.running.warm_early``), then ``main`` runs as usual and
the process leaves without tearing the interpreter down (``process_exit``).

This module imports nothing at its top but ``sys`` (loaded with Python) and ``command_line``:
whatever it imported would be paid for before the warm process starts, by every ``gateui run``.
"""

from __future__ import annotations

import sys

from gateui.cli.command_line import run_folder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


def entry() -> NoReturn:
    argv = sys.argv[1:]
    early = None
    try:
        folder = run_folder(argv)
        if folder is not None:
            from gateui.core.running.warm_early import start_early

            early = start_early(folder)
    except OSError:
        folder = None  # a folder that is not there (the working one, or -C's): the run says so
    from gateui.cli.main import main
    from gateui.cli.process_exit import exit_now

    exit_now(main(argv, early=early, early_tried=folder is not None))
