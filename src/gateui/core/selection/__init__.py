"""Affected-test selection: what changed, which tests it can affect, and why.

- ``changes``: the files that differ from a base commit, per git.
- ``selector``: the tests a change selects, each with its reason.
- ``affected``: a run of just those tests (``run --affected``, watch cycles, the TUI's ``r``).
- ``depstore``: the dependency database (what each test executed and read, per file version).
- ``bookkeeping``: what every run leaves behind: results and recordings.
Private: ``_fingerprints`` (function-body fingerprints), ``_import_graph`` (static import graph),
``_module_diff`` (top-level names an edit touched), ``_name_reads`` (names each function reads),
``_module_level`` (touched names → the tests that can observe them), ``_recording`` (plugin
records → database).
"""
