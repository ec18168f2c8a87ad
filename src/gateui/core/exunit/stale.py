"""Keep ``mix test --stale`` from missing an edit made in the same second as its last run.

mix decides what is stale by comparing whole-second modification times, strictly: a test file, a
source or a compiled module counts as changed only when its mtime is *later* than the second in
which the last ``--stale`` run wrote its manifest (``compile.test_stale``). An edit saved within
that same second — a quick save after a run, a script, an editor's format-on-save — ties with the
manifest and is never run. gateui promises that no change is hidden, so before an affected run it
looks at the files with the filesystem's full (nanosecond) precision: a file written after the
manifest but within its second has the manifest moved back one second, and mix then sees the edit
and the modules compiled from it.

The cost is only in that case: modules compiled in the same second as the last run also look new,
so a few more test files may run once. The manifest's content is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

MANIFEST_NAMES = ("compile.test_stale", ".compile.test_stale")  # Elixir ≥ 1.15, and earlier
SKIPPED_DIRS = frozenset({"_build", "deps", ".git", ".gateui", ".elixir_ls", "node_modules"})
NS = 1_000_000_000


def settle_stale_manifests(project_root: Path, repo_root: Path) -> list[Path]:
    """Move back, by one second, every ``--stale`` manifest of the project that an edit ties
    with; return the manifests moved."""
    manifests = list(_manifests(project_root, repo_root))
    if not manifests:
        return []
    edits = _mtimes_ns(project_root)
    moved = []
    for manifest in manifests:
        written = manifest.stat().st_mtime_ns
        second = written // NS
        if any(written < edit < (second + 1) * NS for edit in edits):
            earlier = (second - 1) * NS
            os.utime(manifest, ns=(earlier, earlier))
            moved.append(manifest)
    return moved


def _manifests(project_root: Path, repo_root: Path) -> Iterator[Path]:
    """The stale manifests in the ``_build`` of the project or of an umbrella holding it."""
    folder = project_root
    while True:
        build = folder / "_build"
        if build.is_dir():
            for name in MANIFEST_NAMES:
                yield from build.glob(f"*/lib/*/.mix/{name}")
        if folder == repo_root or folder.parent == folder:
            return
        folder = folder.parent


def _mtimes_ns(root: Path) -> list[int]:
    """The modification times of the project's own files (not builds or dependencies)."""
    mtimes = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in files:
            try:
                mtimes.append(os.stat(os.path.join(folder, name)).st_mtime_ns)
            except OSError:
                continue  # removed while we looked: mix sees a removal itself
    return mtimes
