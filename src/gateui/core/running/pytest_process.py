"""Run pytest in the project's own interpreter and stream typed events back, live.

One ``PytestProcess`` is one pytest subprocess: started in its own session (so cancelling kills the
whole process group, xdist workers and anything the tests spawned), with the event plugin injected
through ``-p`` and a PYTHONPATH entry that holds only the plugin. Events arrive over a pipe; the
child's stdout and stderr are drained into a short tail kept for diagnosis.

The generator is plain Python (no threads of its own, no Textual): the CLI iterates it directly and
the TUI iterates it in a thread worker. ``cancel()`` may be called from any thread.
"""

from __future__ import annotations

import os
import re
import selectors
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from gateui.core.common.errors import InterpreterError
from gateui.core.common.paths import nodeid_prefix, relative_path
from gateui.core.running._forked_run import ForkedRun, WarmRunRefused
from gateui.core.running._record_skip import CurrentRecordings as CurrentRecordings
from gateui.core.running._record_skip import RecordSkipFeed
from gateui.core.running.channel import CHANNEL_ENV, KEY_ENV, KeyedLines, new_key
from gateui.core.running.events import (
    CollectionError,
    CollectionFinished,
    Event,
    OutputLine,
    Rerooting,
    RunSummary,
    SessionFinished,
    SessionStarted,
    TestFinished,
    TestStarted,
    WarningRaised,
)
from gateui.core.running.injected import PLUGIN_DIR, PLUGIN_MODULE
from gateui.core.running.process_group import (
    PIPE_GRACE_S,
    ChildHandle,
    GroupProcess,
    describe_exit,
    run_environment,
    widen_pipe,
)
from gateui.core.running.tally import ResultCounts
from gateui.core.running.warm import WarmPool

_READ_SIZE = 1 << 16
_OUTPUT_POLL_S = 0.05
_EXIT_POLL_S = 0.1
_PACE_S = 0.015
"""Once results stream, the event pipe is read at most this often: a burst of fast tests is
read in one wake-up, and a result waits at most this long in the pipe."""


@dataclass(frozen=True)
class PytestCommand:
    """What to run: pytest arguments in one project, with that project's interpreter."""

    project_root: Path
    """Working directory for pytest (the project's root, where its config lives)."""
    repo_root: Path
    """Node ids are reported relative to this folder."""
    interpreter: Path
    args: tuple[str, ...] = ()
    collect_items: bool = False
    """Ask the plugin for every collected item (discovery adds ``--collect-only`` itself)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment variables for the child."""
    reasons: Mapping[str, str] = field(default_factory=dict)
    """Why each node id (repo-relative; or its test, or its file) was selected; copied onto its
    result."""
    default_reason: str = ""
    """The reason for tests ``reasons`` does not name (a whole project selected at once)."""
    inherit_env: bool = True
    """False: ``env`` is the child's whole environment, not additions to this process's."""
    wrap: Callable[[Sequence[str], Mapping[str, str]], list[str]] | None = None
    """Turns the final argv (given the final environment) into the one started: a sandbox."""
    kept_recordings: CurrentRecordings | None = field(default=None, compare=False)
    """A recorded run's tests whose recordings are current: they are not recorded again
    (``_record_skip``). Worked out beside pytest's start-up."""

    def reason_for(self, nodeid: str) -> str:
        """The selection reason of a node id, its test (all parametrizations), or its file."""
        reasons = self.reasons
        if not reasons:
            return self.default_reason
        return (
            reasons.get(nodeid)
            or reasons.get(nodeid.split("[", 1)[0])
            or reasons.get(nodeid.split("::", 1)[0])
            or self.default_reason
        )

    def argv(self) -> list[str]:
        return [str(self.interpreter), "-m", "pytest", "-p", PLUGIN_MODULE, *self.args]

    @cached_property
    def project(self) -> str:
        """The project's folder relative to the repository root (asked for every result)."""
        return relative_path(self.project_root, self.repo_root)


def plugin_environment(base: Mapping[str, str], channel: str, key: str) -> dict[str, str]:
    """The child's environment: the plugin's folder first on PYTHONPATH, the channel named with
    the key its lines must carry (``core.running.channel``)."""
    env = dict(base)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(PLUGIN_DIR) + (os.pathsep + existing if existing else "")
    env[CHANNEL_ENV] = channel
    env[KEY_ENV] = key
    # Our own terminal width settings must not leak into the user's captured output.
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class _Tally:
    """Counts results as they arrive; tells which tests are still running."""

    def __init__(self) -> None:
        self.counts = ResultCounts()
        self.deselected = 0
        self.collection_errors = 0
        self.pytest_warnings = 0
        self.collected: int | None = None
        """How many tests the session collected (None: it never finished collecting)."""
        self.running: dict[str, None] = {}
        self.finished: set[str] = set()

    def add(self, event: TestFinished) -> None:
        self.running.pop(event.nodeid, None)
        self.finished.add(event.nodeid)
        self.counts.add(event)


class PytestProcess(GroupProcess):
    """One pytest subprocess and its event stream."""

    def __init__(self, command: PytestCommand, warm: WarmPool | None = None) -> None:
        """With ``warm``, pytest is forked from the project's warm process when it has one."""
        super().__init__()
        self.command = command
        self.warm = warm
        self.forked = False
        """Whether the run was forked from a warm process."""
        self._notes: tuple[str, ...] = ()
        self.session: SessionStarted | None = None
        self.finish: SessionFinished | None = None
        self._rootdir = command.project_root
        self._key = new_key()
        self._lines = KeyedLines(self._key)
        self._lines.rerooting = self._rerooting()
        self._record_skip: RecordSkipFeed | None = None

    # -- the stream ----------------------------------------------------------------------
    def events(self) -> Iterator[Event]:
        """Start pytest and yield its events; the last one is always a ``RunSummary``."""
        started = time.monotonic()
        tally = _Tally()
        exitstatus: int | None = None
        for event in self._raw_events():
            # Tests and collection errors arrive re-rooted, with their project and reason
            # (``_rerooting``): built once each.
            if isinstance(event, TestStarted):
                tally.running[event.nodeid] = None
            elif isinstance(event, TestFinished):
                tally.add(event)
            elif isinstance(event, SessionStarted):
                self.session = event
                self._rootdir = Path(event.rootdir)
                self._lines.rerooting = self._rerooting()
                if self._record_skip is not None:
                    self._record_skip.session_started(event.env, self._lines.rerooting.prefix)
            elif isinstance(event, CollectionError):
                tally.collection_errors += 1
            elif isinstance(event, WarningRaised):
                tally.pytest_warnings += 1
            elif isinstance(event, CollectionFinished):
                tally.collected = (tally.collected or 0) + event.count
                tally.deselected += event.deselected
            elif isinstance(event, SessionFinished):
                exitstatus = event.exitstatus
                self.finish = event
            yield event
        if exitstatus is None and self.session is None and (self.returncode or 0) > 0:
            # pytest refused to start (usage error, broken configuration): not a crash, its
            # exit status and its own words (in the output tail) say what is wrong.
            exitstatus = self.returncode
        crash = self._crashed_test(tally, exitstatus)
        if crash is not None:
            tally.add(crash)
            yield crash
        yield self._summary(tally, exitstatus, time.monotonic() - started, crash)

    def _rerooting(self) -> Rerooting:
        """Node ids re-rooted from pytest's rootdir (the project's root until the session says)
        onto the repository root; results with their selection reason and project."""
        command = self.command
        prefix = nodeid_prefix(self._rootdir, command.repo_root)
        return Rerooting(prefix, command.project, command.reason_for)

    def _crashed_test(self, tally: _Tally, exitstatus: int | None) -> TestFinished | None:
        """The test that was running when the process died without finishing its session."""
        if exitstatus is not None or self.cancelled or not tally.running:
            return None
        # With xdist several run at once; the last one started is the best guess.
        nodeid = next(reversed(tally.running))
        path, _, _ = nodeid.partition("::")
        return TestFinished(
            nodeid=nodeid,
            path=path,
            line=None,
            outcome="failed",
            duration_s=0.0,
            longrepr=f"crashed: {self._exit_text()} while this test was running",
            reason=self.command.reason_for(nodeid),
            project=self.command.project,
        )

    def _exit_text(self) -> str:
        return describe_exit(self.returncode, "the test process")

    def _not_run(self, tally: _Tally) -> int:
        if self.finish is not None:
            return self.finish.not_run  # the session's own reckoning, deselection and -x known
        if tally.collected is None:
            return 0
        return max(0, tally.collected - len(tally.finished))

    def _incomplete(self, tally: _Tally, not_run: int) -> str:
        """Why the run did not run all it collected to the end; empty when it did."""
        if self.cancelled:
            return "cancelled"
        tests = f"{not_run} collected test{'s' if not_run != 1 else ''} did not run"
        if self.finish is not None:
            if not not_run:
                return ""
            stopped = self.finish.stopped
            return f"pytest stopped ({stopped}): {tests}" if stopped else tests
        if self.session is None:
            return f"{self._exit_text()} before its session started"
        if tally.collected is None:
            return f"{self._exit_text()} during collection"
        return f"{self._exit_text()}: {tests}" if not_run else self._exit_text()

    def _summary(
        self, tally: _Tally, exitstatus: int | None, duration: float, crash: TestFinished | None
    ) -> RunSummary:
        died = exitstatus is None and not self.cancelled
        not_run = self._not_run(tally)
        return tally.counts.summary(
            crash.nodeid if crash else None,
            round(duration, 6),
            deselected=tally.deselected,
            pytest_warnings=tally.pytest_warnings,
            exitstatus=exitstatus,
            cancelled=self.cancelled,
            collection_errors=tally.collection_errors,
            crash_message=self._exit_text() if died else "",
            output_tail=tuple(self.output_tail),
            not_run=not_run,
            incomplete=self._incomplete(tally, not_run),
            warnings=self._lines.warnings() + self._notes,
        )

    def _raw_events(self) -> Iterator[Event]:
        interpreter = self.command.interpreter
        if not Path(interpreter).exists():
            raise InterpreterError(missing_interpreter(Path(interpreter)))
        inherited = os.environ if self.command.inherit_env else {}
        base = {**inherited, **self.command.env, **_collect_env(self.command.collect_items)}
        # A wrapped run (the gate's sandbox) is never forked from a warm process.
        pool = self.warm if self.command.wrap is None else None
        warm = None
        if pool is not None:
            base.update(pool.record_env(self.command.project_root, interpreter, base))
            warm = pool.request(self.command.project_root, interpreter, base)
            self._notes = pool.take_notes()
        read_fd, write_fd = os.pipe()
        env = plugin_environment(base, f"fd:{write_fd}", self._key)
        argv = self.command.argv()
        proc: ChildHandle | None = None
        kept = self.command.kept_recordings
        if kept is not None and self.command.wrap is None:
            self._record_skip = RecordSkipFeed(kept)
            env.update(self._record_skip.env)
        skip_fds = () if self._record_skip is None else (self._record_skip.child_fd,)
        if warm is not None:
            # Forked from the warm process: nothing is started here, the run begins at the fork.
            try:
                proc = ForkedRun(
                    warm,
                    argv[3:],
                    self.command.project_root,
                    run_environment(env, self.token),
                    write_fd,
                    skip_fds,
                )
            except WarmRunRefused as exc:
                warm.close()
                self._notes += (f"{exc}: the run started cold",)
            if proc is not None:
                self._adopt(proc)
        if proc is None:
            try:
                if self.command.wrap is not None:
                    argv = self.command.wrap(argv, env)
                proc = self._launch(
                    argv, cwd=self.command.project_root, env=env, pass_fds=(write_fd, *skip_fds)
                )
            except OSError as exc:
                os.close(read_fd)
                os.close(write_fd)
                if self._record_skip is not None:
                    self._record_skip.close()
                raise InterpreterError(f"{interpreter}: cannot start: {exc}") from exc
        if self._record_skip is not None:
            self._record_skip.started()
        self.forked = isinstance(proc, ForkedRun)
        # Only the run holds the write end now, so its end means EOF here.
        os.close(write_fd)
        assert proc.stdout is not None
        try:
            yield from self._pump(read_fd, proc.stdout.fileno(), proc)
            self.returncode = self._reap(proc)
            if isinstance(proc, ForkedRun) and proc.lost and not self.cancelled:
                self._notes += ("the warm test process went away during the run",)
        finally:
            os.close(read_fd)
            proc.stdout.close()
            self._leave_nothing(proc)
            if self._record_skip is not None:
                self._record_skip.close()
        if pool is not None and not self.cancelled:
            pool.prepare(self.command.project_root, interpreter, base)
        if self.session is None and not self.cancelled:
            self._raise_if_pytest_missing()

    def _pump(self, event_fd: int, output_fd: int, proc: ChildHandle) -> Iterator[Event]:
        """Events as they come; pytest's own output without waking up for it.

        pytest flushes its progress line after every test, and nobody reads it live (it is
        kept for the summary's tail), so waking for each of those writes would double the
        wake-ups of a run. The output pipe is read whenever events arrive, and at least every
        ``_OUTPUT_POLL_S`` so that it never fills; it is widened so that a chatty test does
        not wait for that poll. Once the events end, the output is read to its end.

        The run ends when the process does: its pipes are read for ``PIPE_GRACE_S`` more, never
        waited on forever (a process that escaped the run may hold them open).
        """
        widen_pipe(output_fd)  # a chatty test then waits for the next poll less often
        widen_pipe(event_fd)
        os.set_blocking(output_fd, False)
        selector = selectors.DefaultSelector()
        selector.register(event_fd, selectors.EVENT_READ)
        pending_events = pending_output = b""
        events_open = output_open = True
        closing_at: float | None = None
        last_read = 0.0
        try:
            while events_open or output_open:
                now = time.monotonic()
                if closing_at is None and proc.poll() is not None:
                    closing_at = now + PIPE_GRACE_S
                elif closing_at is not None and now > closing_at:
                    break
                try:
                    if events_open and self._lines.results:
                        # Paced once results stream (the first ones, after a quiet spell, are
                        # read at once): what the tests write meanwhile waits in the pipe, then
                        # comes in one read instead of one wake-up per test in each process.
                        wait = last_read + _PACE_S - now
                        if wait > 0:
                            time.sleep(wait)
                    ready = selector.select(_OUTPUT_POLL_S if events_open else _EXIT_POLL_S)
                except BaseException:
                    # Interrupted here (Ctrl-C, SIGTERM): results already in the pipe are the
                    # run's all the same; the summary of a cut-short run counts them.
                    if events_open:
                        yield from self._lines.events(_drained(event_fd, pending_events))
                    raise
                if events_open and ready:
                    last_read = time.monotonic()
                    chunk = _read_all(event_fd)
                    if not chunk:
                        events_open = False
                        selector.unregister(event_fd)
                        selector.register(output_fd, selectors.EVENT_READ)
                        chunk = b"\n" if pending_events else b""
                    lines = (pending_events + chunk).split(b"\n")
                    pending_events = lines.pop()
                    yield from self._lines.events(lines)
                if output_open:
                    chunk, output_open = _read_available(output_fd)
                    if not output_open and pending_output:
                        chunk += b"\n"
                    lines = (pending_output + chunk).split(b"\n")
                    pending_output = lines.pop()
                    for raw in lines:
                        text = raw.decode(errors="replace").rstrip("\r")
                        self.output_tail.append(text)
                        yield OutputLine(text)
                    if not output_open and not events_open:
                        selector.unregister(output_fd)
        finally:
            selector.close()

    def _raise_if_pytest_missing(self) -> None:
        text = "\n".join(self.output_tail)
        if "No module named pytest" in text:
            raise InterpreterError(
                f"{self.command.interpreter}: pytest is not installed in this interpreter "
                f"(install it there, or set [tool.gateui] python to one that has it)"
            )
        if not self._lines.plugin_loaded and self.returncode not in (None, 0):
            # Not even pytest's plugin loading was reached: the interpreter itself is broken.
            said = last_words(self.output_tail)
            raise InterpreterError(
                f"{self.command.interpreter}: the project's interpreter exited with status "
                f"{self.returncode} before pytest started" + (f": {said}" if said else "")
            )


_FRAME = re.compile(r'File "(?P<file>.+)", line (?P<line>\d+)')


def last_words(output: Iterable[str], limit: int = 300) -> str:
    """What a process that failed at start said, in one line: a traceback's exception first,
    with where it was raised (``ModuleNotFoundError: No module named 'UserDict' (at
    …/_pytest/main.py:15)``); other output, its last whole lines up to ``limit`` characters."""
    lines = [line.strip() for line in output if line.strip()]
    frames = [found for line in lines if (found := _FRAME.match(line))]
    if frames and "Traceback (most recent call last):" in lines:
        return f"{lines[-1]} (at {frames[-1]['file']}:{frames[-1]['line']})"
    kept: list[str] = []
    for line in reversed(lines):
        if kept and len(" | ".join([line, *kept])) > limit:
            break
        kept.insert(0, line)
    return " | ".join(kept)[-limit:]


def _drained(fd: int, pending: bytes) -> list[bytes]:
    """The complete lines a pipe holds now, after ``pending`` (never waits)."""
    os.set_blocking(fd, False)
    try:
        data, _ = _read_available(fd)
    except OSError:
        data = b""
    return (pending + data).split(b"\n")[:-1]


def _read_all(fd: int) -> bytes:
    """What a readable pipe holds (b"" at its end): one read unless it holds more than that."""
    chunk = os.read(fd, _READ_SIZE)
    if len(chunk) < _READ_SIZE:
        return chunk
    os.set_blocking(fd, False)
    try:
        rest, _ = _read_available(fd)
    finally:
        os.set_blocking(fd, True)
    return chunk + rest


def _read_available(fd: int) -> tuple[bytes, bool]:
    """What a non-blocking pipe holds now, and whether it is still open."""
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return b"".join(chunks), True
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


def _collect_env(collect_items: bool) -> dict[str, str]:
    return {"GATEUI_COLLECT_ITEMS": "1"} if collect_items else {}


def missing_interpreter(interpreter: Path) -> str:
    """Why ``interpreter`` cannot run, in words that say what to fix."""
    if interpreter.is_symlink():
        target = os.readlink(interpreter)
        return (
            f"{interpreter}: the environment is broken: its python is a dangling link to "
            f"{target} (the interpreter it was made from is gone; recreate the environment)"
        )
    return f"{interpreter}: interpreter not found"
