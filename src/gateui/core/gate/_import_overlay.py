"""Make an environment import a worktree's code instead of the user's work tree.

A project's virtualenv often has the project installed in editable mode: its ``.pth`` file (or
setuptools' editable finder) points at the user's work tree. Run in a temporary worktree of the
commit being checked, that interpreter would still import the user's files, uncommitted edits
and all. The overlay is a folder holding only a ``sitecustomize.py``, put on PYTHONPATH: in an
interpreter of that same environment (same ``sys.prefix``), after the ``.pth`` files ran, it
swaps the work tree's folders on ``sys.path`` for the worktree's. Any other interpreter started
with that PYTHONPATH (another virtualenv a test builds, say) is left exactly as it was: the folder
has no package in it, and the hook does nothing there. A ``sitecustomize`` of the environment's
own still runs afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gateui.core.common.errors import InterpreterError
from gateui.core.layout.interpreter_info import interpreter_info

_TEMPLATE = '''"""gateui: in {prefix!r} import the worktree's code, not the user's work tree."""
import sys

_PREFIX = {prefix!r}
_SWAP = {swap!r}


def _gateui_overlay():
    if sys.prefix != _PREFIX:
        return
    swap = dict(_SWAP)
    sys.path[:] = [swap.get(entry, entry) for entry in sys.path]
    for target in reversed(list(swap.values())):
        if target not in sys.path:
            sys.path.insert(0, target)


def _chain():
    # The environment's own sitecustomize, if it has one, still runs.
    here = __file__.rsplit("/", 1)[0]
    saved = list(sys.path)
    module = sys.modules.pop("sitecustomize", None)
    try:
        sys.path[:] = [p for p in sys.path if p != here]
        try:
            import sitecustomize  # noqa: F401
        except ImportError:
            pass
    finally:
        sys.path[:] = saved
        if module is not None:
            sys.modules.setdefault("sitecustomize", module)


_gateui_overlay()
_chain()
'''


def write_overlay(folder: Path, prefix: str, swap: Sequence[tuple[str, str]]) -> Path:
    """Write the overlay for the environment at ``prefix``; returns the folder for PYTHONPATH.

    ``swap``: (folder of the user's work tree, the same folder in the worktree) pairs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        _TEMPLATE.format(prefix=prefix, swap=[tuple(pair) for pair in swap]), encoding="utf-8"
    )
    return folder


def worktree_overlay(interpreter: Path, root: Path, user_root: Path, scratch: Path) -> Path | None:
    """When ``interpreter`` imports from the user's work tree (an editable install), an overlay
    (in ``scratch``) that makes it import the same folders of the worktree at ``root`` instead."""
    try:
        info = interpreter_info(interpreter)
    except InterpreterError:
        return None
    resolved_root = root.resolve()
    user = user_root.resolve()
    swap: list[tuple[str, str]] = []
    for entry, path in info.paths_inside(user):
        target = root / path.relative_to(user)
        resolved = target.resolve()
        # Never through a linked virtualenv: only the worktree's own folders.
        if target.is_dir() and (resolved == resolved_root or resolved_root in resolved.parents):
            swap.append((entry, str(target)))
    if not swap:
        return None
    folder = scratch / f"imports-{abs(hash(str(interpreter)))}"
    return write_overlay(folder, info.prefix, swap)
