"""How a repository's tests are laid out, read from files (no test process runs here).

- ``projects``: the test projects of a repository (the root and sub-projects with their own config).
- ``pytest_config``: pytest's configuration, chosen the way pytest chooses it.
- ``static_scan``: the tests and markers a project has, from its source alone.
- ``suites``: named suites by marker, folder or declaration.
- ``command_suites``: suites that are commands (make targets, tox envs, nox sessions, scripts).
- ``interpreter`` / ``interpreter_info``: which Python runs a project's tests, and facts about it.
"""
