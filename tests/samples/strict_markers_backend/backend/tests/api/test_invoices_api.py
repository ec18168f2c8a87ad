import pytest

from app.api.handlers import NotFound

pytestmark = pytest.mark.integration

LINES = [
    {"description": "Licence", "quantity": 2, "unit_price": "499.00"},
    {"description": "Onboarding", "quantity": 1, "unit_price": "250.00"},
]


def test_create_invoice(api, customer_id):
    body = api.create_invoice({"customer_id": customer_id, "issued": "2024-05-02", "lines": LINES})

    assert body == {
        "number": "INV-00001",
        "status": "issued",
        "net": "1248.00",
        "vat": "249.60",
        "gross": "1497.60",
        "due": "2024-06-01",
    }


def test_invoice_for_unknown_customer(api):
    with pytest.raises(NotFound):
        api.create_invoice({"customer_id": "c404", "issued": "2024-05-02", "lines": LINES})


def test_invoice_numbers_increase(api, customer_id):
    first = api.create_invoice({"customer_id": customer_id, "issued": "2024-05-02", "lines": LINES})
    second = api.create_invoice({"customer_id": customer_id, "issued": "2024-05-03", "lines": LINES})

    assert (first["number"], second["number"]) == ("INV-00001", "INV-00002")
