import pytest

from app.api.handlers import NotFound

pytestmark = pytest.mark.integration


def test_create_business_customer(api):
    body = api.create_customer({"name": " Northwind GmbH ", "vat_id": "de123456789"})

    assert body == {"id": "c1", "name": "Northwind GmbH", "business": True}


def test_get_customer_returns_normalized_vat_id(api, customer_id):
    assert api.get_customer(customer_id)["vat_id"] == "DE123456789"


def test_unknown_customer(api):
    with pytest.raises(NotFound):
        api.get_customer("c404")
