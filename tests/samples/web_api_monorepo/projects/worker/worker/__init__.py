"""Acme background job runner."""

from worker.jobs import Job, JobRunner, backoff_delays

__all__ = ["Job", "JobRunner", "backoff_delays"]
