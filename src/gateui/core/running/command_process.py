"""Run a command (``make test-unit``, ``./tools/test.sh --smoke-backend``, ``tox -e py311``,
``mix test``…) and stream what it does as the same typed events a pytest run yields.

The command gets the event plugin through the environment, not its argv: ``PYTEST_ADDOPTS=-p
gateui_events``, a PYTHONPATH entry holding only the plugin, and ``GATEUI_EVENTS`` naming a channel
*file* (commands such as tox close inherited descriptors, so a pipe would not reach pytest). Every
pytest session the command starts, however deep, appends its events there; ``ChannelReader``
tails the file while the command runs. ExUnit runs use the same channel, written by gateui's
formatter (``core.exunit``).

What a ``CommandProcess`` yields:

- an ``OutputLine`` for every line the command prints, as it prints it;
- the per-test events of the pytest sessions (or ExUnit runs) inside it, node ids made relative to
  the repository root;
- when no per-test event arrived and the command wrote a JUnit XML report during this run, the
  report's test cases as ``TestFinished`` events, after the command exits;
- last, a ``RunSummary`` whose ``exitstatus`` is the command's exit status and whose verdict is that
  status (``exit_decides``): the tests it reports add detail, never change a pass or a fail.

The command runs under a guard (``process_group``): ``cancel()`` (from any thread) stops it and
everything it started, and so does its own end.
The PR gate runs its command steps through this class too (``core.gate_run``).
"""

from __future__ import annotations

import os
import selectors
import shlex
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from gateui.core.common.errors import GateuiError
from gateui.core.common.owned_dirs import owned_tempdir
from gateui.core.common.paths import relative_nodeid, relative_path
from gateui.core.running.channel import CHANNEL_ENV, KEY_ENV, KeyedLines, new_key
from gateui.core.running.events import (
    CollectionError,
    Event,
    OutputLine,
    RunSummary,
    SessionFinished,
    SessionStarted,
    TestFinished,
    TestStarted,
)
from gateui.core.running.injected import MIX_FORMATTER_FILE, MIX_FORMATTER_MODULE, PLUGIN_MODULE
from gateui.core.running.junit import read_junit
from gateui.core.running.process_group import PIPE_GRACE_S, GroupProcess
from gateui.core.running.process_group import describe_exit as process_describe_exit
from gateui.core.running.pytest_process import plugin_environment
from gateui.core.running.tally import ResultCounts

# How often the channel file is read while the command prints nothing.
POLL_S = 0.1
_READ_SIZE = 1 << 16


Wrapper = Callable[[Sequence[str], Mapping[str, str]], list[str]]


class CommandStartError(GateuiError):
    """The command could not be started at all (not found, not executable)."""


@dataclass(frozen=True)
class CommandSpec:
    """One command to run, and how to read what it does."""

    argv: tuple[str, ...]
    """The program and its arguments (a shell, when the command needs one)."""
    cwd: Path
    repo_root: Path
    env: Mapping[str, str] | None = None
    """The child's whole environment (None: this process's); the channel is added to it."""
    inject_pytest: bool = True
    """Load the event plugin into every pytest the command starts (``PYTEST_ADDOPTS``)."""
    junit: tuple[Path, ...] = ()
    """JUnit XML reports the command writes (absolute), read when nothing reported per test."""
    python: Path | None = None
    """The project's interpreter: ``python`` and ``python3`` on the command's PATH run it."""
    reason_for: Callable[[str], str] = field(default=lambda nodeid: "")
    """Why a test (repository-relative node id) was selected, for affected runs."""
    missing_hint: str = ""
    """What to say when the program cannot be found (how to install it)."""
    wrap: Wrapper | None = None
    """Turns the final argv (given the final environment) into the one started: a sandbox."""


def command_environment(
    base: Mapping[str, str], channel: Path, inject_pytest: bool, key: str
) -> dict[str, str]:
    """``base`` plus the channel and its key, and (for pytest) the plugin on PYTHONPATH and
    PYTEST_ADDOPTS.

    The command itself keeps both variables (make, a script or tox may start several pytest
    sessions, one after another, and each reports); each session takes them out of its own
    environment, so a pytest that one of its tests starts does not report."""
    if not inject_pytest:
        env = dict(base)
        env[CHANNEL_ENV] = str(channel)
        env[KEY_ENV] = key
        return env
    env = plugin_environment(base, str(channel), key)
    env["PYTEST_ADDOPTS"] = (env.get("PYTEST_ADDOPTS", "") + f" -p {PLUGIN_MODULE}").strip()
    # tox 4 passes only the variables an environment's pass_env names; TOX_OVERRIDE adds ours
    # (older tox ignores it). nox hands its whole environment down by itself.
    extra = f"testenv.pass_env+=PYTEST_ADDOPTS,PYTHONPATH,{CHANNEL_ENV},{KEY_ENV}"
    existing = env.get("TOX_OVERRIDE")
    env["TOX_OVERRIDE"] = f"{existing}\n{extra}" if existing else extra
    return env


def python_shim(folder: Path, interpreter: Path, search_path: str | None = None) -> Path:
    """``folder``, holding ``python`` and ``python3`` that run ``interpreter``: first on PATH, a
    Makefile's or a script's ``python`` is the project's.

    When ``mix`` is on ``search_path`` (PATH without the folder), the folder holds a ``mix`` too:
    ``mix test`` gets gateui's ExUnit formatter next to ExUnit's own, so a gate step or a script
    that runs ``mix test`` reports each test, the way pytest behind make does; anything else is
    mix itself."""
    if not folder.is_dir():
        folder.mkdir(parents=True)
    mix = _mix_shim_text(search_path)
    marker = folder / ".for"
    wanted = f"{interpreter}\n{mix}"
    if not marker.exists() or marker.read_text() != wanted:
        for name in ("python", "python3"):
            path = folder / name
            path.write_text(f'#!/bin/sh\nexec {shlex.quote(str(interpreter))} "$@"\n')
            path.chmod(0o755)
        mix_path = folder / "mix"
        if mix:
            mix_path.write_text(mix)
            mix_path.chmod(0o755)
        else:
            mix_path.unlink(missing_ok=True)
        marker.write_text(wanted)
    return folder


def _mix_shim_text(search_path: str | None) -> str:
    real_mix = shutil.which("mix", path=search_path)
    elixir = shutil.which("elixir", path=search_path)
    if real_mix is None or elixir is None:
        return ""
    mix, elixir_q = shlex.quote(real_mix), shlex.quote(elixir)
    formatter = shlex.quote(str(MIX_FORMATTER_FILE))
    return (
        "#!/bin/sh\n"
        "# gateui: `mix test` reports each test to gateui; any other task is mix itself.\n"
        'if [ "$1" = test ] && [ -n "$GATEUI_EVENTS" ]; then\n'
        "    shift\n"
        f'    exec {elixir_q} -r {formatter} {mix} test "$@"'
        f" --formatter {MIX_FORMATTER_MODULE} --formatter ExUnit.CLIFormatter\n"
        "fi\n"
        f'exec {mix} "$@"\n'
    )


def which(program: str, cwd: Path, path: str) -> str | None:
    """Where ``program`` is: a path is taken relative to ``cwd``, a bare name looked up on PATH."""
    if "/" in program:
        candidate = Path(program) if program.startswith("/") else cwd / program
        return str(candidate) if os.access(candidate, os.X_OK) and candidate.is_file() else None
    return shutil.which(program, path=path)


class ChannelReader:
    """Reads the events that pytest sessions (or ExUnit runs) append to a file, as they arrive,
    with node ids re-rooted from each session's rootdir onto the repository root."""

    def __init__(self, path: Path, repo_root: Path, key: str) -> None:
        self.path = path
        self.repo_root = repo_root
        self.offset = 0
        self.pending = b""
        self.rootdir: Path | None = None
        self.lines = KeyedLines(key)

    def read(self) -> Iterator[Event]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return
        self.offset += len(data)
        lines = (self.pending + data).split(b"\n")
        self.pending = lines.pop()
        for event in self.lines.events(lines):
            yield self._rerooted(event)

    def _rerooted(self, event: Event) -> Event:
        if isinstance(event, SessionStarted):
            self.rootdir = Path(event.rootdir)
            return event
        rootdir = self.rootdir
        if rootdir is None:
            return event
        if isinstance(event, TestStarted):
            return replace(event, nodeid=relative_nodeid(event.nodeid, rootdir, self.repo_root))
        if isinstance(event, TestFinished):
            return replace(
                event,
                nodeid=relative_nodeid(event.nodeid, rootdir, self.repo_root),
                path=relative_nodeid(event.path, rootdir, self.repo_root),
                project=relative_path(rootdir, self.repo_root),
            )
        if isinstance(event, CollectionError):
            return replace(event, nodeid=relative_nodeid(event.nodeid, rootdir, self.repo_root))
        return event


class _Tally:
    def __init__(self) -> None:
        self.counts = ResultCounts()
        self.collection_errors = 0
        self.running: dict[str, None] = {}
        self.session_open = False
        self.not_run = 0
        self.stopped = ""

    def add(self, event: Event) -> None:
        if isinstance(event, TestStarted):
            self.running[event.nodeid] = None
        elif isinstance(event, TestFinished):
            self.running.pop(event.nodeid, None)
            self.counts.add(event)
        elif isinstance(event, CollectionError):
            self.collection_errors += 1
        elif isinstance(event, SessionStarted):
            self.session_open = True
        elif isinstance(event, SessionFinished):
            self.session_open = False
            self.running.clear()
            self.not_run += event.not_run
            self.stopped = self.stopped or event.stopped

    @property
    def total(self) -> int:
        return self.counts.total


class CommandProcess(GroupProcess):
    """One command and its event stream (see the module docstring)."""

    def __init__(self, spec: CommandSpec) -> None:
        super().__init__()
        self.spec = spec
        self.per_test = False
        """True once any per-test result arrived (live, or from a JUnit report)."""
        self._key = new_key()
        self._reader: ChannelReader | None = None

    def events(self) -> Iterator[Event]:
        """Start the command and yield its events; the last one is always a ``RunSummary``.
        Raises ``CommandStartError`` when it cannot be started."""
        started = time.monotonic()
        wall_start = time.time()
        tally = _Tally()
        with owned_tempdir("gateui-cmd-") as scratch:
            channel = Path(scratch) / "events.jsonl"
            channel.write_bytes(b"")
            for event in self._run(channel, Path(scratch)):
                event = self._annotated(event)
                tally.add(event)
                if isinstance(event, TestFinished):
                    self.per_test = True
                yield event
        if not self.per_test and not self.cancelled:
            for result in self._junit_results(wall_start):
                self.per_test = True
                tally.add(result)
                yield result
        crash = self._crashed_test(tally)
        if crash is not None:
            tally.add(crash)
            yield crash
        yield self._summary(tally, time.monotonic() - started, crash)

    def _annotated(self, event: Event) -> Event:
        if isinstance(event, TestFinished):
            return replace(event, reason=self.spec.reason_for(event.nodeid))
        return event

    def _run(self, channel: Path, scratch: Path) -> Iterator[Event]:
        spec = self.spec
        base = dict(os.environ if spec.env is None else spec.env)
        if spec.python is not None:
            shim = python_shim(scratch / "bin", spec.python, base.get("PATH", os.defpath))
            base["PATH"] = os.pathsep.join(
                [str(shim), str(spec.python.parent), base.get("PATH", os.defpath)]
            )
        env = command_environment(base, channel, spec.inject_pytest, self._key)
        try:
            argv = spec.wrap(spec.argv, env) if spec.wrap is not None else list(spec.argv)
            proc = self._launch(argv, cwd=spec.cwd, env=env)
        except OSError as exc:
            if isinstance(exc, FileNotFoundError) and spec.missing_hint:
                raise CommandStartError(spec.missing_hint) from exc
            raise CommandStartError(f"{spec.argv[0]}: cannot start: {exc.strerror or exc}") from exc
        reader = self._reader = ChannelReader(channel, spec.repo_root, self._key)
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        pending = b""
        closing_at: float | None = None
        try:
            open_stream = True
            while open_stream:
                # The run ends when the command does: its output is read for a short grace
                # more, never waited on forever (something that escaped may hold the pipe).
                if closing_at is None and proc.poll() is not None:
                    closing_at = time.monotonic() + PIPE_GRACE_S
                elif closing_at is not None and time.monotonic() > closing_at:
                    break
                for _key, _ in selector.select(timeout=POLL_S):
                    chunk = os.read(proc.stdout.fileno(), _READ_SIZE)
                    if not chunk:
                        open_stream = False
                        break
                    lines = (pending + chunk).split(b"\n")
                    pending = lines.pop()
                    # Results first: what a test printed should not arrive before the test.
                    yield from reader.read()
                    for raw in lines:
                        yield self._output(raw)
                yield from reader.read()
            if pending:
                yield self._output(pending)
            self.returncode = self._reap(proc)
            yield from reader.read()
        finally:
            selector.close()
            proc.stdout.close()
            self._leave_nothing(proc)

    def _output(self, raw: bytes) -> OutputLine:
        text = raw.decode(errors="replace").rstrip("\r")
        self.output_tail.append(text)
        return OutputLine(text)

    def _junit_results(self, since: float) -> list[TestFinished]:
        """Results from the reports this run wrote (an older report is not this run's)."""
        results: list[TestFinished] = []
        project = relative_path(self.spec.cwd, self.spec.repo_root)
        for path in self.spec.junit:
            try:
                fresh = path.stat().st_mtime >= since - 1.0
            except OSError:
                continue
            if not fresh:
                continue
            try:
                cases = read_junit(path, self.spec.cwd, self.spec.repo_root, project)
            except ValueError as exc:
                self.output_tail.append(f"gateui: {exc}")
                continue
            results.extend(replace(c, reason=self.spec.reason_for(c.nodeid)) for c in cases)
        return results

    def _crashed_test(self, tally: _Tally) -> TestFinished | None:
        """The test that was running when the command's test session died unfinished."""
        if self.cancelled or not tally.session_open or not tally.running:
            return None
        nodeid = next(reversed(tally.running))
        return TestFinished(
            nodeid=nodeid,
            path=nodeid.split("::", 1)[0],
            line=None,
            outcome="failed",
            duration_s=0.0,
            longrepr=f"crashed: {describe_exit(self.returncode)} while this test was running",
            reason=self.spec.reason_for(nodeid),
            project=relative_path(self.spec.cwd, self.spec.repo_root),
        )

    def _summary(self, tally: _Tally, duration: float, crash: TestFinished | None) -> RunSummary:
        code = self.returncode
        killed = code is not None and code < 0 and not self.cancelled
        return tally.counts.summary(
            crash.nodeid if crash else None,
            round(duration, 6),
            exitstatus=code,
            cancelled=self.cancelled,
            collection_errors=tally.collection_errors,
            crash_message=describe_exit(code) if killed or crash else "",
            output_tail=tuple(self.output_tail),
            exit_decides=True,
            not_run=tally.not_run,
            incomplete=self._incomplete(tally, crash),
            warnings=self._reader.lines.warnings() if self._reader else (),
        )

    def _incomplete(self, tally: _Tally, crash: TestFinished | None) -> str:
        """Why the test sessions inside the command did not run all they collected; the
        command's exit status still decides."""
        if self.cancelled:
            return "cancelled"
        if crash is not None:
            return f"a test session ended unfinished while {crash.nodeid} was running"
        if tally.not_run:
            tests = f"{tally.not_run} collected test{'s' if tally.not_run != 1 else ''} did not run"
            return f"pytest stopped ({tally.stopped}): {tests}" if tally.stopped else tests
        return ""


def describe_exit(returncode: int | None) -> str:
    return process_describe_exit(returncode, "the command")


def shell_argv(command: str) -> list[str]:
    """How a suite with ``shell = true`` runs: bash (or sh) reading the command line."""
    shell = shutil.which("bash") or "/bin/sh"
    return [shell, "-c", command]
