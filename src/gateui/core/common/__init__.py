"""What every capability of the core shares.

- ``errors``: the errors a user can act on (the CLI turns each into a message and exit 2).
- ``paths``: node ids and paths relative to the repository root; the deepest project owning a path.
- ``config``: ``[tool.gateui]`` in a pyproject.toml, validated with file and line in every error.
"""
