"""What a CI command line does: run tests (pytest in its forms, make / tox / nox, test scripts) or
set up, lint, build, deploy. And pytest's own arguments: which need a plugin, which are paths.

Classification reads text only; nothing is executed here.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gateui.core.commands.pytest_args import PytestCall, parse_pytest_call
from gateui.core.commands.words import (
    make_invocation,
    skip_launcher_options,
    strip_prefixes,
)

# Kinds of a command, from "runs tests" down to "nothing to see".
TEST, SETUP, LINT, BUILD, DEPLOY, OTHER, NEUTRAL = (
    "test",
    "setup",
    "lint",
    "build",
    "deploy",
    "other",
    "neutral",
)
_RANK = {TEST: 6, DEPLOY: 5, BUILD: 4, LINT: 3, SETUP: 2, OTHER: 1, NEUTRAL: 0}
NOT_RUN_LABEL = {
    SETUP: "a setup step",
    LINT: "a lint step",
    BUILD: "a build step",
    DEPLOY: "a deploy step",
    OTHER: "not a test step",
    NEUTRAL: "not a test step",
}

_PYTHON = re.compile(r"^(?:.*/)?(?:python(?:\d+(?:\.\d+)?)?|py|pypy\d*)$")
_SHELL_OPERATORS = ("&&", "||", ";", "|", "&")
_NEUTRAL = {
    "cd",
    "echo",
    "printf",
    "export",
    "set",
    "unset",
    "source",
    ".",
    "mkdir",
    "ls",
    "cat",
    "true",
    ":",
    "pwd",
    "env",
    "test",
    "[",
    "if",
    "then",
    "else",
    "fi",
    "for",
    "do",
    "done",
    "while",
    "case",
    "esac",
    "rm",
    "cp",
    "mv",
    "touch",
    "chmod",
    "exit",
    "sleep",
}
_SETUP = {
    "pip",
    "pip3",
    "apt",
    "apt-get",
    "brew",
    "yum",
    "dnf",
    "apk",
    "choco",
    "conda",
    "mamba",
    "micromamba",
    "virtualenv",
    "pyenv",
    "git",
    "curl",
    "wget",
    "corepack",
    "rustup",
    "asdf",
}
_LINT = {
    "ruff",
    "flake8",
    "black",
    "isort",
    "mypy",
    "pylint",
    "pyright",
    "pre-commit",
    "codespell",
    "bandit",
    "yamllint",
    "shellcheck",
    "eslint",
    "prettier",
    "pydocstyle",
    "pycodestyle",
    "autopep8",
    "darglint",
    "vulture",
    "actionlint",
    "hadolint",
    "markdownlint",
    "typos",
}
_LINT_MODULES = _LINT | {"pyflakes", "pycodestyle", "mypy.stubtest"}
_BUILD = {"mkdocs", "sphinx-build", "twine-check", "maturin", "cibuildwheel"}
_DEPLOY = {
    "twine",
    "gh",
    "kubectl",
    "helm",
    "terraform",
    "aws",
    "gcloud",
    "az",
    "ssh",
    "scp",
    "rsync",
    "flyctl",
    "heroku",
    "vercel",
    "netlify",
}
_TEST_WORDS = re.compile(r"test|check|smoke|unit|integration|e2e|spec|verify|\bci\b", re.I)
_LINT_WORDS = re.compile(r"lint|format|fmt|style|typecheck|type-check|mypy|ruff", re.I)
_BUILD_WORDS = re.compile(r"build|dist|docs|wheel|package|compile", re.I)
_DEPLOY_WORDS = re.compile(r"deploy|release|publish|upload|push", re.I)
_SETUP_WORDS = re.compile(r"install|setup|deps|bootstrap|venv|sync|init", re.I)


@dataclass(frozen=True)
class Classified:
    kind: str
    """One of the kinds above: the most significant over the line's commands."""
    detail: str = ""
    """What was recognised (``pytest``, ``make test-unit``, ``pip install``…)."""
    pytest: PytestCall | None = None
    """Set when the whole line is one plain pytest invocation."""
    segments: tuple[tuple[str, str], ...] = field(default=())
    """(kind, detail) of every command of the line."""


MakefileReader = Callable[[str], str | None]


def simple_commands(line: str) -> list[list[str]]:
    """The simple commands of a line, split at && || ; | & (quotes respected)."""
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
    except ValueError:
        return [line.split()]
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token in _SHELL_OPERATORS or set(token) <= set(";&|"):
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def logical_lines(script: str) -> list[str]:
    """Lines of a shell script with backslash continuations joined, blanks and comments out."""
    lines: list[str] = []
    pending = ""
    for raw in script.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line = (pending + raw).strip()
        pending = ""
        if line and not line.startswith("#"):
            lines.append(line)
    if pending.strip():
        lines.append(pending.strip())
    return lines


def classify_script(script: str, makefile: MakefileReader | None = None) -> Classified:
    """The kind of a whole ``run:`` script: a test step if any of its commands runs tests."""
    lines = logical_lines(script)
    if len(lines) == 1:
        return classify_line(lines[0], makefile)
    segments: list[tuple[str, str]] = []
    for line in lines:
        segments.extend(classify_line(line, makefile).segments)
    return _combine(segments, None)


def classify_line(line: str, makefile: MakefileReader | None = None) -> Classified:
    parts = simple_commands(line)
    segments = [_classify_words(words, makefile) for words in parts]
    pytest_call = None
    if len(parts) == 1 and segments and segments[0][0] == TEST and not needs_shell(line):
        pytest_call = parse_pytest_call(parts[0])
    return _combine(segments, pytest_call)


def _combine(segments: Sequence[tuple[str, str]], call: PytestCall | None) -> Classified:
    if not segments:
        return Classified(NEUTRAL)
    best = max(segments, key=lambda s: _RANK[s[0]])
    return Classified(best[0], best[1], call, tuple(segments))


def needs_shell(line: str) -> bool:
    """Expansions, globs, redirections or operators: only a shell can run this line as meant."""
    stripped = re.sub(r"'[^']*'", "", line)
    return bool(re.search(r"[$`*?~<>|;&(){}]", stripped)) or "\n" in line


def _classify_words(words: list[str], makefile: MakefileReader | None) -> tuple[str, str]:
    words, _ = strip_prefixes(words)
    if not words:
        return NEUTRAL, ""
    head = words[0]
    base = head.rsplit("/", 1)[-1]
    if base in ("pytest", "py.test"):
        return TEST, "pytest"
    if _PYTHON.match(head):
        return _classify_python(words[1:])
    if base in ("uv", "poetry", "pdm", "pipenv", "hatch", "rye", "uvx", "pixi", "pipx"):
        return _classify_launcher(base, words[1:], makefile)
    if base in ("tox", "nox"):
        return TEST, base
    if base == "make" or base == "gmake":
        return _classify_make(words[1:], makefile)
    if base in ("npm", "yarn", "pnpm", "bun"):
        return _classify_js(words[1:])
    if base in ("mix", "go", "cargo", "dotnet", "gradle", "mvn", "./gradlew", "gradlew"):
        if len(words) > 1 and words[1] == "test":
            return TEST, f"{base} test"
        return (BUILD if len(words) > 1 and words[1] == "build" else OTHER), base
    if base in ("bash", "sh", "zsh") and len(words) > 1 and not words[1].startswith("-"):
        return _classify_script_path(words[1])
    if base == "docker":
        sub = words[1] if len(words) > 1 else ""
        if sub == "build":
            return BUILD, "docker build"
        if sub == "push":
            return DEPLOY, "docker push"
        return OTHER, f"docker {sub}".strip()
    if base == "coverage":
        sub = words[1] if len(words) > 1 else ""
        if sub == "run":
            return TEST, "coverage run"
        if any(w.startswith("--fail-under") for w in words):
            return TEST, f"coverage {sub} --fail-under"
        return OTHER, f"coverage {sub}".strip()
    if "/" in head and not _PYTHON.match(head):
        # A path is the project's own script (``scripts/test``), never a builtin of that name.
        return _classify_script_path(head)
    if base in _NEUTRAL:
        return NEUTRAL, base
    if base in _SETUP:
        return SETUP, " ".join(words[:2])
    if base in _LINT:
        return LINT, base
    if base in _BUILD:
        return BUILD, base
    if base in _DEPLOY:
        return DEPLOY, base
    if "/" in head or head.endswith((".sh", ".py", ".bash")):
        return _classify_script_path(head)
    return OTHER, base


def _classify_python(rest: list[str]) -> tuple[str, str]:
    options = list(rest)
    while options and options[0].startswith("-") and options[0] != "-m":
        options = options[1:]
    if len(options) >= 2 and options[0] == "-m":
        module = options[1]
        if module in ("pytest", "py.test"):
            return TEST, "python -m pytest"
        if module in ("unittest", "tox", "nox", "xmlrunner"):
            return TEST, f"python -m {module}"
        if module in ("pip", "venv", "ensurepip", "pipx", "virtualenv"):
            return SETUP, f"python -m {module}"
        if module in ("build", "twine"):
            return (BUILD if module == "build" else DEPLOY), f"python -m {module}"
        if module in _LINT_MODULES:
            return LINT, f"python -m {module}"
        if module == "coverage":
            return (TEST if "run" in options[2:3] else OTHER), "python -m coverage"
        return OTHER, f"python -m {module}"
    if options and options[0] == "-c":
        return OTHER, "python -c"
    if options:
        return _classify_script_path(options[0], python=True)
    return OTHER, "python"


def _classify_script_path(path: str, python: bool = False) -> tuple[str, str]:
    label = f"python {path}" if python else path
    return _classify_target_name(path.lower(), label)


def _classify_launcher(
    tool: str, rest: list[str], makefile: MakefileReader | None
) -> tuple[str, str]:
    if tool == "uvx":
        return _classify_words(skip_launcher_options(rest), makefile)
    if not rest:
        return OTHER, tool
    sub = rest[0]
    if sub == "run" or (tool == "hatch" and sub == "test"):
        if tool == "hatch" and sub == "test":
            return TEST, "hatch test"
        inner = skip_launcher_options(rest[1:])
        if tool == "hatch" and inner and not inner[0].startswith("-"):
            script = inner[0].split(":", 1)[-1]
            if _TEST_WORDS.search(script) and not _PYTHON.match(inner[0]):
                return TEST, f"hatch run {inner[0]}"
        kind, detail = _classify_words(inner, makefile)
        return kind, f"{tool} run {detail}".strip()
    if sub in ("sync", "install", "lock", "add", "venv", "pip", "self", "python", "tool", "env"):
        return SETUP, f"{tool} {sub}"
    if sub in ("build",):
        return BUILD, f"{tool} build"
    if sub in ("publish",):
        return DEPLOY, f"{tool} publish"
    return OTHER, f"{tool} {sub}"


def _classify_js(rest: list[str]) -> tuple[str, str]:
    if not rest:
        return SETUP, "npm install"
    sub = rest[0]
    if sub in ("test", "t"):
        return TEST, f"npm {sub}"
    if sub in ("ci", "install", "i", "add"):
        return SETUP, f"npm {sub}"
    if sub == "run" and len(rest) > 1:
        return _classify_target_name(rest[1], f"npm run {rest[1]}")
    return _classify_target_name(sub, f"npm {sub}")


def _classify_target_name(name: str, label: str) -> tuple[str, str]:
    if _TEST_WORDS.search(name):
        return TEST, label
    if _LINT_WORDS.search(name):
        return LINT, label
    if _DEPLOY_WORDS.search(name):
        return DEPLOY, label
    if _BUILD_WORDS.search(name):
        return BUILD, label
    if _SETUP_WORDS.search(name):
        return SETUP, label
    return OTHER, label


def _classify_make(rest: list[str], makefile: MakefileReader | None) -> tuple[str, str]:
    directory, targets = make_invocation(rest)
    recipes = parse_makefile(makefile(directory) if makefile else None)
    if not targets and recipes:
        targets = [next(iter(recipes))]
    if not targets:
        return OTHER, "make"
    best: tuple[str, str] = (NEUTRAL, "")
    for target in targets:
        kind, _ = _classify_target_name(target, "")
        recipe = recipes.get(target, "")
        if kind == OTHER and recipe:
            kind = classify_script(recipe).kind
        if re.search(r"\bpytest\b|\btox\b|\bnox\b|unittest", recipe) and kind != TEST:
            kind = TEST
        if _RANK[kind] > _RANK[best[0]]:
            best = (kind, f"make {target}")
    return best


def parse_makefile(text: str | None) -> dict[str, str]:
    """Targets of a Makefile with their recipes (variables unexpanded), in file order."""
    if not text:
        return {}
    recipes: dict[str, str] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("\t"):
            for target in current:
                recipes[target] += line[1:] + "\n"
            continue
        match = re.match(r"^([A-Za-z0-9_.%/\-][A-Za-z0-9_.%/\- ]*):(?![=:])", line)
        if match and not line.startswith("."):
            current = [t for t in match.group(1).split() if t]
            for target in current:
                recipes.setdefault(target, "")
        elif line.strip() and not line.startswith("#"):
            current = []
    return recipes


def quote_command(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)
