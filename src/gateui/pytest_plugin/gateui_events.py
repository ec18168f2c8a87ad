"""gateui's event plugin: runs INSIDE the interpreter of the repository under test.

It imports nothing but the standard library and pytest (7, 8 or 9), because the target
virtualenv usually does not have gateui installed: gateui puts only this file's folder on
PYTHONPATH and loads it with ``-p gateui_events``.

Events are JSON objects, one per line, written to the channel named by ``GATEUI_EVENTS``:
``fd:N`` (a pipe inherited from gateui) or a file path (a FIFO or a file opened for appending,
for commands such as tox that close inherited descriptors). Never stdout: the user's output stays
theirs.

With pytest-xdist only the controller writes: workers' reports reach the controller's hooks, so each
test still arrives as soon as it finishes.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from typing import Any

import pytest

CHANNEL_ENV = "GATEUI_EVENTS"
COLLECT_ITEMS_ENV = "GATEUI_COLLECT_ITEMS"
# Captured output can be huge (a test printing a megabyte); the tail is what people read.
MAX_TEXT = 64 * 1024


def _tail(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return "[… " + str(len(text) - MAX_TEXT) + " characters cut …]\n" + text[-MAX_TEXT:]


class _Channel:
    """Writes whole lines to the channel; a closed reader must never fail the test run."""

    def __init__(self, spec: str) -> None:
        self._fd: int | None = None
        self._owned = False
        if spec.startswith("fd:"):
            self._fd = int(spec[3:])
        else:
            self._fd = os.open(spec, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._owned = True

    def send(self, event: dict[str, Any]) -> None:
        if self._fd is None:
            return
        data = (json.dumps(event, default=str, separators=(",", ":")) + "\n").encode()
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
        except OSError:
            # gateui went away (cancelled run): keep pytest's own behaviour, drop the events.
            self._fd = None

    def close(self) -> None:
        if self._fd is not None and self._owned:
            os.close(self._fd)
        self._fd = None


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _location(item_location: Any) -> tuple[str, int | None]:
    path, lineno = item_location[0], item_location[1]
    return str(path).replace(os.sep, "/"), (lineno + 1 if isinstance(lineno, int) else None)


def _report_text(report: Any) -> str:
    try:
        return _tail(str(report.longreprtext))
    except Exception:  # a plugin's exotic longrepr must not take the run down
        return _tail(str(report.longrepr))


def _marker_names(item: pytest.Item) -> list[str]:
    seen: dict[str, None] = {}
    for mark in item.iter_markers():
        seen.setdefault(mark.name, None)
    return list(seen)


class _TestState:
    """Merges one test's setup / call / teardown reports into a single result."""

    __slots__ = ("duration", "log", "longrepr", "outcome", "stderr", "stdout", "wasxfail")

    def __init__(self) -> None:
        self.outcome = "passed"
        self.duration = 0.0
        self.longrepr = ""
        self.stdout = ""
        self.stderr = ""
        self.log = ""
        self.wasxfail: str | None = None

    def add(self, report: Any) -> None:
        self.duration += float(getattr(report, "duration", 0.0) or 0.0)
        when = getattr(report, "when", None)
        if hasattr(report, "wasxfail"):
            self.wasxfail = str(report.wasxfail)
        if report.failed:
            # A failing setup or teardown is an error (as pytest counts it); a failing call
            # is a failure.
            self.outcome = "failed" if when == "call" else "error"
            if self.longrepr:
                self.longrepr += "\n\n"
            self.longrepr += _report_text(report)
        elif report.skipped and self.outcome == "passed":
            self.outcome = "skipped"
            if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
                self.longrepr = str(report.longrepr[2])
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

    # -- session -------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
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
            }
        )

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        yield
        self.channel.send(
            {
                "e": "session_finish",
                "exitstatus": int(exitstatus),
                "duration_s": round(time.monotonic() - self.started, 6),
            }
        )
        self.channel.close()

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

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # On the controller of an xdist run there are no items here; the count comes from
        # pytest_xdist_node_collection_finished instead.
        if _xdist_controller(self.config):
            return
        for item in session.items:
            names = _marker_names(item)
            self.markers[item.nodeid] = names
            if self.collect_items:
                path, line = _location(item.location)
                self.channel.send(
                    {
                        "e": "item",
                        "nodeid": item.nodeid,
                        "path": path,
                        "line": line,
                        "markers": names,
                    }
                )
        self.collected = len(session.items)
        self.channel.send(
            {"e": "collection", "count": self.collected, "errors": self.collect_errors}
        )

    # -- tests ---------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        path, line = _location(location)
        self.channel.send({"e": "test_start", "nodeid": nodeid, "path": path, "line": line})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        state = self.tests.get(report.nodeid)
        if state is None:
            state = self.tests[report.nodeid] = _TestState()
        state.add(report)
        # The teardown report closes a test. An xdist worker crash yields a single report with
        # an unknown phase: that closes it too.
        if report.when not in ("setup", "call"):
            del self.tests[report.nodeid]
            markers = self.markers.get(report.nodeid)
            if markers is None:
                markers = list(getattr(report, "gateui_markers", None) or [])
            path, line = _location(report.location)
            event: dict[str, Any] = {
                "e": "test",
                "nodeid": report.nodeid,
                "path": path,
                "line": line,
                "outcome": state.outcome,
                "duration_s": round(state.duration, 6),
                "markers": markers,
            }
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
            self.channel.send(event)

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


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    spec = os.environ.get(CHANNEL_ENV)
    if not spec or _is_xdist_worker(config):
        # Workers keep the makereport hook so markers travel with their reports.
        if _is_xdist_worker(config):
            config.pluginmanager.register(_WorkerHooks(), "gateui-events-worker")
        return
    try:
        channel = _Channel(spec)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"gateui: cannot open event channel {spec!r}: {exc}\n")
        return
    plugin = GateuiEventPlugin(config, channel)
    config.pluginmanager.register(plugin, "gateui-events")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistControllerHooks(plugin), "gateui-events-xdist")


class _WorkerHooks:
    """On an xdist worker: attach markers to reports, which cross to the controller with all
    their attributes (the controller never sees the items themselves)."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        outcome = yield
        report = outcome.get_result()
        if report.when == "teardown" or report.failed:
            report.gateui_markers = _marker_names(item)
