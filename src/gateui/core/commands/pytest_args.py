"""pytest's own arguments on a command line: the call itself (``pytest``, ``python -m pytest``,
through launchers), which arguments need a plugin, which are paths, and the flags a gate reads
(random order, strict markers)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gateui.core.commands.words import skip_launcher_options, strip_prefixes

_PYTHON = re.compile(r"^(?:.*/)?(?:python(?:\d+(?:\.\d+)?)?|py|pypy\d*)$")


@dataclass(frozen=True)
class PytestCall:
    """A command line that is one pytest invocation, nothing around it."""

    entry: str
    """"module" (``python -m pytest``: the current folder is on sys.path) or "console"
    (the ``pytest`` script, ``uv run pytest``…: it is not)."""
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    """Leading ``NAME=value`` assignments."""
    launcher: str = ""
    """What ran pytest in CI when not plain (``uv run``, ``poetry run``), for messages."""


def parse_pytest_call(words: list[str]) -> PytestCall | None:
    """``pytest …``, ``python -m pytest …``, ``uv run pytest …``, ``poetry run pytest …``."""
    words, env = strip_prefixes(words)
    launcher = ""
    if words and words[0].rsplit("/", 1)[-1] in ("uv", "poetry", "pdm", "pipenv", "hatch", "rye"):
        if len(words) < 2 or words[1] != "run":
            return None
        launcher = f"{words[0].rsplit('/', 1)[-1]} run"
        words = skip_launcher_options(words[2:])
    if not words:
        return None
    head = words[0].rsplit("/", 1)[-1]
    if head in ("pytest", "py.test"):
        return PytestCall("console", tuple(words[1:]), tuple(env), launcher)
    if (
        _PYTHON.match(words[0])
        and len(words) >= 3
        and words[1] == "-m"
        and words[2] in ("pytest", "py.test")
    ):
        return PytestCall("module", tuple(words[3:]), tuple(env), launcher)
    return None


# Options of pytest (and common plugins) that take a value; everything else starting with "-"
# is a flag, and a bare word is a path or node id.
_VALUE_OPTIONS = {
    "-m",
    "-k",
    "-p",
    "-c",
    "-o",
    "-W",
    "-r",
    "-n",
    "--maxfail",
    "--rootdir",
    "--confcutdir",
    "--basetemp",
    "--junitxml",
    "--junit-xml",
    "--junit-prefix",
    "--ignore",
    "--ignore-glob",
    "--deselect",
    "--tb",
    "--durations",
    "--durations-min",
    "--capture",
    "--log-level",
    "--log-format",
    "--log-date-format",
    "--log-file",
    "--log-file-level",
    "--log-file-format",
    "--log-file-date-format",
    "--log-cli-level",
    "--log-cli-format",
    "--log-cli-date-format",
    "--import-mode",
    "--override-ini",
    "--config-file",
    "--color",
    "--code-highlight",
    "--show-capture",
    "--pythonwarnings",
    "--assert",
    "--verbosity",
    "--doctest-glob",
    "--doctest-report",
    "--report-log",
    "--numprocesses",
    "--maxprocesses",
    "--dist",
    "--max-worker-restart",
    "--tx",
    "--rsyncdir",
    "--cov-report",
    "--cov-fail-under",
    "--cov-config",
    "--cov-context",
    "--random-order-bucket",
    "--random-order-seed",
    "--randomly-seed",
    "--reruns",
    "--reruns-delay",
    "--only-rerun",
    "--timeout",
    "--timeout-method",
    "--json-report-file",
    "--html",
    "--asyncio-mode",
    "--benchmark-min-rounds",
    "--lfnf",
    "--last-failed-no-failures",
    "--cache-show",
}
# Options whose value is optional (argparse nargs="?"): the next word is the value unless it is
# an option.
_OPTIONAL_VALUE = {"--cov", "--debug"}
_SHORT_WITH_VALUE = {"-m", "-k", "-p", "-c", "-o", "-W", "-r", "-n"}


@dataclass(frozen=True)
class PytestArg:
    tokens: tuple[str, ...]
    name: str | None
    """The option's name (``--cov-fail-under``), None for a positional."""
    value: str | None


def split_pytest_args(args: Sequence[str]) -> list[PytestArg]:
    """Group pytest's arguments into options (with their values) and positionals."""
    result: list[PytestArg] = []
    words = list(args)
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == "--":
            result.extend(PytestArg((w,), None, w) for w in words[index:])
            break
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            if eq:
                result.append(PytestArg((word,), name, value))
            elif (name in _VALUE_OPTIONS and index < len(words)) or (
                name in _OPTIONAL_VALUE and index < len(words) and not words[index].startswith("-")
            ):
                result.append(PytestArg((word, words[index]), name, words[index]))
                index += 1
            else:
                result.append(PytestArg((word,), name, None))
        elif word.startswith("-") and len(word) > 1:
            short = word[:2]
            if short in _SHORT_WITH_VALUE:
                if len(word) > 2:
                    result.append(PytestArg((word,), short, word[2:]))
                elif index < len(words):
                    result.append(PytestArg((word, words[index]), short, words[index]))
                    index += 1
                else:
                    result.append(PytestArg((word,), short, None))
            else:
                result.append(PytestArg((word,), word, None))
        else:
            result.append(PytestArg((word,), None, word))
    return result


@dataclass(frozen=True)
class PluginFlag:
    distribution: str
    """The PyPI name that provides the option."""
    label: str
    """What the option does, for messages."""


def plugin_of(arg: PytestArg) -> PluginFlag | None:
    """The plugin a pytest option needs, if it is one of the well-known ones."""
    name = arg.name or ""
    if name in ("-n", "--numprocesses", "--maxprocesses", "--dist", "--max-worker-restart"):
        return PluginFlag("pytest-xdist", "parallel run")
    if name in ("--tx", "--rsyncdir", "--looponfail", "-f"):
        return PluginFlag("pytest-xdist", "xdist option")
    if name.startswith("--cov") or name == "--no-cov":
        return PluginFlag("pytest-cov", "coverage")
    if name.startswith("--random-order"):
        return PluginFlag("pytest-random-order", "random order")
    if name.startswith("--randomly"):
        return PluginFlag("pytest-randomly", "random order")
    if name in ("--reruns", "--reruns-delay", "--only-rerun"):
        return PluginFlag("pytest-rerunfailures", "reruns")
    if name in ("--timeout", "--timeout-method"):
        return PluginFlag("pytest-timeout", "timeouts")
    if name.startswith("--json-report"):
        return PluginFlag("pytest-json-report", "JSON report")
    if name in ("--html", "--self-contained-html"):
        return PluginFlag("pytest-html", "HTML report")
    if name.startswith("--benchmark"):
        return PluginFlag("pytest-benchmark", "benchmarks")
    if name == "--asyncio-mode":
        return PluginFlag("pytest-asyncio", "asyncio mode")
    if name == "-p" and arg.value in ("xdist", "xdist.plugin"):
        return PluginFlag("pytest-xdist", "parallel run")
    if name == "-p" and arg.value and arg.value.startswith("random_order"):
        return PluginFlag("pytest-random-order", "random order")
    return None


def option_value(args: Sequence[str], *names: str) -> str | None:
    for arg in split_pytest_args(args):
        if arg.name in names:
            return arg.value
    return None


def has_option(args: Sequence[str], *names: str) -> bool:
    return any(arg.name in names for arg in split_pytest_args(args))


def wants_random_order(args: Sequence[str]) -> bool:
    for arg in split_pytest_args(args):
        flag = plugin_of(arg)
        if flag is not None and flag.distribution == "pytest-random-order":
            return True
    return False


_NOT_MARKED = re.compile(
    r"^\s*(?:not\s+\(\s*(?P<ors>[\w\s]+?)\s*\)|(?P<ands>not\s+\w+(?:\s+and\s+not\s+\w+)*))\s*$"
)


def unmarked_check_markers(args: Sequence[str]) -> tuple[str, ...] | None:
    """For ``-m "not unit and not integration" --co``: the markers every test should carry.

    That command is a common way to check "every test is unit or integration" in CI.
    """
    if not has_option(args, "--co", "--collect-only"):
        return None
    expression = option_value(args, "-m")
    if not expression:
        return None
    match = _NOT_MARKED.match(expression)
    if not match:
        return None
    if match.group("ors"):
        names = [n.strip() for n in match.group("ors").split(" or ")]
    else:
        names = [n.strip()[len("not ") :].strip() for n in match.group("ands").split(" and ")]
    if not names or not all(re.fullmatch(r"\w+", n) for n in names):
        return None
    return tuple(names)
