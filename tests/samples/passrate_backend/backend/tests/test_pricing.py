from decimal import Decimal

import pytest

from core.pricing import apply_discount, line_total, round_up_to_multiple, to_cents


@pytest.mark.parametrize(
    ("value", "multiple", "expected"),
    [
        (7, 5, 10),
        (11, 5, 15),
        (1, 12, 12),
        (10, 5, 10),  # already a multiple: must stay as it is
    ],
)
def test_round_up_to_multiple(value, multiple, expected):
    assert round_up_to_multiple(value, multiple) == expected


def test_round_up_to_multiple_rejects_zero():
    with pytest.raises(ValueError):
        round_up_to_multiple(3, 0)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("1.005", "1.01"), ("2.675", "2.68"), ("0.004", "0.00")],
)
def test_to_cents_rounds_half_up(amount, expected):
    assert to_cents(amount) == Decimal(expected)


@pytest.mark.parametrize(
    ("percent", "expected"),
    [(0, "80.00"), (15, "68.00"), (33, "53.60"), (100, "0.00")],
)
def test_apply_discount(percent, expected):
    assert apply_discount(Decimal("80.00"), percent) == Decimal(expected)


@pytest.mark.parametrize("percent", [-5, 101])
def test_apply_discount_out_of_range(percent):
    with pytest.raises(ValueError):
        apply_discount(Decimal("10"), percent)


def test_line_total_bills_started_packs():
    assert line_total(Decimal("0.40"), 13, pack_size=6) == Decimal("7.20")
