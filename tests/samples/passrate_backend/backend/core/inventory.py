"""Stock levels with reservations (held while a checkout is in progress)."""

from __future__ import annotations


class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self, stock: dict[str, int] | None = None) -> None:
        self._stock: dict[str, int] = dict(stock or {})
        self._reserved: dict[str, int] = {}

    def restock(self, sku: str, quantity: int) -> None:
        if quantity <= 0:
            raise ValueError("restock quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) + quantity

    def available(self, sku: str) -> int:
        return self._stock.get(sku, 0) - self._reserved.get(sku, 0)

    def reserve(self, sku: str, quantity: int) -> None:
        if quantity > self.available(sku):
            raise OutOfStock(f"{sku}: wanted {quantity}, {self.available(sku)} available")
        self._reserved[sku] = self._reserved.get(sku, 0) + quantity

    def release(self, sku: str, quantity: int) -> None:
        held = self._reserved.get(sku, 0)
        if quantity > held:
            raise ValueError(f"{sku}: cannot release {quantity}, only {held} reserved")
        self._reserved[sku] = held - quantity

    def commit(self, sku: str, quantity: int) -> None:
        """Turn a reservation into a sale."""
        self.release(sku, quantity)
        self._stock[sku] -= quantity

    def low_stock(self, threshold: int) -> list[str]:
        return sorted(sku for sku in self._stock if self.available(sku) <= threshold)
