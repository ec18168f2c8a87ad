"""ExUnit (Elixir): mix projects, their tests and tags, and ``mix test`` runs.

- ``mix``: discovery of mix projects and the commands that run them with per-test results.
- ``stale``: keeps ``mix test --stale`` from missing an edit saved within its last second.
"""
