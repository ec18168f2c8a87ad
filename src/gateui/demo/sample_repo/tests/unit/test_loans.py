from datetime import date
from decimal import Decimal

import pytest

from bookshelf import LoanError, Loans
from bookshelf.loans import due_date

PRIDE = "9780141439518"  # 2 copies
EMMA = "9780141439600"  # 1 copy


@pytest.fixture
def loans(catalog):
    return Loans(catalog)


def test_due_date_is_21_days_later():
    assert due_date(date(2024, 3, 1)) == date(2024, 3, 22)


def test_due_date_on_sunday_moves_to_monday():
    # 2024-03-03 + 21 days = Sunday 2024-03-24
    assert due_date(date(2024, 3, 3)) == date(2024, 3, 25)


def test_checkout_reduces_availability(loans):
    loans.checkout(PRIDE, "ana", on=date(2024, 3, 1))

    assert loans.available(PRIDE) == 1


def test_no_copies_left(loans):
    loans.checkout(EMMA, "ana", on=date(2024, 3, 1))

    with pytest.raises(LoanError, match="no copies"):
        loans.checkout(EMMA, "ben", on=date(2024, 3, 2))


def test_same_member_cannot_borrow_twice(loans):
    loans.checkout(PRIDE, "ana", on=date(2024, 3, 1))

    with pytest.raises(LoanError, match="already has"):
        loans.checkout(PRIDE, "ana", on=date(2024, 3, 2))


def test_renewals_are_limited(loans):
    loans.checkout(PRIDE, "ana", on=date(2024, 3, 1))
    first = loans.renew(PRIDE, "ana", on=date(2024, 3, 20))
    loans.renew(PRIDE, "ana", on=date(2024, 4, 1))

    assert first.due == date(2024, 4, 12)
    with pytest.raises(LoanError, match="limit"):
        loans.renew(PRIDE, "ana", on=date(2024, 4, 2))


@pytest.mark.parametrize(
    ("returned", "fine"),
    [(date(2024, 3, 22), Decimal("0.00")), (date(2024, 3, 26), Decimal("1.00"))],
)
def test_fine_for_late_return(loans, returned, fine):
    loans.checkout(PRIDE, "ana", on=date(2024, 3, 1))

    loan = loans.return_book(PRIDE, "ana", on=returned)

    assert loan.fine(today=date(2024, 6, 1)) == fine


def test_fine_is_capped(loans):
    loan = loans.checkout(PRIDE, "ana", on=date(2024, 1, 1))

    assert loan.fine(today=date(2024, 12, 31)) == Decimal("10.00")


def test_overdue_report(loans):
    loans.checkout(PRIDE, "ana", on=date(2024, 3, 1))
    loans.checkout(EMMA, "ben", on=date(2024, 3, 10))

    assert [loan.member for loan in loans.overdue(today=date(2024, 3, 25))] == ["ana"]
