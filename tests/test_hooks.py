"""``gateui hook install | uninstall | status``: where the hook goes, what it keeps, what it
refuses; and the hook entry's promise to let a push through when gateui itself breaks."""

from __future__ import annotations

import io
import os
import signal
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gateui.cli import hook_entry
from gateui.core.gate.hooks import MARKER
from helpers import CliResult, git

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]

# Bytes that are not UTF-8, CRLF, no final newline: restored exactly or not at all.
LEGACY = b"#!/bin/sh\r\n# caf\xe9 hook\r\necho legacy >&2\r\nexit 0"


def make_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


def test_install_keeps_the_existing_hook_and_uninstall_restores_it_byte_for_byte(
    tmp_path: Path, cli: Cli
) -> None:
    repo = make_repo(tmp_path)
    hooks = repo / ".git/hooks"
    existing = hooks / "pre-push"
    existing.write_bytes(LEGACY)
    existing.chmod(0o750)

    result = cli(["hook", "install"], repo)
    assert result.code == 0, result.stderr
    assert "kept as" in result.stdout
    legacy = hooks / "pre-push.gateui-kept"
    assert legacy.read_bytes() == LEGACY
    assert stat.S_IMODE(legacy.stat().st_mode) == 0o750
    script = existing.read_text()
    assert MARKER in script
    # The absolute interpreter that runs gateui, not whatever `python` a GUI client finds.
    assert f"GATEUI_PYTHON={os.path.abspath(sys.executable)}" in script
    assert os.access(existing, os.X_OK)

    before = existing.read_bytes()
    again = cli(["hook", "install"], repo)
    assert again.code == 0 and "already installed" in again.stdout
    assert existing.read_bytes() == before
    assert legacy.read_bytes() == LEGACY

    state = cli(["hook", "status", "--json"], repo)
    assert '"installed": true' in state.stdout and '"legacy": true' in state.stdout

    removed = cli(["hook", "uninstall"], repo)
    assert removed.code == 0, removed.stderr
    assert existing.read_bytes() == LEGACY
    assert stat.S_IMODE(existing.stat().st_mode) == 0o750
    assert not legacy.exists()


def test_the_hook_goes_where_core_hookspath_says(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path)
    git(repo, "config", "core.hooksPath", ".githooks")
    result = cli(["hook", "install"], repo)
    assert result.code == 0, result.stderr
    assert MARKER in (repo / ".githooks/pre-push").read_text()
    assert not (repo / ".git/hooks/pre-push").exists()
    status = cli(["hook", "status"], repo)
    assert "installed in" in status.stdout and ".githooks" in status.stdout
    assert cli(["hook", "uninstall"], repo).code == 0
    assert not (repo / ".githooks/pre-push").exists()


def test_uninstall_refuses_a_hook_gateui_did_not_write(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path)
    foreign = repo / ".git/hooks/pre-push"
    foreign.write_bytes(LEGACY)
    result = cli(["hook", "uninstall"], repo)
    assert result.code == 2
    assert "was not written by gateui" in result.stderr
    assert foreign.read_bytes() == LEGACY
    # With a kept legacy hook already there, installing would lose one of them: refused.
    (repo / ".git/hooks/pre-push.gateui-kept").write_bytes(b"#!/bin/sh\n")
    refused = cli(["hook", "install"], repo)
    assert refused.code == 2 and "already exists" in refused.stderr
    assert foreign.read_bytes() == LEGACY
    assert "not written by gateui" in cli(["hook", "status"], repo).stdout


def test_a_bug_in_gateui_lets_the_push_through_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gateui.cli.prepush

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("something inside gateui went wrong")

    monkeypatch.setattr(gateui.cli.prepush, "run_pre_push", broken)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    monkeypatch.delenv(hook_entry.HOOK_PATH_ENV, raising=False)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        assert hook_entry.main(["origin", "url"]) == 0
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    err = capsys.readouterr().err
    assert "a bug in gateui, not a failing test" in err
    assert "RuntimeError: something inside gateui went wrong" in err
    assert "the push goes through unchecked" in err
