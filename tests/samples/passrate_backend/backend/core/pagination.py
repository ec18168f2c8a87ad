from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page) if self.total else 0

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(items: Sequence[T], page: int = 1, per_page: int = 20) -> Page[T]:
    if page < 1:
        raise ValueError("page numbers start at 1")
    if not 1 <= per_page <= 100:
        raise ValueError("per_page must be between 1 and 100")
    start = (page - 1) * per_page
    return Page(list(items[start : start + per_page]), page, per_page, len(items))
