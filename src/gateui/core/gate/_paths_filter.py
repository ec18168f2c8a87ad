"""``dorny/paths-filter``: which parts of a repository a pull request changes, as the action
says.

Monorepos run a job or a step only where the pull request changed files: a ``changes`` job runs
the action, and ``if: needs.changes.outputs.backend == 'true'`` (or ``steps.filter.outputs…``)
decides the rest. On a pull request the action lists the files the pull request changes (against
its base branch) and matches them with each filter's rules, picomatch globs with ``dot`` on; its
outputs are, per filter, ``<name>`` (``'true'``/``'false'``) and ``<name>_count``, and
``changes`` (a JSON array of the filters that matched).

The gate knows the files a pull request changes (as for ``on.pull_request.paths``), so it gives
the action's outputs itself: the step becomes a script that writes them to ``$GITHUB_OUTPUT``,
and the ``if:``s that read them are decided as on the runner. Globs are matched by ``wcmatch``
with picomatch's behaviour (``**``, braces, extglobs, dotfiles, a leading ``!`` negating). What
the gate cannot answer is named and not reproduced, never guessed: rules by change type
(``added|modified: …``, which needs each file's status), ``list-files`` other than ``none`` and
``json``, and a change not known here (no base branch to compare with).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

ACTION = "dorny/paths-filter"
_OUTPUT_END = "GATEUI_PATHS_FILTER_END"


@dataclass(frozen=True)
class FilterOutputs:
    """The action's outputs for this pull request, and what they came from."""

    outputs: tuple[tuple[str, str], ...]
    matched: tuple[str, ...]
    changed_count: int

    def script(self) -> str:
        """A ``run:`` script writing the outputs to ``$GITHUB_OUTPUT``, as the action does."""
        lines = [f"{name}={value}" for name, value in self.outputs]
        body = "\n".join(lines)
        return f"cat >> \"$GITHUB_OUTPUT\" <<'{_OUTPUT_END}'\n{body}\n{_OUTPUT_END}"

    def note(self) -> str:
        matched = ", ".join(self.matched) or "none"
        return (
            f"CI runs the action {ACTION}; here its outputs for the {self.changed_count} file(s)"
            f" this pull request changes (filters matched: {matched})"
        )


@dataclass(frozen=True)
class NotAnswered:
    """Why the gate cannot give the action's outputs here."""

    why: str


def is_paths_filter(uses: str) -> bool:
    return uses.split("@", 1)[0].strip().lower() == ACTION


def paths_filter_outputs(
    inputs: Mapping[str, Any],
    changed: Sequence[str] | None,
    read_file: Callable[[str], str | None],
) -> FilterOutputs | NotAnswered:
    """The action's outputs for a pull request changing ``changed`` (None: not known here);
    ``read_file`` reads a file of the checked commit (for ``filters: path/to/filters.yaml``)."""
    if changed is None:
        return NotAnswered(
            "which files the pull request changes is not known here (no base branch to compare"
            " with)"
        )
    listing = str(inputs.get("list-files") or "none").strip().lower()
    if listing not in ("none", "json"):
        return NotAnswered(f"list-files: {listing} is not given here (none and json are)")
    quantifier = str(inputs.get("predicate-quantifier") or "some").strip().lower()
    if quantifier not in ("some", "every"):
        return NotAnswered(f"predicate-quantifier: {quantifier} is not one the action knows")
    filters = _filters(inputs.get("filters"), read_file)
    if isinstance(filters, NotAnswered):
        return filters
    from wcmatch import glob  # imported here: only a workflow with this action needs it

    flags = glob.GLOBSTAR | glob.BRACE | glob.DOTGLOB | glob.EXTGLOB | glob.NEGATE
    flags |= glob.NEGATEALL
    outputs: list[tuple[str, str]] = []
    matched: list[str] = []
    for name, rules in filters.items():
        patterns = _patterns(rules)
        if isinstance(patterns, NotAnswered):
            return NotAnswered(f"filter {name}: {patterns.why}")
        test: Callable[[Any], bool] = any if quantifier == "some" else all
        files = [f for f in changed if test(glob.globmatch(f, p, flags=flags) for p in patterns)]
        outputs += [(name, "true" if files else "false"), (f"{name}_count", str(len(files)))]
        if listing == "json":
            outputs.append((f"{name}_files", json.dumps(files)))
        if files:
            matched.append(name)
    outputs.append(("changes", json.dumps(matched)))
    return FilterOutputs(tuple(outputs), tuple(matched), len(changed))


def _filters(value: Any, read_file: Callable[[str], str | None]) -> dict[str, Any] | NotAnswered:
    text = str(value or "")
    if not text.strip():
        return NotAnswered("it has no filters")
    if "\n" not in text.strip() and ":" not in text:
        # A path to a file of filters, relative to the repository.
        path = text.strip()
        found = read_file(path)
        if found is None:
            return NotAnswered(f"its filters file {path} is not in the commit")
        text = found
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return NotAnswered(f"its filters are not valid YAML ({exc})")
    if not isinstance(data, dict):
        return NotAnswered("its filters are not a mapping of names to rules")
    return {str(name): rules for name, rules in data.items()}


def _patterns(rules: Any) -> list[str] | NotAnswered:
    """A filter's rules as glob patterns: a pattern, a list of them, lists nested by YAML
    anchors (``- *shared``)."""
    if isinstance(rules, str):
        return [rules]
    if not isinstance(rules, list):
        return NotAnswered("its rules are not a list of globs")
    patterns: list[str] = []
    for rule in rules:
        if isinstance(rule, dict):
            return NotAnswered(
                "a rule by change type (added|modified|deleted) needs each file's status,"
                " which the gate does not take"
            )
        nested = _patterns(rule)
        if isinstance(nested, NotAnswered):
            return nested
        patterns += nested
    return patterns
