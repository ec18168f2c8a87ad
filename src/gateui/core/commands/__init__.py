"""What a command line does, judged by what it runs (seen through launchers and paths).

- ``classify``: run tests (pytest in its forms, make / tox / nox targets, test scripts), set up,
  lint, build or deploy; and pytest's own arguments (plugins they need, paths they name).
"""
