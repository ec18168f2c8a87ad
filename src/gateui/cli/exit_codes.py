"""The exit codes every command shares (the README's table)."""

from __future__ import annotations

EXIT_OK = 0  # all good
EXIT_FAILED = 1  # tests failed, or the gate would fail
EXIT_USAGE = 2  # usage or configuration error
EXIT_PARTIAL = 3  # the gate passed what it could check; some steps were not reproduced here
EXIT_INTERRUPTED = 130  # Ctrl-C
