import pytest

from bookshelf.isbn import (
    InvalidISBN,
    format_isbn13,
    is_valid_isbn10,
    is_valid_isbn13,
    to_isbn13,
)


@pytest.mark.parametrize("isbn", ["0-201-61622-X", "0140449264"])
def test_valid_isbn10(isbn):
    assert is_valid_isbn10(isbn)


@pytest.mark.parametrize("isbn", ["978-0-14-143951-8", "9780393089059"])
def test_valid_isbn13(isbn):
    assert is_valid_isbn13(isbn)


@pytest.mark.parametrize("isbn", ["0-201-61622-1", "9780141439519", "12345"])
def test_invalid_isbns_are_rejected(isbn):
    with pytest.raises(InvalidISBN):
        to_isbn13(isbn)


def test_isbn10_converts_to_isbn13():
    assert to_isbn13("0-201-61622-X") == "9780201616224"


def test_format_isbn13():
    assert format_isbn13("0140449264") == "978-014044926-6"
