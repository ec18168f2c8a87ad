"""``python -m gateui.hook_entry REMOTE URL``: the name installed pre-push hooks call.

Hooks installed by any version of gateui call this module by name, so it stays here, importing
only the standard library; the hook's program is ``gateui.cli.hook_entry``.
"""

from __future__ import annotations

import sys

from gateui.cli.hook_entry import main

if __name__ == "__main__":
    sys.exit(main())
