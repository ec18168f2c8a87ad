"""Simple ranked search over titles, authors and tags."""

from __future__ import annotations

import re

from bookshelf.catalog import Book, Catalog

_WORD = re.compile(r"[^\W_]+")


def tokenize(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def score(book: Book, terms: list[str]) -> int:
    title = set(tokenize(book.title))
    authors = set(tokenize(" ".join(book.authors)))
    points = 0
    for term in terms:
        if term in title:
            points += 3
        if term in authors:
            points += 2
        if term in book.tags:
            points += 1
    return points


def search(
    catalog: Catalog,
    query: str,
    year_from: int | None = None,
    year_to: int | None = None,
) -> list[Book]:
    """Books matching at least one term, best first (ties: older first, then title)."""
    terms = tokenize(query)
    if not terms:
        return []
    hits = []
    for book in catalog:
        if year_from is not None and book.year < year_from:
            continue
        if year_to is not None and book.year > year_to:
            continue
        points = score(book, terms)
        if points:
            hits.append((points, book))
    hits.sort(key=lambda pb: (-pb[0], pb[1].year, pb[1].title))
    return [book for _, book in hits]
