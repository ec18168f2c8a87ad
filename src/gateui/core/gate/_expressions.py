"""GitHub Actions expressions (``${{ … }}`` and ``if:``), evaluated as far as a local run can know.

What a local checkout can answer: ``matrix``, ``env``, ``inputs``, a few ``github`` and ``runner``
fields, literals, operators and the pure functions. What it cannot (``secrets``, ``vars``,
``steps``, ``needs`` outputs, ``hashFiles``…) raises ``Unresolvable``, and the caller marks the step
"not reproducible here" instead of guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))
      | (?P<string>'(?:[^']|'')*')
      | (?P<op>&&|\|\||==|!=|<=|>=|[<>!()\[\].,*])
      | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
    )""",
    re.VERBOSE,
)
STATUS_FUNCTIONS = frozenset({"success", "always", "failure", "cancelled"})


class Unresolvable(Exception):
    """The expression needs something only the CI runner has; ``what`` names it."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class JobStatus:
    """What the status functions see: how the earlier steps (or the jobs needed) ended."""

    failed: bool = False
    """``failure()``: one of them failed."""
    succeeded: bool | None = None
    """``success()``: all of them succeeded (None: all that did not fail; a job needed that
    was skipped makes it false without a failure)."""
    unknown: str = ""
    """What is not known here that they hang on (``needs.build.result``): a status function
    that needs it is unresolvable, never guessed."""

    def success(self) -> bool:
        if self.failed or self.succeeded is False:
            return False
        if self.unknown:
            raise Unresolvable(self.unknown)
        return True if self.succeeded is None else self.succeeded

    def failure(self) -> bool:
        if self.failed:
            return True
        if self.unknown:
            raise Unresolvable(self.unknown)
        return False


class _Missing:
    """A property that does not exist: GitHub evaluates it to null."""


class _Unknown:
    """In an ``if:``, a value only the CI runner knows. The condition is still decided where the
    rest decides it whatever that value is (``github.event_name == 'push' && github.event.ref…``
    is false on a pull request), as GitHub's short-circuit ``&&`` and ``||`` never read it there;
    anywhere else it stays unknown and the condition is unresolvable."""

    def __init__(self, what: str) -> None:
        self.what = what


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise Unresolvable(f"cannot parse expression {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


class _Parser:
    """Recursive descent over GitHub's grammar: || && (== != < <= > >=) ! primary."""

    def __init__(
        self,
        text: str,
        context: Callable[[str], Any],
        status: JobStatus,
        unknowns: bool = False,
    ) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.context = context
        self.status = status
        self.used_status = False
        self.unknowns = unknowns
        """What the CI runner alone knows becomes an ``_Unknown`` value (``if:``) instead of
        raising ``Unresolvable`` at once (``${{ }}``, whose value is needed)."""

    def known(self, read: Callable[[], Any]) -> Any:
        """``read()``, or an ``_Unknown`` for what it could not read, where unknowns are kept."""
        if not self.unknowns:
            return read()
        try:
            return read()
        except Unresolvable as exc:
            return _Unknown(exc.what)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise Unresolvable(f"expected {value!r} in expression")
        self.position += 1
        return token

    def parse(self) -> Any:
        value = self.parse_or()
        if self.peek() is not None:
            raise Unresolvable(f"unexpected {self.peek()[1]!r} in expression")  # type: ignore[index]
        return value

    def parse_or(self) -> Any:
        left = self.parse_and()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.parse_and()
            if isinstance(left, _Unknown):
                # Truthy whatever the unknown is when the right side is.
                left = right if not isinstance(right, _Unknown) and truthy(right) else left
            else:
                left = left if truthy(left) else right
        return left

    def parse_and(self) -> Any:
        left = self.parse_compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.parse_compare()
            if isinstance(left, _Unknown):
                # Falsy whatever the unknown is when the right side is.
                left = right if not isinstance(right, _Unknown) and not truthy(right) else left
            else:
                left = right if truthy(left) else left
        return left

    def parse_compare(self) -> Any:
        left = self.parse_unary()
        while (token := self.peek()) is not None and token[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.parse_unary()
            unknown = next((v for v in (left, right) if isinstance(v, _Unknown)), None)
            left = unknown or _compare(token[1], left, right)
        return left

    def parse_unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            value = self.parse_unary()
            return value if isinstance(value, _Unknown) else not truthy(value)
        return self.parse_postfix()

    def parse_postfix(self) -> Any:
        value = self.parse_primary()
        while (token := self.peek()) is not None and token[1] in (".", "["):
            self.take()
            if token[1] == ".":
                kind, name = self.take()
                if kind != "name" and name != "*":
                    raise Unresolvable(f"bad property {name!r}")
            else:
                name = self.parse_or()
                self.take("]")
            if not isinstance(value, _Unknown):
                value = name if isinstance(name, _Unknown) else self.read_property(value, name)
        return None if isinstance(value, _Missing) else value

    def read_property(self, value: Any, name: Any) -> Any:
        return self.known(lambda: _property(value, str(name)))

    def parse_primary(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(int(text, 16)) if text.lower().startswith(("0x", "-0x")) else float(text)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if text == "(":
            value = self.parse_or()
            self.take(")")
            return value
        if kind != "name":
            raise Unresolvable(f"unexpected {text!r} in expression")
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if self.peek() == ("op", "("):
            return self.call(lowered)
        return self.known(lambda: self.context(text))

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        if self.peek() != ("op", ")"):
            args.append(self.parse_or())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.parse_or())
        self.take(")")
        if name in STATUS_FUNCTIONS:
            self.used_status = True
            if name == "always":
                return True
            if name == "cancelled":
                return False
            if name == "failure":
                return self.known(self.status.failure)
            return self.known(self.status.success)
        function = _FUNCTIONS.get(name)
        if function is None:
            return self.known(_runner_only(name))
        unknown = next((a for a in args if isinstance(a, _Unknown)), None)
        return unknown or function(*args)


def truthy(value: Any) -> bool:
    if isinstance(value, _Missing) or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return float("nan")
    return float("nan")


def _compare(op: str, left: Any, right: Any) -> bool:
    # GitHub: same types compare directly (strings ignoring case); mixed types as numbers.
    if isinstance(left, str) and isinstance(right, str):
        a: Any = left.casefold()
        b: Any = right.casefold()
    elif type(left) is type(right) and not isinstance(left, (dict, list)):
        a, b = left, right
    elif isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        a, b = id(left), id(right)
        if op not in ("==", "!="):
            return False
    else:
        a, b = _number(left), _number(right)
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    try:
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    except TypeError:
        return False


def _runner_only(name: str) -> Callable[[], Any]:
    def read() -> Any:
        raise Unresolvable(f"{name}() is only known on the CI runner")

    return read


class _Filtered(list[Any]):
    """What an object filter gives (``needs.*.result``): one value per item, a property of it
    read on each (GitHub's ``*`` syntax)."""


def _property(value: Any, name: str) -> Any:
    if name == "*":
        items = value.values() if isinstance(value, Mapping) else value
        return _Filtered(items) if isinstance(value, (Mapping, list)) else _Filtered()
    if isinstance(value, _Filtered):
        found = (_property(item, name) for item in value)
        return _Filtered(item for item in found if not isinstance(item, _Missing))
    if isinstance(value, Mapping):
        for key in value:
            if str(key).casefold() == name.casefold():
                return value[key]
        if isinstance(value, StrictMapping):
            raise Unresolvable(f"{value.name}.{name} is only known on the CI runner")
        return _Missing()
    if isinstance(value, list) and name.lstrip("-").isdigit():
        index = int(name)
        return value[index] if 0 <= index < len(value) else _Missing()
    return _Missing()


def to_text(value: Any) -> str:
    """How GitHub puts a value into a string: null empty, booleans lower case, 3.0 as 3."""
    if value is None or isinstance(value, _Missing):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _format(template: Any, *args: Any) -> str:
    text = to_text(template)
    return (
        re.sub(
            r"\{(\d+)\}",
            lambda m: to_text(args[int(m.group(1))]) if int(m.group(1)) < len(args) else m.group(0),
            text.replace("{{", "\0").replace("}}", "\1"),
        )
        .replace("\0", "{")
        .replace("\1", "}")
    )


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(_compare("==", item, needle) for item in haystack)
    return to_text(needle).casefold() in to_text(haystack).casefold()


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": _contains,
    "startswith": lambda a, b: to_text(a).casefold().startswith(to_text(b).casefold()),
    "endswith": lambda a, b: to_text(a).casefold().endswith(to_text(b).casefold()),
    "format": _format,
    "join": lambda items, sep=",": (
        to_text(sep).join(to_text(i) for i in items) if isinstance(items, list) else to_text(items)
    ),
    "tojson": lambda value: json.dumps(value, indent=2),
    "fromjson": lambda text: json.loads(to_text(text)),
}


class StrictMapping(dict[str, Any]):
    """A context of which only some keys are known here (``github.workspace`` is, ``github.sha``
    is not): reading a key it lacks is unresolvable rather than null."""

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.name = name


class Contexts:
    """The contexts an expression may read. Roots not given here are CI-only: unresolvable."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = {k.casefold(): v for k, v in values.items()}

    def __call__(self, name: str) -> Any:
        key = name.casefold()
        if key not in self.values:
            raise Unresolvable(f"{name}.* is only known on the CI runner")
        return self.values[key]

    def with_values(self, **values: Any) -> Contexts:
        merged = dict(self.values)
        merged.update({k.casefold(): v for k, v in values.items()})
        return Contexts(merged)


def evaluate(text: str, contexts: Contexts, status: JobStatus | None = None) -> Any:
    """The value of one expression (the text between ``${{`` and ``}}``)."""
    return _Parser(text, contexts, status or JobStatus()).parse()


def condition(text: str | bool | None, contexts: Contexts, status: JobStatus) -> bool:
    """An ``if:`` condition. Without a status function GitHub adds ``success() &&``."""
    if text is None:
        return status.success()
    if isinstance(text, bool):
        return text and status.success()
    raw = text.strip()
    match = re.fullmatch(r"\$\{\{(.*)\}\}", raw, re.DOTALL)
    if match:
        raw = match.group(1)
    parser = _Parser(raw, contexts, status, unknowns=True)
    result = parser.parse()
    if isinstance(result, _Unknown):
        # GitHub's implicit ``success() &&`` decides it when the steps before did not succeed.
        if not parser.used_status and not status.success():
            return False
        raise Unresolvable(result.what)
    value = truthy(result)
    if not parser.used_status:
        value = value and status.success()
    return value


def mentions_status(text: str | bool | None, function: str) -> bool:
    """Whether an ``if:`` calls ``always()``/``failure()``… (decides if it runs after a failure)."""
    return isinstance(text, str) and re.search(rf"\b{function}\s*\(", text) is not None


def substitute(text: str, contexts: Contexts) -> str:
    """Replace every ``${{ … }}`` in ``text``; raises ``Unresolvable`` for the first that cannot."""
    return _EXPRESSION.sub(lambda m: to_text(evaluate(m.group(1), contexts)), text)


def has_expression(text: str) -> bool:
    return _EXPRESSION.search(text) is not None
