"""gateui's event plugin: runs INSIDE the interpreter of the repository under test.

It imports nothing but the standard library and pytest (7, 8 or 9), because the target
virtualenv usually does not have gateui installed: gateui puts only the folder of the loader
``pytest_plugin/gateui_events.py`` on PYTHONPATH and loads it with ``-p gateui_events``; the
loader executes this file by its path under the name ``gateui_events`` and puts it in its own
place, so this module is the plugin pytest registers. Loaded that way, past pytest's import hook,
it is never assertion-rewritten (its ordinary bytecode is used); ``PYTEST_DONT_REWRITE`` tells a
later pytest in the same process (pytester) not to warn that it was imported unrewritten.

Why this module is long: it cannot be a package, nor import siblings of its own (it is executed
by path in an interpreter that cannot import gateui), so the plugin is this one file.

Events are JSON objects, one per line, written to the channel named by ``GATEUI_EVENTS``:
``fd:N`` (a pipe inherited from gateui) or a file path (a FIFO or a file opened for appending,
for commands such as tox that close inherited descriptors). Never stdout: the user's output stays
theirs.

Only the session gateui started may report, and the code under test must not be able to report
for it. So the channel's name and its key (``GATEUI_EVENTS_KEY``, a secret per run) are taken out
of the environment when this module is imported — as ``-p`` loads it, before any conftest or test
runs — and the pipe is not inherited by the processes tests start. Every line starts with the
key; gateui ignores lines without it. A pytest that a test starts (in a subprocess, or in-process
like pytester) therefore finds no channel and reports nothing.

With pytest-xdist only the controller writes: workers' reports reach the controller's hooks, so each
test still arrives as soon as it finishes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pytest

CHANNEL_ENV = "GATEUI_EVENTS"
KEY_ENV = "GATEUI_EVENTS_KEY"
COLLECT_ITEMS_ENV = "GATEUI_COLLECT_ITEMS"
# The repository root: record, per test, the functions it executed and the files it opened there.
RECORD_ENV = "GATEUI_RECORD"
# A JSON file {"nodeids": [...], "files": [...], "order": [...]}: run only those, in that order.
SELECT_ENV = "GATEUI_SELECT"
# `gateui gate --seed N`: the seed for pytest-randomly and pytest-random-order (where active).
ORDER_SEED_ENV = "GATEUI_ORDER_SEED"
# ``REPO_ROOT<pathsep>FILE``: write to FILE the third-party modules this session imported, which
# gateui's warm process preloads for the next run.
WARM_MODULES_ENV = "GATEUI_WARM_MODULES"
# The warm process's own code, in every run forked from it: never a module to preload.
WARM_SERVER_MODULE = "gateui_warm_server"
# ``fd:N``, a pipe gateui writes while pytest starts: the node ids (as pytest names them, one per
# line, then a last line ``RECORD_SKIP_END``) whose recordings gateui holds and nothing they ran
# has changed since. Those are not recorded again; every other test is, and all of them until the
# whole list has arrived (a list without its last line is ignored).
RECORD_SKIP_ENV = "GATEUI_RECORD_SKIP"
RECORD_SKIP_END = "."
# Captured output can be huge (a test printing a megabyte); the tail is what people read.
MAX_TEXT = 64 * 1024
# Collected tests that never reported are counted; this many are named.
NOT_RUN_NAMED = 10


def _claim_channel() -> tuple[str, str] | None:
    """The channel's name and key, taken out of the environment so that nothing started later
    (a conftest, a test, a process a test starts) can find them."""
    spec = os.environ.pop(CHANNEL_ENV, "")
    key = os.environ.pop(KEY_ENV, "")
    if not spec:
        return None
    if spec.startswith("fd:"):
        # A bad descriptor is reported when the channel is opened.
        with contextlib.suppress(OSError, ValueError):
            os.set_inheritable(int(spec[3:]), False)
    return spec, key


def _announce(claimed: tuple[str, str] | None) -> None:
    """Say "the plugin is loaded" at once, before any conftest runs: a run that ends without
    this line never got as far as pytest loading its plugins (a broken interpreter, a missing
    pytest), which is not the same as a conftest or a test ending the process."""
    if claimed is None:
        return
    spec, key = claimed
    line = (key + " " if key else "") + '{"e":"plugin_loaded"}\n'
    with contextlib.suppress(OSError, ValueError):
        if spec.startswith("fd:"):
            os.write(int(spec[3:]), line.encode())
        else:
            fd = os.open(spec, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)


# Claimed at import; the first session configured in this process takes it (an in-process
# pytest that a test runs comes later and finds nothing).
_unclaimed_channel = _claim_channel()
_announce(_unclaimed_channel)
_warm_modules_spec = os.environ.pop(WARM_MODULES_ENV, "")
# A run forked from gateui's warm process: the environment key that process computed once with
# this module's own ``_environment_key`` (it is restarted when the installed packages change).
WARM_ENVIRONMENT_KEY_ENV = "GATEUI_WARM_ENVIRONMENT_KEY"
_warm_environment_key = os.environ.pop(WARM_ENVIRONMENT_KEY_ENV, "")


def _claim_record_skip() -> int | None:
    """The read end of the record-skip pipe, taken out of the environment and not inherited by
    the processes tests start; non-blocking, so that a test never waits for the list."""
    spec = os.environ.pop(RECORD_SKIP_ENV, "")
    if not spec.startswith("fd:"):
        return None
    try:
        fd = int(spec[3:])
        os.set_inheritable(fd, False)
        os.set_blocking(fd, False)
    except (OSError, ValueError):
        return None
    return fd


_record_skip_fd = _claim_record_skip()


def _preloadable(name: str, module: Any, repo_root: str, stdlib: tuple[str, ...]) -> bool:
    """A module gateui's warm process may import before a run: from the standard library or a
    site-packages folder, never the repository's own code or a conftest."""
    if name in (__name__, "__main__", WARM_SERVER_MODULE) or "conftest" in name.split("."):
        return False
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        return False
    path = os.path.realpath(file)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    inside_repo = path.startswith(repo_root + os.sep)
    return not inside_repo and path.startswith(stdlib)


def _write_warm_modules(spec: str) -> None:
    """The modules to preload, in the order they were first imported; the file is only rewritten
    when a run imported new ones (gateui restarts its warm process when it is)."""
    repo_root, _, target = spec.rpartition(os.pathsep)
    if not target or not repo_root:
        return
    root = os.path.realpath(repo_root)
    stdlib = tuple(
        os.path.realpath(prefix) + os.sep
        for prefix in {sys.base_prefix, sys.base_exec_prefix, sys.prefix}
    )
    known: list[str] = []
    with contextlib.suppress(OSError, ValueError), open(target, encoding="utf-8") as handle:
        loaded = json.load(handle)
        known = [n for n in loaded if isinstance(n, str)] if isinstance(loaded, list) else []
    # The union over runs: runs that select different tests do not take turns restarting it.
    names = dict.fromkeys(known)
    before = len(names)
    # Only the modules the list lacks are looked at: resolving each one's path costs a system
    # call per folder of it, ≈ 10 ms for a session's few hundred modules, paid by every run.
    names.update(
        (n, None)
        for n, m in list(sys.modules.items())
        if n not in names and _preloadable(n, m, root, stdlib)
    )
    if known and len(names) == before:
        return
    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(target), exist_ok=True)
    _write_atomically(target, json.dumps(list(names)))


def _write_atomically(target: str, text: str) -> None:
    """Replace ``target`` whole (a reader never sees half a file); failing quietly: it is a
    cache."""
    partial = f"{target}.{os.getpid()}.tmp"
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(partial)


def _take_channel() -> tuple[str, str] | None:
    global _unclaimed_channel
    claimed, _unclaimed_channel = _unclaimed_channel, None
    return claimed


def _tail(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return "[… " + str(len(text) - MAX_TEXT) + " characters cut …]\n" + text[-MAX_TEXT:]


# One encoder for the session: ``json.dumps`` with any option builds a new one per call.
_ENCODE = json.JSONEncoder(default=str, separators=(",", ":")).encode


class _Channel:
    """Writes whole lines to the channel; a closed reader must never fail the test run.

    Events sent with ``hold=True`` wait for the next plain ``send`` (or ``flush``) and go out
    in the same write: every write wakes gateui, and a test's result followed by the next
    test's start is one wake-up instead of two, with nothing delayed in between.
    """

    def __init__(self, spec: str, key: str = "") -> None:
        self._fd: int | None = None
        self._owned = False
        self._held: list[bytes] = []
        self._prefix = (key + " ").encode() if key else b""
        if spec.startswith("fd:"):
            self._fd = int(spec[3:])
        else:
            self._fd = os.open(spec, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._owned = True

    def send(self, event: dict[str, Any], hold: bool = False) -> None:
        self.send_json(_ENCODE(event), hold)

    def send_json(self, text: str, hold: bool = False) -> None:
        """``send`` for an event already encoded (one JSON object, no newline)."""
        if self._fd is None:
            return
        data = self._prefix + (text + "\n").encode()
        if hold:
            self._held.append(data)
            return
        if self._held:
            self._held.append(data)
            data = b"".join(self._held)
            self._held.clear()
        self._write(data)

    def flush(self) -> None:
        if self._held and self._fd is not None:
            data = b"".join(self._held)
            self._held.clear()
            self._write(data)

    def _write(self, data: bytes) -> None:
        assert self._fd is not None
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
        except OSError:
            # gateui went away (cancelled run): keep pytest's own behaviour, drop the events.
            self._fd = None

    def close(self) -> None:
        self.flush()
        if self._fd is not None and self._owned:
            os.close(self._fd)
        self._fd = None


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _location(item_location: Any) -> tuple[str, int | None]:
    path, lineno = item_location[0], item_location[1]
    return str(path).replace(os.sep, "/"), (lineno + 1 if isinstance(lineno, int) else None)


def _item_location(item: Any) -> tuple[str, int | None]:
    """Path and line of a collected test. ``item.location`` is costly (pytest computes it on
    demand, source inspection included); the node id and the function's code say the same."""
    function = getattr(item, "function", None)
    code = getattr(function, "__code__", None)
    if code is not None:
        return item.nodeid.split("::", 1)[0], code.co_firstlineno
    return _location(item.location)


def _skip_reason(report: Any) -> str:
    """A skip's reason, as pytest keeps it: the last of a (path, line, reason) longrepr."""
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""


def _report_text(report: Any) -> str:
    try:
        return _tail(str(report.longreprtext))
    except Exception:  # a plugin's exotic longrepr must not take the run down
        return _tail(str(report.longrepr))


class _ChainMarkers:
    """Each test's distinct marker names, as pytest's ``iter_markers`` yields them (the test's
    own, then each node's above it, nearest first), each module's and class's part worked out
    once: ``iter_markers`` walks every level with a generator for each test (≈ 10 k of the
    plugin's ≈ 68 k instructions a test on 3.12, docs/benchmarks.md)."""

    def __init__(self) -> None:
        self.by_node: dict[Any, tuple[str, ...]] = {}

    def names(self, item: pytest.Item) -> list[str]:
        own = [mark.name for mark in item.own_markers]
        above = self._chain(item.parent)
        if not own:
            return list(above)
        return list(dict.fromkeys([*own, *above]))

    def _chain(self, node: Any) -> tuple[str, ...]:
        """The distinct marker names of ``node`` and the nodes above it, nearest first."""
        if node is None:
            return ()
        try:
            return self.by_node[node]
        except KeyError:
            pass
        own = [mark.name for mark in node.own_markers]
        found = tuple(dict.fromkeys([*own, *self._chain(node.parent)]))
        self.by_node[node] = found
        return found


class _TestState:
    """Merges one test's setup / call / teardown reports into a single result."""

    __slots__ = (
        "duration",
        "log",
        "longrepr",
        "outcome",
        "rerun",
        "stderr",
        "stdout",
        "wasxfail",
    )

    def __init__(self) -> None:
        self.outcome = "passed"
        self.rerun = False
        """pytest-rerunfailures marked this attempt "rerun": another attempt follows."""
        self.duration = 0.0
        self.longrepr = ""
        self.stdout = ""
        self.stderr = ""
        self.log = ""
        self.wasxfail: str | None = None

    def add(self, report: Any) -> None:
        self.duration += float(getattr(report, "duration", 0.0) or 0.0)
        outcome = getattr(report, "outcome", None)
        if outcome == "passed" and not getattr(report, "sections", None):
            # The common case, three times per test: nothing else to look at but an xpass.
            if hasattr(report, "wasxfail"):
                self.wasxfail = str(report.wasxfail)
            return
        when = getattr(report, "when", None)
        if hasattr(report, "wasxfail"):
            self.wasxfail = str(report.wasxfail)
        if outcome == "rerun":
            self.rerun = True
        elif report.failed:
            # A failing setup or teardown is an error (as pytest counts it); a failing call
            # is a failure.
            self.outcome = "failed" if when == "call" else "error"
            if self.longrepr:
                self.longrepr += "\n\n"
            self.longrepr += _report_text(report)
        elif report.skipped and self.outcome == "passed":
            self.outcome = "skipped"
            self.longrepr = _skip_reason(report) or self.longrepr
        if getattr(report, "sections", None):
            # Captured output lives in the report's sections; most tests print nothing, and
            # each of these three properties walks them.
            self.stdout = _tail(getattr(report, "capstdout", "") or self.stdout)
            self.stderr = _tail(getattr(report, "capstderr", "") or self.stderr)
            self.log = _tail(getattr(report, "caplog", "") or self.log)


class GateuiEventPlugin:
    """Turns pytest's hooks into gateui events."""

    def __init__(self, config: pytest.Config, channel: _Channel) -> None:
        self.config = config
        self.channel = channel
        self.collect_items = os.environ.get(COLLECT_ITEMS_ENV) == "1"
        self.tests: dict[str, _TestState] = {}
        self.markers: dict[str, list[str]] = {}
        self.started = time.monotonic()
        self.collected = 0
        self.collect_errors = 0
        # Every collected test must report, or the session must say why it did not.
        self.collected_ids: list[str] = []
        self.reported: set[str] = set()
        self.stopped_by = ""
        self.deselected: list[Any] = []
        self._path_json: dict[Any, str] = {}
        # A finished test's result rides with the next test's start (see ``_Channel``). Not on
        # an xdist controller: there the next start may come from another worker much later.
        self.hold = not _xdist_controller(config)

    # -- session -------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        record = os.environ.get(RECORD_ENV, "")
        self.channel.send(
            {
                "e": "session_start",
                "pytest": pytest.__version__,
                "python": sys.executable,
                "python_version": ".".join(map(str, sys.version_info[:3])),
                "rootdir": str(self.config.rootpath),
                "inifile": str(self.config.inipath) if self.config.inipath else None,
                "pid": os.getpid(),
                "xdist": self.config.pluginmanager.hasplugin("dsession"),
                "registered_markers": _registered_markers(self.config),
                "env": _environment_key(record) if record else None,
                "order_seed": _order_seed_option(self.config),
                # --disable-warnings hides pytest's warnings section, not their count.
                "warnings_summary": not getattr(self.config.option, "disable_warnings", False),
            }
        )

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        self.channel.flush()  # the last result, before other plugins' session-end work
        yield
        not_run = self._not_run()
        self.channel.send(
            {
                "e": "session_finish",
                "exitstatus": int(exitstatus),
                "duration_s": round(time.monotonic() - self.started, 6),
                "not_run": len(not_run),
                "not_run_ids": not_run[:NOT_RUN_NAMED],
                "stopped": self._stop_reason(session) if not_run else "",
            }
        )
        self.channel.close()
        if _warm_modules_spec:
            _write_warm_modules(_warm_modules_spec)

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        # Ctrl-C, or pytest.exit() from a test or a plugin (with any exit status, 0 included).
        value = excinfo.value
        message = getattr(value, "msg", None) or str(value)
        self.stopped_by = f"{type(value).__name__}: {message}" if message else type(value).__name__

    def _not_run(self) -> list[str]:
        if self.config.option.collectonly:
            return []
        reported = self.reported
        return [n for n in dict.fromkeys(self.collected_ids) if n not in reported]

    def _stop_reason(self, session: pytest.Session) -> str:
        for reason in (self.stopped_by, session.shouldfail, session.shouldstop):
            if reason:
                return reason if isinstance(reason, str) else "the session was stopped"
        return ""

    # -- collection ----------------------------------------------------------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors += 1
            self.channel.send(
                {
                    "e": "collect_error",
                    "nodeid": report.nodeid,
                    "message": _report_text(report),
                }
            )
        elif report.skipped and not self.config.option.collectonly:
            # A module skipped as it is collected (importorskip, pytest.skip at module level):
            # pytest counts it as one skipped, and so does gateui, as a result named by it.
            self.channel.send(
                {
                    "e": "test",
                    "nodeid": report.nodeid,
                    "path": report.nodeid.split("::")[0],
                    "line": None,
                    "outcome": "skipped",
                    "duration_s": 0.0,
                    "longrepr": _skip_reason(report) or _report_text(report),
                }
            )

    def pytest_deselected(self, items: Sequence[Any]) -> None:
        selection = self.config.pluginmanager.get_plugin("gateui-selection")
        if selection is not None and getattr(selection, "dropping", False):
            return
        self.deselected.extend(items)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # On the controller of an xdist run there are no items here; the count comes from
        # pytest_xdist_node_collection_finished instead.
        if _xdist_controller(self.config):
            return
        chains = _ChainMarkers()
        for item in session.items:
            names = chains.names(item)
            self.markers[item.nodeid] = names
            if self.collect_items:
                self._send_item(item, names)
        if self.collect_items:
            # What the project's own addopts deselect (-m "not slow") still belongs to its
            # suites: discovery counts them there.
            for item in self.deselected:
                self._send_item(item, chains.names(item), deselected=True)
        self.collected = len(session.items)
        self.collected_ids = [item.nodeid for item in session.items]
        self.channel.send(
            {
                "e": "collection",
                "count": self.collected,
                "errors": self.collect_errors,
                "deselected": len(self.deselected),
            }
        )

    def _send_item(self, item: pytest.Item, markers: list[str], deselected: bool = False) -> None:
        path, line = _item_location(item)
        event: dict[str, Any] = {
            "e": "item",
            "nodeid": item.nodeid,
            "path": path,
            "line": line,
            "markers": markers,
        }
        if deselected:
            event["deselected"] = True
        # The items go out with the collection event, in one write.
        self.channel.send(event, hold=True)

    # -- tests ---------------------------------------------------------------------------

    # The two events of every test are written as text (the same bytes as encoding the dict):
    # of what the plugin costs pytest, building and encoding them was the larger part.
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.channel.send_json(
            '{"e":"test_start","nodeid":' + _ENCODE(nodeid) + self._located(location) + "}"
        )

    def _located(self, location: Any) -> str:
        """``,"path":…,"line":…`` of a report's location, the path's part encoded once per file."""
        raw_path, lineno = location[0], location[1]
        try:
            path_json = self._path_json[raw_path]
        except KeyError:
            path_json = self._path_json[raw_path] = _ENCODE(_location(location)[0])
        except TypeError:  # a plugin's unhashable location
            path_json = _ENCODE(_location(location)[0])
        line = str(lineno + 1) if isinstance(lineno, int) else "null"
        return ',"path":' + path_json + ',"line":' + line

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        state = self.tests.get(report.nodeid)
        if state is None:
            state = self.tests[report.nodeid] = _TestState()
        state.add(report)
        # The teardown report closes a test. An xdist worker crash yields a single report with
        # an unknown phase: that closes it too.
        if report.when not in ("setup", "call"):
            del self.tests[report.nodeid]
            if state.rerun:
                # An attempt pytest-rerunfailures runs again is not a result: the test's final
                # attempt reports it (a flaky test that passes on a rerun is one pass).
                return
            self.reported.add(report.nodeid)
            markers = self.markers.get(report.nodeid)
            if markers is None:
                markers = list(getattr(report, "gateui_markers", None) or [])
            event: dict[str, Any] = {}
            if state.longrepr:
                event["longrepr"] = state.longrepr
            if state.stdout:
                event["stdout"] = state.stdout
            if state.stderr:
                event["stderr"] = state.stderr
            if state.log:
                event["log"] = state.log
            if state.wasxfail is not None:
                event["xfail"] = state.wasxfail
            deps = getattr(report, "gateui_deps", None)
            if deps is not None:
                event["deps"] = deps
            head = (
                '{"e":"test","nodeid":'
                + _ENCODE(report.nodeid)
                + self._located(report.location)
                + ',"outcome":'
                + _ENCODE(state.outcome)
                # A number to the microsecond, as the JSON encoder writes the rounded float (it
                # parses to the same value) at a sixth of the cost: the encoder builds a new
                # C encoder for every number or list it is handed.
                + ',"duration_s":'
                + f"{state.duration:.6f}"
                + ',"markers":'
                + (_ENCODE(markers) if markers else "[]")
            )
            # The rarer fields, in the same order as before, after the common ones.
            self.channel.send_json(head + ("," + _ENCODE(event)[1:] if event else "}"), self.hold)

    def pytest_warning_recorded(
        self, warning_message: warnings.WarningMessage, when: str, nodeid: str, location: Any
    ) -> None:
        self.channel.send(
            {
                "e": "warning",
                "category": warning_message.category.__name__,
                "message": _tail(str(warning_message.message)),
                "path": str(warning_message.filename),
                "line": warning_message.lineno,
                "when": when,
                "nodeid": nodeid,
            }
        )


class _XdistControllerHooks:
    """Hooks that exist only when pytest-xdist is installed."""

    def __init__(self, plugin: GateuiEventPlugin) -> None:
        self.plugin = plugin
        self.reported = False

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        # Every worker collects the same ids; the first one answers for all.
        if self.reported:
            return
        self.reported = True
        self.plugin.collected = len(ids)
        self.plugin.collected_ids = list(ids)
        self.plugin.channel.send(
            {"e": "collection", "count": len(ids), "errors": self.plugin.collect_errors}
        )


def _xdist_controller(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("dsession")


def _registered_markers(config: pytest.Config) -> list[str]:
    names: dict[str, None] = {}
    for line in config.getini("markers"):
        name = str(line).split(":", 1)[0].split("(", 1)[0].strip()
        if name:
            names.setdefault(name, None)
    return list(names)


def _order_seed_option(config: pytest.Config) -> str:
    """The option that replays this session's random order ("--randomly-seed=N"), or ""."""
    option = config.option
    seed = getattr(option, "randomly_seed", None)
    if config.pluginmanager.hasplugin("randomly") and isinstance(seed, int):
        return f"--randomly-seed={seed}"
    order_seed = getattr(option, "random_order_seed", None)
    if not isinstance(order_seed, str):
        return ""
    bucket = getattr(option, "random_order_bucket", "")
    enabled = bool(getattr(option, "random_order_enabled", False)) or not all(
        isinstance(v, str) and v.startswith("default:") for v in (bucket, order_seed)
    )
    if order_seed.startswith("default:"):  # (str.removeprefix is not in Python 3.8)
        order_seed = order_seed[len("default:") :]
    return f"--random-order-seed={order_seed}" if enabled else ""


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """``gateui gate --seed N``: the random-order plugin's own seed, where the command did not
    fix one (before the plugins read it in their ``pytest_configure``)."""
    seed = os.environ.get(ORDER_SEED_ENV, "")
    if not seed.isdigit():
        return
    option = config.option
    if getattr(option, "randomly_seed", None) == "default":  # pytest-randomly is active
        option.randomly_seed = int(seed)
    # pytest-random-order: only where the command turned it on (a seed alone would turn it on).
    order_seed = getattr(option, "random_order_seed", None)
    bucket = getattr(option, "random_order_bucket", None)
    if isinstance(order_seed, str) and order_seed.startswith("default:"):
        enabled = bool(getattr(option, "random_order_enabled", False))
        if enabled or (isinstance(bucket, str) and not bucket.startswith("default:")):
            option.random_order_seed = seed


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    selection = os.environ.get(SELECT_ENV)
    if selection:
        # On xdist workers too: each collects and must drop the same tests.
        config.pluginmanager.register(_Selection(selection), "gateui-selection")
    record_root = os.environ.get(RECORD_ENV)
    if record_root and not _xdist_controller_configured(config):
        config.pluginmanager.register(_Recorder(record_root), "gateui-recorder")
    if _is_xdist_worker(config):
        # Workers keep the makereport hook so markers travel with their reports.
        config.pluginmanager.register(_WorkerHooks(), "gateui-events-worker")
        return
    claimed = _take_channel()
    if claimed is None:
        return
    spec, key = claimed
    try:
        channel = _Channel(spec, key)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"gateui: cannot open event channel {spec!r}: {exc}\n")
        return
    plugin = GateuiEventPlugin(config, channel)
    config.pluginmanager.register(plugin, "gateui-events")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistControllerHooks(plugin), "gateui-events-xdist")


def _xdist_controller_configured(config: pytest.Config) -> bool:
    """True on the controller of an xdist run (tests run in the workers, not here)."""
    if _is_xdist_worker(config) or not config.pluginmanager.hasplugin("xdist"):
        return False
    numprocesses = getattr(config.option, "numprocesses", None)
    dist = getattr(config.option, "dist", "no")
    return bool(numprocesses) or (dist not in (None, "no"))


class _WorkerHooks:
    """On an xdist worker: attach markers to reports, which cross to the controller with all
    their attributes (the controller never sees the items themselves)."""

    def __init__(self) -> None:
        self.markers = _ChainMarkers()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        outcome = yield
        report = outcome.get_result()
        if report.when == "teardown" or report.failed:
            report.gateui_markers = self.markers.names(item)


# -- selection ---------------------------------------------------------------------------------
class _Selection:
    """Keeps only the selected tests (by node id, or every test of a selected file) and runs them
    in the given order. It runs after pytest's own -m / -k deselection, so both apply."""

    def __init__(self, path: str) -> None:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        self.nodeids = set(data.get("nodeids", ()))
        # "file::Class::test" selects every parametrization of that test.
        self.prefixes = set(data.get("prefixes", ()))
        self.files = set(data.get("files", ()))
        self.folders = tuple(f.rstrip("/") + "/" for f in data.get("folders", ()))
        # Tests that already finished in a run an edit interrupted: not again.
        self.exclude = set(data.get("exclude", ()))
        self.rank = {key: index for index, key in enumerate(data.get("order", ()))}
        self.dropping = False

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[Any]) -> None:
        keep, drop = [], []
        for item in items:
            nodeid = item.nodeid
            file_part = nodeid.split("::", 1)[0]
            if nodeid in self.exclude:
                drop.append(item)
            elif (
                nodeid in self.nodeids
                or file_part in self.files
                or nodeid.split("[", 1)[0] in self.prefixes
                or (self.folders and file_part.startswith(self.folders))
            ):
                keep.append(item)
            else:
                drop.append(item)
        if drop:
            self.dropping = True  # gateui's own narrowing, not a deselection pytest would count
            try:
                config.hook.pytest_deselected(items=drop)
            finally:
                self.dropping = False
        items[:] = _modules_in_order(keep, self.rank)


def _modules_in_order(items: list[Any], rank: dict[str, int]) -> list[Any]:
    """Whole modules in the order of their best-ranked test; within a module pytest's own
    collection order. Splitting a module would tear down and set up its module- and
    class-scoped fixtures out of turn, and errors plain pytest never shows would appear."""
    last = len(rank)
    module_rank: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        best = rank.get(item.nodeid, rank.get(module, last))
        module_rank[module] = min(best, module_rank.get(module, last))
    # Stable: modules without a rank keep pytest's order, after the ranked ones.
    return sorted(items, key=lambda i: module_rank[i.nodeid.split("::", 1)[0]])


# -- dependency recording ----------------------------------------------------------------------
def _environment_key(record_root: str = "") -> str:
    """Interpreter plus installed distributions: recordings made elsewhere do not apply here.

    A forked run of the warm process gets the key the warm process computed once (it restarts
    when installed packages change). Otherwise, reading every distribution's metadata costs
    tens of milliseconds per run, so with ``record_root`` the key is kept in
    ``.gateui/env-keys.json`` there, under a stamp of what it depends on: the interpreter, and
    each of the environment's folders on ``sys.path`` with its modification time (installing,
    upgrading or removing a package adds or removes a ``*.dist-info`` folder in one of them,
    which changes that folder's time).
    """
    if _warm_environment_key:
        return _warm_environment_key
    try:
        own = _environment_folders()
    except Exception:  # a broken environment must not stop the run; just never match
        return _computed_environment_key(None)[0]
    stamp = _environment_stamp(own)
    cache = os.path.join(record_root, ".gateui", "env-keys.json") if record_root else ""
    known: dict[str, str] = {}
    if cache and stamp:
        with contextlib.suppress(OSError, ValueError), open(cache, encoding="utf-8") as handle:
            loaded = json.load(handle)
            if isinstance(loaded, dict):
                known = {k: v for k, v in loaded.items() if isinstance(v, str)}
        if isinstance(known.get(stamp), str):
            return known[stamp]
    key, readable = _computed_environment_key(own)
    if cache and stamp and readable:
        known.pop(stamp, None)
        known[stamp] = key  # the newest last; a few environments are kept
        _write_atomically(cache, json.dumps(dict(list(known.items())[-8:])))
    return key


def _environment_folders() -> list[str]:
    """The environment's own folders on ``sys.path``.

    Only those: the working directory and a project's ``pythonpath`` (a src folder holding
    ``pkg.egg-info``) are on sys.path inside pytest but not in the parent's probe, and a key
    that differs between them never matches.
    """
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    user_site = _user_site()
    own = []
    for entry in sys.path:
        if not entry:
            continue
        real = os.path.realpath(entry)
        if any(real.startswith(prefix + os.sep) for prefix in prefixes) or (
            user_site and real == user_site
        ):
            own.append(entry)
    return own


def _environment_stamp(own: list[str]) -> str:
    """What the key depends on, cheaply: "" when a folder cannot be looked at (no caching)."""
    parts = [os.path.realpath(sys.prefix), sys.version]
    for entry in own:
        try:
            parts.append(f"{entry}\0{os.stat(entry).st_mtime_ns}")
        except OSError:
            parts.append(f"{entry}\0-")  # a folder that does not exist yet: its absence
    import hashlib  # (here: only recording needs it, and its import costs every pytest start)

    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _computed_environment_key(own: list[str] | None) -> tuple[str, bool]:
    """The key, and whether every distribution could be read (else it matches nothing)."""
    readable = True
    try:
        if own is None:
            raise ValueError("no folders")
        from importlib import metadata

        dists = sorted(
            f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions(path=own)
        )
    except Exception:  # a broken distribution must not stop the run; just never match
        dists = [f"unreadable:{time.time()}"]
        readable = False
    # sys.prefix, not sys.executable: `python` and `python3` of one environment are one.
    text = "\n".join([os.path.realpath(sys.prefix), sys.version, *dists])
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest(), readable


def _user_site() -> str:
    """The user's site-packages (``pip install --user``), resolved; empty when it has none."""
    import site

    try:
        return os.path.realpath(site.getusersitepackages())
    except Exception:  # an embedded or stripped interpreter
        return ""


def _outer_qualname(code: Any) -> str | None:
    """The function a code object's source belongs to, for matching against source blocks.

    A nested function, lambda or comprehension lives inside its enclosing function's body, so it
    counts as that function (``outer.<locals>.inner`` → ``outer``). Module-level code is None:
    it runs at import, which the static import graph covers.
    """
    qualname: str = getattr(code, "co_qualname", None) or code.co_name
    if "<locals>" in qualname:
        qualname = qualname.split(".<locals>", 1)[0]
    if qualname.startswith("<"):
        return None
    return qualname


def _new_style_wrappers() -> bool:
    """pluggy 1.1+ runs ``wrapper=True`` hook wrappers: a plain generator, without the result
    object an old-style ``hookwrapper`` is handed, which is cheaper on hooks run for every
    test. pytest 7 may come with an older pluggy."""
    try:
        pytest.hookimpl(wrapper=True)
    except TypeError:
        return False
    return True


def _window_hook(function: Callable[..., Any]) -> Any:
    """A tryfirst hook wrapper: a recording window around all of the hook's implementations.
    Its body is ``start; return (yield); finally stop``, valid for both kinds: an old-style
    wrapper gets the result object at its ``yield`` and its return value is ignored."""
    if _NEW_STYLE_WRAPPERS:
        return pytest.hookimpl(wrapper=True, tryfirst=True)(function)
    return pytest.hookimpl(hookwrapper=True, tryfirst=True)(function)


_NEW_STYLE_WRAPPERS = _new_style_wrappers()


class _Recorder:
    """Per test: the functions it executed under the repository root during setup, call and
    teardown, and the non-Python files it opened there.

    Python 3.12+: ``sys.monitoring`` PY_START, project code objects only, each disabled after
    its first hit and re-armed for the next window, so a hot loop or a library costs nothing
    (see ``_setup_monitoring``). Python 3.11 and older: the standard library's C profiler
    (``cProfile``) on the test's thread, which keeps one entry per code object whatever the
    number of calls, at about a quarter of a Python trace function's cost per call; each thread
    the test starts gets a C profiler of its own too (``_make_thread_start``). Where the profiler
    cannot be had (another profiler holds the test's thread; ``sys.monitoring`` tools taken on
    3.12+), a call-only trace function notes where each call is (module and line, no audited
    attribute reads), mapped to functions once per test, after it ran.
    """

    _TOOL_NAME = "gateui"

    def __init__(self, root: str) -> None:
        self.root = os.path.join(os.path.abspath(root), "")
        # Installed code is never the project's own, even when the virtualenv is in the repo.
        self.skip_prefixes = tuple(
            os.path.join(os.path.abspath(p), "")
            for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}
        )
        self.codes: list[Any] = []
        # Python 3.11 and older: the profiler of the test's own thread (None while another
        # profiler holds it), and per traced call in a thread the test started, the module's
        # globals and the line it is at.
        self.profiler: Any = None
        self.profiling = False
        # Python 3.11 and older: each thread started in a window, with its own profiler (kept
        # while the thread lives), and the functions those threads were in when they started.
        self.thread_start: Callable[..., Any] | None = None
        self.thread_profilers: list[tuple[threading.Thread, Any]] = []
        self.thread_codes: list[Any] = []
        self.kept_profilers: list[Any] = []
        self.stacks_before: list[Any] = []
        """The frames those threads were in when the test began (kept, so that their ids are not
        reused meanwhile)."""
        self.calls: list[tuple[dict[str, Any], int]] = []
        self.spans: dict[str, dict[int, str] | None] = {}
        # Python 3.12+: project code objects whose watcher fired since the last window.
        self.spent: list[Any] = []
        self.over_budget = False
        self.opened: set[str] = set()
        self.files: dict[str, str | None] = {}
        self.sent_shas: set[str] = set()
        self.harvested: dict[str, dict[str, Any]] = {}
        self.active = False
        self.blocked = False
        self.depth = 0
        # Tests whose recordings gateui already holds (read from the record-skip pipe as it
        # arrives): such a test runs without recording windows and reports no dependencies.
        self.skip_fd = _record_skip_fd
        self.skip_read: list[bytes] = []
        self.skip: frozenset[str] = frozenset()
        self.off = False
        self.tool: int | None = None
        self.finder: int | None = None
        """The finder's tool id until the first recording window switches it on (3.12+)."""
        self._previous: Callable[..., Any] | None = None
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None:
            self._setup_monitoring(monitoring)
        self.tracer = self._make_tracer()
        if monitoring is None:
            # (On 3.12+ cProfile is a sys.monitoring tool itself: where the monitoring tools
            # are taken, the trace function records instead.)
            from cProfile import Profile

            self.profiler = Profile()
            self.thread_start = self._make_thread_start(Profile)
        self.audit: Callable[[str, Any], None] | None = self._make_audit_hook()
        """The ``open`` audit hook until the first window that records adds it (``start``): an
        audit hook cannot be removed, and it is called for every audited event of the process
        (about 25 per trivial test), so a session that records no test never has it."""

    # -- the two mechanisms ----------------------------------------------------------------
    def _setup_monitoring(self, monitoring: Any) -> None:
        """Two tools, so that switching recording on and off never re-instruments the process.

        The finder (global PY_START, on from the first window that records to the end of the
        session) sees each code object the first time it runs after that and disables itself
        there for good: pytest's and the libraries' code costs one callback per code object per
        session, and nothing in a session that records no test. Project code is handed to the
        watcher, a LOCAL PY_START on that code object alone, which notes a hit while a window is
        open and disables itself until the next window re-arms it. Windows only flip a flag:
        no global ``set_events`` but the finder's one (each makes CPython re-instrument every
        code object it runs next) and no ``restart_events`` (which would re-arm every library
        function too).
        """
        free = [tool for tool in (4, 3) if monitoring.get_tool(tool) is None]
        if len(free) < 2:
            return  # another tool holds one: the trace-function path records instead
        finder, watcher = free
        monitoring.use_tool_id(finder, self._TOOL_NAME)
        monitoring.use_tool_id(watcher, self._TOOL_NAME)
        self.tool = watcher
        note = self.codes.append
        spent = self.spent.append
        disable = monitoring.DISABLE
        start_event = monitoring.events.PY_START
        set_local = monitoring.set_local_events
        relative = self._relative

        def on_first_run(code: Any, offset: int) -> Any:
            if relative(code.co_filename) is not None:
                set_local(watcher, code, start_event)
                spent(code)  # re-armed by the next window even if the watcher fires now
                if self.active:
                    note(code)
            return disable

        def on_project_start(code: Any, offset: int) -> Any:
            if self.active:
                note(code)
            spent(code)
            return disable

        monitoring.register_callback(finder, start_event, on_first_run)
        monitoring.register_callback(watcher, start_event, on_project_start)
        # The finder is switched on by the first window that records (``start``), not here: a
        # run whose tests all keep their recordings (an unchanged tree) then never runs its
        # callback, once per distinct function of pytest and the libraries the session runs.
        # (On the demo that was too little to measure: docs/benchmarks.md.) Code that ran
        # before is still found: a global event reaches every code object at its next call.
        self.finder = finder

    def _rearm(self) -> None:
        """Re-arm the watcher on the project code objects that fired since the last window (a
        DISABLEd location comes back only through switching its local events off and on)."""
        if not self.spent:
            return
        monitoring = sys.monitoring  # type: ignore[attr-defined]
        set_local = monitoring.set_local_events
        start_event = monitoring.events.PY_START
        watcher = self.tool
        for code in set(self.spent):
            set_local(watcher, code, 0)
            set_local(watcher, code, start_event)
        self.spent.clear()

    def _make_tracer(self) -> Callable[..., Any]:
        # For the test's own thread while another profiler holds it, and for the threads it
        # starts where no profiler can be had (3.12+ with the monitoring tools taken). As
        # little as possible per call:
        # ``frame.f_code`` is an audited event on 3.11 (a Python call into every audit hook,
        # ours included), ``f_globals`` and ``f_lineno`` are not. Which function a (module,
        # line) pair is in is worked out once per test, after it ran; duplicates are folded
        # then too. A test past ``_TRACE_BUDGET`` traced calls stops being traced and is left
        # unrecorded (selection then goes by imports).
        calls = self.calls
        add = calls.append
        budget = _TRACE_BUDGET

        def trace(frame: Any, event: str, arg: Any) -> None:
            add((frame.f_globals, frame.f_lineno))  # one append: threads never mix the pair
            if len(calls) > budget:
                self._over_budget()

        return trace

    def _make_thread_start(self, profiler_type: Callable[[], Any]) -> Callable[..., Any]:
        """The profile function threads started in a window begin with (``threading.setprofile``):
        at the thread's first event it hands the thread to a C profiler of its own, which
        replaces it. A trace function there cost a Python call per call: starlette's test client
        runs the application in a thread, and its suite took 1.96x its plain time recorded. A
        profiler counts a function once it returns: what a thread is still in when its test
        ends is read from its stack (``_thread_stacks``), and the function of that first event
        is noted here."""
        held = self.thread_profilers
        note = self.thread_codes.append
        current = threading.current_thread

        def thread_start(frame: Any, event: str, arg: Any) -> None:
            if event == "call":
                note(frame.f_code)
            profiler = profiler_type()
            held.append((current(), profiler))
            profiler.enable(subcalls=False, builtins=False)

        return thread_start

    def _let_finished_threads_go(self) -> None:
        """Stop holding the profilers of threads that have ended. CPython frees an enabled
        profiler by removing the profile function of the thread that frees it, whichever that is
        (here, or later the test's thread, our own profiler included): each is disabled first,
        which does the same here and now, where nothing is lost, as this thread has none. Where
        this thread has one (another profiler holds it), the profilers are kept to the end."""
        alive = []
        for thread, profiler in self.thread_profilers:
            if thread.is_alive():
                alive.append((thread, profiler))
            elif sys.getprofile() is None:
                profiler.disable()
            else:
                self.kept_profilers.append(profiler)
        self.thread_profilers[:] = alive

    def _thread_frames(self) -> list[Any]:
        """Every frame the profiled threads are in now."""
        current = sys._current_frames()
        frames = []
        for thread, _ in self.thread_profilers:
            frame = current.get(thread.ident) if thread.ident is not None else None
            while frame is not None:
                frames.append(frame)
                frame = frame.f_back
        return frames

    def _thread_stacks(self) -> list[Any]:
        """The code of each frame the profiled threads entered during the test and are still
        in (a profiler counts a call when it returns). A frame they were already in when the
        test began is an earlier test's: a server loop started by one test is not every later
        test's dependency."""
        before = {id(frame) for frame in self.stacks_before}
        return [frame.f_code for frame in self._thread_frames() if id(frame) not in before]

    def _over_budget(self) -> None:
        sys.settrace(None)  # this thread's; the others stop at their next traced call
        threading.settrace(None)
        self.over_budget = True

    def begin_test(self) -> None:
        """A new test: forget the last one's findings."""
        self.codes.clear()
        self.calls.clear()
        if self.profiler is not None:
            self.profiler.clear()
        for _, profiler in self.thread_profilers:
            profiler.clear()  # (its thread may be running: cProfile holds no pointer into it)
        self.thread_codes.clear()
        self.stacks_before = self._thread_frames() if self.thread_profilers else []
        self.opened.clear()
        self.blocked = False
        self.over_budget = False
        self.depth = 0

    def _read_skip(self) -> None:
        """Take what has arrived of the record-skip list; it applies once it has ended (until
        then every test records: recording one again is never wrong)."""
        fd = self.skip_fd
        assert fd is not None
        try:
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                self.skip_read.append(chunk)
        except BlockingIOError:
            return
        except OSError:
            self.skip_read.clear()  # a broken pipe: record everything
        with contextlib.suppress(OSError):
            os.close(fd)
        self.skip_fd = None
        lines = b"".join(self.skip_read).decode("utf-8", "replace").split("\n")
        self.skip_read.clear()
        # Complete only with its last line: a list cut short skips nothing.
        if lines[-1] == RECORD_SKIP_END:
            self.skip = frozenset(lines[:-1])

    def start(self) -> None:
        if self.off:
            return
        # Windows nest (a fixture requesting another, the test function inside the call
        # phase): only the outermost one switches recording on and off.
        self.depth += 1
        if self.depth > 1:
            return
        if self.audit is not None:
            sys.addaudithook(self.audit)
            self.audit = None
        if self.tool is not None:
            if self.finder is not None:
                monitoring = sys.monitoring  # type: ignore[attr-defined]
                monitoring.set_events(self.finder, monitoring.events.PY_START)
                self.finder = None
            self._rearm()
        else:
            if sys.gettrace() is not None:
                # A debugger or coverage owns the trace function (of this thread and of the
                # threads it starts): do not take it away. The test stays unrecorded, and
                # selection treats it by the static import graph.
                self.blocked = True
                return
            if self.thread_start is not None and _thread_profile_hook() in (
                None,
                self.thread_start,
            ):
                threading.setprofile(self.thread_start)
            elif not self.over_budget:
                # (Also where a profiler of the session's has threads start with its own.)
                threading.settrace(self.tracer)
            if self.profiler is not None and sys.getprofile() is None:
                self.profiler.enable(subcalls=False, builtins=False)
                self.profiling = True
            elif not self.over_budget:
                sys.settrace(self.tracer)  # a profiling plugin holds the profiler: trace
        self.active = True

    def stop(self) -> None:
        if self.depth == 0:
            return
        self.depth -= 1
        if self.depth or not self.active:
            return
        self.active = False
        if self.tool is None:
            # Code under test that installs its own profiler or trace function (a tracing
            # library's tests, a profiler started in a test) takes ours away: what ran after
            # that is unknown, so the test is left unrecorded, and theirs stays in place.
            if self.profiling:
                self.profiling = False
                still_ours = sys.getprofile() is self.profiler
                if still_ours:
                    self.profiler.disable()
                else:
                    self.blocked = True
            elif sys.gettrace() is self.tracer:
                sys.settrace(None)
            elif not self.over_budget:
                self.blocked = True
            threading.settrace(None)
            if self.thread_start is not None and _thread_profile_hook() is self.thread_start:
                threading.setprofile(None)

    def _make_audit_hook(self) -> Callable[[str, Any], None]:
        """The ``open`` audit hook: a plain function, not a bound method. It is called for every
        audited event of the whole run (``id()``, ``os.putenv``, attribute reads of frames:
        about 25 per trivial test), and CPython calls a bound method as a hook about four
        times slower than a function (≈ 0.65 against 0.15 µs per event on 3.11 and 3.12)."""
        recorder = self
        opened = self.opened
        absolute = os.path.abspath
        is_absolute = os.path.isabs
        decode = os.fsdecode

        def audit(event: str, args: Any) -> None:
            if event != "open" or not recorder.active:
                return
            path = args[0]
            if isinstance(path, bytes):
                path = decode(path)
            elif not isinstance(path, str):
                return
            opened.add(path if is_absolute(path) else absolute(path))

        return audit

    # -- test windows ----------------------------------------------------------------------
    # Recording is on only while the project's code runs: the test function, each fixture's
    # setup, and each fixture's teardown (a yield fixture's cleanup). pytest's own machinery
    # around them (hundreds of calls per test) is never traced, which keeps recording cheap.

    # Plain hooks where a wrapper is not needed: a hook wrapper costs a generator per call,
    # and these run for every test.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: Any) -> None:
        self.begin_test()
        if self.skip_fd is not None:
            self._read_skip()
        self.off = item.nodeid in self.skip

    @_window_hook
    def pytest_pyfunc_call(self, pyfuncitem: Any) -> Any:
        self.start()
        try:
            return (yield)
        finally:
            self.stop()

    @_window_hook
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Any:
        # Finalizers run last-in first-out: "stop" registered before the fixture's own
        # teardown and "start" after it bracket that teardown at the end of the test.
        add_finalizer = getattr(fixturedef, "addfinalizer", None)
        if add_finalizer is not None:
            add_finalizer(self.stop)
        self.start()
        try:
            return (yield)
        finally:
            self.stop()
            if add_finalizer is not None:
                add_finalizer(self.start)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: Any) -> None:
        if self.skip_fd is not None:
            self._read_skip()
        items = session.items
        if items and self.skip and all(item.nodeid in self.skip for item in items):
            # Every test keeps its recording (an unchanged tree, the usual run): this session
            # records nothing, and the hooks below would only cost every test their calls. The
            # audit hook is added by the first window that records: there is none.
            session.config.pluginmanager.unregister(self)
            return
        # unittest TestCases (setUp/tearDown included), doctests and other plugins' items do
        # not run through pytest_pyfunc_call: their window is the whole call phase. Only a
        # session that has some pays for that wrapper on every test.
        if not all(_runs_through_pyfunc_call(item) for item in items):
            session.config.pluginmanager.register(_CallPhaseWindow(self), "gateui-call-window")

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item: Any) -> None:
        # After pytest's own teardown: every fixture finalizer has run (and been recorded).
        if not self.off:
            self.harvested[item.nodeid] = self.harvest(item)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: Any) -> None:
        # First, so that the events plugin — or, on an xdist worker, the report's trip to the
        # controller — finds the test's dependencies on its closing report.
        if report.when == "teardown":
            deps = self.harvested.pop(report.nodeid, None)
            if deps is not None:
                report.gateui_deps = deps

    def harvest(self, item: Any) -> dict[str, Any]:
        funcs: dict[str, set[str]] = {}
        # Fixtures the test used, whether or not their body ran in its own windows: a
        # module- or session-scoped fixture set up by an earlier test is a dependency too.
        codes = set(self.codes)
        codes.update(_fixture_codes(item))
        if self.profiler is not None:
            codes.update(e.code for e in self.profiler.getstats() if not isinstance(e.code, str))
            self.profiler.clear()
        if self.thread_profilers:
            for _, profiler in self.thread_profilers:
                stats = profiler.getstats()
                codes.update(e.code for e in stats if not isinstance(e.code, str))
                profiler.clear()
            codes.update(self._thread_stacks())
            self.stacks_before = []
            self._let_finished_threads_go()
        codes.update(self.thread_codes)
        self.thread_codes.clear()
        for code in codes:
            rel = self._relative(code.co_filename)
            if rel is None:
                continue
            name = _outer_qualname(code)
            if name is not None:
                funcs.setdefault(rel, set()).add(name)
        unmapped = self._add_traced_lines(funcs)
        reads = set()
        for path in self.opened:
            rel = self._relative(path)
            if rel is not None and not rel.endswith((".py", ".pyc", ".pyo")):
                reads.add(rel)
        self.codes.clear()
        self.opened.clear()
        shas = {}
        for rel in [*funcs, *reads]:
            if rel not in self.sent_shas:
                self.sent_shas.add(rel)
                sha = _file_sha(self.root + rel)
                if sha is not None:
                    shas[rel] = sha
        return {
            "recorded": not (self.blocked or self.over_budget or unmapped),
            "funcs": {rel: sorted(names) for rel, names in funcs.items()},
            "reads": sorted(reads),
            "shas": shas,
        }

    def _add_traced_lines(self, funcs: dict[str, set[str]]) -> bool:
        """Add what the trace function saw (module globals, line) as file → functions; True
        when a project file could not be read to tell its functions apart."""
        if not self.calls:
            return False
        pairs = {(module.get("__file__"), line) for module, line in self.calls}
        self.calls.clear()
        unmapped = False
        for file, line in pairs:
            if not isinstance(file, str):
                continue
            rel = self._relative(file)
            if rel is None:
                continue
            spans = self._spans(rel)
            if spans is None:
                unmapped = True
                continue
            name = spans.get(line)
            if name is not None:
                funcs.setdefault(rel, set()).add(name)
        return unmapped

    def _spans(self, rel: str) -> dict[int, str] | None:
        try:
            return self.spans[rel]
        except KeyError:
            pass
        spans: dict[int, str] | None
        try:
            with open(self.root + rel, "rb") as handle:
                spans = _function_lines(handle.read())
        except (OSError, SyntaxError, ValueError):
            spans = None
        self.spans[rel] = spans
        return spans

    def _relative(self, filename: str) -> str | None:
        try:
            return self.files[filename]
        except KeyError:
            pass
        rel: str | None = None
        if filename.startswith("<"):  # <frozen os>, <string>: no file of the project
            self.files[filename] = None
            return None
        absolute = os.path.abspath(filename)
        if absolute.startswith(self.root) and not absolute.startswith(self.skip_prefixes):
            candidate = absolute[len(self.root) :].replace(os.sep, "/")
            first = candidate.split("/", 1)[0]
            name = candidate.rsplit("/", 1)[-1]
            # A first cut only (gateui applies its full rule when it stores the recording):
            # tool folders, and names like "<string>" that an open() of no real file leaves.
            if first not in _NOT_PROJECT_TOP and not (name.startswith("<") and name.endswith(">")):
                rel = candidate
        self.files[filename] = rel
        return rel


class _CallPhaseWindow:
    """The recording window of items that do not run through ``pytest_pyfunc_call``."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder

    @_window_hook
    def pytest_runtest_call(self, item: Any) -> Any:
        if _runs_through_pyfunc_call(item):
            return (yield)
        recorder = self.recorder
        recorder.start()
        try:
            return (yield)
        finally:
            recorder.stop()


_NOT_PROJECT_TOP = frozenset(
    {".git", ".gateui", ".pytest_cache", ".hypothesis", ".tox", ".nox", ".venv", "venv"}
)
"""Top-level folders of the repository that are never its code or data."""


_thread_profile_hook: Callable[[], Any] = getattr(threading, "getprofile", None) or (
    lambda: getattr(threading, "_profile_hook", None)
)
"""What threads started now begin with as their profile function (``threading.setprofile``;
``threading.getprofile`` is Python 3.10+). Looked up once: it is asked at every window."""


_TRACE_BUDGET = 50_000
"""Calls traced by the trace function per test (where it records: see ``_Recorder``) before the
test is left unrecorded: each costs about a microsecond, so a test that makes millions
(generators resumed in a loop) would take several times as long recorded as not. The profilers
that record otherwise need no budget."""


def _function_lines(source: bytes) -> dict[int, str]:
    """Line → the function it belongs to, named as ``_outer_qualname`` names a code object:
    a method ``Class.method``, anything nested in a function that function, a class body its
    class; module-level lines are absent. A decorated definition starts at its first decorator,
    the line a call to it is traced at."""
    import ast

    lines: dict[int, str] = {}

    def visit(body: list[Any], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                name = prefix + node.name
                for line in range(first, (node.end_lineno or node.lineno) + 1):
                    lines[line] = name
                if isinstance(node, ast.ClassDef):
                    visit(node.body, name + ".")  # methods override their class's lines
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list):
                        visit(inner, prefix)

    visit(ast.parse(source).body, "")
    return lines


def _fixture_codes(item: Any) -> list[Any]:
    """Code objects of the fixture functions a test requested (transitively)."""
    info = getattr(item, "_fixtureinfo", None)
    name2defs = getattr(info, "name2fixturedefs", None) or {}
    codes = []
    for name in getattr(item, "fixturenames", ()):
        for fixturedef in name2defs.get(name, ()):
            func = getattr(fixturedef, "func", None)
            func = getattr(func, "__wrapped__", func)
            code = getattr(func, "__code__", None)
            if code is not None:
                codes.append(code)
    return codes


def _runs_through_pyfunc_call(item: Any) -> bool:
    """A plain test function: pytest_pyfunc_call brackets exactly its call."""
    if not isinstance(item, pytest.Function):
        return False
    cls = getattr(item, "cls", None)
    if cls is None:
        return True
    import unittest

    return not issubclass(cls, unittest.TestCase)


def _file_sha(path: str) -> str | None:
    """The file's git blob id: the version it names can be read back from git when committed."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
