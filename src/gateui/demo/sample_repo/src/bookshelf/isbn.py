"""ISBN-10 and ISBN-13 validation and conversion."""

from __future__ import annotations


class InvalidISBN(ValueError):
    pass


def clean(raw: str) -> str:
    """Strip hyphens and spaces; upper-case a trailing ``x``."""
    return raw.replace("-", "").replace(" ", "").strip().upper()


def isbn10_check_digit(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def isbn13_check_digit(first12: str) -> str:
    total = sum((1 if i % 2 == 0 else 3) * int(d) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_isbn10(raw: str) -> bool:
    isbn = clean(raw)
    if len(isbn) != 10 or not isbn[:9].isdigit():
        return False
    return isbn[9] == isbn10_check_digit(isbn[:9])


def is_valid_isbn13(raw: str) -> bool:
    isbn = clean(raw)
    if len(isbn) != 13 or not isbn.isdigit() or isbn[:3] not in ("978", "979"):
        return False
    return isbn[12] == isbn13_check_digit(isbn[:12])


def to_isbn13(raw: str) -> str:
    """Validate ``raw`` (ISBN-10 or ISBN-13) and return it as a bare ISBN-13."""
    isbn = clean(raw)
    if is_valid_isbn13(isbn):
        return isbn
    if is_valid_isbn10(isbn):
        body = "978" + isbn[:9]
        return body + isbn13_check_digit(body)
    raise InvalidISBN(f"not a valid ISBN-10 or ISBN-13: {raw!r}")


def format_isbn13(isbn: str) -> str:
    """``9780141439518`` -> ``978-0-14-143951-8`` is publisher-specific; we only
    split off the prefix and the check digit: ``978-014143951-8``."""
    isbn = to_isbn13(isbn)
    return f"{isbn[:3]}-{isbn[3:12]}-{isbn[12]}"
