"""What the results area says when it has no results to show: discovery under way, the idle
scope with its keys, or why nothing can run here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual.content import Content

from gateui.tui.model import Scope

# The suites with a key of their own (s, u, i), in the order the keys are shown.
WELL_KNOWN_SCOPES = ("smoke", "unit", "integration")


def empty_state(
    problem: Content | None,
    scope: Scope | None,
    found: bool,
    discovered: bool,
    label: str,
    suites: Sequence[str] = WELL_KNOWN_SCOPES,
) -> Content | None:
    """What the results area says with no results: the ``problem`` that keeps anything from
    running, else that discovery in the repository ``label`` is under way (nothing ``found``,
    nothing ``discovered`` yet), else what is in ``scope`` (offering the scope keys of the
    ``suites`` the repository has). None: it stays as it is."""
    if problem is not None:
        return problem
    if not found and not discovered:
        return discovering_text(label)
    if scope is not None:
        return idle_text(scope, discovered, suites)
    return None


def discovering_text(repo_label: str) -> Content:
    return Content.styled(f"Discovering tests in {repo_label}…", "$text-muted")


def idle_text(scope: Scope, discovered: bool, suites: Sequence[str] = WELL_KNOWN_SCOPES) -> Content:
    """What the results area says before the first run: what is in scope, and the keys (a
    scope key only for a suite the repository has)."""
    offered = [name for name in WELL_KNOWN_SCOPES if name in suites]
    scope_keys = (
        (
            " ".join(name[0] for name in offered),
            f"scope to {' / '.join(offered)} (or pick a node on the left)",
        )
        if offered
        else ("↑ ↓", "pick a scope on the left")
    )
    count = f"{'' if discovered else 'about '}{len(scope.tests)}"
    lines = [
        Content.assemble(f"{count} tests in ", Content.styled(scope.description, "bold"), "."),
        Content(""),
    ]
    for key, what in (
        ("a", "run them"),
        ("r", "run only what the current change can affect"),
        ("f", "rerun what failed last time"),
        scope_keys,
        ("w", "watch: rerun affected tests on every save"),
        ("?", "all keys"),
    ):
        lines.append(Content.assemble(Content.styled(f"{key:>6}", "bold $text-accent"), "  ", what))
    return Content("\n").join(lines)


def interpreter_text(message: str) -> Content:
    return Content.assemble(
        Content.styled("pytest cannot run here\n\n", "bold $text-error"),
        message,
        "\n\nInstall pytest in that interpreter (",
        Content.styled("python -m pip install pytest", "bold"),
        "), or point ",
        Content.styled("[tool.gateui] python", "bold"),
        " in pyproject.toml at an interpreter that has it.",
    )


def cannot_go_on_text(message: str) -> Content:
    """A configuration error gateui cannot work around (it names the file and line)."""
    return Content.assemble(
        Content.styled("gateui cannot go on here\n\n", "bold $text-error"), message
    )


def no_tests_text(repo_root: Path) -> Content:
    return Content.assemble(
        Content.styled("No tests found", "bold $text-warning"),
        f" in {repo_root}.\n\n",
        "gateui looks for pytest's configuration (pytest.ini, pyproject.toml "
        "[tool.pytest.ini_options], tox.ini, setup.cfg) and for test files named test_*.py or "
        "*_test.py that git does not ignore, and for mix projects (mix.exs) with *_test.exs "
        "files.\n\n",
        "Add a test (for example tests/test_smoke.py with a function test_something) and start "
        "gateui again, or run it in the repository's own folder: ",
        Content.styled("gateui PATH", "bold"),
        ".",
    )
