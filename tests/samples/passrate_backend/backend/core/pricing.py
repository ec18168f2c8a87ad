"""Prices are Decimals in the shop currency; everything is rounded to cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal | str | int) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def round_up_to_multiple(value: int, multiple: int) -> int:
    """Round ``value`` up to the next multiple of ``multiple`` (pack sizes)."""
    if multiple <= 0:
        raise ValueError("multiple must be positive")
    return (value // multiple + 1) * multiple


def apply_discount(price: Decimal, percent: int) -> Decimal:
    if not 0 <= percent <= 100:
        raise ValueError(f"discount must be between 0 and 100, got {percent}")
    return to_cents(price * (100 - percent) / 100)


def line_total(unit_price: Decimal, quantity: int, pack_size: int = 1) -> Decimal:
    """Items sold in packs are billed per started pack."""
    billable = quantity if pack_size == 1 else round_up_to_multiple(quantity, pack_size)
    return to_cents(unit_price * billable)


def order_total(lines: list[tuple[Decimal, int]], discount_percent: int = 0) -> Decimal:
    subtotal = sum((line_total(price, qty) for price, qty in lines), Decimal("0"))
    return apply_discount(subtotal, discount_percent)
