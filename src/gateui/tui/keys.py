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
    Key("slash", "filter", "filter", "filter the results by text (esc clears)", "/"),
    Key("w", "toggle_watch", "watch", "toggle watch mode: rerun affected tests on every save"),
    Key(
        "g",
        "run_gate",
        "gate",
        "check the PR gate on HEAD, step by step (esc hides it, x cancels it)",
    ),
    Key("x", "cancel_run", "cancel", "cancel the running run or gate check (its processes go too)"),
    Key("e", "open_editor", "edit", "open the failing line in $EDITOR"),
    Key("enter", "show_detail", "", "show the selected result's detail (esc returns)"),
    Key("question_mark", "help", "help", "this help", "?"),
    Key("q", "quit", "quit", "quit (cancels runs; no test process is left behind)"),
)

_SCOPE_GROUP = Binding.Group("scope")


def bindings() -> list[BindingType]:
    """The app's ``BINDINGS``: every key of the table, the scope keys grouped in the footer."""
    bindings: list[BindingType] = []
    for key in KEYS:
        if key.key in ("s", "u", "i"):
            name = key.action.split("'")[1]
            bindings.append(Binding(key.key, key.action, name, group=_SCOPE_GROUP))
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
    bindings.append(Binding("escape", "escape", "back", show=False))
    return bindings
