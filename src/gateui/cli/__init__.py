"""The headless CLI: the parser (``main``), one module per command, and the printers.

- ``main``: ``gateui`` — parsing, dispatch, exit codes (``exit_codes``), signals (``signals``).
- commands: ``discover``, ``run``, ``watch`` (and ``explain``), ``gate`` (and ``hook``), ``demo``,
  ``tui`` (which only launches the TUI), ``hook_entry`` + ``prepush`` (what the installed
  pre-push hook runs).
- printers: ``printers`` (runs, plain and JSON), ``discover_printer``, ``gate_printer``.
Wording the TUI shows too lives in ``gateui.wording``; the CLI imports the TUI only to launch it.
"""
