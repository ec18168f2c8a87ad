"""gateui's event plugin as pytest loads it (``-p gateui_events``): a loader, nothing more.

gateui puts only this file's folder on PYTHONPATH, so the project's interpreter gains this one
module and nothing else. It runs there, where gateui is usually not installed: standard library
and pytest only.

The plugin itself is ``gateui_events_implementation.py`` in the sibling folder
``pytest_plugin_implementation``. This module executes that file under its own name
(``gateui_events``) and puts it in its place in ``sys.modules``, so pytest registers the
implementation as the plugin and ``import gateui_events`` finds it.

Why two files: pytest rewrites the asserts of every module named by ``-p``, and caches the
rewritten code only where it may write bytecode. Where it may not (``PYTHONDONTWRITEBYTECODE``,
which the gate's steps set, or a read-only install), every pytest start parsed and compiled the
whole plugin again (≈ 20 ms). This file is all pytest rewrites now; the implementation is loaded
by its path, past pytest's import hook, so it is never rewritten and its ordinary bytecode
(compiled when gateui is installed) is used.
"""

import sys
from importlib.util import module_from_spec, spec_from_file_location
from os import path

IMPLEMENTATION = path.join(
    path.dirname(path.dirname(path.abspath(__file__))),
    "pytest_plugin_implementation",
    "gateui_events_implementation.py",
)


def _load_implementation(name: str) -> None:
    spec = spec_from_file_location(name, IMPLEMENTATION)
    if spec is None or spec.loader is None:
        raise ImportError(f"gateui's event plugin is missing: {IMPLEMENTATION}")
    module = module_from_spec(spec)
    # In place before it runs (as an import does), and what ``import`` returns afterwards.
    sys.modules[name] = module
    # The implementation's bytecode is cached next to it, in gateui's own folder, even where
    # the project's files may not be (``PYTHONDONTWRITEBYTECODE``, which the gate's steps
    # set): it is what installing gateui does for gateui's interpreter, and a project that
    # runs another Python would otherwise compile the whole plugin at every pytest start
    # (≈ 25 ms). A folder that cannot be written is left alone, silently, as imports do.
    dont_write_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = dont_write_bytecode


_load_implementation(__name__)
