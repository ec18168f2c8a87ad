"""pytest as its console script runs it, for CI steps that call ``pytest`` bare."""

from __future__ import annotations

from dataclasses import dataclass

from gateui.core.running.injected import PLUGIN_MODULE
from gateui.core.running.pytest_process import PytestCommand

# ``python -c`` puts the current folder first on sys.path; the ``pytest`` console script does not.
# CI steps that call ``pytest`` bare must not import what only ``python -m pytest`` could.
_CONSOLE_BOOTSTRAP = (
    "import sys\n"
    "if sys.path and sys.path[0] == '': del sys.path[0]\n"
    "sys.argv[0] = 'pytest'\n"
    "import pytest\n"
    "raise SystemExit(getattr(pytest, 'console_main', pytest.main)())\n"
)


@dataclass(frozen=True)
class ConsolePytestCommand(PytestCommand):
    """pytest as its console script runs it: without the current folder on sys.path."""

    def argv(self) -> list[str]:
        return [str(self.interpreter), "-c", _CONSOLE_BOOTSTRAP, "-p", PLUGIN_MODULE, *self.args]
