"""``python -m gateui.hook_entry REMOTE URL``: the name installed pre-push hooks call.

Hooks installed by any version of gateui call this module by name, so it stays here, importing
only the standard library; the hook's program is ``gateui.cli.hook_entry``.
"""

from __future__ import annotations

from gateui.cli.hook_entry import main
from gateui.cli.process_exit import exit_now

if __name__ == "__main__":
    exit_now(main())
