from decimal import Decimal

import pytest

from xtycore.domain.money import CurrencyMismatch, Money


def test_amounts_are_quantized_half_up_at_the_currency_precision():
    assert Money("1.005").amount == Decimal("1.01")
    assert Money("1.004").amount == Decimal("1.00")
    assert Money("-1.005").amount == Decimal("-1.01")
    assert Money("100.5", "JPY").amount == Decimal("101")


def test_floats_are_refused():
    with pytest.raises(TypeError, match="never a float"):
        Money(0.1)
    with pytest.raises(TypeError):
        Money("1") * 1.5


def test_minor_units_round_trip():
    assert Money.from_minor(12345).amount == Decimal("123.45")
    assert Money("123.45").minor == 12345
    assert Money.from_minor(500, "JPY").minor == 500


def test_currencies_do_not_mix():
    with pytest.raises(CurrencyMismatch):
        Money("1", "CNY") + Money("1", "USD")


@pytest.mark.parametrize("total, weights", [("100.00", [1, 1, 1]), ("0.05", [3, 3, 3, 1]), ("-10.00", [1, 2])])
def test_allocation_adds_up_exactly_to_the_whole(total, weights):
    parts = Money(total).allocate(weights)
    assert Money.sum(parts) == Money(total)
    assert len(parts) == len(weights)


def test_allocation_gives_leftover_cents_to_the_largest_remainders_first():
    assert [p.minor for p in Money("100.00").allocate([1, 1, 1])] == [3334, 3333, 3333]
    assert [p.minor for p in Money("0.10").allocate([1, 2])] == [3, 7]


def test_unknown_currency_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown currency 'XXX'"):
        Money("1", "XXX")
