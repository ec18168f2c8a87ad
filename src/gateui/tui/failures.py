"""What a worker's failure means for the user (the app's one ``Worker.StateChanged`` handler
applies it): a configuration problem replaces the results, a request that could not be planned
is a notification, anything else is a bug of gateui's."""

from __future__ import annotations

import traceback
from dataclasses import dataclass

from textual.content import Content

from gateui.core.common.errors import GateuiError, InterpreterError
from gateui.tui.controllers.notes import LogNote
from gateui.tui.empty_states import cannot_go_on_text, interpreter_text


@dataclass(frozen=True)
class Failure:
    """How a failed worker is reported."""

    note: LogNote
    """The line in the log."""
    problem: Content | None = None
    """An empty state that explains why nothing can run (shown instead of the results)."""
    notice: str = ""
    """An error notification ("" for none)."""
    trace: LogNote | None = None
    """For a bug of gateui's: where it happened, for the report it asks for."""


def explain_failure(error: BaseException | None, group: str, name: str) -> Failure:
    """The failure of worker ``name`` of ``group`` (not the gate's: that has a verdict)."""
    if isinstance(error, InterpreterError):
        return Failure(LogNote(str(error), "bold red"), problem=interpreter_text(str(error)))
    if isinstance(error, GateuiError) and group == "run":
        # The request could not be planned (an unknown suite, a command suite…).
        return Failure(LogNote(str(error), "bold red"), notice=str(error))
    if isinstance(error, GateuiError):
        return Failure(LogNote(str(error), "bold red"), problem=cannot_go_on_text(str(error)))
    trace = "".join(traceback.format_exception(error)).rstrip() if error is not None else ""
    return Failure(
        LogNote(f"gateui bug in {name}: {error!r} (please report it)", "bold red"),
        notice=f"internal error in {name}: {error!r}",
        trace=LogNote(trace, "dim", alert=False) if trace else None,
    )
