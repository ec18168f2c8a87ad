from pathlib import Path

import pytest

from app.api.handlers import Api

DOMAIN_TESTS = Path(__file__).parent / "domain"


def pytest_collection_modifyitems(config, items):
    # Everything under tests/domain/ is a unit test by location; the files
    # there deliberately carry no marker of their own.
    for item in items:
        if DOMAIN_TESTS in item.path.parents:
            item.add_marker(pytest.mark.unit)


@pytest.fixture
def api():
    return Api()


@pytest.fixture
def customer_id(api):
    return api.create_customer({"name": "Northwind GmbH", "vat_id": "DE 123.456.789"})["id"]
