"""Blob storage. Production uses object storage; this in-memory store backs
local development and the test-suite."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.data).hexdigest()[:16] + '"'


class FileNotFound(KeyError):
    pass


class InMemoryStorage:
    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._ids = itertools.count(1)

    def put(self, data: bytes, filename: str, content_type: str) -> StoredFile:
        file_id = f"f_{next(self._ids):06d}"
        stored = StoredFile(file_id, filename, content_type, bytes(data))
        self._files[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        try:
            return self._files[file_id]
        except KeyError:
            raise FileNotFound(file_id) from None

    def __len__(self) -> int:
        return len(self._files)
