"""The state folder is a cache: a damaged or unwritable store never decides a run's verdict."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpers import CliResult, run_cli, run_cli_unprivileged, small_repo, without_privileges

pytestmark = pytest.mark.integration

STORE = Path(".gateui") / "deps.sqlite"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository that has run once, so its store holds real recordings."""
    root = small_repo(tmp_path / "repo")
    first = run_cli(["run"], root)
    assert first.code == 0, first.stderr
    assert (root / STORE).stat().st_size > 0
    return root


def _garbage(store: Path) -> None:
    store.write_bytes(b"this is not a database at all\n" * 40)


def _truncated(store: Path) -> None:
    _checkpoint(store)
    store.write_bytes(store.read_bytes()[:3000])


def _pages_zeroed(store: Path) -> None:
    # A valid header over ruined pages: SQLite opens it and calls it "malformed" later.
    _checkpoint(store)
    data = bytearray(store.read_bytes())
    assert len(data) > 4096
    data[4096:] = b"\xff" * (len(data) - 4096)
    store.write_bytes(bytes(data))


def _checkpoint(store: Path) -> None:
    db = sqlite3.connect(store)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for suffix in ("-wal", "-shm"):
        store.with_name(store.name + suffix).unlink(missing_ok=True)


def _warnings(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("gateui:")]


@pytest.mark.parametrize("damage", [_garbage, _truncated, _pages_zeroed])
@pytest.mark.parametrize("command", [["run"], ["run", "--affected"], ["explain", "tests"]])
def test_a_damaged_store_is_set_aside_and_rebuilt_with_one_warning(
    repo: Path, damage: Callable[[Path], None], command: list[str]
) -> None:
    store = repo / STORE
    damage(store)
    before = store.read_bytes()
    result = run_cli(command, repo)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = _warnings(result)
    assert len(warnings) == 1, result.stderr
    assert str(store) in warnings[0] and "set aside" in warnings[0]
    # Nothing the user had is lost: the damaged file is kept for a look.
    assert (repo / ".gateui" / "deps.sqlite.damaged").read_bytes() == before
    rebuilt = sqlite3.connect(store)
    assert rebuilt.execute("PRAGMA quick_check").fetchone() == ("ok",)
    rebuilt.close()
    # The next run finds a healthy store and says nothing more.
    again = run_cli(["run"], repo)
    assert again.code == 0 and _warnings(again) == [], again.stderr


def test_a_store_from_the_rebuilt_run_records_again(repo: Path) -> None:
    _garbage(repo / STORE)
    assert run_cli(["run"], repo).code == 0
    db = sqlite3.connect(repo / STORE)
    recorded = {
        row[0] for row in db.execute("SELECT n.text FROM tests t JOIN names n ON n.id = t.nodeid")
    }
    db.close()
    assert recorded == {"tests/test_calc.py::test_add", "tests/test_calc.py::test_more"}


def _unwritable_skip() -> None:
    try:
        without_privileges(["true"])
    except LookupError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Make paths read-only; writable again afterwards, so tmp_path can be cleaned up."""
    _unwritable_skip()
    changed: list[Path] = []

    def make(path: Path) -> None:
        for item in [path, *(path.rglob("*") if path.is_dir() else [])]:
            if item.is_symlink():
                continue
            item.chmod(stat.S_IMODE(item.stat().st_mode) & ~0o222)
            changed.append(item)

    yield make
    for item in changed:
        item.chmod(stat.S_IMODE(item.stat().st_mode) | 0o200)


def test_a_read_only_store_runs_without_recording_and_the_tests_decide(
    repo: Path, read_only: Callable[[Path], None]
) -> None:
    read_only(repo / STORE)
    result = run_cli_unprivileged(["run"], repo)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = _warnings(result)
    assert len(warnings) == 1, result.stderr
    assert warnings[0].startswith("gateui: running without recording: ")
    assert str(repo / STORE) in warnings[0]


def test_a_read_only_checkout_runs_and_a_failure_still_fails(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    checkout = small_repo(tmp_path / "ro", failing=True)
    read_only(checkout)
    assert not (checkout / ".gateui").exists()
    failing = run_cli_unprivileged(["run"], checkout)
    assert failing.code == 1, failing.stderr
    assert "Traceback" not in failing.stderr
    assert "1 passed, 1 failed" in failing.stdout
    warnings = _warnings(failing)
    assert len(warnings) == 1, failing.stderr
    assert warnings[0].startswith("gateui: running without recording: ")
    assert not (checkout / ".gateui").exists()
    affected = run_cli_unprivileged(["run", "--affected"], checkout)
    assert affected.code in (0, 1), affected.stderr
    assert "Traceback" not in affected.stderr


def test_a_read_only_checkout_that_passes_exits_0(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    checkout = small_repo(tmp_path / "ro")
    read_only(checkout)
    result = run_cli_unprivileged(["run", "--no-record"], checkout)
    assert result.code == 0, result.stderr
    assert [w.split(":")[1].strip() for w in _warnings(result)] == ["running without recording"]
