"""``--tb`` and ``-v`` of ``run`` and ``watch``: how failures are reported, as pytest's own.

Kept apart from the printers: registering a command's options must not import the event types
(``gateui run`` starts its warm process before it imports them, ``core.running.warm_hint``)."""

from __future__ import annotations

from typing import Any

TB_STYLES = ("auto", "long", "short", "line", "native", "no")


def add_report_options(parser: Any) -> None:
    """``--tb`` and ``-v``: how failures are reported at the end of a run, as pytest's own."""
    parser.add_argument(
        "--tb",
        choices=TB_STYLES,
        metavar="STYLE",
        help=f"traceback style of the failure reports: {', '.join(TB_STYLES)} (default auto)",
    )
    parser.add_argument(
        "-v",
        dest="verbose",
        action="count",
        default=0,
        help="name every test as it finishes; fuller assertion diffs (twice: fuller still)",
    )


def report_args(tb: str | None, verbose: int) -> tuple[str, ...]:
    """The pytest options behind ``--tb`` and ``-v``: pytest writes the reports this way."""
    args = [f"--tb={tb}"] if tb else []
    return (*args, *(["-v"] * verbose))
