"""Typed events: what the pytest plugin reports, plus what the runner itself concludes.

The plugin writes plain JSON (it cannot import gateui); ``parse_event`` turns each line into one of
these dataclasses so everything downstream (printers, results store, TUI) works with types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

OUTCOMES = ("passed", "failed", "skipped", "error")
RESULTS = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
"""pytest's own words for a test's result. ``outcome`` folds an expected failure into skipped
(xfailed) or passed (xpassed), as the plugin reports it; ``TestFinished.result`` tells them
apart."""


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """pytest started in the target interpreter."""

    pytest_version: str
    python: str
    """The interpreter pytest runs in (``sys.executable`` over there)."""
    python_version: str
    rootdir: str
    """pytest's rootdir: node ids it reports are relative to this folder."""
    inifile: str | None
    xdist: bool
    registered_markers: tuple[str, ...]
    """Every marker pytest knows: ini ``markers``, builtins and those plugins register."""
    env: str | None = None
    """The environment key (interpreter + installed packages) when recording is on."""
    order_seed: str = ""
    """The option that replays a random-order plugin's order ("--randomly-seed=N"), or ""."""
    warnings_summary: bool = True
    """pytest would print its "warnings summary" section (not with ``--disable-warnings``)."""


@dataclass(frozen=True, slots=True)
class ItemCollected:
    """One test found by collection (sent only when items were asked for)."""

    nodeid: str
    path: str
    line: int | None
    markers: tuple[str, ...]
    deselected: bool = False
    """Collected, then deselected (by ``-m``/``-k`` in the project's own ``addopts``)."""


@dataclass(frozen=True, slots=True)
class CollectionFinished:
    count: int
    errors: int
    deselected: int = 0
    """Tests pytest deselected (``-m``, ``-k``, ``--deselect``), as its summary counts them."""


@dataclass(frozen=True, slots=True)
class CollectionError:
    """A module, conftest or package that failed to collect: its text is the traceback."""

    nodeid: str
    message: str


@dataclass(frozen=True, slots=True)
class TestStarted:
    __test__: ClassVar[bool] = False  # a result type, not a test class for pytest
    nodeid: str
    path: str
    line: int | None


@dataclass(frozen=True, slots=True)
class TestFinished:
    """One test's result, its setup, call and teardown merged."""

    __test__: ClassVar[bool] = False  # a result type, not a test class for pytest

    nodeid: str
    path: str
    line: int | None
    outcome: str
    """One of passed, failed, skipped, error."""
    duration_s: float
    markers: tuple[str, ...] = ()
    longrepr: str = ""
    """Failure text, or the skip reason for a skipped test."""
    stdout: str = ""
    stderr: str = ""
    log: str = ""
    xfail: str | None = None
    """Set when the test was expected to fail (xfailed or xpassed)."""
    reason: str = ""
    """Why the test was selected (affected runs); empty for a plain run."""
    project: str = "."
    """The project root it ran in, relative to the repository root."""
    deps: Mapping[str, Any] | None = None
    """What the test executed and read, when recording was on (see core.recording)."""

    @property
    def result(self) -> str:
        """pytest's word for the result: one of ``RESULTS``."""
        if self.xfail is not None:
            if self.outcome == "skipped":
                return "xfailed"
            if self.outcome == "passed":
                return "xpassed"
        return self.outcome


@dataclass(frozen=True, slots=True)
class WarningRaised:
    category: str
    message: str
    path: str
    line: int | None
    when: str
    nodeid: str


@dataclass(frozen=True, slots=True)
class SessionFinished:
    exitstatus: int
    duration_s: float
    not_run: int = 0
    """Collected tests that never reported a result (the session stopped before them)."""
    not_run_ids: tuple[str, ...] = ()
    """The first of those, as named by the session."""
    stopped: str = ""
    """Why the session stopped before them (``stopping after 1 failures``, ``Exit: …``)."""


@dataclass(frozen=True, slots=True)
class OutputLine:
    """A line pytest (or a command) printed; kept for diagnosis, not shown during a run."""

    text: str


@dataclass(frozen=True, slots=True)
class ProjectStarted:
    """A run moves on to the next project of a monorepo."""

    project: str
    command: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CommandStarted:
    """A run moves on to a command (a command suite, or ``mix test``): its output is the run's
    text until per-test results arrive from it."""

    command: str
    """As the user would type it."""
    cwd: str
    """Where it runs, relative to the repository root."""
    suite: str = ""
    text: bool = True
    """Its output is worth showing until tests report (False when per-test results are sure to
    come, as from ``mix test`` with gateui's formatter)."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The last event of every run: counts, and how the run ended."""

    selected: int
    passed: int
    failed: int
    skipped: int
    errors: int
    crashed: str | None
    """The node id that was running when the test process died, if it died."""
    duration_s: float
    exitstatus: int | None = None
    """pytest's exit status (the worst one over projects); None if it never finished."""
    cancelled: bool = False
    collection_errors: int = 0
    crash_message: str = ""
    output_tail: tuple[str, ...] = field(default=())
    exit_decides: bool = False
    """A command's run: its exit status alone is the verdict (the tests it reports add detail,
    as CI would judge the command)."""
    not_run: int = 0
    """Tests that were collected but never reported a result."""
    incomplete: str = ""
    """Why the run did not run everything it collected to the end (it died during collection,
    a test ended the process, the session stopped early, it was interrupted); empty when it
    did."""
    warnings: tuple[str, ...] = ()
    """What the run noticed that is not a test result (lines forged on the event channel)."""
    error: str = ""
    """gateui could not run it, or not to its end (configuration, interpreter): the message."""
    xfailed: int = 0
    """Expected failures that failed (not in ``skipped``, as pytest counts them)."""
    xpassed: int = 0
    """Expected failures that passed (not in ``passed``)."""
    deselected: int = 0
    """Tests collected and then deselected (``-m``, ``-k``), not part of ``selected``."""
    pytest_warnings: int = 0
    """Warnings pytest recorded (the "N warnings" of its summary line); ``warnings`` are
    gateui's own."""

    @property
    def ok(self) -> bool:
        """True when the run is green as CI would judge it."""
        if self.exit_decides:
            return not self.cancelled and not self.error and self.exitstatus == 0
        return (
            not self.cancelled
            and not self.incomplete
            and not self.error
            and self.crashed is None
            and self.failed == 0
            and self.errors == 0
            and self.collection_errors == 0
            and self.exitstatus == 0
        )


Event = (
    SessionStarted
    | ItemCollected
    | CollectionFinished
    | CollectionError
    | TestStarted
    | TestFinished
    | WarningRaised
    | SessionFinished
    | OutputLine
    | ProjectStarted
    | CommandStarted
    | RunSummary
)


def _line(value: Any) -> int | None:
    return value if isinstance(value, int) else None


@dataclass(frozen=True, slots=True)
class Rerooting:
    """How a runner wants the node ids and results of one pytest session: ids re-rooted from
    pytest's rootdir onto the repository root, and each result with its project and selection
    reason. Applied while parsing, so that each test's events are built once (streaming builds
    two per test; building them again to re-root them was a fifth of gateui's own time)."""

    prefix: str
    """Put before every non-empty node id and path (``core.common.paths.nodeid_prefix``)."""
    project: str
    reason_for: Callable[[str], str]
    """The selection reason of a (re-rooted) node id."""

    def rooted(self, nodeid_or_path: str) -> str:
        """A node id or path of pytest's, from the repository root (an empty one stays)."""
        return self.prefix + nodeid_or_path if nodeid_or_path and self.prefix else nodeid_or_path


def parse_event(data: dict[str, Any], rerooting: Rerooting | None = None) -> Event | None:
    """Turn one decoded JSON line from the plugin into an event; unknown kinds give None. With
    ``rerooting``, tests, collection errors and warnings come re-rooted (results with their
    project and reason); without, as the plugin reported them."""
    kind = data.get("e")
    if kind == "test":
        nodeid = data["nodeid"]
        path = data.get("path", "")
        reason = ""
        project = "."
        if rerooting is not None:
            nodeid = rerooting.rooted(nodeid)
            path = rerooting.rooted(path)
            reason = rerooting.reason_for(nodeid)
            project = rerooting.project
        return TestFinished(
            nodeid=nodeid,
            path=path,
            line=_line(data.get("line")),
            outcome=data["outcome"],
            duration_s=float(data.get("duration_s", 0.0)),
            markers=tuple(data.get("markers") or ()),
            longrepr=data.get("longrepr", ""),
            stdout=data.get("stdout", ""),
            stderr=data.get("stderr", ""),
            log=data.get("log", ""),
            xfail=data.get("xfail"),
            reason=reason,
            project=project,
            deps=data.get("deps"),
        )
    if kind == "test_start":
        nodeid = data["nodeid"]
        path = data.get("path", "")
        if rerooting is not None:
            nodeid, path = rerooting.rooted(nodeid), rerooting.rooted(path)
        return TestStarted(nodeid, path, _line(data.get("line")))
    if kind == "item":
        return ItemCollected(
            data["nodeid"],
            data.get("path", ""),
            _line(data.get("line")),
            tuple(data["markers"]),
            deselected=bool(data.get("deselected")),
        )
    if kind == "collection":
        return CollectionFinished(
            int(data["count"]), int(data.get("errors", 0)), int(data.get("deselected") or 0)
        )
    if kind == "collect_error":
        nodeid = data.get("nodeid", "")
        if rerooting is not None:
            nodeid = rerooting.rooted(nodeid)
        return CollectionError(nodeid, data.get("message", ""))
    if kind == "warning":
        nodeid = data.get("nodeid", "")
        if rerooting is not None:
            nodeid = rerooting.rooted(nodeid)
        return WarningRaised(
            category=data.get("category", ""),
            message=data.get("message", ""),
            path=data.get("path", ""),
            line=_line(data.get("line")),
            when=data.get("when", ""),
            nodeid=nodeid,
        )
    if kind == "session_start":
        return SessionStarted(
            pytest_version=data.get("pytest", ""),
            python=data.get("python", ""),
            python_version=data.get("python_version", ""),
            rootdir=data.get("rootdir", ""),
            inifile=data.get("inifile"),
            xdist=bool(data.get("xdist")),
            registered_markers=tuple(data.get("registered_markers") or ()),
            env=data.get("env"),
            order_seed=str(data.get("order_seed") or ""),
            warnings_summary=data.get("warnings_summary", True) is not False,
        )
    if kind == "session_finish":
        return SessionFinished(
            int(data["exitstatus"]),
            float(data.get("duration_s", 0.0)),
            not_run=int(data.get("not_run") or 0),
            not_run_ids=tuple(data.get("not_run_ids") or ()),
            stopped=str(data.get("stopped") or ""),
        )
    return None
