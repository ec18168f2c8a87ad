"""Acme document platform HTTP API."""

from web_api.main import Request, Response, Router, create_app

__all__ = ["Request", "Response", "Router", "create_app"]
__version__ = "0.4.0"
