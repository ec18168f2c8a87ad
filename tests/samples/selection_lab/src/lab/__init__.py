"""A small package for selection tests: relative imports, a src layout, data files."""
