"""Shell words of a command line: split as a shell would, with the words that only wrap the real
command (``VAR=value``, ``sudo``, ``time``, a launcher's own options) taken off."""

from __future__ import annotations

import re
import shlex

ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
PREFIX_WORDS = {"sudo", "time", "exec", "command", "nice", "xvfb-run"}


def split_words(line: str) -> list[str] | None:
    try:
        return shlex.split(line, comments=True, posix=True)
    except ValueError:
        return None


def strip_prefixes(words: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    env: list[tuple[str, str]] = []
    rest = list(words)
    while rest:
        head = rest[0]
        if ASSIGNMENT.match(head):
            name, _, value = head.partition("=")
            env.append((name, value))
            rest = rest[1:]
        elif head in PREFIX_WORDS or head == "env":
            rest = rest[1:]
        else:
            break
    return rest, env


def skip_launcher_options(words: list[str]) -> list[str]:
    """``uv run --with x --frozen pytest`` → ``pytest``."""
    takes_value = {
        "--with",
        "--python",
        "-p",
        "--group",
        "--extra",
        "--project",
        "--directory",
        "--from",
        "--spec",
        "--with-editable",
        "--with-requirements",
        "--env-file",
        "--index-url",
        "--extra-index-url",
    }
    rest = list(words)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option == "--":
            break
        if option in takes_value and "=" not in option and rest:
            rest.pop(0)
    return rest


def make_invocation(words: list[str]) -> tuple[str, list[str]]:
    """``make -C dir -f x VAR=1 test lint`` → the folder make runs in and the targets named."""
    directory = "."
    targets: list[str] = []
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word in ("-C", "--directory") and rest:
            directory = rest.pop(0)
        elif word.startswith("-C") and len(word) > 2:
            directory = word[2:]
        elif word in ("-f", "--file") and rest:
            rest.pop(0)
        elif word.startswith("-") or ASSIGNMENT.match(word):
            continue
        else:
            targets.append(word)
    return directory, targets
