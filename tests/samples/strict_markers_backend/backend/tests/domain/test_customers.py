import pytest

from app.domain.customers import Customer, normalize_vat_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("DE 123.456.789", "DE123456789"), ("fr-12345678901", "FR12345678901")],
)
def test_normalize_vat_id(raw, expected):
    assert normalize_vat_id(raw) == expected


def test_invalid_vat_id():
    with pytest.raises(ValueError, match="invalid VAT id"):
        normalize_vat_id("12345")


def test_business_customer_has_vat_id():
    assert Customer("c1", "Northwind", "DE123456789").is_business
    assert not Customer("c2", "Jane Doe").is_business
