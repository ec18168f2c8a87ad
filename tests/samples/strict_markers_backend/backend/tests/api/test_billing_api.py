import pytest


@pytest.mark.intergration
def test_partial_then_full_payment_marks_invoice_paid(api, customer_id):
    lines = [{"description": "Support plan", "quantity": 1, "unit_price": "100.00"}]
    number = api.create_invoice({"customer_id": customer_id, "issued": "2024-05-02", "lines": lines})[
        "number"
    ]

    assert api.record_payment(number, "20.00")["status"] == "issued"
    assert api.record_payment(number, "100.00") == {
        "number": number,
        "status": "paid",
        "paid": "120.00",
    }
