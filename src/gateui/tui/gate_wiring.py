"""The PR gate's side of the app: its key, its controller's messages, the badge and the screen.

A base class of ``GateuiApp`` (kept apart so that the app's module holds the layout and the rest
of the wiring): it routes ``GateController``'s messages to the header's badge, the gate screen,
the log and notifications; the verdicts are the controller's (and the core's).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import App

from gateui.core.common.errors import GateuiError
from gateui.core.gate.check import CheckEvent, CheckFinished, CheckStarted
from gateui.core.gate.model import PASS
from gateui.tui.controllers.gate import ActiveGate, GateController
from gateui.tui.controllers.notes import LogNote
from gateui.tui.screens.gate import (
    GateScreen,
    gate_screen_open,
    open_gate_screen,
    redraw_gate_screens,
)
from gateui.tui.widgets.header import GateHeader


class GateWiring(App[int]):
    """``g``, the gate badge and the gate screen, driven by ``self.gates``."""

    gates: GateController

    def log_line(self, text: str, style: str = "", alert: bool | None = None) -> None:
        raise NotImplementedError

    def _log_notes(self, *notes: LogNote) -> None:
        raise NotImplementedError

    def play_gate(self, events: Iterable[CheckEvent]) -> ActiveGate:
        """Show any stream of check events as a gate check, screen open (synthetic ones in
        snapshots and benchmarks); nothing is checked or cached."""
        return self._check_gate(events)

    def _check_gate(self, events: Iterable[CheckEvent] | None = None) -> ActiveGate:
        """The user's check of HEAD (or ``events`` played as one), with the gate screen open."""
        self._set_gate_badge("running", "checking HEAD")
        gate = self.gates.start(background=False, events=events)
        open_gate_screen(self, gate.view)
        return gate

    def _set_gate_badge(self, state: str, tooltip: str = "") -> None:
        for header in self.query(GateHeader):
            header.set_gate(state, tooltip)

    @on(GateController.Progress)
    def _gate_progress(self, message: GateController.Progress) -> None:
        gate = self.gates.progress(message)
        if gate is None:
            return
        event = message.event
        if isinstance(event, CheckStarted):
            self._set_gate_badge("running", f"checking {event.ref} {event.commit[:12]}")
        elif isinstance(event, CheckFinished):
            note = self.gates.verdict(gate)
            self._set_gate_badge(*self.gates.resting_badge())
            self._log_notes(note)
            if not gate.background and not gate_screen_open(self):
                passed = gate.view.verdict == PASS
                self.notify(note.text, severity="information" if passed else "warning")
        redraw_gate_screens(self, gate.view)

    @on(GateController.Tallied)
    def _gate_tallied(self, message: GateController.Tallied) -> None:
        gate = self.gates.tallied(message)
        if gate is not None:
            redraw_gate_screens(self, gate.view)

    @on(GateController.Stopped)
    def _gate_stopped(self, message: GateController.Stopped) -> None:
        gate = self.gates.stopped(message)
        if gate is None:
            return
        if not message.cancelled:
            # A background check found nothing to do: the check before it stays on show.
            if not gate.background:
                # ``g`` took it over just as it found nothing to do: check now.
                self._check_gate()
            return
        self._set_gate_badge(*self.gates.resting_badge())
        if not gate.background:
            self.log_line("PR gate: check cancelled (g checks again)", "yellow")
        redraw_gate_screens(self, gate.view)

    def _gate_broke(self, error: BaseException | None) -> None:
        """The gate's worker raised: gateui could not evaluate the gate (a bug, or git)."""
        if not isinstance(error, GateuiError):
            self.notify(f"internal error in the gate check: {error!r}", severity="error")
        broke = self.gates.broke(error)
        if broke.gate is not None:
            redraw_gate_screens(self, broke.gate.view)
        self._set_gate_badge("unknown", broke.reason)
        self._log_notes(*broke.notes)

    @on(GateScreen.CancelRequested)
    def _cancel_gate(self) -> None:
        if self.gates.cancel():
            self.notify("cancelling the PR gate check…")
        else:
            self.notify("no gate check is running")

    def action_run_gate(self) -> None:
        """Check HEAD against the PR gate, with the gate screen open. A check already running
        (also one the app started in the background) is shown rather than started again."""
        gate = self.gates.running()
        if gate is None:
            self._check_gate()
            return
        if gate.background:
            gate.background = False
            self._set_gate_badge("running", "checking HEAD")
        open_gate_screen(self, gate.view)
