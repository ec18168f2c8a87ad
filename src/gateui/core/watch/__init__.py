"""Watch mode: every save reruns exactly the affected tests, and no edit is lost.

- ``session``: ``WatchSession``, file events → cycles of affected runs.
"""
