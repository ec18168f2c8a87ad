from decimal import Decimal

import pytest

from app.domain.money import Money


def test_of_rounds_half_even():
    assert Money.of("2.345").amount == Decimal("2.34")
    assert Money.of("2.355").amount == Decimal("2.36")


def test_addition():
    assert Money.of("1.10") + Money.of("2.20") == Money.of("3.30")


def test_currency_mismatch():
    with pytest.raises(ValueError, match="currency mismatch"):
        Money.of(1) + Money.of(1, "USD")


def test_times():
    assert Money.of("19.99").times(3) == Money.of("59.97")


def test_str():
    assert str(Money.of("5", "CHF")) == "5.00 CHF"
