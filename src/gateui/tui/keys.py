"""The keys, once: the app's bindings, the footer and the ``?`` help screen all read this table."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Key:
    key: str
    """Textual key name."""
    action: str
    footer: str
    """Short label in the footer ("" keeps the key out of the footer)."""
    help: str
    """One line for the help screen."""
    display: str = ""
    """How the key is written for people, when it differs from ``key``."""
    narrow: bool = True
    """Whether the footer offers it on a narrow terminal too (else the help lists it)."""

    @property
    def shown(self) -> str:
        return self.display or self.key


KEYS: tuple[Key, ...] = (
    Key("a", "run_scope", "all", "run every test in the selected scope"),
    Key("r", "run_affected", "affected", "run the tests the current change can affect"),
    Key("f", "rerun_failed", "failed", "rerun the tests that failed last time (in the scope)"),
    Key("s", "scope('smoke')", "", "scope to the smoke suite"),
    Key("u", "scope('unit')", "", "scope to the unit suite"),
    Key("i", "scope('integration')", "", "scope to the integration suite"),
    Key("slash", "filter", "filter", "filter the results by text (esc clears it)", "/"),
    Key("w", "toggle_watch", "watch", "watch mode: every save reruns the affected tests"),
    Key("g", "run_gate", "gate", "check the PR gate on HEAD (esc hides it, x cancels it)"),
    Key(
        "x",
        "cancel_run",
        "cancel",
        "cancel the run or gate check (its processes go too)",
        narrow=False,
    ),
    Key("e", "open_editor", "edit", "open the failing line in $EDITOR", narrow=False),
    Key(
        "t",
        "toggle_tree",
        "tree",
        "hide or show the scope tree (more room for results)",
        narrow=False,
    ),
    Key("l", "toggle_log", "log", "switch the bottom pane between Detail and Log", narrow=False),
    Key("enter", "show_detail", "", "enlarge the selected result's detail"),
    Key("escape", "escape", "", "back: shrink the detail, else clear the filter", "esc"),
    Key("question_mark", "help", "help", "this help", "?"),
    Key("q", "quit", "quit", "quit (cancels runs; no test process is left behind)"),
)

SCOPE_KEYS = {"s": "smoke", "u": "unit", "i": "integration"}
"""The keys that jump to a suite, offered only where the repository has it."""
_SCOPE_GROUP = Binding.Group("scope")


def bindings() -> list[BindingType]:
    """The app's ``BINDINGS``: every key of the table, the scope keys grouped in the footer."""
    bindings: list[BindingType] = []
    for key in KEYS:
        if key.key in SCOPE_KEYS:
            bindings.append(Binding(key.key, key.action, SCOPE_KEYS[key.key], group=_SCOPE_GROUP))
        else:
            bindings.append(
                Binding(
                    key.key,
                    key.action,
                    key.footer or key.help,
                    show=bool(key.footer),
                    key_display=key.display or None,
                )
            )
    return bindings


WIDE_ONLY = frozenset(key.key for key in KEYS if key.footer and not key.narrow)
"""Keys the footer leaves out on a narrow terminal."""
