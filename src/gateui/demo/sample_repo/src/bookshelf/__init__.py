"""bookshelf: a small library catalogue."""

from bookshelf.catalog import Book, Catalog, DuplicateBook
from bookshelf.isbn import InvalidISBN, to_isbn13
from bookshelf.loans import Loan, LoanError, Loans
from bookshelf.search import search
from bookshelf.storage import JsonStore

__all__ = [
    "Book",
    "Catalog",
    "DuplicateBook",
    "InvalidISBN",
    "JsonStore",
    "Loan",
    "LoanError",
    "Loans",
    "search",
    "to_isbn13",
]
__version__ = "0.3.0"
