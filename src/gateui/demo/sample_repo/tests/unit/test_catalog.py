import pytest

from bookshelf import Book, DuplicateBook


def test_create_normalizes_isbn_and_tags():
    book = Book.create("0-201-61622-X", " The Pragmatic Programmer ", ["Andrew Hunt"], 1999,
                       ["Programming ", "CRAFT"])

    assert book.isbn == "9780201616224"
    assert book.title == "The Pragmatic Programmer"
    assert book.tags == {"programming", "craft"}


def test_same_book_under_isbn10_and_isbn13_is_a_duplicate(catalog):
    with pytest.raises(DuplicateBook):
        catalog.add(Book.create("9780201616224", "The Pragmatic Programmer", ["Hunt"], 1999))


def test_get_accepts_any_isbn_form(catalog):
    assert catalog.get("0-201-61622-X").title == "The Pragmatic Programmer"


def test_by_author_is_sorted_by_year(catalog):
    assert [b.title for b in catalog.by_author("austen")] == ["Pride and Prejudice", "Emma"]


def test_empty_title_is_rejected():
    with pytest.raises(ValueError, match="title"):
        Book.create("9780141439518", "   ", ["Jane Austen"], 1813)


def test_remove(catalog):
    removed = catalog.remove("9780141439471")

    assert removed.title == "Frankenstein"
    assert "9780141439471" not in catalog
    assert len(catalog) == 3
