"""The top line: repository, branch, watch mode and the PR gate's badge."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

# Gate badge states, as the gate issue defines them: "unknown" until a check of HEAD has a verdict,
# and when the gate cannot be evaluated (the tooltip and the log say why).
GATE_STATES = {
    "passing": "gate: passing",
    "partial": "gate: partial",
    "would fail": "gate: would fail",
    "unknown": "gate: unknown",
    "running": "gate: running…",
}


class GateHeader(Horizontal):
    """``gateui │ repo │ ⎇ branch │ watch off │ gate: unknown``."""

    def __init__(self, repo_label: str) -> None:
        super().__init__()
        self._repo_label = repo_label

    def compose(self) -> ComposeResult:
        yield Label("gateui", id="title")
        yield Label(self._repo_label, id="repo")
        yield Label("", id="branch")
        yield Label("watch off", id="watch", classes="-off")
        yield Label(GATE_STATES["unknown"], id="gate", classes="-unknown")

    def set_branch(self, branch: str | None, is_git: bool) -> None:
        label = self.query_one("#branch", Label)
        label.update(f"⎇ {branch}" if is_git and branch else "not a git repository")

    def set_watch(self, on: bool, paused_for: str = "") -> None:
        """``watch on`` / ``watch off``, or ``watch paused for this run`` while a run the user
        started has the floor (the tooltip names it)."""
        label = self.query_one("#watch", Label)
        if paused_for:
            label.update("watch paused for this run")
            label.tooltip = f"watch mode resumes when {paused_for} is over (w turns it off)"
        else:
            label.update("watch on" if on else "watch off")
            label.tooltip = None
        label.set_class(on and not paused_for, "-on")
        label.set_class(not on and not paused_for, "-off")
        label.set_class(bool(paused_for), "-paused")

    def set_gate(self, state: str, detail: str = "") -> None:
        """Show ``state`` (a key of ``GATE_STATES``); ``detail`` is the badge's tooltip."""
        label = self.query_one("#gate", Label)
        label.update(GATE_STATES[state])
        label.tooltip = detail or None
        for name in GATE_STATES:
            label.set_class(name == state, "-" + name.replace(" ", "-"))

    @property
    def gate_state(self) -> str:
        label = self.query_one("#gate", Label)
        return next(n for n in GATE_STATES if label.has_class("-" + n.replace(" ", "-")))
