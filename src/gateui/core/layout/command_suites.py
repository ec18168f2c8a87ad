"""Command suites: a suite that is a command (``make test-unit``, ``tox -e py311``, ``nox -s unit``,
``./tools/test.sh --smoke-backend``), declared or proposed from the repository's files.

Declared: ``[tool.gateui.suites.NAME] command = "…"`` (optional ``cwd``, ``shell``, ``junit``).
Proposed, from the files of a project's root folder (reading text only, nothing is executed):

- Makefile targets whose recipes run tests (``step_commands`` classifies them as CI steps are);
- executable scripts directly under ``tools/`` or ``scripts/`` whose name says test, plus one suite
  per mode flag the script offers (its ``case`` arms and its usage text: ``--smoke-backend``);
- tox environments (``[tox] envlist`` and ``[testenv:…]`` of tox.ini, tox.toml, pyproject.toml)
  and nox sessions (``@nox.session`` functions of noxfile.py) that run tests.

A command runs without a shell unless the suite says ``shell = true``: its words are split like a
shell would split them (``shlex``) and nothing a change or a file name contributes is ever passed
through a shell.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateui.core.commands.classify import (
    TEST,
    classify_line,
    parse_makefile,
)
from gateui.core.common.config import SuiteSpec, load_toml
from gateui.core.common.errors import ConfigError, GateuiError
from gateui.core.common.paths import relative_path
from gateui.core.common.python_ast import parse_module
from gateui.core.layout.suites import Suite

_MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
_SCRIPT_FOLDERS = ("tools", "scripts")
_TESTY_NAME = re.compile(
    r"(?:^|[-_.])(?:tests?|smoke|e2e|unit|integration|functional|acceptance)(?:[-_.]|$)",
    re.I,
)
_NOT_TESTS = re.compile(
    r"lint|format|fmt|style|typ(?:e|ing)|mypy|docs?|build|release|publish", re.I
)
_CASE_ARM = re.compile(
    r"^\s*\(?\s*((?:-{1,2}[A-Za-z][\w-]*)(?:\s*\|\s*-{1,2}[A-Za-z][\w-]*)*)\s*\)"
)
_FLAG = re.compile(r"(?<![\w-])(--[A-Za-z][\w-]*)")
_HELP_FLAGS = {"-h", "--help", "-v", "--version", "--verbose", "-q", "--quiet"}
_RUNS_TESTS = re.compile(r"\bpytest\b|\bunittest\b|\bcoverage run\b|\bpy\.test\b|manage\.py test")


@dataclass(frozen=True)
class CommandSuite:
    """A suite that is a command, and where it comes from."""

    name: str
    command: str
    """The command line as a person would type it in ``cwd``."""
    cwd: Path
    source: str
    """Where it was found or declared: ``backend/Makefile:7``, ``tools/test.sh``…"""
    shell: bool = False
    junit: str | None = None
    """A JUnit XML report the command writes (relative to ``cwd``)."""
    declared: bool = False

    def argv(self) -> list[str]:
        """The words to execute without a shell (``shell = true`` suites: see command_runner)."""
        try:
            words = shlex.split(self.command)
        except ValueError as exc:
            raise GateuiError(f"suite {self.name!r}: cannot split {self.command!r}: {exc}") from exc
        if not words:
            raise GateuiError(f"suite {self.name!r}: empty command")
        return words


def declared_command_suite(spec: SuiteSpec, declared_in: Path, repo_root: Path) -> CommandSuite:
    """A ``[tool.gateui.suites.NAME]`` with ``command``, its cwd resolved from where it is
    declared."""
    assert spec.command is not None
    cwd = (declared_in / spec.cwd).resolve() if spec.cwd else declared_in
    source = relative_path(declared_in / "pyproject.toml", repo_root)
    return CommandSuite(
        name=spec.name,
        command=spec.command,
        cwd=cwd,
        source=f"{source}, tool.gateui.suites.{spec.name}",
        shell=spec.shell,
        junit=spec.junit,
        declared=True,
    )


def proposed_command_suites(folder: Path, repo_root: Path) -> list[CommandSuite]:
    """Command suites the files of ``folder`` suggest, names made unique among themselves."""
    found: list[CommandSuite] = []
    for propose in (_make_suites, _script_suites, _tox_suites, _nox_suites):
        try:
            found.extend(propose(folder, repo_root))
        except (OSError, ValueError, SyntaxError, ConfigError, configparser.Error):
            continue  # a file gateui cannot read proposes nothing; it is not an error
    return unique_names(found)


def unique_names(suites: Iterable[CommandSuite], taken: Iterable[str] = ()) -> list[CommandSuite]:
    """The first suite keeps a name; a later one with the same name gets its tool as prefix."""
    used = set(taken)
    result = []
    for suite in suites:
        name = suite.name
        if name in used:
            tool = suite.command.split()[0].rsplit("/", 1)[-1].split(".", 1)[0]
            name = f"{tool}-{name}"
        if name in used:
            continue
        used.add(name)
        result.append(suite if name == suite.name else _renamed(suite, name))
    return result


def _renamed(suite: CommandSuite, name: str) -> CommandSuite:
    return CommandSuite(
        name, suite.command, suite.cwd, suite.source, suite.shell, suite.junit, suite.declared
    )


# -- make ---------------------------------------------------------------------------------------
def _make_suites(folder: Path, repo_root: Path) -> list[CommandSuite]:
    makefile = next((folder / n for n in _MAKEFILES if (folder / n).is_file()), None)
    if makefile is None:
        return []
    text = makefile.read_text(encoding="utf-8", errors="replace")
    suites = []
    lines = text.splitlines()
    for target, recipe in parse_makefile(text).items():
        if "%" in target or target.startswith("."):
            continue
        kind = classify_line(f"make {target}", makefile=lambda _folder: text).kind
        if kind != TEST:
            continue
        if not recipe.strip() and not _TESTY_NAME.search(target) and target != "test":
            continue
        line = next(
            (i for i, raw in enumerate(lines, 1) if re.match(rf"^{re.escape(target)}\s*:", raw)),
            None,
        )
        where = relative_path(makefile, repo_root) + (f":{line}" if line else "")
        suites.append(CommandSuite(target, f"make {target}", folder, where))
    return suites


# -- scripts -------------------------------------------------------------------------------------
def _script_suites(folder: Path, repo_root: Path) -> list[CommandSuite]:
    suites = []
    for sub in _SCRIPT_FOLDERS:
        scripts = folder / sub
        if not scripts.is_dir():
            continue
        for path in sorted(scripts.iterdir()):
            if not (path.is_file() and os.access(path, os.X_OK)):
                continue
            stem = path.name.split(".", 1)[0]
            if not _TESTY_NAME.search(stem) or _NOT_TESTS.search(stem):
                continue
            command = f"./{sub}/{path.name}"
            where = relative_path(path, repo_root)
            suites.append(CommandSuite(stem, command, folder, where))
            for flag in script_flags(path.read_text(encoding="utf-8", errors="replace")):
                name = flag.lstrip("-")
                suites.append(CommandSuite(name, f"{command} {flag}", folder, f"{where} {flag}"))
    return suites


def script_flags(text: str) -> list[str]:
    """The mode flags a script offers: the arms of its ``case`` statements and the options its
    usage text names (``usage: tools/test.sh [--smoke-backend …]``), help flags left out."""
    flags: list[str] = []
    in_case = 0
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") and "usage" not in line.lower():
            continue
        if re.match(r"^case\b", line):
            in_case += 1
        elif re.match(r"^esac\b", line):
            in_case = max(0, in_case - 1)
        elif in_case:
            arm = _CASE_ARM.match(line)
            if arm:
                flags.extend(a.strip() for a in arm.group(1).split("|"))
        if "usage" in line.lower():
            flags.extend(_FLAG.findall(line))
    seen: dict[str, None] = {}
    for flag in flags:
        if flag not in _HELP_FLAGS and flag.startswith("--"):
            seen.setdefault(flag, None)
    return list(seen)


# -- tox ------------------------------------------------------------------------------------------
def _tox_suites(folder: Path, repo_root: Path) -> list[CommandSuite]:
    envs: dict[str, str] = {}  # name -> commands text
    where = ""
    ini = folder / "tox.ini"
    toml = folder / "tox.toml"
    pyproject = folder / "pyproject.toml"
    if ini.is_file():
        envs, where = _tox_ini(ini.read_text(encoding="utf-8", errors="replace")), str(ini)
    elif toml.is_file():
        envs, where = _tox_toml(load_toml(toml)), str(toml)
    elif pyproject.is_file():
        table = load_toml(pyproject).get("tool", {}).get("tox")
        if isinstance(table, dict):
            legacy = table.get("legacy_tox_ini")
            envs = _tox_ini(legacy) if isinstance(legacy, str) else _tox_toml(table)
            where = str(pyproject)
    if not envs:
        return []
    source = relative_path(Path(where), repo_root)
    return [
        CommandSuite(f"tox-{name}", f"tox -e {name}", folder, f"{source} [{name}]")
        for name, commands in envs.items()
        if _runs_tests(name, commands)
    ]


def _tox_ini(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    section = "tox" if parser.has_section("tox") else "tox:tox"
    listed: list[str] = []
    if parser.has_section(section):
        raw = parser.get(section, "envlist", fallback="") or parser.get(
            section, "env_list", fallback=""
        )
        listed = _env_names(raw)
    base = parser.get("testenv", "commands", fallback="") if parser.has_section("testenv") else ""
    envs = {name: base for name in listed}
    for name in parser.sections():
        if name.startswith("testenv:"):
            for env in expand_braces(name.split(":", 1)[1].strip()):
                envs[env] = parser.get(name, "commands", fallback=base)
    return envs


def _tox_toml(table: dict[str, object]) -> dict[str, str]:
    listed = table.get("env_list") or table.get("envlist") or []
    envs: dict[str, str] = {}
    base = table.get("env_run_base")
    base_text = str(base.get("commands", "")) if isinstance(base, dict) else ""
    if isinstance(listed, list):
        envs.update({str(name): base_text for name in listed})
    own = table.get("env")
    if isinstance(own, dict):
        for name, body in own.items():
            commands = body.get("commands", base_text) if isinstance(body, dict) else base_text
            envs[str(name)] = str(commands)
    return envs


def _env_names(raw: str) -> list[str]:
    """Names of an envlist: separated by commas or lines, commas inside braces kept."""
    names: list[str] = []
    depth, current = 0, ""
    for char in raw + "\n":
        if char in ",\n" and depth == 0:
            part = current.strip()
            if part and not part.startswith("#"):
                names.extend(expand_braces(part))
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        current += char
    return names


def expand_braces(text: str) -> list[str]:
    """tox's generative names: ``py{310,311}-unit`` → ``py310-unit``, ``py311-unit``."""
    match = re.search(r"\{([^{}]*)\}", text)
    if match is None:
        return [text]
    head, tail = text[: match.start()], text[match.end() :]
    result = []
    for choice in match.group(1).split(","):
        result.extend(expand_braces(head + choice.strip() + tail))
    return result


def _runs_tests(name: str, commands: str) -> bool:
    """A tox env / nox session that runs tests: not named for linting, typing or docs, and
    either running a test runner or named like a test env (``py311``, ``unit``, ``e2e``). tox's
    own environments (``.pkg``, ``.package``: the package build) run no commands."""
    if _NOT_TESTS.search(name) or name.startswith("."):
        return False
    if _RUNS_TESTS.search(commands):
        return True
    return bool(re.match(r"^(py\d*|pypy\d*)(?:[-_]|$)", name) or _TESTY_NAME.search(name))


# -- nox -------------------------------------------------------------------------------------------
def _nox_suites(folder: Path, repo_root: Path) -> list[CommandSuite]:
    noxfile = folder / "noxfile.py"
    if not noxfile.is_file():
        return []
    text = noxfile.read_text(encoding="utf-8", errors="replace")
    tree = parse_module(text, filename=str(noxfile))
    source = relative_path(noxfile, repo_root)
    suites = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        name = _nox_session_name(node)
        if name is None:
            continue
        body = ast.get_source_segment(text, node) or ""
        if _runs_tests(name, body):
            suites.append(
                CommandSuite(f"nox-{name}", f"nox -s {name}", folder, f"{source}:{node.lineno}")
            )
    return suites


def _nox_session_name(node: ast.FunctionDef) -> str | None:
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call is not None else decorator
        if not _is_session(target):
            continue
        if call is not None:
            for keyword in call.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
        return node.name
    return None


def _is_session(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "session" and isinstance(node.value, ast.Name)
    return isinstance(node, ast.Name) and node.id == "session"


def folder_command_suites(
    folder: Path, repo_root: Path, specs: Mapping[str, SuiteSpec], taken: Iterable[str] = ()
) -> list[CommandSuite]:
    """The command suites of one folder: those declared for it, then those its files propose
    (a proposal whose name another suite has is offered as ``make-NAME``, ``tox-…``, …)."""
    declared = [
        declared_command_suite(spec, spec.declared_in or folder, repo_root)
        for spec in specs.values()
        if spec.command is not None
    ]
    names = {*taken, *(d.name for d in declared)}
    return declared + unique_names(proposed_command_suites(folder, repo_root), names)


def match_command_suite(suites: Sequence[CommandSuite], name: str) -> CommandSuite | None:
    """The suite called ``name``, or proposed as ``name`` with its tool in front (``make-test``)."""
    for suite in suites:
        if suite.name == name:
            return suite
    for suite in suites:
        tool = suite.command.split()[0].rsplit("/", 1)[-1].split(".", 1)[0]
        if not suite.declared and name == f"{tool}-{suite.name}":
            return suite
    return None


def as_suite(suite: CommandSuite, repo_root: Path) -> Suite:
    return Suite(
        suite.name,
        "command",
        0,
        command=suite.command,
        cwd=relative_path(suite.cwd, repo_root),
        source=suite.source,
    )
