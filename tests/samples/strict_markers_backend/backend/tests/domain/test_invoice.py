from datetime import date

import pytest

from app.domain.invoice import Invoice
from app.domain.money import Money


@pytest.fixture
def invoice():
    inv = Invoice("INV-00001", "c1", issued=date(2024, 1, 31))
    inv.add_line("Consulting", 3, Money.of("150.00"))
    inv.add_line("Travel", 1, Money.of("80.50"))
    return inv


def test_totals(invoice):
    assert invoice.net == Money.of("530.50")
    assert invoice.vat == Money.of("106.10")
    assert invoice.gross == Money.of("636.60")


def test_due_date_crosses_month_end(invoice):
    assert invoice.due == date(2024, 3, 1)


def test_issued_invoice_is_frozen(invoice):
    invoice.issue()
    with pytest.raises(ValueError, match="only draft"):
        invoice.add_line("Extra", 1, Money.of(1))


def test_empty_invoice_cannot_be_issued():
    with pytest.raises(ValueError, match="empty"):
        Invoice("INV-00002", "c1", issued=date(2024, 1, 1)).issue()


@pytest.mark.parametrize(("today", "overdue"), [(date(2024, 3, 1), False), (date(2024, 3, 2), True)])
def test_overdue(invoice, today, overdue):
    invoice.issue()
    assert invoice.is_overdue(today) is overdue
