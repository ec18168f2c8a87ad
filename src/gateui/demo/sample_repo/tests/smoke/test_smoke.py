"""Does bookshelf work at all? Catalogue -> search -> loan -> return -> disk."""

import time
from datetime import date
from decimal import Decimal

import bookshelf
from bookshelf import Book, Catalog, JsonStore, Loans, search


def test_package_imports():
    assert bookshelf.__version__ == "0.3.0"


def test_add_search_borrow_return(catalog):
    time.sleep(0.1)  # demo pacing: lets the live run be followed in `gateui demo`
    book = search(catalog, "frankenstein")[0]
    loans = Loans(catalog)

    loan = loans.checkout(book.isbn, "ana", on=date(2024, 5, 1))
    loans.return_book(book.isbn, "ana", on=date(2024, 5, 10))

    assert loan.due == date(2024, 5, 22)
    assert loans.available(book.isbn) == 1


def test_catalogue_survives_a_restart(tmp_path):
    time.sleep(0.05)  # demo pacing
    store = JsonStore(tmp_path / "shelf.json")
    store.save(Catalog([Book.create("9780143039433", "Moby-Dick", ["Herman Melville"], 1851)]))

    assert JsonStore(tmp_path / "shelf.json").load().get("9780143039433").title == "Moby-Dick"


def test_late_return_costs_a_fine(catalog):
    loans = Loans(catalog)
    loans.checkout("9780141439518", "ben", on=date(2024, 1, 8))

    loan = loans.return_book("9780141439518", "ben", on=date(2024, 2, 5))

    assert loan.days_overdue(today=date(2024, 2, 5)) == 7
    assert loan.fine(today=date(2024, 2, 5)) == Decimal("1.75")
