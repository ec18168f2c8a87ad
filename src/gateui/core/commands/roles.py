"""The role of a CI ``run:`` step for the PR gate: environment setup, publishing, or a check.

The gate runs every step that checks something, and leaves out only what must not or cannot run on
a developer's machine: environment setup (installing dependencies or interpreters: the gate runs
with the project's own environment), and publishing or deployment (uploads, releases, pushes). Both
are recognised by what a command does — its program and subcommand, seen through launchers
(``uv run``, ``uvx``, ``poetry run``, ``hatch run``, ``pipx run``…) and, for a project script or a
make target, through the script's or the recipe's own commands. Never by words in a name: a script
called ``scripts/test`` or ``scripts/deploy.sh`` runs unless its content installs or publishes.
Anything not clearly setup or publishing is a check, and runs.

Reading text only; nothing is executed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gateui.core.commands.classify import parse_makefile, simple_commands
from gateui.core.commands.words import make_invocation, skip_launcher_options, strip_prefixes

SETUP, PUBLISH, CHECK, NEUTRAL = "setup", "publish", "check", "neutral"

FileReader = Callable[[str], "str | None"]
"""Reads a file relative to the step's working directory (None when it does not exist)."""

_MAX_DEPTH = 3

_NEUTRAL = {
    "cd", "echo", "printf", "export", "set", "unset", "source", ".", "mkdir", "pwd",
    "true", ":", "shopt", "trap", "alias", "ulimit", "umask", "local", "declare",
}  # fmt: skip
_INSTALLERS = {
    "apt", "apt-get", "brew", "yum", "dnf", "apk", "choco", "winget", "pacman", "zypper",
    "port", "pyenv", "asdf", "rustup", "corepack", "nvm", "sdk", "virtualenv", "ensurepip",
    "curl", "wget", "mise", "rtx", "volta", "fnm",
}  # fmt: skip
_CONDA = {"conda", "mamba", "micromamba"}
_DEPLOY_TOOLS = {
    "aws",
    "gcloud",
    "az",
    "flyctl",
    "fly",
    "heroku",
    "vercel",
    "netlify",
    "ssh",
    "scp",
    "gh",
    "ghr",
    "semantic-release",
    "doctl",
    "firebase",
    "wrangler",
}
_KUBE_WRITES = {"apply", "delete", "create", "replace", "patch", "rollout", "install", "upgrade",
                "uninstall", "push", "set", "scale"}  # fmt: skip
_PUBLISH_SUBCOMMANDS = {"publish", "upload", "deploy", "release"}
_PIP_SETUP = {"install", "uninstall", "download", "wheel", "cache", "config"}
_GIT_SETUP = {"fetch", "clone", "submodule", "config", "checkout", "switch", "pull", "lfs",
              "remote", "sparse-checkout", "worktree", "init"}  # fmt: skip
_PYTHON = re.compile(r"^(?:.*/)?(?:python(?:\d+(?:\.\d+)?)?|py|pypy\d*)$")
_LAUNCHERS = {"uv", "poetry", "pdm", "pipenv", "hatch", "rye", "pixi", "uvx", "pipx", "conda"}
_LAUNCHER_SETUP = {"sync", "install", "add", "remove", "venv", "self", "python", "init",
                   "update", "shell", "env", "use", "fetch", "toolchain", "ensurepath",
                   "inject", "upgrade", "reinstall"}  # fmt: skip
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_MAKE_VARIABLE = re.compile(r"^\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]$")


@dataclass(frozen=True)
class Role:
    kind: str
    """setup, publish, check or neutral (``cd``, ``echo``…: nothing either way)."""
    detail: str = ""
    """The command that decided it, as it runs (``pip install``, ``twine upload``, ``ruff``)."""


_STDIN = Role(NEUTRAL, "reads its program from stdin")


@dataclass(frozen=True)
class ScriptCommand:
    """One command of a ``run:`` script: its raw lines (continuations and a heredoc's body
    included) and what it does."""

    lines: tuple[str, ...]
    role: Role


def script_commands(script: str, read: FileReader | None = None) -> list[ScriptCommand]:
    """The commands of a shell script in order, each with its raw lines (a heredoc's body is part
    of the command that reads it, and never taken for commands of its own)."""
    commands: list[ScriptCommand] = []
    raw = script.splitlines()
    index = 0
    while index < len(raw):
        group = [raw[index]]
        text = raw[index]
        index += 1
        while text.rstrip().endswith("\\") and index < len(raw):
            group.append(raw[index])
            text = text.rstrip()[:-1] + " " + raw[index]
            index += 1
        for match in _HEREDOC.finditer(text):
            terminator = match.group(2)
            while index < len(raw):
                group.append(raw[index])
                index += 1
                if raw[index - 1].strip() == terminator:
                    break
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            role = Role(NEUTRAL)
        else:
            role = line_role(_HEREDOC.sub("", stripped), read)
        commands.append(ScriptCommand(tuple(group), role))
    return commands


def script_role(script: str, read: FileReader | None = None, depth: int = 0) -> Role:
    """A whole step's script: publishing if any command publishes (building a package before
    uploading it is part of publishing); else a check if any command checks; else setup if any
    command sets up; else neutral."""
    roles = [c.role for c in script_commands(script, read if depth < _MAX_DEPTH else None)]
    publishes = [r for r in roles if r.kind == PUBLISH]
    return publishes[0] if publishes else combine(roles)


def combine(roles: Sequence[Role]) -> Role:
    for kind in (CHECK, PUBLISH, SETUP):
        for role in roles:
            if role.kind == kind:
                return role
    return Role(NEUTRAL)


def line_role(line: str, read: FileReader | None = None, depth: int = 0) -> Role:
    """One logical line: publishing wins (a line that publishes never runs here), then a check,
    then setup."""
    roles = [command_role(words, read, depth) for words in simple_commands(line)]
    installs = any(r.kind == SETUP for r in roles)
    # ``curl … | sh`` installs; ``python - <<EOF`` (a heredoc) checks.
    roles = [
        (Role(NEUTRAL) if installs else Role(CHECK, "a program on stdin")) if r == _STDIN else r
        for r in roles
    ]
    for kind in (PUBLISH, CHECK, SETUP):
        for role in roles:
            if role.kind == kind:
                return role
    return Role(NEUTRAL)


def command_role(words: list[str], read: FileReader | None = None, depth: int = 0) -> Role:
    """One simple command (its words, quotes removed)."""
    words, _ = strip_prefixes(words)
    if not words:
        return Role(NEUTRAL)
    head = words[0]
    base = head.rsplit("/", 1)[-1]
    rest = words[1:]
    sub = rest[0] if rest else ""
    if base in ("sh", "bash", "zsh", "dash", "ksh"):
        return _shell_role(rest, read, depth)
    if "/" in head and not _PYTHON.match(head):
        # A path is the project's own script, never a shell builtin of the same name.
        return _script_file_role(head, read, depth)
    if _PYTHON.match(head):
        return _python_role(rest, read, depth)
    if base in _LAUNCHERS:
        return _launcher_role(base, rest, read, depth)
    if base in ("pip", "pip3"):
        return Role(SETUP if sub in _PIP_SETUP else CHECK, f"pip {sub}".strip())
    if base in _CONDA:
        if sub == "run":
            return command_role(skip_launcher_options(rest[1:]), read, depth)
        return Role(SETUP, f"{base} {sub}".strip())
    if base in _INSTALLERS:
        return Role(SETUP, f"{base} {sub}".strip())
    if base == "git":
        return _git_role(rest)
    if base in ("make", "gmake"):
        return _make_role(rest, read, depth)
    if base in ("npm", "yarn", "pnpm", "bun"):
        return _js_role(base, rest, read, depth)
    if base == "docker" or base == "podman":
        if sub == "push" or (sub == "buildx" and "--push" in rest):
            return Role(PUBLISH, f"{base} push")
        if sub == "login":
            return Role(SETUP, f"{base} login")
        return Role(CHECK, f"{base} {sub}".strip())
    if base == "twine":
        return Role(PUBLISH if sub == "upload" else CHECK, f"twine {sub}".strip())
    if base in ("kubectl", "helm", "terraform", "pulumi"):
        writes = sub in _KUBE_WRITES or sub in ("destroy", "up", "import")
        return Role(PUBLISH if writes else CHECK, f"{base} {sub}".strip())
    if base == "rsync":
        remote = any(re.match(r"^[^/\s]+:", w) for w in rest if not w.startswith("-"))
        return Role(PUBLISH if remote else CHECK, "rsync")
    if base in _DEPLOY_TOOLS:
        return Role(PUBLISH, f"{base} {sub}".strip())
    if sub in _PUBLISH_SUBCOMMANDS and base in ("cargo", "gem", "flit", "maturin", "changeset"):
        return Role(PUBLISH, f"{base} {sub}")
    if base in ("mvn", "gradle", "gradlew") and ("deploy" in rest or "publish" in rest):
        return Role(PUBLISH, f"{base} deploy")
    if base == "gem" and sub == "push":
        return Role(PUBLISH, "gem push")
    if base in _NEUTRAL:
        return Role(NEUTRAL, base)
    if head.endswith((".sh", ".bash", ".py")):
        return _script_file_role(head, read, depth)
    return Role(CHECK, " ".join(words[:2]) if rest and not sub.startswith("-") else base)


def _shell_role(rest: list[str], read: FileReader | None, depth: int) -> Role:
    words = list(rest)
    while words and words[0].startswith("-") and words[0] not in ("-c", "-s"):
        words = words[1:]
    if len(words) >= 2 and words[0] == "-c":
        return line_role(words[1], read, depth + 1)
    if words and words[0] not in ("-c", "-s"):
        return _script_file_role(words[0], read, depth)
    return _STDIN


def _python_role(rest: list[str], read: FileReader | None, depth: int) -> Role:
    options = list(rest)
    while options and options[0].startswith("-") and options[0] not in ("-m", "-c", "-"):
        options = options[1:]
    if len(options) >= 2 and options[0] == "-m":
        module, args = options[1], options[2:]
        sub = args[0] if args else ""
        if module == "pip":
            return Role(SETUP if sub in _PIP_SETUP else CHECK, f"python -m pip {sub}".strip())
        if module in ("venv", "ensurepip", "virtualenv"):
            return Role(SETUP, f"python -m {module}")
        if module == "twine":
            return Role(PUBLISH if sub == "upload" else CHECK, f"python -m twine {sub}".strip())
        if module == "pipx":
            return _launcher_role("pipx", args, read, depth)
        return Role(CHECK, f"python -m {module}")
    if options and options[0] not in ("-c", "-") and not options[0].startswith("-"):
        return _script_file_role(options[0], read, depth, python=True)
    if options and options[0] == "-c":
        return Role(CHECK, "python -c")
    return _STDIN


def _launcher_role(tool: str, rest: list[str], read: FileReader | None, depth: int) -> Role:
    if tool == "uvx":
        return _inner(tool, skip_launcher_options(rest), read, depth)
    options = skip_launcher_options(rest)
    if not options:
        return Role(CHECK, tool)
    sub, after = options[0], options[1:]
    if tool == "pipx" and sub == "run":
        return _inner("pipx run", skip_launcher_options(after), read, depth)
    if sub == "run" or (tool == "uv" and sub == "tool" and after[:1] == ["run"]):
        inner = after[1:] if sub == "tool" else after
        return _inner(f"{tool} run", skip_launcher_options(inner), read, depth)
    if tool == "uv" and sub == "pip":
        return Role(SETUP if after[:1] and after[0] in _PIP_SETUP else CHECK, "uv pip")
    if sub in ("lock",):
        checks = any(a in ("--check", "--locked", "--check-exists") for a in after)
        return Role(CHECK if checks else SETUP, f"{tool} lock")
    if sub in _LAUNCHER_SETUP or (tool == "uv" and sub == "tool"):
        return Role(SETUP, f"{tool} {sub}")
    if sub in _PUBLISH_SUBCOMMANDS:
        return Role(PUBLISH, f"{tool} {sub}")
    return Role(CHECK, f"{tool} {sub}")


def _inner(launcher: str, words: list[str], read: FileReader | None, depth: int) -> Role:
    """What a launcher runs decides (``uv run ruff check`` is ruff)."""
    inner = command_role(words, read, depth)
    if inner.kind == NEUTRAL:
        return Role(CHECK, launcher)
    return inner


def _git_role(rest: list[str]) -> Role:
    sub = next((w for w in rest if not w.startswith("-")), "")
    if sub == "push":
        return Role(PUBLISH, "git push")
    if sub in _GIT_SETUP:
        return Role(SETUP, f"git {sub}")
    if sub == "tag" and len([w for w in rest if not w.startswith("-")]) > 1:
        return Role(PUBLISH, "git tag")
    return Role(CHECK, f"git {sub}".strip())


def _script_file_role(path: str, read: FileReader | None, depth: int, python: bool = False) -> Role:
    """A project script is judged by its own commands (a shell script) or runs (anything else)."""
    label = f"python {path}" if python else path
    if python or read is None or depth >= _MAX_DEPTH or path.endswith(".py"):
        return Role(CHECK, label)
    text = read(path)
    if text is None or not _is_shell_script(text, path):
        return Role(CHECK, label)
    inner = _whole_file_role(text, read, depth + 1)
    if inner.kind in (SETUP, PUBLISH):
        return Role(inner.kind, f"{label} ({inner.detail})")
    return Role(CHECK, label)


def _whole_file_role(text: str, read: FileReader | None, depth: int) -> Role:
    """A script file runs as a whole: if any of its commands publishes, it publishes."""
    roles = [
        c.role
        for c in script_commands(text, read if depth < _MAX_DEPTH else None)
        if c.role.kind != NEUTRAL
    ]
    for kind in (PUBLISH, CHECK, SETUP):
        for role in roles:
            if role.kind == kind:
                return role
    return Role(NEUTRAL)


def _is_shell_script(text: str, path: str) -> bool:
    first = text.splitlines()[0] if text else ""
    if first.startswith("#!"):
        return bool(re.search(r"\b(?:ba|z|da|k)?sh\b", first))
    return path.endswith((".sh", ".bash"))


def _make_role(rest: list[str], read: FileReader | None, depth: int) -> Role:
    directory, targets = make_invocation(rest)
    text = None
    if read is not None:
        for name in ("GNUmakefile", "makefile", "Makefile"):
            path = name if directory == "." else f"{directory.rstrip('/')}/{name}"
            text = read(path)
            if text is not None:
                break
    recipes = parse_makefile(text)
    if not targets and recipes:
        targets = [next(iter(recipes))]
    label = "make " + " ".join(targets) if targets else "make"
    if not recipes or depth >= _MAX_DEPTH:
        return Role(CHECK, label)
    roles = [_recipe_role(t, recipes, text or "", set()) for t in targets]
    role = combine(roles) if not any(r.kind == PUBLISH for r in roles) else Role(PUBLISH)
    if role.kind in (SETUP, PUBLISH):
        return Role(role.kind, f"{label} ({role.detail})" if role.detail else label)
    return Role(CHECK, label)


def _recipe_role(target: str, recipes: dict[str, str], text: str, seen: set[str]) -> Role:
    """A target's recipe, its prerequisites' recipes included, read as a script."""
    if target in seen or target not in recipes:
        return Role(CHECK if target not in recipes else NEUTRAL, f"make {target}")
    seen.add(target)
    roles: list[Role] = []
    prerequisites = re.search(rf"^{re.escape(target)}\s*:([^=\n]*)$", text, re.M)
    if prerequisites:
        for name in prerequisites.group(1).split():
            roles.append(_recipe_role(name, recipes, text, seen))
    for line in recipes[target].splitlines():
        line = line.strip().lstrip("@-+").strip()
        if not line:
            continue
        words = [_make_variable(w, text) for w in line.split()]
        expanded = " ".join(words)
        if words and words[0] in ("$(MAKE)", "${MAKE}", "make"):
            roles.extend(_recipe_role(t, recipes, text, seen) for t in words[1:] if "=" not in t)
            continue
        roles.append(line_role(expanded))
    for kind in (PUBLISH, CHECK, SETUP):
        for role in roles:
            if role.kind == kind:
                return role
    return Role(NEUTRAL)


def _make_variable(word: str, text: str) -> str:
    """``$(PYTHON)`` → its assigned value's first word, when the Makefile assigns it."""
    match = _MAKE_VARIABLE.match(word)
    if not match:
        return word
    assigned = re.search(rf"^{match.group(1)}\s*[?:+]?=\s*(\S+)", text, re.M)
    return assigned.group(1) if assigned else word


def _js_role(tool: str, rest: list[str], read: FileReader | None, depth: int) -> Role:
    sub = rest[0] if rest else "install"
    if sub in ("ci", "install", "i", "add", "link", "rebuild", "setup") or (
        tool == "yarn" and not rest
    ):
        return Role(SETUP, f"{tool} {sub}")
    if sub in ("publish", "deploy") or (tool == "yarn" and sub == "npm" and "publish" in rest):
        return Role(PUBLISH, f"{tool} publish")
    script = rest[1] if sub == "run" and len(rest) > 1 else sub
    body = _package_script(script, read)
    if body is not None and depth < _MAX_DEPTH:
        inner = line_role(body, read, depth + 1)
        if inner.kind in (SETUP, PUBLISH):
            return Role(inner.kind, f"{tool} run {script} ({inner.detail})")
    return Role(CHECK, f"{tool} {sub}" if sub != "run" else f"{tool} run {script}")


def _package_script(name: str, read: FileReader | None) -> str | None:
    if read is None:
        return None
    text = read("package.json")
    if text is None:
        return None
    try:
        scripts = json.loads(text).get("scripts") or {}
    except (ValueError, AttributeError):
        return None
    body = scripts.get(name) if isinstance(scripts, dict) else None
    return body if isinstance(body, str) else None
