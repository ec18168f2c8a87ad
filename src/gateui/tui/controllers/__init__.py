"""What the app does, apart from showing it: one controller per behaviour.

- ``discovery``: the repository's projects and tests (files first, then pytest's collection).
- ``runs``: runs of tests, planned by the core in a thread worker, and the paced hand-over of their
  results to the UI.
- ``watch``: watch mode, the core's ``WatchSession`` in a thread worker, one run per cycle.
- ``gate``: the PR gate's check of HEAD (asked for, or in the background when idle).

Each controller owns its state and its worker (one worker per long task: ``App.run_worker`` with
``thread=True, exclusive=True, exit_on_error=False`` and a group of its own, since Textual's
``@work`` only decorates methods of DOM nodes). It tells the app what happened with messages,
dataclasses nested in the controller with a docstring on every attribute; the app routes them to
widgets. Controllers never query widgets: what the log should say comes back as ``LogNote``\\ s.
A worker's failure reaches the app's one ``Worker.StateChanged`` handler, by its group.
"""
