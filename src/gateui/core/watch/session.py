"""Watch mode: every save reruns exactly the affected tests, and no edit is ever lost.

File events come from watchfiles (debounced, bursts coalesced: a branch switch is one cycle),
filtered of editor temp files, tool folders, what is not the project's (a virtual environment,
installed packages, build output: ``core.common.project_files``) and anything git ignores. Each
cycle selects the affected tests and runs them. An edit during a run cancels it (the whole
process group) and the next cycle runs the union of what the cancelled run had not finished and
what the new edit selects; tests that did finish keep their results.

``WatchSession.events()`` is a plain generator (the CLI prints it, the TUI runs it in a thread
worker); the change source is injectable, so tests feed scripted changes.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import queue
import re
import stat
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from gateui.core.common.config import load_gateui_config
from gateui.core.common.owned_dirs import owned_tempdir
from gateui.core.common.project_files import NOT_PROJECT_DIRS, ProjectFiles
from gateui.core.common.signal_safe_wait import next_item
from gateui.core.discovery.discover import Project
from gateui.core.plan.run_plan import RunRequest, RunSession, plan_run
from gateui.core.running.events import Event, RunSummary, TestFinished
from gateui.core.running.warm import WarmPool
from gateui.core.selection.affected import plan_affected
from gateui.core.selection.bookkeeping import Bookkeeping
from gateui.core.selection.changes import ChangeSet, changed_files
from gateui.core.selection.depstore import DepStore
from gateui.core.selection.kept_recordings import recorded_full_run
from gateui.core.selection.selector import ProjectSelection, Selector, forget_environment_keys

# Folders whose changes never trigger a run: what is never the project's (one rule), and
# editor settings, coverage reports and build output, which a save of code never touches.
IGNORED_DIRS = NOT_PROJECT_DIRS | {"build", "dist", ".idea", ".vscode", "htmlcov"}
# Editor temp files and atomic-save leftovers: vim's swap files and its "4913" probe, backups
# ending in "~", emacs lock and autosave files, and generic temporaries.
IGNORED_NAMES = (
    "*.swp",
    "*.swx",
    "*.swo",
    "*.swpx",
    "4913",
    "*~",
    ".#*",
    "#*#",
    "*.tmp",
    "*.bak",
    ".~lock.*",
    "*.pyc",
    "*.pyo",
    ".DS_Store",
    "*.orig",
    "*.rej",
    "*.crdownload",
    "sed??????",
)
# Temporary folders tools create next to the tests (pytest's cache is written through one).
IGNORED_DIR_PATTERNS = ("pytest-cache-files-*", "*.egg-info")
QUIET_S = 0.015
"""After a batch, wait this long for more before starting a cycle: a save is one event, and
starting at once is what makes watch mode feel instant. (The watcher itself hands a batch over
only after ``WATCH_STEP_MS`` without a new change, so a burst that keeps writing stays one.) It
stays longer than a step, so that the rest of a batch the watcher split is still caught."""
WATCH_STEP_MS = 10
"""watchfiles' step: a batch is handed over once a step passes with no new change (one or two
steps after a save). Was 50 (with ``QUIET_S`` 0.06), then 20 (with 0.03): ≈ 75 and then ≈ 27 ms
more from a save to its cycle. The watcher wakes once a step while idle: ≈ 0.45 % of a core for
an idle ``gateui watch`` at 10 ms, ≈ 0.25 % at 20 ms."""
BURST_FILES = 10
BURST_QUIET_S = 0.4
"""Once a batch is this big it is a burst (a branch switch, a formatter over the tree): wait
longer, so the rest of it, which the watcher may hand over in several batches, joins it."""


@dataclass(frozen=True)
class CycleStarted:
    """A watch cycle begins: what changed and what it selected."""

    changed: tuple[str, ...]
    tests: int
    """Tests selected by name (single tests, or every parametrization of one)."""
    files: int
    """Whole test files selected."""
    whole_projects: tuple[str, ...]
    carried_over: int
    """Selections carried over from a run an edit interrupted."""
    known_tests: int
    """How many tests gateui knows of in the repository (recorded or last run)."""
    notes: tuple[str, ...] = ()
    manual: str = ""
    """For a run the user asked for (a key in watch mode): what it runs, in words."""


@dataclass(frozen=True)
class ManualRun:
    """A run the user asked for while watching (all tests, the failed ones, a filter)."""

    request: RunRequest
    what: str
    """In words, for the cycle's header: "all tests", "the failed tests"."""


@dataclass(frozen=True)
class CycleFinished:
    summary: RunSummary
    interrupted: bool
    """True when an edit cut the run short (its unfinished tests go to the next cycle)."""


@dataclass(frozen=True)
class Idle:
    """Waiting for the next change."""

    message: str = "watching for changes"


WatchEvent = Event | CycleStarted | CycleFinished | Idle


def is_ignored_name(rel: str) -> bool:
    path = PurePosixPath(rel)
    for part in path.parts[:-1]:
        if part in IGNORED_DIRS or any(fnmatch.fnmatch(part, p) for p in IGNORED_DIR_PATTERNS):
            return True
    # The event may name such a folder itself, already renamed away (pytest's cache folder).
    if any(fnmatch.fnmatch(path.name, p) for p in IGNORED_DIR_PATTERNS):
        return True
    return any(fnmatch.fnmatch(path.name, pattern) for pattern in IGNORED_NAMES)


def glob_match(rel: str, pattern: str) -> bool:
    """Whether a repository-relative path matches a glob: ``*`` within a folder name, ``**``
    across folders (``docs/**`` is everything under docs); a pattern without ``/`` matches the
    file name anywhere (``*.md``)."""
    if "/" not in pattern:
        return fnmatch.fnmatch(PurePosixPath(rel).name, pattern)
    regex = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            regex, index = regex + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            regex, index = regex + ".*", index + 2
        elif pattern[index] == "*":
            regex, index = regex + "[^/]*", index + 1
        elif pattern[index] == "?":
            regex, index = regex + "[^/]", index + 1
        else:
            regex, index = regex + re.escape(pattern[index]), index + 1
    return re.fullmatch(regex, rel) is not None


def git_ignored(repo_root: Path, paths: Iterable[str]) -> set[str]:
    """The subset of ``paths`` git ignores (one ``git check-ignore`` call per batch)."""
    paths = list(paths)
    if not paths or not (repo_root / ".git").exists():
        return set()
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin", "-z"],
        cwd=repo_root,
        input="\0".join(paths) + "\0",
        capture_output=True,
        text=True,
        check=False,
    )
    return {p for p in result.stdout.split("\0") if p}


def own_output_files() -> frozenset[tuple[int, int]]:
    """The files this process writes its output to (``gateui watch > out.txt``), as (device,
    inode): each line written there would otherwise be a change that starts another cycle."""
    found = set()
    for fd in (1, 2):
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            found.add((info.st_dev, info.st_ino))
    return frozenset(found)


class ChangeFilter:
    """Repository-relative paths worth a cycle, from absolute paths reported by the watcher.
    Never changes: what is not the project's (venvs, installed packages, caches: one rule,
    ``ProjectFiles``), files gateui itself writes (its state folder, its own stdout and
    stderr), and paths the user's ``watch_ignore`` globs name."""

    def __init__(
        self,
        repo_root: Path,
        ignore: Sequence[str] = (),
        own_files: frozenset[tuple[int, int]] | None = None,
    ) -> None:
        self.repo_root = repo_root
        self.ignore = tuple(ignore)
        """The user's ``watch_ignore`` globs (``[tool.gateui]``)."""
        self.own_files = own_output_files() if own_files is None else own_files

    def without_own(self, changes: ChangeSet) -> ChangeSet:
        """``changes`` less gateui's own output files (untracked, so git reports them) and the
        paths ``watch_ignore`` names."""
        kept = frozenset(
            p
            for p in changes.paths
            if not self._is_own(self.repo_root / p) and not self._user_ignored(p)
        )
        return changes if kept == changes.paths else replace(changes, paths=kept)

    def _is_own(self, path: Path) -> bool:
        if not self.own_files:
            return False
        try:
            info = path.stat()
        except OSError:
            return False
        return (info.st_dev, info.st_ino) in self.own_files

    def _user_ignored(self, rel: str) -> bool:
        return any(glob_match(rel, pattern) for pattern in self.ignore)

    def _files_in(self, folder: Path, own: ProjectFiles) -> set[str]:
        found = set()
        for path in folder.rglob("*"):
            if path.is_file():
                rel = path.relative_to(self.repo_root).as_posix()
                if (
                    not is_ignored_name(rel)
                    and own.is_project_file(rel)
                    and not self._user_ignored(rel)
                ):
                    found.add(rel)
        return found

    def __call__(self, absolute: Iterable[str]) -> set[str]:
        relative = set()
        # Judged afresh per batch: a folder may have become a venv since the last one.
        own = ProjectFiles(self.repo_root)
        for raw in absolute:
            try:
                rel = Path(raw).resolve().relative_to(self.repo_root).as_posix()
            except ValueError:
                continue
            if rel == "." or is_ignored_name(rel) or not own.is_project_file(rel):
                continue
            if self._user_ignored(rel):
                continue
            folder = self.repo_root / rel
            if self._is_own(folder):
                continue
            if folder.is_dir():
                # A new folder: files written into it before the OS watch on it was in place
                # raise no event of their own (an inotify race), so take them from the disk
                # (not from a new venv: it is no folder of the project's).
                if own.is_project_folder(rel):
                    relative |= self._files_in(folder, own)
                continue
            relative.add(rel)
        return relative - git_ignored(self.repo_root, relative)


def watchfiles_source(repo_root: Path, stop: threading.Event) -> Iterator[set[str]]:
    """Batches of changed absolute paths from watchfiles (rust notify, debounced)."""
    import watchfiles

    # yield_on_timeout: the first (empty) batch says the watcher is armed, so that an edit made
    # right after `gateui watch` starts is never lost.
    for batch in watchfiles.watch(
        repo_root,
        stop_event=stop,
        debounce=1600,
        step=WATCH_STEP_MS,
        rust_timeout=200,
        yield_on_timeout=True,
        raise_interrupt=False,
    ):
        yield {path for _, path in batch}


@dataclass
class _Carry:
    """What an interrupted run still owed: selections minus the tests that finished."""

    selections: list[ProjectSelection] = field(default_factory=list)
    finished: set[str] = field(default_factory=set)


class WatchSession:
    """Cycles of select-and-run, driven by file changes. ``stop()`` from any thread."""

    def __init__(
        self,
        projects: Sequence[Project],
        request: RunRequest | None = None,
        record: bool = True,
        source: Callable[[Path, threading.Event], Iterable[Iterable[str]]] | None = None,
        initial: bool = True,
        repo_root: Path | None = None,
        warm: WarmPool | None = None,
    ) -> None:
        """``repo_root`` is needed only when there is no Python project (an ExUnit-only
        repository: each cycle is ``mix test --stale``). ``warm``: the warm processes of the
        caller (the TUI keeps them across watch sessions and its own runs); without it the
        session keeps its own while it runs."""
        self.projects = list(projects)
        root = repo_root or (projects[0].repo_root if projects else None)
        if root is None:
            raise ValueError("WatchSession needs a project or a repo_root")
        self.repo_root = root
        self.request = request or RunRequest()
        self.record = record
        self.source = source or watchfiles_source
        self.initial = initial
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue()
        self._session: RunSession | None = None
        self._manual: ManualRun | None = None
        config = load_gateui_config(self.repo_root / "pyproject.toml")
        self._filter = ChangeFilter(self.repo_root, config.watch_ignore)
        self._shared_warm = warm
        self._warm = WarmPool(self.repo_root, enabled=False)

    # -- control ---------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._queue.put(("stop", None))
        session = self._session
        if session is not None:
            session.cancel()

    def cancel_cycle(self) -> None:
        """Stop the running cycle's tests and keep watching. Nothing is carried over (the user
        asked for it), yet nothing is lost either: recordings are per file version, so what
        the cancelled run did not verify is selected again by the next change it matters to."""
        session = self._session
        if session is not None:
            session.cancel()

    def run_now(self, run: ManualRun) -> None:
        """Run ``run`` as the next cycle; a cycle running now stops for it (its tests are not
        owed: the user asked for something else)."""
        self._queue.put(("manual", run))

    def inject(self, paths: Iterable[str]) -> None:
        """Report changed paths (absolute) as if the watcher had seen them."""
        self._queue.put(("change", set(paths)))

    # -- the loop --------------------------------------------------------------------------
    def _watch(self) -> None:
        try:
            for batch in self.source(self.repo_root, self._stop):
                self._ready.set()
                if self._stop.is_set():
                    break
                if batch:
                    self._queue.put(("change", set(batch)))
        except Exception as exc:  # the watcher dying must be said, not swallowed
            self._queue.put(("watch-error", exc))
        finally:
            self._ready.set()

    def events(self) -> Iterator[WatchEvent]:
        store = DepStore(self.repo_root)
        books = Bookkeeping(self.repo_root, store if self.record else None)
        selector = Selector(self.repo_root, self.projects, store, books.results)
        # Runs fork from a process that has pytest and the tests' libraries loaded already.
        self._warm = self._shared_warm or WarmPool(
            self.repo_root, enabled=load_gateui_config(self.repo_root / "pyproject.toml").warm
        )
        # Started now, in the background: the first save does not wait for the preload.
        for project in self.projects:
            if project.interpreter.exists():
                self._warm.prepare(project.root, project.interpreter, os.environ)
        watcher = threading.Thread(target=self._watch, name="gateui-watch", daemon=True)
        watcher.start()
        # Changes are judged only once the watcher is armed: nothing falls in between.
        self._ready.wait(timeout=30)
        carry = _Carry()
        try:
            pending: set[str] = set()
            first = self.initial
            while not self._stop.is_set():
                if first:
                    changes = self._filter.without_own(changed_files(self.repo_root))
                    first = False
                else:
                    if not pending:
                        # (An edit that interrupted the last run is already pending: no wait.)
                        yield Idle()
                        pending |= self._wait_for_changes()
                    if self._stop.is_set():
                        break
                    manual, self._manual = self._manual, None
                    if manual is not None:
                        for item in self._manual_cycle(manual, books):
                            if isinstance(item, set):
                                pending |= item  # edits made meanwhile still get their cycle
                            else:
                                yield item
                        continue
                    if not pending:
                        continue
                    # Judged against HEAD, like `run --affected`: a file no recording covers is
                    # compared with its committed version, not taken as wholly new.
                    changes = ChangeSet(frozenset(pending), base=_head(self.repo_root))
                pending = set()
                selector.refresh(changes.paths)
                if any(_is_dependency_file(p) for p in changes.paths):
                    forget_environment_keys()
                cycle = self._run_cycle(selector, books, store, changes, carry)
                interrupted_by: set[str] = set()
                for item in cycle:
                    if isinstance(item, set):
                        interrupted_by = item
                    else:
                        yield item
                pending |= interrupted_by
        finally:
            self.stop()
            if self._warm is not self._shared_warm:
                self._warm.close()
            books.save()
            store.close()

    def _wait_for_changes(self) -> set[str]:
        """Block until a batch of relevant changes arrives (or stop), then coalesce a burst."""
        changed: set[str] = set()
        while not changed and not self._stop.is_set() and self._manual is None:
            kind, payload = next_item(self._queue)
            changed |= self._handle_message(kind, payload)
        while self._manual is None:
            quiet = BURST_QUIET_S if len(changed) >= BURST_FILES else QUIET_S
            try:
                kind, payload = self._queue.get(timeout=quiet)
            except queue.Empty:
                return changed
            changed |= self._handle_message(kind, payload)
        return changed

    def _handle_message(self, kind: str, payload: object) -> set[str]:
        if kind == "change":
            assert isinstance(payload, set)
            return self._filter(payload)
        if kind == "watch-error":
            raise RuntimeError(f"file watcher failed: {payload}")
        if kind == "manual":
            assert isinstance(payload, ManualRun)
            self._manual = payload
        return set()

    def _run_cycle(
        self,
        selector: Selector,
        books: Bookkeeping,
        store: DepStore,
        changes: ChangeSet,
        carry: _Carry,
    ) -> Iterator[WatchEvent | set[str]]:
        with owned_tempdir("gateui-watch-") as workdir:
            plan = plan_affected(
                self.projects,
                self.request,
                store,
                books.results,
                Path(workdir),
                selector=selector,
                changes=changes,
                record=self.record,
                carry=carry.selections,
                exclude=carry.finished,
                repo_root=self.repo_root,
            )
            carried = sum(len(s.nodeids) + len(s.prefixes) + len(s.files) for s in carry.selections)
            carry.selections, carry.finished = [], set()
            tests, files = plan.counts
            yield CycleStarted(
                changed=tuple(sorted(plan.selection.changed)),
                tests=tests,
                files=files,
                whole_projects=tuple(p.project.rel for p in plan.selection.projects if p.whole),
                carried_over=carried,
                known_tests=len(books.results),
                notes=tuple(plan.selection.notes),
            )
            yield from self._stream(
                RunSession(plan.commands, warm=self._warm), books, plan.selection.projects, carry
            )

    def _manual_cycle(
        self, manual: ManualRun, books: Bookkeeping
    ) -> Iterator[WatchEvent | set[str]]:
        """A cycle the user asked for: the request as ``gateui run`` plans it."""
        commands = plan_run(self.projects, manual.request, self.repo_root)
        with contextlib.ExitStack() as closing:
            if self.record:
                # Tests whose recordings are current are not recorded again.
                commands, over = recorded_full_run(
                    commands, self.repo_root, self.projects, books.store
                )
                closing.callback(over)
            yield CycleStarted(
                changed=(),
                tests=0,
                files=0,
                whole_projects=(),
                carried_over=0,
                known_tests=len(books.results),
                manual=manual.what,
            )
            yield from self._stream(RunSession(commands, warm=self._warm), books, [], _Carry())

    def _stream(
        self,
        session: RunSession,
        books: Bookkeeping,
        selections: Sequence[ProjectSelection],
        carry: _Carry,
    ) -> Iterator[WatchEvent | set[str]]:
        """Run one cycle's session in a thread, passing its events on; an edit stops it (its
        unfinished part is owed to the next cycle), a manual run stops it (nothing owed)."""
        self._session = session
        runner = threading.Thread(
            target=self._pump_run, args=(session,), name="gateui-watch-run", daemon=True
        )
        runner.start()
        finished: set[str] = set()
        interrupted_by: set[str] = set()
        while True:
            kind, payload = next_item(self._queue)
            if kind == "event":
                assert not isinstance(payload, str)
                event: Event = payload  # type: ignore[assignment]
                books.handle(event)
                if isinstance(event, TestFinished):
                    finished.add(event.nodeid)
                if isinstance(event, RunSummary):
                    runner.join()
                    self._session = None
                    if interrupted_by:
                        carry.selections = [replace(s) for s in selections]
                        carry.finished = finished
                    books.save()
                    yield event
                    yield CycleFinished(event, interrupted=bool(interrupted_by))
                    yield interrupted_by
                    return
                yield event
            elif kind == "stop":
                session.cancel()
            elif kind == "run-error":
                runner.join()
                self._session = None
                raise payload  # type: ignore[misc]
            else:
                relevant = self._handle_message(kind, payload)
                if relevant:
                    # Never lose an edit: stop this run now, and owe its unfinished part.
                    interrupted_by |= relevant
                if relevant or self._manual is not None:
                    session.cancel()

    def _pump_run(self, session: RunSession) -> None:
        try:
            for event in session.events():
                self._queue.put(("event", event))
        except Exception as exc:  # e.g. the interpreter lost pytest: end the cycle, say why
            self._queue.put(("run-error", exc))


def _head(repo_root: Path) -> str | None:
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", "HEAD"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None if result.returncode == 0 else None


def _is_dependency_file(rel: str) -> bool:
    name = PurePosixPath(rel).name
    return name.endswith((".lock", ".txt", ".toml", ".cfg")) and (
        "requirements" in name or name.endswith(".lock") or name in ("pyproject.toml", "setup.cfg")
    )
