"""Order use cases that the kernel already offers: order numbers and tax."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from xtycore.domain.contributions import TaxLine
from xtycore.domain.couriers import Address
from xtycore.domain.errors import PluginError
from xtycore.domain.promotions import CartLine
from xtycore.kernel import get_kernel
from xtycore.plugins import FaultPolicy

MAX_ORDER_NUMBER = 32


def new_order_number(order: Mapping[str, Any]) -> str:
    """The number of a new order, from the first plugin that chooses one (fail closed)."""
    number = get_kernel().plugins.first("xtycore_order_number", policy=FaultPolicy.CLOSED, order=order)
    if not isinstance(number, str) or not number or len(number) > MAX_ORDER_NUMBER:
        raise PluginError(f"order number {number!r} is not a string of 1 to {MAX_ORDER_NUMBER} characters")
    return number


def compute_tax(lines: Sequence[CartLine], address: Address | None, currency: str) -> list[TaxLine]:
    """Tax lines from every enabled tax plugin (fail closed: no tax, no order)."""
    taxes = [
        line for _plugin, line in get_kernel().plugins.collect(
            "xtycore_compute_tax", policy=FaultPolicy.CLOSED, lines=lines, address=address, currency=currency
        )
    ]
    for line in taxes:
        if line.amount.currency != currency:
            raise PluginError(f"tax line {line.label!r} is in {line.amount.currency}, the order in {currency}")
    return taxes
