import pytest

from core.inventory import Inventory, OutOfStock


def test_available_starts_at_stock(inventory):
    assert inventory.available("SKU-MUG") == 12


def test_reserve_reduces_available(inventory):
    inventory.reserve("SKU-TEE", 2)
    assert inventory.available("SKU-TEE") == 1


def test_cannot_reserve_more_than_available(inventory):
    inventory.reserve("SKU-TEE", 2)
    with pytest.raises(OutOfStock, match="1 available"):
        inventory.reserve("SKU-TEE", 2)


def test_release_returns_stock(inventory):
    inventory.reserve("SKU-MUG", 5)
    inventory.release("SKU-MUG", 5)
    assert inventory.available("SKU-MUG") == 12


def test_cannot_release_more_than_reserved(inventory):
    inventory.reserve("SKU-MUG", 1)
    with pytest.raises(ValueError, match="only 1 reserved"):
        inventory.release("SKU-MUG", 2)


def test_commit_sells_reserved_units(inventory):
    inventory.reserve("SKU-MUG", 3)
    inventory.commit("SKU-MUG", 3)
    assert inventory.available("SKU-MUG") == 9


def test_restock_requires_positive_quantity():
    with pytest.raises(ValueError):
        Inventory().restock("SKU-MUG", 0)


def test_low_stock_report(inventory):
    assert inventory.low_stock(threshold=3) == ["SKU-CAP", "SKU-TEE"]
