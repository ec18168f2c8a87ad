"""Store the catalogue in a JSON file (written atomically)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from bookshelf.catalog import Book, Catalog

SCHEMA_VERSION = 1


class StorageError(Exception):
    pass


class JsonStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> Catalog:
        if not self.path.exists():
            return Catalog()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StorageError(f"{self.path} is not valid JSON: {exc}") from exc
        if data.get("schema") != SCHEMA_VERSION:
            raise StorageError(f"{self.path}: unsupported schema {data.get('schema')!r}")
        return Catalog(Book.from_dict(item) for item in data["books"])

    def save(self, catalog: Catalog) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "schema": SCHEMA_VERSION,
            "books": [book.to_dict() for book in sorted(catalog, key=lambda b: b.isbn)],
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".bookshelf-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
