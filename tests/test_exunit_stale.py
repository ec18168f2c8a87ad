"""mix's whole-second ``--stale`` baseline is moved back only when an edit ties with it."""

from __future__ import annotations

import os
from pathlib import Path

from gateui.core.exunit.stale import NS, settle_stale_manifests

SECOND = 1_800_000_000 * NS  # some whole second


def _project(tmp_path: Path, manifest_ns: int, source_ns: int) -> tuple[Path, Path]:
    root = tmp_path / "app"
    manifest = root / "_build/test/lib/app/.mix/compile.test_stale"
    manifest.parent.mkdir(parents=True)
    manifest.write_bytes(b"manifest")
    os.utime(manifest, ns=(manifest_ns, manifest_ns))
    source = root / "lib/app.ex"
    source.parent.mkdir(parents=True)
    source.write_text("defmodule App do\nend\n")
    os.utime(source, ns=(source_ns, source_ns))
    return root, manifest


def test_an_edit_in_the_manifests_second_moves_the_manifest_back(tmp_path: Path) -> None:
    root, manifest = _project(tmp_path, SECOND + 200_000_000, SECOND + 600_000_000)
    assert settle_stale_manifests(root, tmp_path) == [manifest]
    assert manifest.stat().st_mtime_ns == SECOND - NS
    assert manifest.read_bytes() == b"manifest"  # the content is mix's; only the time moves


def test_an_edit_in_a_later_second_needs_nothing(tmp_path: Path) -> None:
    root, manifest = _project(tmp_path, SECOND + 200_000_000, SECOND + NS + 1)
    assert settle_stale_manifests(root, tmp_path) == []
    assert manifest.stat().st_mtime_ns == SECOND + 200_000_000


def test_files_older_than_the_manifest_need_nothing(tmp_path: Path) -> None:
    root, _ = _project(tmp_path, SECOND + 600_000_000, SECOND + 200_000_000)
    assert settle_stale_manifests(root, tmp_path) == []


def test_builds_and_dependencies_are_not_edits(tmp_path: Path) -> None:
    root, _ = _project(tmp_path, SECOND + 200_000_000, SECOND - 5 * NS)
    for built in ("_build/test/lib/app/ebin/Elixir.App.beam", "deps/dep/lib/dep.ex"):
        path = root / built
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, ns=(SECOND + 500_000_000,) * 2)
    assert settle_stale_manifests(root, tmp_path) == []


def test_an_umbrella_apps_manifest_lives_in_the_umbrellas_build(tmp_path: Path) -> None:
    umbrella = tmp_path / "umbrella"
    manifest = umbrella / "_build/test/lib/worker/.mix/compile.test_stale"
    manifest.parent.mkdir(parents=True)
    manifest.write_bytes(b"m")
    os.utime(manifest, ns=(SECOND + 100,) * 2)
    source = umbrella / "apps/worker/lib/worker.ex"
    source.parent.mkdir(parents=True)
    source.write_text("defmodule Worker do\nend\n")
    os.utime(source, ns=(SECOND + 200,) * 2)
    assert settle_stale_manifests(umbrella / "apps/worker", tmp_path) == [manifest]
