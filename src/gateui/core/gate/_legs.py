"""The matrix legs of one gate run: which run here, on which interpreter, in which environment.

``[tool.gateui.gate] legs`` chooses the Python versions whose legs run: ``"all"`` (the default),
``"local"`` (the version of the project's interpreter; when no leg has it, the newest version
found here), or a number N (the local version first, then the newest and the oldest found here,
then the rest). A leg not chosen, a leg whose Python is not on this machine, and a leg whose
environment cannot be built are each not reproduced, with the reason: the verdict is then
partial, never a pass that claims them and never a failure they did not earn.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gateui.core.common.errors import InterpreterError
from gateui.core.gate._leg_env import LegBuildError, LegEnvironments
from gateui.core.gate._leg_env import LegEnvironment as LegEnvironment
from gateui.core.gate._python_finder import FoundPython, find_python, parse_request
from gateui.core.gate.model import GateDefinition, GateStep, Leg, StepOutcome, StepResult, judge
from gateui.core.layout.interpreter_info import interpreter_info


@dataclass
class LegState:
    leg: Leg
    python: FoundPython | None = None
    environment: LegEnvironment | None = None
    not_run: str = ""
    """Why the leg's steps do not run here ("" when they do)."""
    remedy: str = ""
    missing_cwd: str = ""
    """An install's working directory that does not exist in the commit: the runner fails that
    install step, and the job with it."""

    def not_run_result(self, step: GateStep) -> StepResult | None:
        """For a step of a leg that does not run here: its result — failed when CI fails the
        job's install, else not reproduced."""
        if self.missing_cwd:
            return judge(step, StepOutcome(missing_cwd=self.missing_cwd), {})
        if not self.not_run:
            return None
        return judge(step, StepOutcome(not_reproduced=self.not_run, remedy=self.remedy), {})

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"python": self.leg.python, "label": self.leg.label}
        if self.python is not None:
            data["interpreter"] = {
                "path": str(self.python.path),
                "version": self.python.version,
                "found_in": self.python.where,
            }
        if self.environment is not None:
            data["environment"] = {
                "path": str(self.environment.folder),
                "reused": self.environment.reused,
                "seconds": round(self.environment.seconds, 2),
            }
            if self.environment.refreshed:
                data["environment"]["project"] = self.environment.refreshed
        if self.missing_cwd:
            data["install_directory_missing"] = self.missing_cwd
        if self.not_run:
            data["not_run"] = self.not_run
            data["to_reproduce"] = self.remedy
        return data


@dataclass(frozen=True)
class LegEvent:
    """A matrix leg about to be prepared (``done`` False: building its environment may take a
    while), then prepared: its interpreter and environment, or why it does not run here."""

    index: int
    state: LegState
    done: bool


class Checkout(Protocol):
    default_interpreter: Path


def leg_runs(definition: GateDefinition, checkout: Checkout, stop: Callable[[], bool]) -> LegRuns:
    """The legs of a gate's steps, ready to prepare in each job's checkout (``stop``: the gate
    was cancelled, an install in progress ends)."""
    legs = [s.leg for s in definition.steps if s.leg is not None and s.runs_locally]
    local: tuple[int, ...] | None = None
    if legs and definition.legs != "all":
        with contextlib.suppress(InterpreterError):
            local = interpreter_info(checkout.default_interpreter).version
    return LegRuns(legs, definition.legs, local, stop)


def _minor(version: str) -> tuple[int, ...] | None:
    parsed = parse_request(version)
    return parsed[:2] if parsed else None


def choose_versions(
    versions: Sequence[str], setting: str, local: tuple[int, ...] | None
) -> list[str]:
    """The Python versions whose legs run here, for ``legs = setting``."""
    if setting == "all":
        return list(versions)
    local_ones = [v for v in versions if local is not None and _minor(v) == local[:2]]
    found = [v for v in versions if v not in local_ones and find_python(v) is not None]
    by_age = sorted(found, key=lambda v: parse_request(v) or ())
    if setting == "local":
        return local_ones or by_age[-1:]
    preferred: list[str] = list(local_ones)
    while by_age:
        preferred.append(by_age.pop())  # the newest
        if by_age:
            preferred.append(by_age.pop(0))  # the oldest
    return preferred[: int(setting)]


class LegRuns:
    """Prepares each leg once per checkout (finding its Python, building or reusing its
    environment, pointing it at the checkout of the job that uses it); ``close()`` releases the
    environments."""

    def __init__(
        self,
        legs: Sequence[Leg],
        setting: str,
        local: tuple[int, ...] | None,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        versions = list(dict.fromkeys(leg.python for leg in legs))
        self.setting = setting
        self.chosen = set(choose_versions(versions, setting, local))
        self.states: dict[Leg, LegState] = {}
        """Each leg as first prepared (what the report shows)."""
        self._in_checkout: dict[tuple[Leg, Path], LegState] = {}
        self._environments = LegEnvironments(stop)
        self._preparing = threading.Lock()
        """One leg is prepared at a time, also when jobs run at the same time: environments
        are kept in one cache folder, pruned after each build, and one kept environment is
        pointed at one checkout at a time (jobs that use the same one never run together)."""

    def close(self) -> None:
        self._environments.close()

    def events(self, index: int, leg: Leg, checkout: Path) -> Iterator[LegEvent]:
        """The first time a leg is met: its preparation, as events."""
        if leg not in self.states:
            yield LegEvent(index, LegState(leg), done=False)
            yield LegEvent(index, self.prepare(leg, checkout), done=True)

    def prepare(self, leg: Leg, checkout: Path) -> LegState:
        """The leg, ready to run in ``checkout`` (its environment imports that checkout)."""
        with self._preparing:
            state = self._in_checkout.get((leg, checkout))
            if state is None:
                state = self._prepare(leg, checkout)
                self._in_checkout[(leg, checkout)] = state
                self.states.setdefault(leg, state)
            return state

    def _prepare(self, leg: Leg, checkout: Path) -> LegState:
        state = LegState(leg)
        version = leg.python
        if version not in self.chosen:
            state.not_run = (
                f"{version} leg not run here: [tool.gateui.gate] legs = {self._setting_text()}"
            )
            state.remedy = 'set legs = "all" in [tool.gateui.gate] to run every leg'
            return state
        if parse_request(version) is None:
            state.not_run = (
                f"{version} leg not reproduced: gateui finds a leg's Python by its version"
                " number (3.X)"
            )
            state.remedy = "name the version as 3.X in the workflow to check this leg here"
            return state
        state.python = find_python(version)
        if state.python is None:
            state.not_run = (
                f"{version} leg not reproduced: no Python {version} found"
                " (looked in pyenv, uv and PATH)"
            )
            state.remedy = f"install Python {version} (for example `pyenv install {version}`)"
            return state
        missing = [cwd for cwd, _ in leg.installs if not (checkout / cwd).is_dir()]
        if missing:
            state.missing_cwd = missing[0]
            return state
        try:
            state.environment = self._environments.get(state.python, leg.installs, checkout)
        except LegBuildError as exc:
            state.not_run = f"{version} leg not reproduced: its environment cannot be built:" + (
                f" {exc.reason}"
            )
            state.remedy = "make the install work here (network, package index) and run again"
        return state

    def _setting_text(self) -> str:
        return self.setting if self.setting.isdigit() else f'"{self.setting}"'

    def as_json(self) -> list[dict[str, Any]]:
        return [state.as_json() for state in self.states.values()]


def leg_line(state: LegState) -> str:
    """One line saying where a leg ran (or why not)."""
    head = f"{state.leg.python} leg ({state.leg.label})"
    if state.not_run:
        return f"{head}: {state.not_run}"
    if state.missing_cwd:
        return f"{head}: its install runs in {state.missing_cwd}, which does not exist (CI fails)"
    assert state.python is not None
    text = f"{head}: Python {state.python.version} at {state.python.path}"
    environment = state.environment
    if environment is not None:
        if environment.reused:
            text += f"; environment reused ({environment.folder.name})"
        else:
            text += (
                f"; environment built in {environment.seconds:.1f} s ({environment.folder.name})"
            )
    return text
