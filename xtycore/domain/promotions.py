"""The promotion type contract: evaluate a cart, explain the result.

The engine (lanes, priority, exclusivity, usage limits, allocation) belongs to
the kernel; a promotion type only says what it would discount and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

from xtycore.domain.money import Money

if TYPE_CHECKING:  # pragma: no cover
    from marshmallow import Schema


@dataclass(frozen=True)
class CartLine:
    line_id: str
    sku: str
    product_id: str
    quantity: int
    unit_price: Money
    category_ids: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class CartSnapshot:
    """An immutable view of a cart at the moment promotions are evaluated."""

    lines: Sequence[CartLine]
    currency: str = "CNY"
    customer_id: str | None = None
    customer_tier: str | None = None
    shipping: Money | None = None
    coupon_codes: frozenset[str] = frozenset()

    @property
    def subtotal(self) -> Money:
        return Money.sum((line.total for line in self.lines), self.currency)


@dataclass(frozen=True)
class LineDiscount:
    line_id: str
    amount: Money


@dataclass(frozen=True)
class PromotionResult:
    """What a promotion would do to a cart.

    ``applies`` is False when the cart does not qualify; ``explanation`` is
    always a sentence for the customer (why it applied, or how far the cart is
    from qualifying: "再买 ¥20 可减 ¥20").
    """

    applies: bool
    explanation: str
    order_discount: Money | None = None
    line_discounts: Sequence[LineDiscount] = field(default_factory=tuple)
    shipping_discount: Money | None = None
    gift_skus: Sequence[str] = field(default_factory=tuple)


@runtime_checkable
class PromotionType(Protocol):
    """A promotion type (满减, 满折, 第二件半价 …), registered by ``xtycore_register_promotion_types``."""

    code: ClassVar[str] | str
    name: ClassVar[str] | str
    params_schema: ClassVar[type[Schema]] | type[Schema]

    def evaluate(self, cart: CartSnapshot, params: Mapping[str, Any]) -> PromotionResult:
        """Evaluate the promotion with merchant ``params`` against ``cart``. Pure: no I/O."""
