"""The ``gateui`` console script and ``python -m gateui``: ``gateui run`` starts its warm process
before anything else is imported (``core.running.warm_early``), then ``main`` runs as usual and
the process leaves without tearing the interpreter down (``process_exit``).

This module imports nothing at its top but ``sys`` (loaded with Python) and ``command_line``:
whatever it imported would be paid for before the warm process starts, by every ``gateui run``.
"""

from __future__ import annotations

import sys

from gateui.cli.command_line import early_start

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


def entry() -> NoReturn:
    argv = sys.argv[1:]
    early = early_start(argv)
    from gateui.cli.main import main
    from gateui.cli.process_exit import exit_now

    exit_now(main(argv, early=early, early_tried=True))
