"""Smoke: a registered customer logs in and checks out."""

from decimal import Decimal

import pytest

from core.auth import AuthError
from core.pricing import order_total

pytestmark = pytest.mark.smoke


def test_login_issues_token(auth_token):
    assert auth_token.count(".") == 1


def test_token_authenticates_customer(user_store, auth_token, now):
    user = user_store.authenticate(auth_token, now)

    assert user.email == "ada@example.com"
    assert "customer" in user.roles


def test_wrong_password_is_rejected(user_store, customer, now):
    with pytest.raises(AuthError, match="invalid credentials"):
        user_store.login("ada@example.com", "wrong horse battery", now)


def test_expired_token_is_rejected(user_store, auth_token, now):
    with pytest.raises(AuthError, match="expired"):
        user_store.authenticate(auth_token, now + 3600)


def test_authenticated_checkout(user_store, auth_token, inventory, now):
    user_store.authenticate(auth_token, now)
    inventory.reserve("SKU-MUG", 2)

    total = order_total([(Decimal("9.99"), 2), (Decimal("4.50"), 1)], discount_percent=10)
    inventory.commit("SKU-MUG", 2)

    assert total == Decimal("22.03")
    assert inventory.available("SKU-MUG") == 10
