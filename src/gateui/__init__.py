"""gateui: run a repository's test gates locally, live, and before git push."""

__version__ = "0.1.0"
