"""Money: Decimal amounts in a currency, stored as integers in the minor unit.

One rounding rule everywhere: half-up at the currency's precision. Remainders
are allocated explicitly (:meth:`Money.allocate`) so that parts always add up
to the whole. Floats are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

#: Digits after the decimal point for the currencies xtycore knows.
CURRENCY_EXPONENTS: dict[str, int] = {
    "CNY": 2, "HKD": 2, "TWD": 2, "MOP": 2, "USD": 2, "EUR": 2, "GBP": 2,
    "SGD": 2, "AUD": 2, "CAD": 2, "KRW": 0, "JPY": 0,
}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValueError(
            f"unknown currency {currency!r}; known: {', '.join(sorted(CURRENCY_EXPONENTS))}"
        ) from None


def _to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is never a float: pass a Decimal, an int or a string")
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    return Decimal(value)


@dataclass(frozen=True, order=False)
class Money:
    """An amount of one currency, always quantized to the currency's precision."""

    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self) -> None:
        quantum = Decimal(1).scaleb(-exponent(self.currency))
        amount = _to_decimal(self.amount).quantize(quantum, rounding=ROUND_HALF_UP)
        object.__setattr__(self, "amount", amount)

    # construction -----------------------------------------------------
    @classmethod
    def from_minor(cls, minor: int, currency: str = "CNY") -> Money:
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise TypeError(f"minor units must be an int, got {type(minor).__name__}")
        return cls(Decimal(minor).scaleb(-exponent(currency)), currency)

    @classmethod
    def zero(cls, currency: str = "CNY") -> Money:
        return cls(Decimal(0), currency)

    @property
    def minor(self) -> int:
        """The amount in the currency's minor unit (fen for CNY)."""
        return int(self.amount.scaleb(exponent(self.currency)))

    # arithmetic -------------------------------------------------------
    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int | str) -> Money:
        return Money(self.amount * _to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    @staticmethod
    def sum(items: Iterable[Money], currency: str = "CNY") -> Money:
        total = Money.zero(currency)
        for item in items:
            total = total + item
        return total

    def allocate(self, weights: Sequence[int | Decimal]) -> list[Money]:
        """Split this amount in proportion to ``weights``; the parts add up exactly.

        Each part is rounded down to the minor unit, then the remaining minor
        units go one by one to the parts with the largest remainders (ties to
        the earliest), so the result is deterministic.
        """
        weights = [_to_decimal(w) for w in weights]
        if not weights:
            raise ValueError("allocate needs at least one weight")
        if any(w < 0 for w in weights):
            raise ValueError("weights must not be negative")
        total_weight = sum(weights)
        total = self.minor
        if total_weight == 0:
            raise ValueError("weights must not all be zero")
        sign = -1 if total < 0 else 1
        total = abs(total)
        exact = [Decimal(total) * w / total_weight for w in weights]
        parts = [int(x) for x in exact]
        leftover = total - sum(parts)
        order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))
        for i in order[:leftover]:
            parts[i] += 1
        return [Money.from_minor(sign * p, self.currency) for p in parts]
