"""Built-in order numbers: readable, unique in practice, not guessable.

``20261126-7K3Q9X2M``: the shop-local date, then eight characters of Crockford
base 32 (no I, L, O, U, so it reads well over the phone) from a CSPRNG, about
1.1 × 10^12 values a day. The orders table's unique constraint is the backstop;
the order service retries on the rare collision.
"""

from __future__ import annotations

import secrets
from typing import Any, Mapping

from xtycore import hookimpl

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_code(length: int = 8) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


@hookimpl(trylast=True)
def xtycore_order_number(order: Mapping[str, Any]) -> str:
    return f"{order['created_at']:%Y%m%d}-{random_code()}"
