"""Books and the catalogue that holds them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from bookshelf.isbn import to_isbn13


class DuplicateBook(ValueError):
    pass


@dataclass(frozen=True)
class Book:
    isbn: str
    title: str
    authors: tuple[str, ...]
    year: int
    tags: frozenset[str] = field(default_factory=frozenset)
    copies: int = 1

    @classmethod
    def create(
        cls,
        isbn: str,
        title: str,
        authors: Iterable[str],
        year: int,
        tags: Iterable[str] = (),
        copies: int = 1,
    ) -> Book:
        if not title.strip():
            raise ValueError("a book needs a title")
        if copies < 0:
            raise ValueError("copies cannot be negative")
        return cls(
            to_isbn13(isbn),
            title.strip(),
            tuple(a.strip() for a in authors),
            int(year),
            frozenset(t.strip().lower() for t in tags),
            copies,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "isbn": self.isbn,
            "title": self.title,
            "authors": list(self.authors),
            "year": self.year,
            "tags": sorted(self.tags),
            "copies": self.copies,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Book:
        return cls.create(
            str(data["isbn"]),
            str(data["title"]),
            data.get("authors", []),  # type: ignore[arg-type]
            int(data["year"]),  # type: ignore[arg-type]
            data.get("tags", []),  # type: ignore[arg-type]
            int(data.get("copies", 1)),  # type: ignore[arg-type]
        )


class Catalog:
    def __init__(self, books: Iterable[Book] = ()) -> None:
        self._books: dict[str, Book] = {}
        for book in books:
            self.add(book)

    def add(self, book: Book) -> None:
        if book.isbn in self._books:
            raise DuplicateBook(f"{book.isbn} is already in the catalogue")
        self._books[book.isbn] = book

    def get(self, isbn: str) -> Book:
        return self._books[to_isbn13(isbn)]

    def remove(self, isbn: str) -> Book:
        return self._books.pop(to_isbn13(isbn))

    def by_author(self, author: str) -> list[Book]:
        needle = author.casefold()
        return sorted(
            (b for b in self if any(needle in a.casefold() for a in b.authors)),
            key=lambda b: (b.year, b.title),
        )

    def __contains__(self, isbn: object) -> bool:
        return isinstance(isbn, str) and isbn in self._books

    def __iter__(self) -> Iterator[Book]:
        return iter(self._books.values())

    def __len__(self) -> int:
        return len(self._books)
