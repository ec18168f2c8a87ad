"""The headless core: everything gateui does without a terminal UI.

Capability packages, from the top layer down (each imports only those below it; the
import-linter contracts in pyproject.toml say so and the test suite checks them):
gate | watch → selection → plan → discovery → exunit → layout | running → commands → common.
See docs/architecture.md.
"""
