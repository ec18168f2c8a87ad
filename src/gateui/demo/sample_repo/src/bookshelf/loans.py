"""Loans and due dates. All dates are passed in: nothing reads the clock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from bookshelf.catalog import Catalog

LOAN_DAYS = 21
MAX_RENEWALS = 2
FINE_PER_DAY = Decimal("0.25")
MAX_FINE = Decimal("10.00")


class LoanError(Exception):
    pass


@dataclass(frozen=True)
class Loan:
    isbn: str
    member: str
    start: date
    due: date
    renewals: int = 0
    returned: date | None = None

    def days_overdue(self, today: date) -> int:
        end = self.returned or today
        return max(0, (end - self.due).days)

    def fine(self, today: date) -> Decimal:
        return min(MAX_FINE, FINE_PER_DAY * self.days_overdue(today))


def due_date(start: date, days: int = LOAN_DAYS) -> date:
    """Due date ``days`` after ``start``; a due date on a Sunday moves to Monday."""
    due = start + timedelta(days=days)
    if due.weekday() == 6:
        due += timedelta(days=1)
    return due


class Loans:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._loans: list[Loan] = []

    def active(self, isbn: str | None = None) -> list[Loan]:
        return [
            loan
            for loan in self._loans
            if loan.returned is None and (isbn is None or loan.isbn == isbn)
        ]

    def available(self, isbn: str) -> int:
        return self.catalog.get(isbn).copies - len(self.active(isbn))

    def checkout(self, isbn: str, member: str, on: date) -> Loan:
        book = self.catalog.get(isbn)
        if any(loan.member == member for loan in self.active(book.isbn)):
            raise LoanError(f"{member} already has {book.title!r}")
        if self.available(book.isbn) <= 0:
            raise LoanError(f"no copies of {book.title!r} available")
        loan = Loan(book.isbn, member, on, due_date(on))
        self._loans.append(loan)
        return loan

    def _find(self, isbn: str, member: str) -> int:
        for index, loan in enumerate(self._loans):
            if loan.isbn == isbn and loan.member == member and loan.returned is None:
                return index
        raise LoanError(f"{member} has no active loan of {isbn}")

    def renew(self, isbn: str, member: str, on: date) -> Loan:
        index = self._find(isbn, member)
        loan = self._loans[index]
        if loan.renewals >= MAX_RENEWALS:
            raise LoanError("renewal limit reached")
        if on > loan.due:
            raise LoanError("overdue loans cannot be renewed")
        renewed = replace(loan, due=due_date(loan.due), renewals=loan.renewals + 1)
        self._loans[index] = renewed
        return renewed

    def return_book(self, isbn: str, member: str, on: date) -> Loan:
        index = self._find(isbn, member)
        returned = replace(self._loans[index], returned=on)
        self._loans[index] = returned
        return returned

    def overdue(self, today: date) -> list[Loan]:
        return [loan for loan in self.active() if loan.days_overdue(today) > 0]
