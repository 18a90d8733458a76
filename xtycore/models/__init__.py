"""Database tables. Persistence only: the rules live in :mod:`xtycore.domain` and
:mod:`xtycore.services`."""

from xtycore.models.kernel import (  # noqa: F401
    CapabilityInstance,
    KernelState,
    PluginFailure,
    PluginState,
    Setting,
)
from xtycore.models.accounts import Customer, CustomerAddress  # noqa: F401
from xtycore.models.errors import ErrorEvent  # noqa: F401
from xtycore.models.catalog import (  # noqa: F401
    BannedWord, Brand, Category, Product, ProductImage, ReviewDecision, ReviewFinding, Tag, Variant, product_tag,
)
from xtycore.models.orders import Cart, CartLine, Order, OrderEvent, OrderLine  # noqa: F401
from xtycore.models.payments import Payment, PaymentEvent, PaymentWebhook  # noqa: F401
from xtycore.models.reviews import ProductRating, ProductReview  # noqa: F401
from xtycore.models.shipments import Shipment  # noqa: F401
from xtycore.models.order_notes import OrderNote  # noqa: F401
from xtycore.models.staff import Staff  # noqa: F401
from xtycore.models.support import SupportTicket, TicketAttachment, TicketMessage  # noqa: F401
