"""Discovery: a repository's projects, suites and markers, confirmed by real collection.

- ``discover``: the static view at once, then pytest's collection (and mix's) per project;
  ``Project``, ``find_repo_root``, ``load_projects``.
"""
