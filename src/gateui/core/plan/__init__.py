"""From what the user asked (a suite, ``-m``, ``-k``, paths) to the commands that run it.

- ``run_plan``: ``RunRequest`` → one command per project → a ``RunSession`` that runs them in turn
  as one stream of events with one summary.
"""
