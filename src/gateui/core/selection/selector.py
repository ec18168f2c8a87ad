"""Affected-test selection: exactly the tests a change can break, each with the reason.

Safe first, then precise. For tests with a recording in the current environment, a changed
function body selects the tests that executed that function (judged against the exact file
version each test ran against). A module-level edit (imports, assignments, class bodies,
decorators, defaults, parametrize data) selects by the top-level names it touched: the tests
whose executed functions read them, that executed the definition or class, or that are the
changed test (``_module_level``). What names cannot follow — dynamic modules, statements run for
their effect at import, registering decorators, conftest hooks — and tests with no recording go
through the static import graph. Data files select the tests that opened them; config and lock
files select their whole project; other files follow ``[[tool.gateui.map]]``, then tests that
mention the file's name, then the smoke suite. Tests that failed last time are always selected
and their modules run first; the rest run fastest first, module by module (the plugin never
splits a module).
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from gateui.core.common.project_files import ProjectFiles
from gateui.core.discovery.discover import Project
from gateui.core.layout.projects import is_test_file, repo_files
from gateui.core.layout.static_scan import scan_project
from gateui.core.running.injected import PLUGIN_DIR, PLUGIN_MODULE
from gateui.core.running.results import ResultsStore
from gateui.core.selection._data_files import kept_data_users, nearest_tests
from gateui.core.selection._fingerprints import PRINT_VERSION, ModulePrint, fingerprint
from gateui.core.selection._import_graph import ImportGraph, layouts_for
from gateui.core.selection._mentions import TestFileWords
from gateui.core.selection._module_diff import ModuleDiff
from gateui.core.selection._module_level import ModuleLevel
from gateui.core.selection._own_tests import is_own_test, testpath_roots
from gateui.core.selection.changes import ChangeSet, blob_content, blob_id, content_at
from gateui.core.selection.depstore import DepStore, same_version
from gateui.core.selection.file_map import MapEntry, load_map

# Files whose change can alter any test of the project they sit in (or above).
WHOLE_PROJECT_FILES = (
    "pyproject.toml",
    "pytest.ini",
    ".pytest.ini",
    "setup.cfg",
    "tox.ini",
    "setup.py",
    "pytest.toml",
    ".pytest.toml",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
)
WHOLE_PROJECT_GLOBS = ("requirements*.txt", "requirements*.in", "constraints*.txt", "*.lock")
# One compiled pattern: it is matched against every changed non-Python file's name.
_WHOLE_PROJECT_GLOB = re.compile("|".join(fnmatch.translate(g) for g in WHOLE_PROJECT_GLOBS))
FAILED_LAST_TIME = "failed last time"


@dataclass
class ProjectSelection:
    """What to run in one project. Keys are repository-relative."""

    project: Project
    whole: str | None = None
    """Set (to the reason) when the whole project must run."""
    nodeids: dict[str, str] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    """``file::test`` (every parametrization) → reason."""
    files: dict[str, str] = field(default_factory=dict)
    """Test file → reason: every test in it."""

    def add(self, kind: str, key: str, reason: str) -> None:
        table = {"nodeid": self.nodeids, "prefix": self.prefixes, "file": self.files}[kind]
        table.setdefault(key, reason)

    @property
    def empty(self) -> bool:
        return self.whole is None and not (self.nodeids or self.prefixes or self.files)

    def reasons(self) -> dict[str, str]:
        merged = {**self.files, **self.prefixes, **self.nodeids}
        return merged

    def reason_for(self, nodeid: str) -> str | None:
        """Why ``nodeid`` is selected, or None when it is not."""
        if self.whole is not None:
            return self.whole
        return (
            self.nodeids.get(nodeid)
            or self.prefixes.get(nodeid.split("[", 1)[0])
            or self.files.get(nodeid.split("::", 1)[0])
        )


@dataclass
class Selection:
    projects: list[ProjectSelection]
    changes: ChangeSet
    changed: set[str]
    """Every path taken as changed: git's view plus files that drifted from recordings."""
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return all(p.empty for p in self.projects)


_ENV_CACHE: dict[str, str] = {}


def environment_key(interpreter: Path) -> str:
    """The environment key the plugin will report for ``interpreter`` (same code computes it)."""
    cached = _ENV_CACHE.get(str(interpreter))
    if cached is not None:
        return cached
    env = {**os.environ, "PYTHONPATH": str(PLUGIN_DIR)}
    result = subprocess.run(
        [str(interpreter), "-c", f"import {PLUGIN_MODULE} as p; print(p._environment_key())"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    key = result.stdout.strip() if result.returncode == 0 else f"unknown:{interpreter}"
    _ENV_CACHE[str(interpreter)] = key
    return key


def forget_environment_keys() -> None:
    """Installed packages may have changed (a lock file moved): ask the interpreters again."""
    _ENV_CACHE.clear()


class Selector:
    """Selection over one repository; keeps the import graph and file prints warm between calls
    (watch mode re-selects after each edit without re-reading the tree)."""

    def __init__(
        self,
        repo_root: Path,
        projects: Sequence[Project],
        store: DepStore,
        results: ResultsStore,
        files: Sequence[PurePosixPath] | None = None,
    ) -> None:
        """``files``: the repository's listing (``repo_files``) when the caller has it."""
        self.repo_root = repo_root
        self.projects = list(projects)
        self.store = store
        self.results = results
        self.map = load_map(repo_root)
        self._files = list(repo_files(repo_root) if files is None else files)
        self._listed = {str(f) for f in self._files}
        self.graph = ImportGraph(
            repo_root,
            layouts_for(
                repo_root,
                [
                    (p.root, p.pytest_config.pythonpath if p.pytest_config else ())
                    for p in self.projects
                ],
            ),
            self._files,
        )
        self._current_prints: dict[str, tuple[tuple[int, int], str, ModulePrint | None]] = {}
        self.module_level = ModuleLevel(repo_root, self.graph)
        self._test_file_cache: dict[Path, list[str]] = {}
        # Per selection: each test file is read once however many files changed (a branch
        # switch brings thousands), and the smoke suite is looked up once per project.
        self._words = TestFileWords()
        self._smoked: set[Path] = set()

    @property
    def files(self) -> list[PurePosixPath]:
        """The repository's listing, kept current by ``refresh``: as of construction, or the
        last refresh that saw a file appear or go."""
        return self._files

    # -- state -----------------------------------------------------------------------------
    def refresh(self, changed: Iterable[str] = ()) -> None:
        """Bring the graph and the listing up to date with ``changed`` (watch mode calls this
        per cycle with every change it saw). Only a file appearing or disappearing (or a
        ``.gitignore`` changing) makes it list the tree again, and only a Python file coming
        or going makes the graph re-link everything."""
        changed = list(changed)
        for rel in changed:
            self._current_prints.pop(rel, None)
        moved = any(
            (self.repo_root / rel).is_file() != (rel in self._listed)
            or PurePosixPath(rel).name == ".gitignore"
            for rel in changed
        )
        if not moved:
            self.graph.update(None, changed)
            return
        self._files = repo_files(self.repo_root)
        self._listed = {str(f) for f in self._files}
        python = {rel for rel in self._listed if rel.endswith(".py")}
        self.graph.update(self._files if python != self.graph.files else None, changed)

    def _current_blob(self, rel: str) -> str | None:
        """Current blob id of a file (None when it is gone). Files whose size and mtime did not
        move are not read again: a watch cycle stats, it does not re-hash."""
        path = self.repo_root / rel
        try:
            stat = path.stat()
        except OSError:
            self._current_prints.pop(rel, None)
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._current_prints.get(rel)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            data = path.read_bytes()
        except OSError:
            return None
        self._current_prints[rel] = (stamp, blob_id(data), None)
        return self._current_prints[rel][1]

    def _current(self, rel: str) -> tuple[str | None, ModulePrint | None]:
        """Current blob id and print of a file (None, None when it is gone). The print (a
        parse) is made only when asked for: most recorded files did not change."""
        blob = self._current_blob(rel)
        if blob is None or not rel.endswith(".py"):
            return blob, None
        stamp, _, print_ = self._current_prints[rel]
        if print_ is None:
            try:
                data = (self.repo_root / rel).read_bytes()
            except OSError:
                return None, None
            if blob_id(data) != blob:  # edited since it was hashed: what is there now
                self._current_prints.pop(rel, None)
                return blob_id(data), fingerprint(data)
            print_ = fingerprint(data)
            self._current_prints[rel] = (stamp, blob, print_)
        return blob, print_

    def _old_print(self, rel: str, blob: str) -> ModulePrint | None:
        stored = self.store.load_print(rel, blob)
        if stored is not None and stored.module.startswith(PRINT_VERSION):
            return stored
        data = blob_content(self.repo_root, blob)
        if data is None:
            return stored
        print_ = fingerprint(data)
        if print_ is not None:
            self.store.save_print(rel, blob, print_)
        return print_

    # -- selection -------------------------------------------------------------------------
    def select(
        self, changes: ChangeSet, envs: Mapping[Path, str], only: Project | None = None
    ) -> Selection:
        """The tests ``changes`` can affect, per project (or in ``only``), for the given
        environment keys (project root → key)."""
        selection = Selection([], changes, set(changes.paths))
        self._test_file_cache.clear()
        self._words = TestFileWords()
        self._smoked = set()
        own = ProjectFiles(self.repo_root)
        for project in self.projects if only is None else [only]:
            env = envs[project.root]
            chosen = self._select_project(project, env, changes, selection, own)
            roots = testpath_roots(project)
            for table in (chosen.nodeids, chosen.prefixes, chosen.files):
                for key in [k for k in table if not is_own_test(k, roots, own)]:
                    del table[key]
            selection.projects.append(chosen)
        return selection

    def _owner(self, rel: str) -> Project | None:
        # Plain string prefixes: called for every changed file (thousands on a branch switch).
        best = None
        for project in self.projects:
            if (project.rel == "." or rel.startswith(project.rel + "/")) and (
                best is None or best.rel == "." or len(project.rel) > len(best.rel)
            ):
                best = project
        return best

    def _in_project(self, rel: str, project: Project) -> bool:
        return self._owner(rel) is project

    def _test_files(self, project: Project) -> list[str]:
        cached = self._test_file_cache.get(project.root)
        if cached is not None:
            return cached
        config = project.pytest_config
        patterns = config.python_files if config else ("test_*.py", "*_test.py")
        found = [
            f
            for f in sorted(self.graph.files)
            if self._in_project(f, project) and is_test_file(PurePosixPath(f), patterns)
        ]
        self._test_file_cache[project.root] = found
        return found

    def _select_project(
        self,
        project: Project,
        env: str,
        changes: ChangeSet,
        selection: Selection,
        own: ProjectFiles,
    ) -> ProjectSelection:
        chosen = ProjectSelection(project)
        prefix = "" if project.rel == "." else f"{project.rel}/"
        recorded = {n: v for n, v in self.store.tests(env).items() if n.startswith(prefix)}
        if not recorded and any(self._in_project(p, project) for p in changes.paths):
            selection.notes.append(
                f"{project.rel}: no recording for this environment yet; using the import graph"
            )
        changed = set(changes.paths)
        module_level: dict[str, str] = {}
        diffs: dict[str, ModuleDiff] = {}
        # 1. Recorded file versions that are no longer what is on disk.
        # (A file of another project that a test here executed counts too: monorepos import
        # each other; the node id prefix keeps the selection within this project.) Recordings
        # of what is not the project's (made before that rule) are no dependency; a read of a
        # file that was absent and still is, is unchanged.
        test_files = set(self._test_files(project))
        versions = [(f, b) for f, b in self.store.versions(env) if own.is_project_file(f)]
        recorded_files = {rel for rel, _ in versions}
        behaviour_changed: set[str] = set()
        """Recorded Python files whose code changed (not only comments, docstrings, layout)."""
        data_readers: dict[str, list[str]] = {}
        """Changed data files → the tests recorded reading them."""
        for rel, blob in versions:
            current_blob = self._current_blob(rel)
            if same_version(blob, current_blob):
                continue
            current_print = self._current(rel)[1] if current_blob is not None else None
            changed.add(rel)
            if rel.endswith(".py"):
                if self._function_level(
                    chosen, env, rel, blob, current_print, module_level, prefix, diffs
                ):
                    behaviour_changed.add(rel)
            else:
                readers = [n for n in self.store.readers(env, rel, blob) if n.startswith(prefix)]
                for nodeid in readers:
                    chosen.add("nodeid", nodeid, f"read {rel} ({_verb(current_blob)})")
                data_readers.setdefault(rel, []).extend(readers)
        for nodeid, file, ran, rel in kept_data_users(self.store, env, data_readers, test_files):
            if nodeid.startswith(prefix):
                module = self.graph.module_name(file)
                chosen.add("nodeid", nodeid, f"ran {module}.{ran}, which read {rel} (changed)")
        selection.changed |= changed
        # 2. Changed Python files no recording ran against: compare with the base commit.
        for rel in sorted(changed):
            if rel.endswith(".py") and rel not in recorded_files and rel not in module_level:
                why = self._module_level_since_base(rel, changes, diffs, bool(recorded))
                if why is not None:
                    module_level[rel] = why
        # 3. Module-level edits: the tests that can observe the names they touched; what names
        # cannot follow (and conftest hooks) goes through the static import graph.
        verified = self._verified(env, diffs)
        by_name = self.module_level.select(self.store, env, prefix, diffs, test_files, verified)
        for kind, key, reason in by_name.entries:
            chosen.add(kind, key, reason)
        for rel, why in by_name.wide.items():
            module_level.setdefault(rel, why)
        for rel, why in module_level.items():
            self._by_importers(chosen, project, rel, why)
        # 4. Tests with no recording here: any changed Python file they import selects them.
        unjudged = {r for r in changed if r not in recorded_files}  # no recording to compare
        self._unrecorded(chosen, project, recorded, changed, behaviour_changed | unjudged)
        # 5. Files that are not Python.
        for rel in sorted(changed):
            if not rel.endswith(".py"):
                self._non_python(chosen, project, rel, recorded_files, recorded)
        # 6. What failed last time, always.
        for nodeid in self.results.failed():
            if nodeid.startswith(prefix) and (self.repo_root / nodeid.split("::", 1)[0]).exists():
                chosen.nodeids[nodeid] = FAILED_LAST_TIME
        return chosen

    def _verified(self, env: str, diffs: Mapping[str, ModuleDiff]) -> dict[str, set[str]]:
        """Per file of ``diffs``, the tests recorded against its version on disk."""
        verified: dict[str, set[str]] = {}
        for rel in diffs:
            blob = self._current_blob(rel)
            verified[rel] = set() if blob is None else self.store.ran_against(env, rel, blob)
        return verified

    def _function_level(
        self,
        chosen: ProjectSelection,
        env: str,
        rel: str,
        blob: str,
        current: ModulePrint | None,
        module_level: dict[str, str],
        prefix: str,
        diffs: dict[str, ModuleDiff],
    ) -> bool:
        """Select by the functions and names of ``rel`` that changed; False when only its
        comments, docstrings or layout did."""
        old = self._old_print(rel, blob)
        module = self.graph.module_name(rel)
        if old is None or current is None:
            # Deleted, unparsable, or the old version is unknown: everything in it changed.
            state = (
                "deleted" if current is None and not (self.repo_root / rel).exists() else "changed"
            )
            for nodeid, _ in self.store.executed(env, rel, blob):
                if nodeid.startswith(prefix):
                    chosen.add("nodeid", nodeid, f"executed code in {module} ({state})")
            module_level.setdefault(rel, f"{state} file")
            return True
        changed_functions = old.changed_functions(current)
        hooks = old.hooks(changed_functions) | current.hooks(
            {n for n in current.functions if old.functions.get(n) != current.functions[n]}
        )
        if hooks and PurePosixPath(rel).name == "conftest.py":
            module_level.setdefault(rel, f"hook {sorted(hooks)[0]} changed")
        if old.module != current.module:
            self.module_level.add_diff(diffs, rel, blob_content(self.repo_root, blob), known=True)
        # A removed function runs nowhere any more: who still calls it is who reads its name.
        unseen = self._never_executed(
            env, rel, {n for n in changed_functions if n in current.functions}
        )
        unseen_tests = {n for n in unseen if n.rsplit(".", 1)[-1].startswith("test")}
        for name in sorted(unseen_tests):
            chosen.add("prefix", f"{rel}::{name.replace('.', '::')}", "changed test, not run yet")
        unseen -= unseen_tests
        if unseen:
            # No recorded test ran it, yet it may run all the same: at import (a decorator's
            # body), at collection (a helper building parametrize data), or once for a
            # higher-scoped fixture. Safe first: treat it as module-level.
            module_level.setdefault(rel, f"{sorted(unseen)[0]} changed, run outside any test")
        if rel in self._test_files(chosen.project):
            self._new_tests(chosen, rel, old, current)
        if not changed_functions:
            return old.module != current.module
        last_parts = {n.rsplit(".", 1)[-1]: n for n in changed_functions}
        for nodeid, executed in self.store.executed(env, rel, blob):
            if not nodeid.startswith(prefix):
                continue
            hit = next((n for n in executed if n in changed_functions), None)
            if hit is None:
                # Interpreters without co_qualname record bare names: match those too.
                hit = next(
                    (last_parts[n] for n in executed if n not in old.functions and n in last_parts),
                    None,
                )
            if hit is not None:
                chosen.add("nodeid", nodeid, f"executed {module}.{hit} (changed)")
        return True

    def _never_executed(self, env: str, rel: str, changed: set[str]) -> set[str]:
        """Changed functions no recorded test executed (matched by name and by last part, for
        recordings made without qualified names)."""
        if not changed:
            return set()
        executed = self.store.executed_in(env, rel)
        lasts = {n.rsplit(".", 1)[-1] for n in executed}
        return {n for n in changed if n not in executed and n.rsplit(".", 1)[-1] not in lasts}

    def _new_tests(
        self, chosen: ProjectSelection, rel: str, old: ModulePrint, new: ModulePrint
    ) -> None:
        """Test functions the old version did not have: no one executed them yet."""
        for name in new.functions:
            last = name.rsplit(".", 1)[-1]
            if name not in old.functions and last.startswith("test"):
                chosen.add("prefix", f"{rel}::{name.replace('.', '::')}", "new test")

    def _module_level_since_base(
        self,
        rel: str,
        changes: ChangeSet,
        diffs: dict[str, ModuleDiff],
        recordings: bool = True,
    ) -> str | None:
        """Why ``rel`` counts as a change of everything it does against the base commit (None
        when it does not): it is deleted, unparsable, or — for a conftest.py — a hook changed
        (hooks run outside the recorded test windows). Module-level edits and new files are
        diffed by name into ``diffs``."""
        if changes.base is None:
            return "module-level change"
        old_path = changes.renames.get(rel, rel)
        before = content_at(self.repo_root, changes.base, old_path)
        _, now = self._current(rel)
        if now is None:
            return "deleted file" if before is not None else "module-level change"
        if before is None:
            self.module_level.add_diff(diffs, rel, None, known=False)
            return None
        old = fingerprint(before)
        if old is None:
            return "module-level change"
        if old.module != now.module:
            self.module_level.add_diff(diffs, rel, before, known=True)
        changed = {n for n in old.changed_functions(now) if n in now.functions}
        # (Without any recording here, the tests that need it are unrecorded: their own rule.)
        if recordings and changed and not PurePosixPath(rel).name.startswith("test"):
            # No recorded test ran any of this file, yet its functions may run at import or
            # collection: safe first.
            return f"{sorted(changed)[0]} changed, run outside any test"
        if PurePosixPath(rel).name == "conftest.py":
            hooks = old.hooks(old.changed_functions(now))
            if hooks:
                return f"hook {sorted(hooks)[0]} changed"
        return None

    def _by_importers(self, chosen: ProjectSelection, project: Project, rel: str, why: str) -> None:
        target = self.graph.module_name(rel)
        test_files = set(self._test_files(project))
        if rel in test_files:
            chosen.add("file", rel, f"{why} in {target}")
        for importer, chain in self.graph.importers(rel).items():
            if importer not in test_files:
                continue
            names = " → ".join(self.graph.module_name(f) for f in chain[1:])
            chosen.add("file", importer, f"imports {names} ({why})")

    def _unrecorded(
        self,
        chosen: ProjectSelection,
        project: Project,
        recorded: Mapping[str, tuple[bool, tuple[str, ...]]],
        changed: set[str],
        behaviour_changed: set[str],
    ) -> None:
        """Tests without a full recording: any changed Python file their test file imports
        (or is) selects them. A test file none of whose tests was recorded goes as a whole; a
        test left unrecorded in a recorded file (it made too many calls to trace, or it ran
        where recording was off) goes by its node id, for a file whose code changed
        (``behaviour_changed``: a comment changes nothing it could run)."""
        really_recorded_files = {n.split("::", 1)[0] for n, (ok, _) in recorded.items() if ok}
        not_recorded = {f for f in self._test_files(project) if f not in really_recorded_files}
        partly: dict[str, list[str]] = {}
        for nodeid, (ok, _) in recorded.items():
            test_file = nodeid.split("::", 1)[0]
            if not ok and test_file in really_recorded_files:
                partly.setdefault(test_file, []).append(nodeid)
        if not not_recorded and not partly:
            return
        for rel in sorted(changed):
            if not rel.endswith(".py"):
                continue
            reached = {rel: "the file changed"}
            for importer, chain in self.graph.importers(rel).items():
                names = " → ".join(self.graph.module_name(f) for f in chain[1:])
                reached.setdefault(importer, f"imports {names} (changed)")
            for test_file, why in reached.items():
                if test_file in not_recorded:
                    chosen.add("file", test_file, f"not recorded yet; {why}")
                if rel in behaviour_changed:
                    for nodeid in partly.get(test_file, ()):
                        chosen.add("nodeid", nodeid, f"not fully recorded; {why}")

    def _non_python(
        self,
        chosen: ProjectSelection,
        project: Project,
        rel: str,
        recorded_files: Set[str],
        recorded: Mapping[str, tuple[bool, tuple[str, ...]]],
    ) -> None:
        owner = self._owner(rel)
        if owner is not None and owner is not project:
            return
        if owner is None and project.rel != "." and not self._above(rel, project):
            return
        name = rel.rpartition("/")[2]
        whole_project_file = (
            name in WHOLE_PROJECT_FILES or _WHOLE_PROJECT_GLOB.match(name) is not None
        )
        if whole_project_file and (owner is project or self._above(rel, project)):
            chosen.whole = chosen.whole or f"{rel} changed: it can affect every test"
            return
        if rel in recorded_files:
            return  # recorded readers were judged with the file version they read
        for entry in self.map:
            if fnmatch.fnmatch(rel, entry.files):
                self._by_map(chosen, project, entry, rel, recorded)
                return
        mentions = self._mentions(project, name)
        if mentions:
            for test_file in mentions:
                chosen.add("file", test_file, f"mentions {name} ({rel} changed)")
            return
        folder, beside = nearest_tests(self._test_files(project), project.rel, rel)
        if beside:
            # Test data no test read as it ran: read at collection (a conftest's
            # pytest_generate_tests, parametrize over a folder's files) or at import.
            reason = f"{rel} changed; no test read it as it ran: the tests of {folder}/"
            for test_file in beside:
                chosen.add("file", test_file, reason)
            return
        self._smoke(chosen, project, rel, recorded)

    def _above(self, rel: str, project: Project) -> bool:
        """``rel`` sits in the project's root or a folder above it (shared config)."""
        folder = PurePosixPath(rel).parent
        root = PurePosixPath(project.rel)
        return str(folder) == "." or folder == root or folder in root.parents

    def _by_map(
        self,
        chosen: ProjectSelection,
        project: Project,
        entry: MapEntry,
        rel: str,
        recorded: Mapping[str, tuple[bool, tuple[str, ...]]],
    ) -> None:
        reason = f"{rel} changed (map: {entry.files})"
        if entry.tests is not None:
            if "::" in entry.tests:
                chosen.add("prefix" if "[" not in entry.tests else "nodeid", entry.tests, reason)
                return
            for test_file in self._test_files(project):
                if fnmatch.fnmatch(test_file, entry.tests):
                    chosen.add("file", test_file, reason)
            return
        assert entry.suite is not None
        self._marked(chosen, project, entry.suite, recorded, reason)

    def _mentions(self, project: Project, name: str) -> list[str]:
        return self._words.mentions(self.repo_root, self._test_files(project), name)

    def _smoke(
        self,
        chosen: ProjectSelection,
        project: Project,
        rel: str,
        recorded: Mapping[str, tuple[bool, tuple[str, ...]]],
    ) -> None:
        if project.root in self._smoked:
            return  # the smoke suite is selected already (with the first such file's reason)
        self._smoked.add(project.root)
        self._marked(
            chosen, project, "smoke", recorded, f"{rel} changed; no test reads it: smoke suite"
        )

    def _marked(
        self,
        chosen: ProjectSelection,
        project: Project,
        marker: str,
        recorded: Mapping[str, tuple[bool, tuple[str, ...]]],
        reason: str,
    ) -> None:
        """Tests carrying ``marker``: as last recorded (conftest-added markers included), and by
        the static scan for tests never recorded, and in a folder named after it."""
        for nodeid, (_, markers) in recorded.items():
            if marker in markers:
                chosen.add("nodeid", nodeid, reason)
        scan = scan_project(project.root, project.pytest_config, project.nested)
        for test in scan.tests:
            in_folder = marker in PurePosixPath(test.path).parts[:-1]
            if marker in test.markers or in_folder:
                chosen.add("prefix", project.to_repo(test.nodeid), reason)


def _verb(blob: str | None) -> str:
    return "deleted" if blob is None else "changed"
