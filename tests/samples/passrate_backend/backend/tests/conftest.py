import pytest

from core.auth import UserStore
from core.inventory import Inventory

NOW = 1_700_000_000  # fixed "current time" for token tests


@pytest.fixture
def now() -> int:
    return NOW


@pytest.fixture
def user_store() -> UserStore:
    return UserStore(secret=b"test-secret-do-not-use")


@pytest.fixture
def customer(user_store):
    return user_store.register("Ada@Example.COM", "correct horse battery")


@pytest.fixture
def auth_token(user_store, customer, now) -> str:
    """Bearer token of a logged-in customer."""
    return user_store.login("ada@example.com", "correct horse battery", now)


@pytest.fixture
def inventory() -> Inventory:
    return Inventory({"SKU-MUG": 12, "SKU-TEE": 3, "SKU-CAP": 0})
