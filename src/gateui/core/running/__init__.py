"""Running test processes and turning what they do into typed events.

- ``events``: the typed events a run yields (test started / finished, collection, summary…).
- ``pytest_process``: pytest in the project's interpreter, with gateui's plugin, streamed live.
- ``command_process``: any command (make, tox, scripts, mix) streamed as the same events.
- ``process_group``: one child under a guard (``_guard``, a subreaper run as a script), and the
  one way gateui stops it and everything it started.
- ``junit``: per-test results read from a JUnit XML report.
- ``results``: the results store, the last outcome of every test.
- ``injected``: where gateui's pytest plugin and ExUnit formatter are.
"""
