"""Catalogue similarity search. Production talks to LanceDB; locally (and when
LANCEDB_URI is unset) an in-memory store with the same interface is used."""

from __future__ import annotations

import math
import os


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


class InMemoryVectorStore:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._rows: dict[str, list[float]] = {}

    def upsert(self, key: str, vector: list[float]) -> None:
        if len(vector) != self.dim:
            raise ValueError(f"expected {self.dim} dimensions, got {len(vector)}")
        self._rows[key] = list(vector)

    def search(self, query: list[float], k: int = 3) -> list[tuple[str, float]]:
        scored = [(key, cosine(query, vec)) for key, vec in self._rows.items()]
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        return scored[:k]

    def __len__(self) -> int:
        return len(self._rows)


class LanceVectorStore:
    """Thin adapter over a LanceDB table (only used when LANCEDB_URI is set)."""

    def __init__(self, uri: str, dim: int, table: str = "catalog") -> None:
        import lancedb  # type: ignore[import-not-found]  # installed in CI only

        self.dim = dim
        self._db = lancedb.connect(uri)
        self._table_name = table
        self._table = None

    def upsert(self, key: str, vector: list[float]) -> None:
        if len(vector) != self.dim:
            raise ValueError(f"expected {self.dim} dimensions, got {len(vector)}")
        row = [{"id": key, "vector": list(vector)}]
        if self._table is None:
            self._table = self._db.create_table(self._table_name, data=row, mode="overwrite")
        else:
            self._table.delete(f"id = '{key}'")
            self._table.add(row)

    def search(self, query: list[float], k: int = 3) -> list[tuple[str, float]]:
        if self._table is None:
            return []
        hits = self._table.search(query).metric("cosine").limit(k).to_list()
        return [(hit["id"], 1.0 - hit["_distance"]) for hit in hits]

    def __len__(self) -> int:
        return 0 if self._table is None else self._table.count_rows()


def connect(dim: int, uri: str | None = None) -> InMemoryVectorStore | LanceVectorStore:
    uri = uri if uri is not None else os.environ.get("LANCEDB_URI")
    if not uri:
        return InMemoryVectorStore(dim)
    return LanceVectorStore(uri, dim)
