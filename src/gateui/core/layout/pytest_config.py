"""Read pytest's configuration statically, choosing the file the way pytest does.

The rules follow ``_pytest/config/findpaths.py`` of pytest 8.4 and 9.x:

* In each folder pytest tries, in this order: ``pytest.toml``, ``.pytest.toml`` (pytest 9),
  ``pytest.ini``, ``.pytest.ini``, ``pyproject.toml``, ``tox.ini``, ``setup.cfg``; the first file
  that holds pytest configuration wins, and the folder becomes the rootdir.
* ``pytest.toml``/``pytest.ini`` (and their hidden twins) always match, even empty or without
  their ``[pytest]`` table/section. pytest 7 and 8 treat an empty ``.pytest.ini`` as no
  match; pytest 9 matches it; we follow pytest 9.
* ``pyproject.toml`` matches with a non-empty ``[tool.pytest]`` table (pytest 9, native TOML
  types) or a ``[tool.pytest.ini_options]`` table. pytest 9 refuses a file with both (neither
  wins, it is a usage error); pytest 8 silently read ``ini_options`` and ignored ``[tool.pytest]``.
* ``tox.ini`` matches with a ``[pytest]`` section, ``setup.cfg`` with ``[tool:pytest]``; a
  ``[pytest]`` section in ``setup.cfg`` is an error in pytest.
* Walking up, when no file matched anywhere, pytest ≥ 8.1 falls back to the first
  ``pyproject.toml`` it saw (without any pytest table) as its configfile and rootdir.

Only the standard library is used: pytest itself is never imported, because the project under
inspection has its own interpreter and pytest version.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from gateui.core.common.errors import ConfigError

__all__ = [
    "DEFAULT_NORECURSEDIRS",
    "DEFAULT_PYTHON_CLASSES",
    "DEFAULT_PYTHON_FILES",
    "DEFAULT_PYTHON_FUNCTIONS",
    "PytestConfig",
    "find_config",
    "has_config_in",
    "read_config_in",
]

# pytest's own defaults (_pytest/python.py and _pytest/main.py, unchanged from 7 to 9).
DEFAULT_PYTHON_FILES: tuple[str, ...] = ("test_*.py", "*_test.py")
DEFAULT_PYTHON_CLASSES: tuple[str, ...] = ("Test",)
DEFAULT_PYTHON_FUNCTIONS: tuple[str, ...] = ("test",)
DEFAULT_NORECURSEDIRS: tuple[str, ...] = (
    "*.egg",
    ".*",
    "_darcs",
    "build",
    "CVS",
    "dist",
    "node_modules",
    "venv",
    "{arch}",
)

# pytest's values for "true"/"false" in INI mode (_pytest.config._strtobool).
_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)")


@dataclass(frozen=True)
class PytestConfig:
    """The pytest configuration of one folder, as pytest would read it."""

    directory: Path
    """The folder holding the config file (pytest's rootdir for it)."""
    config_file: Path
    section: str
    """``"[pytest]"``, ``"[tool.pytest.ini_options]"``, ``"[tool.pytest]"`` or ``"[tool:pytest]"``;
    ``""`` for a ``pyproject.toml`` pytest fell back to without any pytest table."""
    testpaths: tuple[str, ...] = ()
    addopts: tuple[str, ...] = ()
    markers: dict[str, str] = field(default_factory=dict)
    """Registered marker name -> description (``""`` when none)."""
    pythonpath: tuple[str, ...] = ()
    python_files: tuple[str, ...] = DEFAULT_PYTHON_FILES
    python_classes: tuple[str, ...] = DEFAULT_PYTHON_CLASSES
    python_functions: tuple[str, ...] = DEFAULT_PYTHON_FUNCTIONS
    norecursedirs: tuple[str, ...] = DEFAULT_NORECURSEDIRS
    strict_markers: bool = False
    minversion: str | None = None
    values: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    """Every raw key of the section: strings for INI files, native types for TOML."""


@dataclass(frozen=True)
class _Section:
    """The raw pytest section of one file, before its values are interpreted."""

    path: Path
    text: str
    section: str
    values: dict[str, object]
    native: bool
    """True for pytest 9's TOML mode, where pytest checks types instead of coercing strings."""
    ini_file: bool
    """True for INI-syntax files (pytest.ini, tox.ini, setup.cfg): every value is a string."""


# --------------------------------------------------------------------------- public API


def read_config_in(directory: Path) -> PytestConfig | None:
    """The pytest configuration held in ``directory`` itself, or None.

    Raises ConfigError for a malformed file pytest would have to read on the way.
    """
    section = _section_in(Path(os.path.abspath(directory)))
    return _build(section) if section is not None else None


def has_config_in(directory: Path) -> bool:
    """Whether pytest would stop in ``directory`` when looking for its configuration.

    Never raises: a malformed candidate counts, because pytest stops there too (with an error).
    """
    try:
        return _section_in(Path(os.path.abspath(directory))) is not None
    except ConfigError:
        return True


def find_config(start: Path, stop: Path | None = None) -> PytestConfig | None:
    """The configuration pytest finds from ``start`` walking up to ``stop`` (inclusive).

    ``start`` may be a file (its folder is used). Without ``stop``, or when ``stop`` is not an
    ancestor of ``start``, the walk goes up to the filesystem root, like pytest's.
    """
    # pytest compares os.path.abspath() paths, not resolved ones: symlinks are kept.
    here = Path(os.path.abspath(start))
    if here.is_file():
        here = here.parent
    end = Path(os.path.abspath(stop)) if stop is not None else None
    fallback: Path | None = None
    for base in (here, *here.parents):
        section = _section_in(base)
        if section is not None:
            return _build(section)
        if fallback is None and (base / "pyproject.toml").is_file():
            fallback = base / "pyproject.toml"
        if base == end:
            break
    if fallback is not None:
        # pytest ≥ 8.1 (#11962): a pyproject.toml without pytest tables still fixes the rootdir.
        return PytestConfig(directory=fallback.parent, config_file=fallback, section="")
    return None


# --------------------------------------------------------------------------- choosing a file


def _section_in(directory: Path) -> _Section | None:
    """The first file of ``directory`` that pytest would take, in pytest's order."""
    for name, loader in _LOADERS:
        path = directory / name
        if path.is_file():
            section = loader(path)
            if section is not None:
                return section
    return None


def _load_pytest_toml(path: Path) -> _Section | None:
    """``pytest.toml``/``.pytest.toml`` (pytest 9): the ``[pytest]`` table, always a match."""
    text = _read_text(path)
    document = _parse_toml(path, text)
    table = document.get("pytest")
    if table is None:
        # pytest 9.1+ rejects options written before any table: the usual way to get it wrong.
        stray = [key for key, value in document.items() if not isinstance(value, dict)]
        if stray:
            line = _toml_key_line(text, stray[0], "")
            message = f"pytest configuration must be under a [pytest] table (found {stray[0]!r})"
            raise ConfigError(path, message, line)
        table = {}
    values = _expect_table(path, text, table, "pytest", "")
    return _Section(path, text, "[pytest]", values, native=True, ini_file=False)


def _load_pytest_ini(path: Path) -> _Section | None:
    """``pytest.ini``/``.pytest.ini``: always the configuration, even without ``[pytest]``."""
    text = _read_text(path)
    values = _ini_section(_parse_ini(path, text), "pytest") or {}
    return _Section(path, text, "[pytest]", dict(values), native=False, ini_file=True)


def _load_pyproject(path: Path) -> _Section | None:
    """``pyproject.toml``: ``[tool.pytest]`` (native, pytest 9) or ``[tool.pytest.ini_options]``."""
    text = _read_text(path)
    document = _parse_toml(path, text)
    tool = _expect_table(path, text, document.get("tool", {}), "tool", "")
    tool_pytest = _expect_table(path, text, tool.get("pytest", {}), "pytest", "tool")
    native = {key: value for key, value in tool_pytest.items() if key != "ini_options"}
    ini_options = tool_pytest.get("ini_options")
    if native and ini_options:
        # pytest 9 lets neither table win: using both is a usage error.
        line = _toml_table_line(text, "tool.pytest") or _toml_key_line(text, next(iter(native)))
        message = (
            "cannot use both [tool.pytest] (native TOML types) and "
            "[tool.pytest.ini_options] (string-based INI format); pytest 9 refuses this file"
        )
        raise ConfigError(path, message, line)
    if native:
        return _Section(path, text, "[tool.pytest]", native, native=True, ini_file=False)
    if ini_options is not None:
        values = _expect_table(path, text, ini_options, "ini_options", "tool.pytest")
        return _Section(
            path, text, "[tool.pytest.ini_options]", values, native=False, ini_file=False
        )
    return None


def _load_tox_ini(path: Path) -> _Section | None:
    """``tox.ini``: only with a ``[pytest]`` section."""
    text = _read_text(path)
    values = _ini_section(_parse_ini(path, text), "pytest")
    if values is None:
        return None
    return _Section(path, text, "[pytest]", dict(values), native=False, ini_file=True)


def _load_setup_cfg(path: Path) -> _Section | None:
    """``setup.cfg``: only with ``[tool:pytest]``; a plain ``[pytest]`` is an error in pytest."""
    text = _read_text(path)
    parser = _parse_ini(path, text)
    values = _ini_section(parser, "tool:pytest")
    if values is not None:
        return _Section(path, text, "[tool:pytest]", dict(values), native=False, ini_file=True)
    if parser.has_section("pytest"):
        message = "[pytest] section in setup.cfg files is no longer supported, use [tool:pytest]"
        raise ConfigError(path, message, _ini_section_line(text, "pytest"))
    return None


_LOADERS: tuple[tuple[str, Callable[[Path], _Section | None]], ...] = (
    ("pytest.toml", _load_pytest_toml),
    (".pytest.toml", _load_pytest_toml),
    ("pytest.ini", _load_pytest_ini),
    (".pytest.ini", _load_pytest_ini),
    ("pyproject.toml", _load_pyproject),
    ("tox.ini", _load_tox_ini),
    ("setup.cfg", _load_setup_cfg),
)


# --------------------------------------------------------------------------- parsing files


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(path, "not valid UTF-8", line) from exc
    # iniconfig drops a byte order mark; pytest reads TOML as plain UTF-8 (tomllib rejects it).
    return text.removeprefix("\ufeff") if path.suffix != ".toml" else text


def _parse_toml(path: Path, text: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line = _toml_error(str(exc), text)
        raise ConfigError(path, f"invalid TOML: {message}", line) from exc


def _toml_error(message: str, text: str) -> tuple[str, int | None]:
    """Split tomllib's "Invalid value (at line 3, column 9)" into a message and a line."""
    position = _TOML_POSITION.search(message)
    if position is not None:
        clean = _TOML_POSITION.sub("", message)
        return f"{clean} (column {position.group(2)})", int(position.group(1))
    if _TOML_AT_END.search(message):
        return _TOML_AT_END.sub("", message) + " (at end of file)", text.count("\n") + 1
    return message, None


class _CaseKeepingParser(configparser.ConfigParser):
    """A ConfigParser that keeps option names as written, like pytest's iniconfig."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def _parse_ini(path: Path, text: str) -> configparser.ConfigParser:
    """Parse INI text as close to iniconfig (pytest's parser) as configparser allows."""
    parser = _CaseKeepingParser(
        interpolation=None,  # iniconfig has no interpolation: "%" is just a character
        strict=True,  # iniconfig refuses duplicate sections and names too
        delimiters=("=", ":"),
        comment_prefixes=("#", ";"),
        inline_comment_prefixes=None,  # iniconfig keeps "# ..." after a value
        empty_lines_in_values=True,
        # iniconfig has no DEFAULT section whose values leak into every other section.
        default_section="\x00gateui-no-default",
    )
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ConfigError(path, _ini_error_message(exc), _ini_error_line(exc)) from exc
    return parser


def _ini_error_line(exc: configparser.Error) -> int | None:
    """The line configparser blames, when it knows one."""
    # MissingSectionHeaderError is a ParsingError without ``errors`` (before Python 3.13).
    line = getattr(exc, "lineno", None)
    errors = getattr(exc, "errors", None)
    if line is None and errors:
        line = errors[0][0]
    return line if isinstance(line, int) else None


def _ini_error_message(exc: configparser.Error) -> str:
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return "invalid INI: a line comes before any [section] header"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"invalid INI: duplicate option {exc.option!r} in [{exc.section}]"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"invalid INI: duplicate section [{exc.section}]"
    if isinstance(exc, configparser.ParsingError) and getattr(exc, "errors", None):
        return f"invalid INI: cannot parse {exc.errors[0][1]}"
    return f"invalid INI: {exc.message}"


def _ini_section(parser: configparser.ConfigParser, name: str) -> dict[str, str] | None:
    if not parser.has_section(name):
        return None
    return dict(parser.items(name))


def _expect_table(path: Path, text: str, value: object, key: str, table: str) -> dict[str, object]:
    """``value`` as a TOML table, or ConfigError naming the key that holds something else."""
    if isinstance(value, dict):
        return value
    where = f"{table}.{key}" if table else key
    message = f"{where!r} must be a table, not {_type_name(value)}"
    raise ConfigError(path, message, _toml_key_line(text, key, table))


# --------------------------------------------------------------------------- interpreting values


def _build(section: _Section) -> PytestConfig:
    """Interpret the raw section with pytest's types for the options gateui needs."""
    return PytestConfig(
        directory=section.path.parent,
        config_file=section.path,
        section=section.section,
        testpaths=_args(section, "testpaths", ()),
        addopts=_args(section, "addopts", ()),
        markers=_markers(_lines(section, "markers")),
        pythonpath=_args(section, "pythonpath", ()),
        python_files=_args(section, "python_files", DEFAULT_PYTHON_FILES),
        python_classes=_args(section, "python_classes", DEFAULT_PYTHON_CLASSES),
        python_functions=_args(section, "python_functions", DEFAULT_PYTHON_FUNCTIONS),
        norecursedirs=_args(section, "norecursedirs", DEFAULT_NORECURSEDIRS),
        strict_markers=_strict_markers(section),
        minversion=_string(section, "minversion"),
        values=MappingProxyType(dict(section.values)),
    )


def _args(section: _Section, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """An "args"/"paths" option: a string is shlex-split, a TOML list is taken as it is."""
    if key not in section.values:
        return default
    value = section.values[key]
    if isinstance(value, str) and not section.native:
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise _wrong(section, key, f"cannot be split into arguments ({exc})") from exc
    return _string_list(section, key, value)


def _lines(section: _Section, key: str) -> tuple[str, ...]:
    """A "linelist" option (markers): a string gives one item per non-blank line."""
    if key not in section.values:
        return ()
    value = section.values[key]
    if isinstance(value, str) and not section.native:
        return tuple(line.strip() for line in value.split("\n") if line.strip())
    return _string_list(section, key, value)


def _string_list(section: _Section, key: str, value: object) -> tuple[str, ...]:
    # pytest 9's TOML mode demands a list of strings; in ini_options pytest would str() a
    # number (``markers = 3`` registers a marker "3"), which is surely a mistake: refuse it too.
    expected = "a list of strings" if section.native else "a string or a list of strings"
    if not isinstance(value, list):
        raise _wrong(section, key, f"must be {expected}, not {_type_name(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            found = f"item {index} is {_type_name(item)}"
            raise _wrong(section, key, f"must be {expected}; {found}")
    return tuple(value)


def _markers(lines: tuple[str, ...]) -> dict[str, str]:
    """``"name(args): description"`` lines -> {name: description}, split like pytest does."""
    markers: dict[str, str] = {}
    for line in lines:
        signature, _, description = line.partition(":")
        name = signature.split("(")[0].strip()
        if name:
            markers[name] = description.strip()
    return markers


def _string(section: _Section, key: str) -> str | None:
    if key not in section.values:
        return None
    value = section.values[key]
    if isinstance(value, str):
        return value
    if not section.native and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # ini_options: pytest str()s scalars, so minversion = 7.0 is "7.0"
    raise _wrong(section, key, f"must be a string, not {_type_name(value)}")


def _bool(section: _Section, key: str) -> bool | None:
    """A "bool" option: native TOML needs true/false, INI mode reads pytest's truth words."""
    if key not in section.values:
        return None
    value = section.values[key]
    if isinstance(value, bool):
        return value
    if section.native:
        raise _wrong(section, key, f"must be true or false, not {_type_name(value)}")
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _wrong(section, key, f"must be a truth value (true/false, yes/no, 1/0), not {value!r}")


def _strict_markers(section: _Section) -> bool:
    """Whether unregistered markers are errors, combining pytest 8's flags and pytest 9's keys.

    pytest 9 turns ``--strict-markers`` into ``strict_markers = true`` and ``--strict`` into
    ``strict = true`` (overrides of the file's values); an explicit ``strict_markers`` beats
    ``strict``. In pytest 8 both flags mean strict markers and the keys do not exist.
    """
    addopts = _args(section, "addopts", ())
    explicit = True if "--strict-markers" in addopts else _bool(section, "strict_markers")
    if explicit is not None:
        return explicit
    return "--strict" in addopts or bool(_bool(section, "strict"))


def _wrong(section: _Section, key: str, problem: str) -> ConfigError:
    line = _key_line(section, key)
    return ConfigError(section.path, f"{section.section} {key} {problem}", line)


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    names |= {list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------- finding lines


def _key_line(section: _Section, key: str) -> int | None:
    """The line where ``key`` is set in the section, found by scanning the text."""
    if section.ini_file:
        return _ini_key_line(section.text, section.section.strip("[]"), key)
    return _toml_key_line(section.text, key, section.section.strip("[]"))


def _ini_section_line(text: str, name: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(f"[{name}]"):
            return number
    return None


def _ini_key_line(text: str, section: str, key: str) -> int | None:
    pattern = re.compile(rf"{re.escape(key)}\s*[=:]")
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("["):
            current = line.split("]", 1)[0][1:]
        elif current == section and pattern.match(line):
            return number
    return None


def _toml_table_line(text: str, table: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if _toml_header(line) == table:
            return number
    return None


def _toml_key_line(text: str, key: str, table: str | None = None) -> int | None:
    """The line of ``key = ...`` inside ``[table]`` ("" for the top level, None: anywhere)."""
    pattern = re.compile(rf"""\s*["']?{re.escape(key)}["']?\s*=""")
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _toml_header(line)
        if header is not None:
            current = header
            if table is not None and header == f"{table}.{key}".lstrip("."):
                return number  # the key is a table of its own: [tool.pytest.ini_options]
        elif (table is None or current == table) and pattern.match(line):
            return number
    return None


def _toml_header(line: str) -> str | None:
    """``"tool.pytest"`` for a ``[ tool . "pytest" ]`` line, None for any other line."""
    stripped = line.split("#", 1)[0].strip()
    if not stripped.startswith("[") or not stripped.endswith("]"):
        return None
    return re.sub(r"""[\s"'\[\]]""", "", stripped)
