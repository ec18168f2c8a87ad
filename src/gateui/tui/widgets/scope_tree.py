"""The left tree: repository → projects → suites → markers, each with its test count and the
outcomes of its tests' last run, coloured by state. The highlighted node scopes the keys."""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from gateui.core.running.results import ResultsStore
from gateui.tui.model import Scope, ScopeNode, find_scope_suite, last_run_counts

NARROW_WIDTH = 30
"""Below this width the tree's guides are shallower."""


def node_label(
    scope: Scope, store: ResultsStore, palette: Mapping[str, str], static: bool = False
) -> Text:
    """``unit  30  ✓28 ✗2`` — the name coloured by the last run: red if anything in it failed,
    green if all of it ran and passed; the count marked ``~`` while it is only a static guess.
    ``palette`` holds the theme's colours (the tree's labels are Rich text)."""
    counts = last_run_counts(scope, store)
    bad = counts.get("failed", 0) + counts.get("error", 0)
    ran = sum(counts.values())
    total = len(scope.tests)
    name = Style(bold=scope.key == "repo")
    if not scope.runnable:
        name += Style(dim=True)
    elif bad:
        name += Style(color=palette["error"])
    elif ran and ran >= total and counts.get("passed", 0):
        name += Style(color=palette["success"])
    label = Text(scope.label, style=name)
    label.append(f" {'~' if static else ''}{total}", style=Style(dim=True))
    if counts.get("passed"):
        label.append(f" ✓{counts['passed']}", style=palette["success"])
    if bad:
        label.append(f" ✗{bad}", style=palette["error"])
    if counts.get("skipped"):
        label.append(f" ○{counts['skipped']}", style=palette["warning"])
    return label


class ScopeTree(Tree[Scope]):
    """A ``Tree`` whose nodes carry ``Scope`` data; rebuilt when discovery or results change."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("discovering…", id=id)
        self.show_root = True
        self.guide_depth = 3
        # enter picks the scope (and moves on to the results); it does not fold the tree.
        self.auto_expand = False
        self._scopes: ScopeNode | None = None
        self._static = True

    def on_resize(self, event: events.Resize) -> None:
        # Narrow (an 80-column terminal): shallower guides leave room for the counts.
        self.guide_depth = 2 if event.size.width < NARROW_WIDTH else 3

    @property
    def scopes(self) -> ScopeNode | None:
        return self._scopes

    def load(self, scopes: ScopeNode, store: ResultsStore, static: bool) -> None:
        """Show ``scopes``, keeping the highlighted node where it was (by scope key)."""
        keep = self.cursor_node.data.key if self.cursor_node and self.cursor_node.data else None
        self._scopes = scopes
        self._static = static
        self.clear()
        self.root.data = scopes.scope
        self.root.set_label(node_label(scopes.scope, store, self._palette(), static))
        self._add_branch(self.root, scopes, store)
        self.root.expand_all()
        target = self.find_node(keep) if keep else None
        self.move_cursor(target or self.root)

    def _add_branch(self, parent: TreeNode[Scope], node: ScopeNode, store: ResultsStore) -> None:
        for child in node.children:
            label = node_label(child.scope, store, self._palette(), self._static)
            if child.children:
                branch = parent.add(label, data=child.scope, expand=True)
                self._add_branch(branch, child, store)
            else:
                parent.add_leaf(label, data=child.scope)

    def refresh_counts(self, store: ResultsStore) -> None:
        """Re-colour every node after a run (the tree's shape is unchanged)."""
        for tree_node in self._all_nodes():
            if tree_node.data is not None:
                tree_node.set_label(
                    node_label(tree_node.data, store, self._palette(), self._static)
                )

    def _palette(self) -> dict[str, str]:
        variables = self.app.theme_variables
        return {
            "success": variables.get("text-success", "green"),
            "error": variables.get("text-error", "red"),
            "warning": variables.get("text-warning", "yellow"),
        }

    def select_suite(self, name: str) -> None:
        """Move to the suite ``name`` (smoke, unit…), in the current node's project if it has
        one; says so when there is no such suite."""
        if self._scopes is None:
            self.notify("still discovering the repository's tests…")
            return
        current = self.scope
        node = find_scope_suite(self._scopes, name, current.project if current else None)
        if node is None:
            self.notify(f"no {name} suite in this repository", severity="warning")
            return
        target = self.find_node(node.scope.key)
        if target is not None:
            self.move_cursor(target)
            self.scroll_to_node(target, animate=False)

    def has_suite(self, name: str) -> bool:
        """Whether some project has the suite ``name`` (smoke, unit…)."""
        return self._scopes is not None and find_scope_suite(self._scopes, name, None) is not None

    def find_node(self, key: str) -> TreeNode[Scope] | None:
        return next((n for n in self._all_nodes() if n.data and n.data.key == key), None)

    def _all_nodes(self) -> list[TreeNode[Scope]]:
        nodes: list[TreeNode[Scope]] = []
        pending = [self.root]
        while pending:
            node = pending.pop()
            nodes.append(node)
            pending.extend(node.children)
        return nodes

    @property
    def scope(self) -> Scope | None:
        """The highlighted node's scope (None before discovery)."""
        node = self.cursor_node
        return node.data if node is not None else None
